using HilRig.Rig.Drivers.Boot;
using HilRig.Rig.Drivers.Console;
using HilRig.Rig.Drivers.Container;
using HilRig.Rig.Drivers.Power;
using HilRig.Rig.Drivers.ProcessBoard;
using HilRig.Rig.Drivers.Qemu;
using HilRig.Rig.Drivers.Serial;
using HilRig.Rig.Drivers.Shell;
using HilRig.Rig.Protocols;
using HilRig.Rig.Locking;
using HilRig.Rig.Model;
using HilRig.Engine.Runtime;

namespace HilRig.Rig.Boards;

/// <summary>Builds a board's drivers from its rig definition: the resource → driver → protocol wiring per kind.</summary>
public static class BoardFactory
{
    public static Board Create(BoardDefinition definition, string stateDirectory, Func<string, Random> randomFor, int seed, TimeProvider? time = null,
        BoardSessions? sessions = null)
    {
        return definition.Kind switch
        {
            BoardKind.Process => CreateProcessBoard(definition, stateDirectory, randomFor, seed, time),
            BoardKind.Physical => CreatePhysicalBoard(definition, stateDirectory, randomFor, time, sessions),
            BoardKind.Qemu => CreateQemuBoard(definition, stateDirectory, randomFor, seed, time),
            BoardKind.Container => CreateContainerBoard(definition, stateDirectory, randomFor, seed, time),
            _ => throw new RigFaultException($"board {definition.Name}: unknown kind {definition.Kind}"),
        };
    }

    private static Board CreateProcessBoard(BoardDefinition definition, string stateDirectory, Func<string, Random> randomFor, int seed, TimeProvider? time)
    {
        var process = definition.Driver("process")!;
        var options = new ProcessBoardOptions
        {
            Firmware = process.String("firmware")!,
            DevicePath = process.String("device"),
            BootTimeout = process.Duration("boot_timeout"),
            Roles = definition.Roles,
            Settings = process.Map("settings"),
        };
        var driver = new ProcessBoardDriver(definition.Name, options, stateDirectory, seed, time);
        return AgentBoard(definition, driver, driver.Console, options.BootTimeout, randomFor);
    }

    private static Board CreateQemuBoard(BoardDefinition definition, string stateDirectory, Func<string, Random> randomFor, int seed, TimeProvider? time)
    {
        var qemu = definition.Driver("qemu")!;
        var options = new QemuBoardOptions
        {
            Binary = qemu.String("binary")!,
            ImageDirectory = qemu.String("image"),
            Kernel = qemu.String("kernel"),
            Initrd = qemu.String("initrd"),
            Disk = qemu.String("disk"),
            Machine = qemu.String("machine")!,
            Accel = qemu.String("accel")!,
            Cpu = qemu.String("cpu")!,
            Memory = qemu.Size("memory"),
            Append = qemu.String("append")!,
            Bios = qemu.String("bios") ?? "",
            ExtraArgs = qemu.List("extra_args"),
            Firmware = qemu.String("firmware")!,
            BootTimeout = qemu.Duration("boot_timeout"),
            Roles = definition.Roles,
            Settings = qemu.Map("settings"),
        };
        var driver = new QemuBoardDriver(definition.Name, options, stateDirectory, seed, time);
        return AgentBoard(definition, driver, driver.Console, options.BootTimeout, randomFor, timeScale: qemu.Int("time_scale"));
    }

    private static Board CreateContainerBoard(BoardDefinition definition, string stateDirectory, Func<string, Random> randomFor, int seed, TimeProvider? time)
    {
        var container = definition.Driver("container")!;
        var options = new ContainerBoardOptions
        {
            ImageDirectory = container.String("image"),
            Rootfs = container.String("rootfs"),
            Firmware = container.String("firmware")!,
            BootTimeout = container.Duration("boot_timeout"),
            StopTimeout = container.Duration("stop_timeout"),
            Roles = definition.Roles,
            Settings = container.Map("settings"),
        };
        var driver = new ContainerBoardDriver(definition.Name, options, stateDirectory, seed, time);
        return AgentBoard(definition, driver, driver.Console, options.BootTimeout, randomFor);
    }

    /// <summary>A board HilRig starts itself, running the device agent: its power driver, the agent's console, a shell on it.</summary>
    private static Board AgentBoard(BoardDefinition definition, object powerDriver, IConsoleProtocol console, TimeSpan bootTimeout, Func<string, Random> randomFor,
        int timeScale = 1)
    {
        var board = new Board(definition) { BootTimeout = bootTimeout, BootCompleteMarker = "boot complete", TimeScale = timeScale };
        board.AddDriver(powerDriver);
        board.AddDriver(console);
        board.AddDriver(Shell(definition, console, randomFor));
        return board;
    }

