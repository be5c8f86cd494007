using System.Diagnostics;

namespace HilRig.Rig.Drivers.Qemu;

/// <summary>
/// Starts QEMU so that it cannot outlive the harness: QEMU runs under a small shell that holds the harness's end of a
/// pipe on its stdin and kills QEMU when that pipe closes — which the kernel does when the harness exits for any reason,
/// SIGKILL included (the process boards' lifeline, for a program that has no such option).
/// </summary>
public static class QemuLaunch
{
    private const string Wrapper = """
        exec 3<&0
        "$@" </dev/null 3<&- &
        qemu=$!
        # An asynchronous list reads /dev/null unless told otherwise: the lifeline is read through fd 3.
        ( while read -r _ <&3; do :; done; kill -9 "$qemu" 2>/dev/null ) &
        lifeline=$!
        wait "$qemu"
        code=$?
        kill "$lifeline" 2>/dev/null
        exit "$code"
        """;

    public static Process Start(IReadOnlyList<string> qemuCommand, string workingDirectory)
    {
        var info = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(Wrapper);
        info.ArgumentList.Add("hilrig-qemu");
        foreach (var a in qemuCommand) info.ArgumentList.Add(a);
        return Process.Start(info) ?? throw new InvalidOperationException("could not start /bin/sh for QEMU");
    }
}
