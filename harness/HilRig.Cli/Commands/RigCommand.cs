using System.CommandLine;
using HilRig.Cli.Output;
using HilRig.Rig.Model;
using HilRig.Steps.Hosting;

namespace HilRig.Cli.Commands;

/// <summary><c>hilrig rig check</c>: validates the rig file and probes what it names.</summary>
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
        return new Command("rig", "Rig file commands") { check };
    }
}