    private static Board CreatePhysicalBoard(BoardDefinition definition, string stateDirectory, Func<string, Random> randomFor, TimeProvider? time,
        BoardSessions? sessions)
    {
        // The lock comes first: nothing of a board another run holds is opened, not even its console.
        var session = sessions?.Enter(definition);
        var serial = definition.Driver("serial")!;
        var shellOptions = definition.Driver("shell")!;
        var opened = new List<object>();
        try
        {
            var log = new ConsoleLog(Path.Combine(stateDirectory, "console.log"), time);
            opened.Add(log);
            SerialConsole console;
            try
            {
                console = SerialConsole.Open(SerialSettings.From(serial), definition.Name, log, time);
            }
            catch (IOException e)
            {
                throw new RigFaultException($"board {definition.Name}: serial: {e.Message} (from {SerialSettings.From(serial).Source})", e);
            }
            opened.Add(console);
            IPowerSwitch powerSwitch;
            try
            {
                powerSwitch = PowerSwitches.Create(definition);
            }
            catch (PowerSwitchException e)
            {
                throw new RigFaultException($"board {definition.Name}: {e.Message}", e);
            }
            var power = new SwitchedPower(definition.Name, powerSwitch, console, PowerSwitches.CycleDelay(definition), time)
            {
                PowerDownText = shellOptions.String("power_down")!,
            };
            opened.Add(power);
            var shell = Shell(definition, console, randomFor, nudgeBeforeFirstPrompt: false);
            var bootloader = definition.Driver("bootloader") is { } b
                ? new BootloaderOptions(b.RequiredString("autoboot"), b.RequiredString("prompt"), b.String("boot")!, b.Duration("timeout"))
                : null;
            var strategy = new BootStrategy(console, shell, bootloader, definition.Name);
            power.PoweredOn += strategy.PoweredOn;
            power.ShellIsUp = () => strategy.ShellIsUp;
            var bootTimeout = shellOptions.Duration("boot_timeout");
            // The health check boots the board; the deploy after it gives the scenario a fresh image all the same.
            if (session is not null)
                power.BeforePowerOn.Add(cancellation => sessions!.EnsureHealthyAsync(session,
                    ct => HealthCheck.RunAsync(definition.Name, power, strategy, console, bootTimeout, ct), cancellation));
            if (definition.Driver("deploy") is { } deploy) power.BeforePowerOn.Add(DeployOnce(definition.Name, deploy, log));
            var board = new Board(definition) { BootTimeout = bootTimeout };
            board.AddDriver(log);
            board.AddDriver(console);
            board.AddDriver(power);
            board.AddDriver(strategy);
            return board;
        }
        catch
        {
            foreach (var o in Enumerable.Reverse(opened))
            {
                if (o is IAsyncDisposable a) a.DisposeAsync().AsTask().GetAwaiter().GetResult();
                else if (o is IDisposable d) d.Dispose();
            }
            throw;
        }
    }

    /// <summary>The deploy command, once per scenario (a power cycle within the scenario keeps what the board wrote).</summary>
    private static Func<CancellationToken, Task> DeployOnce(string board, OptionValues deploy, ConsoleLog log)
    {
        var done = false;
        return async cancellation =>
        {
            if (done) return;
            var command = deploy.RequiredString("command");
            log.Annotate($"deploy: {command}");
            try
            {
                await ShellCommand.RunAsync(command, deploy.Duration("timeout"), new Dictionary<string, string>
                {
                    ["HILRIG_BOARD"] = board,
                    ["HILRIG_RIG_DIR"] = Path.GetDirectoryName(Path.GetFullPath(deploy.Location.File))!,
                }, cancellation);
            }
            catch (IOException e)
            {
                throw new RigFaultException($"board {board}: deploy ({deploy.LocationOf("command")}): {e.Message}", e);
            }
            done = true;
        };
    }

    private static MarkerShellDriver Shell(BoardDefinition definition, IConsoleProtocol console, Func<string, Random> randomFor, bool nudgeBeforeFirstPrompt = true)
    {
        var shell = definition.Driver("shell")!;
        return new MarkerShellDriver(console, new ShellOptions
        {
            Prompt = shell.String("prompt")!,
            LoginPrompt = shell.String("login_prompt"),
            Username = shell.String("username"),
            Password = shell.String("password"),
            CommandTimeout = shell.Duration("command_timeout"),
            NudgeBeforeFirstPrompt = nudgeBeforeFirstPrompt,
        }, randomFor($"shell/{definition.Name}"), definition.Name);
    }
}
