using System.CommandLine;
using HilRig.Cli.Output;
using HilRig.Engine.Runtime;
using HilRig.Rig.Drivers.Power;
using HilRig.Rig.Drivers.Serial;
using HilRig.Rig.Locking;
using HilRig.Rig.Model;
using HilRig.Steps.Hosting;

namespace HilRig.Cli.Commands;

/// <summary>
/// For the people at the bench: <c>hilrig console BOARD</c> (attach to the console; Ctrl-] leaves) and
/// <c>hilrig power BOARD on|off|cycle|status</c>. Both take the board's lock first, like a run, so a person and a run
/// never drive one board at once.
/// </summary>
public static class BenchBoardCommands
{
    private const byte CtrlBracket = 0x1d;

    public static Command Console()
    {
        var boardArgument = new Argument<string>("BOARD") { Description = "a physical board of the rig" };
        var rig = CommonOptions.Rig();
        var lockTimeout = RigCommand.LockTimeoutOption();
        var command = new Command("console", "Attach to a physical board's serial console (Ctrl-] leaves)") { boardArgument, rig, lockTimeout };
        command.SetAction((parse, cancellation) => Loading.GuardAsync(async () =>
        {
            var (definition, board) = PhysicalBoard(parse.GetValue(rig), parse.GetValue(boardArgument)!);
            using var guard = Lock(definition, board, RigCommand.LockTimeout(parse.GetValue(lockTimeout)), "hilrig console");
            if (guard is null) return ExitCodes.RigFault;
            System.IO.Ports.SerialPort port;
            try
            {
                port = SerialLine.Open(SerialSettings.From(board.Driver("serial")!));
            }
            catch (IOException e)
            {
                Terminal.Error($"hilrig: board {board.Name}: serial: {e.Message}");
                return ExitCodes.RigFault;
            }
            using (port)
            {
                Terminal.Error($"hilrig: attached to {board.Name} on {port.PortName} at {port.BaudRate} baud; Ctrl-] leaves");
                using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
                var output = System.Console.OpenStandardOutput();
                var fromBoard = Task.Run(async () =>
                {
                    var buffer = new byte[4096];
                    while (!stop.IsCancellationRequested)
                    {
                        var n = await port.BaseStream.ReadAsync(buffer, stop.Token);
                        await output.WriteAsync(buffer.AsMemory(0, n), stop.Token);
                        await output.FlushAsync(stop.Token);
                    }
                });
                await ForwardKeysAsync(port, stop.Token);
                await stop.CancelAsync();
                try
                {
                    await fromBoard;
                }
                catch (Exception e) when (e is OperationCanceledException or IOException)
                {
                }
            }
            Terminal.Error("\nhilrig: console left");
            return ExitCodes.Passed;
        }));
        return command;
    }

    /// <summary>Keys (or, when stdin is not a terminal, bytes) to the board until Ctrl-] or end of input.</summary>
    private static async Task ForwardKeysAsync(System.IO.Ports.SerialPort port, CancellationToken cancellation)
    {
        if (System.Console.IsInputRedirected)
        {
            var input = System.Console.OpenStandardInput();
            var buffer = new byte[1024];
            while (!cancellation.IsCancellationRequested)
            {
                var n = await input.ReadAsync(buffer, cancellation);
                if (n == 0) return;
                var end = Array.IndexOf(buffer, CtrlBracket, 0, n);
                await port.BaseStream.WriteAsync(buffer.AsMemory(0, end >= 0 ? end : n), cancellation);
                if (end >= 0) return;
            }
            return;
        }
        while (!cancellation.IsCancellationRequested)
        {
            var key = await Task.Run(() => System.Console.ReadKey(intercept: true), cancellation);
            if (key.KeyChar == (char)CtrlBracket) return;
            var text = key.Key == ConsoleKey.Enter ? "\n" : key.KeyChar == '\0' ? "" : key.KeyChar.ToString();
            if (text.Length > 0) await port.BaseStream.WriteAsync(System.Text.Encoding.UTF8.GetBytes(text), cancellation);
        }
    }

    public static Command Power()
    {
        var boardArgument = new Argument<string>("BOARD") { Description = "a physical board of the rig" };
        var action = new Argument<string>("ACTION") { Description = "on, off, cycle or status" };
        action.AcceptOnlyFromAmong("on", "off", "cycle", "status");
        var rig = CommonOptions.Rig();
        var lockTimeout = RigCommand.LockTimeoutOption();
        var command = new Command("power", "Switch a physical board's power: on, off, cycle, status") { boardArgument, action, rig, lockTimeout };
        command.SetAction((parse, cancellation) => Loading.GuardAsync(async () =>
        {
            var (definition, board) = PhysicalBoard(parse.GetValue(rig), parse.GetValue(boardArgument)!);
            var what = parse.GetValue(action)!;
            using var guard = Lock(definition, board, RigCommand.LockTimeout(parse.GetValue(lockTimeout)), $"hilrig power {what}");
            if (guard is null) return ExitCodes.RigFault;
            try
            {
                await using var powerSwitch = PowerSwitches.Create(board);
                switch (what)
                {
                    case "on":
                        await powerSwitch.SetAsync(true, cancellation);
                        break;
                    case "off":
                        await powerSwitch.SetAsync(false, cancellation);
                        break;
                    case "cycle":
                        await powerSwitch.SetAsync(false, cancellation);
                        await Task.Delay(PowerSwitches.CycleDelay(board), cancellation);
                        await powerSwitch.SetAsync(true, cancellation);
                        break;
                }
                var state = await powerSwitch.ReadAsync(cancellation);
                Terminal.Line($"{board.Name}: {(state is null ? "unknown (the switch cannot be read)" : state.Value ? "on" : "off")} ({powerSwitch.Description})");
                return ExitCodes.Passed;
            }
            catch (PowerSwitchException e)
            {
                Terminal.Error($"hilrig: board {board.Name}: {e.Message}");
                return ExitCodes.RigFault;
            }
        }));
        return command;
    }

    private static (RigDefinition Rig, BoardDefinition Board) PhysicalBoard(string? rigFile, string name)
    {
        var definition = Loading.Rig(rigFile ?? ScenarioHost.DefaultRigFile());
        var board = definition.FindBoard(name)
                    ?? throw new Loading.UsageException($"the rig {definition.SourcePath} has no board \"{name}\"; its boards: {string.Join(", ", definition.Boards.Select(b => b.Name))}");
        if (board.Kind != BoardKind.Physical)
            throw new Loading.UsageException($"board {name} is a {board.Kind.ToString().ToLowerInvariant()} board; console and power work on physical boards (a process board lives only inside a run)");
        return (definition, board);
    }

    private static GuardProcess? Lock(RigDefinition rig, BoardDefinition board, TimeSpan timeout, string command)
    {
        try
        {
            return GuardProcess.Start(rig.SourcePath, board.Name, timeout, command);
        }
        catch (RigFaultException e)
        {
            Terminal.Error("hilrig: " + e.Message.Replace("[rig] ", ""));
            return null;
        }
    }
}
