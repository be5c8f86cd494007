using HilRig.Rig.Drivers.Console;
using HilRig.Rig.Drivers.Power;
using HilRig.Rig.Drivers.ProcessBoard;
using HilRig.Rig.Drivers.Qemu;
using HilRig.Rig.Drivers.Serial;
using HilRig.Rig.Drivers.Shell;
using HilRig.Rig.Protocols;
using HilRig.Rig.Model;
using HilRig.Engine.Runtime;

namespace HilRig.Rig.Boards;

/// <summary>Builds a board's drivers from its rig definition: the resource → driver → protocol wiring per kind.</summary>
public static class BoardFactory
{
    public static Board Create(BoardDefinition definition, string stateDirectory, Func<string, Random> randomFor, int seed, TimeProvider? time = null)
    {
        return definition.Kind switch
        {
            BoardKind.Process => CreateProcessBoard(definition, stateDirectory, randomFor, seed, time),
            BoardKind.Physical => CreatePhysicalBoard(definition, stateDirectory, randomFor, time),
            BoardKind.Qemu => CreateQemuBoard(definition, stateDirectory, randomFor, seed, time),
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
        var board = new Board(definition) { BootTimeout = options.BootTimeout, BootCompleteMarker = "boot complete" };
        board.AddDriver(driver);
        board.AddDriver(driver.Console);
        board.AddDriver(Shell(definition, driver.Console, randomFor));
        return board;
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
            ExtraArgs = qemu.List("extra_args"),
            Firmware = qemu.String("firmware")!,
            BootTimeout = qemu.Duration("boot_timeout"),
            Roles = definition.Roles,
            Settings = qemu.Map("settings"),
        };
        var driver = new QemuBoardDriver(definition.Name, options, stateDirectory, seed, time);
        var board = new Board(definition) { BootTimeout = options.BootTimeout, BootCompleteMarker = "boot complete" };
        board.AddDriver(driver);
        board.AddDriver(driver.Console);
        board.AddDriver(Shell(definition, driver.Console, randomFor));
        return board;
    }

    private static Board CreatePhysicalBoard(BoardDefinition definition, string stateDirectory, Func<string, Random> randomFor, TimeProvider? time)
    {
        var serial = definition.Driver("serial")!;
        var power = definition.Driver("external_power")!;
        SerialPort port;
        try
        {
            port = SerialPort.Open(serial.RequiredString("port"), int.Parse(serial.RequiredString("baud")));
        }
        catch (IOException e)
        {
            throw new RigFaultException($"board {definition.Name}: {e.Message} (from {serial.LocationOf("port")})", e);
        }
        var log = new ConsoleLog(Path.Combine(stateDirectory, "console.log"), time);
        var console = new FdConsole(port.Fd, definition.Name, log, time);
        var board = new Board(definition) { BootTimeout = TimeSpan.FromMinutes(2) };
        board.AddDriver(port);
        board.AddDriver(new ExternalPowerDriver(definition.Name,
            new ExternalPowerOptions(power.RequiredString("on"), power.RequiredString("off"), power.String("cut"), power.Duration("cycle_delay")), time));
        board.AddDriver(log);
        board.AddDriver(console);
        board.AddDriver(Shell(definition, console, randomFor));
        return board;
    }

    private static MarkerShellDriver Shell(BoardDefinition definition, IConsoleProtocol console, Func<string, Random> randomFor)
    {
        var shell = definition.Driver("shell")!;
        return new MarkerShellDriver(console, new ShellOptions
        {
            Prompt = shell.String("prompt")!,
            LoginPrompt = shell.String("login_prompt"),
            Username = shell.String("username"),
            Password = shell.String("password"),
            CommandTimeout = shell.Duration("command_timeout"),
        }, randomFor($"shell/{definition.Name}"), definition.Name);
    }
}
