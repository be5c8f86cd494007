using System.CommandLine;
using HilRig.Cli.Output;
using HilRig.Engine.Runtime;
using HilRig.Rig.Locking;
using HilRig.Rig.Model;
using HilRig.Steps.Hosting;

namespace HilRig.Cli.Commands;

/// <summary><c>hilrig rig check|status</c>: validates and probes the rig file; shows who holds which board. <c>rig guard</c> is the lock keeper runs start.</summary>
public static class RigCommand
{
    public static Command Create()
    {
        var rig = CommonOptions.Rig();
        var check = new Command("check", "Validate the rig file and probe its boards, ports and tools") { rig };
        check.SetAction((parse, _) => Loading.GuardAsync(() =>
        {
            var path = parse.GetValue(rig) ?? ScenarioHost.DefaultRigFile();
            var definition = Loading.Rig(path);
            Terminal.Line($"{path}: rig {definition.Name}, {definition.Boards.Count} board(s), network {definition.Network.Type}{(definition.Cloud is null ? "" : ", cloud")} — valid");
            var results = RigProbe.Run(definition);
            foreach (var r in results)
                Terminal.Line($"  {(r.Ok ? "ok  " : "FAIL")} {r.Subject}: {r.Check} — {r.Detail}",
                    $"  {(r.Ok ? "[green]ok  [/]" : "[red]FAIL[/]")} {Terminal.Escape(r.Subject)}: {Terminal.Escape(r.Check)} — [grey]{Terminal.Escape(r.Detail)}[/]");
            var failed = results.Count(r => !r.Ok);
            Terminal.Line(failed == 0 ? "rig ready" : $"{failed} probe(s) failed: the rig cannot run everything it names");
            return Task.FromResult(failed == 0 ? ExitCodes.Passed : ExitCodes.RigFault);
        }));

        var statusRig = CommonOptions.Rig();
        var status = new Command("status", "Show which physical boards are locked, by which run (pid, since when)") { statusRig };
        status.SetAction((parse, _) => Loading.GuardAsync(() =>
        {
            var path = parse.GetValue(statusRig) ?? ScenarioHost.DefaultRigFile();
            var definition = Loading.Rig(path);
            var locks = BoardLock.List().ToDictionary(l => l.Key);
            var physical = definition.Boards.Where(b => b.Kind == BoardKind.Physical).ToList();
            if (physical.Count == 0) Terminal.Line($"{path}: no physical boards (process boards live only inside a run)");
            foreach (var board in physical)
            {
                string resource;
                try
                {
                    resource = BoardLock.KeyFor(BoardGuard.BoardResource(board));
                }
                catch (IOException e)
                {
                    Terminal.Line($"  {board.Name}: {e.Message}");
                    continue;
                }
                var state = locks.TryGetValue(resource, out var l) && l.Held ? $"locked by {l.Holder?.ToString() ?? "an unknown process"}" : "free";
                Terminal.Line($"  {board.Name} ({resource}): {state}");
            }
            foreach (var other in locks.Values.Where(l => l.Held && physical.All(b => SafeKey(b) != l.Key)))
                Terminal.Line($"  (not in this rig) {other.Key}: locked by {other.Holder?.ToString() ?? "an unknown process"}");
            Terminal.Line($"locks in {BoardLock.Directory()}");
            return Task.FromResult(ExitCodes.Passed);
        }));

        var guardRig = new Option<string>("--rig") { Required = true };
        var board = new Option<string>("--board") { Required = true };
        var holderPid = new Option<int>("--holder-pid") { Required = true };
        var holderCommand = new Option<string>("--holder-command") { DefaultValueFactory = _ => "hilrig" };
        var lockTimeout = new Option<string>("--lock-timeout") { DefaultValueFactory = _ => "0s" };
        var guard = new Command("guard", "(started by runs) hold a board's lock; switch it off if the run dies") { guardRig, board, holderPid, holderCommand, lockTimeout };
        guard.Hidden = true;
        guard.SetAction(async (parse, _) =>
        {
            var definition = ScenarioHost.LoadRig(parse.GetValue(guardRig)!);
            var me = new LockHolder(parse.GetValue(board)!, definition.Name, parse.GetValue(holderPid), DateTimeOffset.Now, parse.GetValue(holderCommand)!, "");
            DurationParser.TryParse(parse.GetValue(lockTimeout)!, out var timeout);
            return await BoardGuard.RunAsync(definition, me.Board, me, timeout, System.Console.In, System.Console.Out, System.Console.Error);
        });
        return new Command("rig", "Rig file commands") { check, status, guard };
    }

    private static string SafeKey(BoardDefinition board)
    {
        try
        {
            return BoardLock.KeyFor(BoardGuard.BoardResource(board));
        }
        catch (IOException)
        {
            return "";
        }
    }

    /// <summary>--lock-timeout, shared by run, console and power.</summary>
    public static Option<string?> LockTimeoutOption() =>
        new("--lock-timeout") { Description = "how long to wait for a physical board another run holds (default 0s: fail at once, exit 3)" };

    public static TimeSpan LockTimeout(string? text) =>
        text is null ? TimeSpan.Zero
        : DurationParser.TryParse(text, out var t) ? t
        : throw new Loading.UsageException($"--lock-timeout: '{text}' is not a duration (e.g. 30s, 10min)");
}
