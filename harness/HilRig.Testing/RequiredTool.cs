using NUnit.Framework;

namespace HilRig.Testing;

/// <summary>
/// Gates a test on an external tool or privilege. Locally a missing tool skips the test with the reason;
/// under CI (<c>CI=true</c>) it fails, because CI installs everything the suite needs.
/// </summary>
public static class RequiredTool
{
    public static bool UnderCi =>
        string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Returns the tool's full path or ends the test (ignored locally, failed under CI).</summary>
    public static string Require(string tool, string why)
    {
        var path = FindOnPath(tool);
        if (path is null) Missing($"needs '{tool}' on PATH ({why})");
        return path!;
    }

    public static void RequireRoot(string why)
    {
        if (Environment.UserName != "root" && geteuid() != 0) Missing($"needs root ({why})");
    }

    public static void RequireFile(string path, string why)
    {
        if (!File.Exists(path)) Missing($"needs {path} ({why})");
    }

    public static string? FindOnPath(string tool)
    {
        if (tool.Contains('/')) return File.Exists(tool) ? tool : null;
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
                     .Concat(["/usr/sbin", "/sbin"]))
        {
            var candidate = Path.Combine(dir, tool);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    private static void Missing(string reason)
    {
        if (UnderCi) Assert.Fail($"{reason}; CI installs it, so its absence is a failure here");
        Assert.Ignore(reason);
    }

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern uint geteuid();
}
