using System.Diagnostics;

namespace HilRig.Simulators.SimNet;

/// <summary>Runs iproute2's <c>ip</c>; a failure throws with the command and ip's own message.</summary>
internal static class IpCommand
{
    public static void Run(params string[] args) => Batch(null, [string.Join(' ', args)]);

    /// <summary>Runs several commands through one <c>ip [-n NS] -batch -</c> process (one fork instead of many).</summary>
    public static void Batch(string? netns, IReadOnlyList<string> commands)
    {
        var psi = new ProcessStartInfo("ip")
        {
            RedirectStandardInput = true,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        if (netns is not null)
        {
            psi.ArgumentList.Add("-n");
            psi.ArgumentList.Add(netns);
        }
        psi.ArgumentList.Add("-batch");
        psi.ArgumentList.Add("-");
        using var p = Process.Start(psi) ?? throw new IOException("cannot start 'ip' (install iproute2)");
        foreach (var c in commands) p.StandardInput.WriteLine(c);
        p.StandardInput.Close();
        var stderr = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(30_000))
        {
            p.Kill();
            throw new IOException($"ip {(netns is null ? "" : $"-n {netns} ")}did not finish within 30 s: {string.Join("; ", commands)}");
        }
        if (p.ExitCode != 0)
            throw new IOException($"ip {(netns is null ? "" : $"-n {netns} ")}failed ({p.ExitCode}) running [{string.Join("; ", commands)}]: {stderr.Result.Trim()}");
    }
}
