using HilRig.Engine.Runtime;

namespace HilRig.Rig.Drivers.ProcessBoard;

/// <summary>
/// Finds the builds of this repository's programs that the harness starts (HilRig.Device on process boards,
/// HilRig.Cloud on a SimNet rig): an explicit path, an environment variable, or the build in this repository made
/// with the same configuration as the running harness.
/// </summary>
public static class DeviceLocator
{
    /// <summary>The HilRig.Device build: <paramref name="explicitPath"/>, <c>HILRIG_DEVICE</c>, or src/HilRig.Device's build.</summary>
    public static string Find(string? explicitPath = null) => FindProgram("HilRig.Device", "HILRIG_DEVICE", explicitPath);

    /// <summary>The build of <c>src/<paramref name="project"/></c>, unless <paramref name="explicitPath"/> or <paramref name="environmentVariable"/> names one.</summary>
    public static string FindProgram(string project, string environmentVariable, string? explicitPath = null)
    {
        var path = explicitPath ?? Environment.GetEnvironmentVariable(environmentVariable);
        if (path is not null)
        {
            if (File.Exists(path)) return Path.GetFullPath(path);
            throw new RigFaultException($"the {project} build {path} does not exist");
        }
        var root = RepositoryRoot()
            ?? throw new RigFaultException($"cannot find the HilRig repository above {AppContext.BaseDirectory} to locate {project}; set {environmentVariable}");
        var configuration = CurrentConfiguration();
        var candidates = new[] { configuration, "Release", "Debug" }
            .Distinct()
            .Select(c => Path.Combine(root, "src", project, "bin", c, "net10.0", project + ".dll"))
            .Where(File.Exists)
            .ToList();
        return candidates.FirstOrDefault()
            ?? throw new RigFaultException($"{project} is not built; run `dotnet build src/{project} -c {configuration}` in {root}");
    }

    /// <summary>The dotnet host running this harness, so children start on the same runtime.</summary>
    public static string DotnetHost() =>
        Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";

    /// <summary>
    /// Runtime settings for the programs the harness starts many times per run (boards, the cloud): each lives seconds to
    /// a minute, so dynamic PGO's instrumented code never pays for itself; turning it off saves about a tenth of their CPU,
    /// which is what limits scenarios side by side on two cores (<c>hilrig bench run</c>). A value set in the harness's
    /// environment wins.
    /// </summary>
    public static void ShortLivedRuntime(System.Diagnostics.ProcessStartInfo info)
    {
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        if (Environment.GetEnvironmentVariable("DOTNET_TieredPGO") is null) info.Environment["DOTNET_TieredPGO"] = "0";
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
