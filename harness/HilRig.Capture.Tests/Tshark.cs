using System.Diagnostics;
using HilRig.Testing;

namespace HilRig.Capture.Tests;

/// <summary>Runs the real tshark as the independent reference the decoders are compared with.</summary>
internal static class Tshark
{
    /// <summary>
    /// <c>tshark -r FILE [-d …] -Y FILTER -T fields -e frame.number -e FIELD…</c>, one row per frame,
    /// each row the frame number then the fields (multiple occurrences joined by ',').
    /// </summary>
    public static List<string[]> Fields(string file, string displayFilter, string[] fields, params string[] extraArgs)
    {
        var tshark = RequiredTool.Require("tshark", "the decoders are checked against tshark on the same capture");
        var psi = new ProcessStartInfo(tshark) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-n", "-r", file }) psi.ArgumentList.Add(a);
        foreach (var a in extraArgs) psi.ArgumentList.Add(a);
        psi.ArgumentList.Add("-Y");
        psi.ArgumentList.Add(displayFilter);
        foreach (var a in new[] { "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=,", "-e", "frame.number" }) psi.ArgumentList.Add(a);
        foreach (var f in fields)
        {
            psi.ArgumentList.Add("-e");
            psi.ArgumentList.Add(f);
        }
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000)) { p.Kill(); throw new TimeoutException("tshark did not finish within 60 s"); }
        if (p.ExitCode != 0) throw new InvalidOperationException($"tshark exited {p.ExitCode}: {stderr.Result}");
        return stdout.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r').Split('\t')).ToList();
    }
}
