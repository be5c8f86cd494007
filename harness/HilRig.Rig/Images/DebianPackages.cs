using System.Diagnostics;
using HilRig.Engine.Runtime;

namespace HilRig.Rig.Images;

/// <summary>A Debian package as the image uses it: its name and the exact version apt resolved.</summary>
public sealed record DebianPackage(string Name, string Version)
{
    public override string ToString() => $"{Name}={Version}";
}

/// <summary>A package apt does not know (or cannot download): the build stops, naming it.</summary>
public sealed class MissingPackageException(string package, string detail)
    : Exception($"Debian package {package} is not available: {detail}")
{
    public string Package { get; } = package;
}

/// <summary>
/// Debian's packages through apt itself (<c>apt-cache</c>, <c>apt-get download</c>, <c>dpkg-deb -x</c>): the only place the
/// board image comes from. Downloads are kept in a cache directory by file name (name_version_arch.deb).
/// </summary>
public sealed class DebianPackages(string cacheDirectory, string architecture = "amd64")
{
    /// <summary>The package a metapackage points at (<c>linux-image-amd64</c> → <c>linux-image-6.1.0-57-amd64</c>).</summary>
    public DebianPackage ResolveMeta(string metapackage, string dependencyPrefix)
    {
        var depends = Run("apt-cache", ["depends", "--no-recommends", "--no-suggests", metapackage], metapackage);
        var target = depends.Split('\n').Select(l => l.Trim())
            .Where(l => l.StartsWith("Depends: ", StringComparison.Ordinal))
            .Select(l => l["Depends: ".Length..].Trim())
            .FirstOrDefault(d => d.StartsWith(dependencyPrefix, StringComparison.Ordinal))
            ?? throw new MissingPackageException(metapackage, $"it depends on no {dependencyPrefix}* package");
        return Resolve(target);
    }

    /// <summary>The candidate version apt would install.</summary>
    public DebianPackage Resolve(string name)
    {
        var policy = Run("apt-cache", ["policy", name], name);
        var candidate = policy.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("Candidate:", StringComparison.Ordinal))?["Candidate:".Length..].Trim();
        if (candidate is null or "" or "(none)")
            throw new MissingPackageException(name, "apt knows no candidate version (run `apt-get update`, or check the name)");
        return new DebianPackage(name, candidate);
    }

    /// <summary>Downloads the .deb (once) and unpacks it into a fresh <paramref name="into"/>.</summary>
    public void Extract(DebianPackage package, string into)
    {
        var deb = Download(package);
        if (Directory.Exists(into)) Directory.Delete(into, recursive: true);
        Directory.CreateDirectory(into);
        Run("dpkg-deb", ["-x", deb, into], package.Name);
    }

    public string Download(DebianPackage package)
    {
        Directory.CreateDirectory(cacheDirectory);
        // apt-get download names files with the epoch's colon escaped (1%3a1.35.0).
        var version = package.Version.Replace(":", "%3a");
        var existing = Directory.EnumerateFiles(cacheDirectory, $"{package.Name}_{version}_*.deb").FirstOrDefault();
        if (existing is not null) return existing;
        Run("apt-get", ["download", "-q", $"{package.Name}={package.Version}"], package.Name, cacheDirectory);
        return Directory.EnumerateFiles(cacheDirectory, $"{package.Name}_{version}_*.deb").FirstOrDefault()
            ?? throw new MissingPackageException(package.Name, $"apt-get download left no .deb in {cacheDirectory}");
    }

    private static string Run(string program, IReadOnlyList<string> arguments, string package, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        info.Environment["LC_ALL"] = "C";
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new RigFaultException($"cannot start {program}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new RigFaultException($"cannot run {program} (is this Debian with apt?): {e.Message}");
        }
        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                var error = stderr.Result.Trim();
                if (program is "apt-get" or "apt-cache" && (error.Contains("Unable to locate package") || error.Contains("No packages found") ||
                                                             error.Contains("Can't select") || error.Contains("has no installation candidate") ||
                                                             error.Contains("not found")))
                    throw new MissingPackageException(package, error.Split('\n').Last());
                throw new RigFaultException($"{program} {string.Join(' ', arguments)} failed (exit {process.ExitCode}): {error}");
            }
            return stdout;
        }
    }

    public string Architecture => architecture;
}
