using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using HilRig.Engine.Runtime;

namespace HilRig.Rig.Images;

/// <summary>
/// Publishes HilRig.Device with NativeAOT for the image (linux-x64), once per change of its sources: the publish takes
/// about a minute on two cores, so it is keyed by a hash of every source file the agent is built from.
/// </summary>
public static class AgentPublisher
{
    /// <summary>The projects the agent is compiled from (HilRig.Device and what it references).</summary>
    private static readonly string[] Projects = ["src/HilRig.Device", "src/HilRig.Update", "src/HilRig.AbUpdate", "src/HilRig.Storage"];

    /// <summary>The published agent in <paramref name="directory"/> (HilRig.Device + libe_sqlite3.so), publishing it if its sources changed.</summary>
    public static string Publish(string repository, string directory, string runtime, Action<string> progress)
    {
        var key = SourceKey(repository, runtime);
        var keyFile = Path.Combine(directory, "sources.sha256");
        var binary = Path.Combine(directory, "HilRig.Device");
        if (File.Exists(keyFile) && File.ReadAllText(keyFile).Trim() == key && File.Exists(binary))
        {
            progress($"agent: NativeAOT build up to date ({key[..12]})");
            return directory;
        }
        progress($"agent: publishing HilRig.Device with NativeAOT for {runtime} (sources {key[..12]}; about a minute)…");
        if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = repository,
        };
        foreach (var a in new[] { "publish", "src/HilRig.Device/HilRig.Device.csproj", "-c", "Release", "-r", runtime, "-p:PublishAot=true", "-nologo", "-v", "q", "-o", directory })
            info.ArgumentList.Add(a);
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var process = Process.Start(info) ?? throw new RigFaultException("cannot start dotnet publish");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0 || !File.Exists(binary))
        {
            var errors = (stdout + stderr.Result).Split('\n').Where(l => l.Contains("error", StringComparison.OrdinalIgnoreCase)).Distinct().Take(20);
            throw new RigFaultException($"the NativeAOT publish of HilRig.Device failed (exit {process.ExitCode}):\n{string.Join('\n', errors)}");
        }
        // Debug symbols and pdbs stay out of the image (they are three times the binary).
        foreach (var extra in Directory.EnumerateFiles(directory).Where(f => f.EndsWith(".dbg") || f.EndsWith(".pdb"))) File.Delete(extra);
        File.WriteAllText(keyFile, key + "\n");
        return directory;
    }

    /// <summary>SHA-256 over the path and content of every source, project and props file the agent is built from.</summary>
    public static string SourceKey(string repository, string runtime)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(runtime + "\n"));
        var files = Projects
            .SelectMany(p => Directory.EnumerateFiles(Path.Combine(repository, p), "*", SearchOption.AllDirectories))
            .Where(f => !f.Contains("/bin/") && !f.Contains("/obj/") && (f.EndsWith(".cs") || f.EndsWith(".csproj") || f.EndsWith(".proto")))
            .Concat(new[] { "Directory.Build.props", "Directory.Packages.props" }.Select(f => Path.Combine(repository, f)))
            .Order(StringComparer.Ordinal);
        foreach (var file in files)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(Path.GetRelativePath(repository, file) + "\n"));
            hash.AppendData(File.ReadAllBytes(file));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
