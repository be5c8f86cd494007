using HilRig.Harness.Runtime;

namespace HilRig.Harness.Drivers.ProcessBoard;

/// <summary>
/// Finds the HilRig.Device build to run on process boards: an explicit path, <c>HILRIG_DEVICE</c>, or the
/// build in this repository made with the same configuration as the running harness.
/// </summary>
public static class DeviceLocator
{
    public static string Find(string? explicitPath = null)
    {
        var path = explicitPath ?? Environment.GetEnvironmentVariable("HILRIG_DEVICE");
        if (path is not null)
        {
            if (File.Exists(path)) return Path.GetFullPath(path);
            throw new RigFaultException($"the device build {path} does not exist");
        }
        var root = RepositoryRoot()
            ?? throw new RigFaultException($"cannot find the HilRig repository above {AppContext.BaseDirectory} to locate HilRig.Device; set HILRIG_DEVICE");
        var configuration = CurrentConfiguration();
        var candidates = new[] { configuration, "Release", "Debug" }
            .Distinct()
            .Select(c => Path.Combine(root, "src", "HilRig.Device", "bin", c, "net10.0", "HilRig.Device.dll"))
            .Where(File.Exists)
            .ToList();
        return candidates.FirstOrDefault()
            ?? throw new RigFaultException($"HilRig.Device is not built; run `dotnet build src/HilRig.Device -c {configuration}` in {root}");
    }

    public static string? RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "HilRig.sln"))) return dir.FullName;
        return null;
    }

    /// <summary>Debug or Release, read from this assembly's output path (…/bin/Release/net10.0/).</summary>
    public static string CurrentConfiguration()
    {
        var parts = AppContext.BaseDirectory.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        var bin = Array.LastIndexOf(parts, "bin");
        return bin >= 0 && bin + 1 < parts.Length ? parts[bin + 1] : "Release";
    }
}
