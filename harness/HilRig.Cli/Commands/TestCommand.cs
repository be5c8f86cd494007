using System.CommandLine;
using System.Diagnostics;
using HilRig.Cli.Output;

namespace HilRig.Cli.Commands;

/// <summary><c>hilrig test</c>: the whole test suite, as CI runs it (the work is in scripts/test so it can install tools first).</summary>
public static class TestCommand
{
    public static Command Create()
    {
        var command = new Command("test", "Run the whole test suite (installs what it needs; prints 'N passed, N failed')");
        command.SetAction(async (_, cancellation) =>
        {
            var root = Rig.Drivers.ProcessBoard.DeviceLocator.RepositoryRoot();
            if (root is null)
            {
                Terminal.Error("hilrig: not inside the HilRig repository");
                return ExitCodes.Usage;
            }
            using var process = Process.Start(new ProcessStartInfo(Path.Combine(root, "scripts", "test")) { UseShellExecute = false })!;
            await process.WaitForExitAsync(cancellation);
            return process.ExitCode;
        });
        return command;
    }
}
