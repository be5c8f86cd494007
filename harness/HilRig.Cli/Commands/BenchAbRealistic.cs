using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using HilRig.AbUpdate;
using HilRig.AbUpdate.Delta;
using HilRig.AbUpdate.Ext4;
using HilRig.Engine.Runtime;
using HilRig.Storage;
using static HilRig.Cli.Commands.BenchProcesses;

namespace HilRig.Cli.Commands;

/// <summary>One package of the realistic fixture: the version in the old tree and in the new one (equal when unchanged).</summary>
public sealed record FixturePackage(string Name, string OldVersion, string NewVersion)
{
    public bool Changed => OldVersion != NewVersion;
}

/// <summary>
/// The realistic fixture of <c>hilrig bench ab</c>, built once and cached: the Debian packages of
/// <c>fixtures/ab/realistic-update.txt</c> at two versions (from the apt sources: bookworm, -updates, -security), unpacked
/// into an old and a new tree, each made into a 4 KiB-block ext4 image with <c>mke2fs -d</c> (fixed UUID, hash seed and
/// clock; atime/ctime, which mke2fs copies from the host, set to a fixed time with debugfs), so the same package versions
/// always give the same images. The cache key is the list of package versions.
/// </summary>
public sealed class RealisticFixture
{
    private const string Uuid = "11111111-2222-4333-8444-555555555555";
    private const string HashSeed = "66666666-7777-4888-9999-aaaaaaaaaaaa";
    private const long FixedTime = 1_700_000_000;
    /// <summary>Bump when the way images are built changes: old caches are then rebuilt.</summary>
    private const string Recipe = "realistic-v1";

    private RealisticFixture(string dir, IReadOnlyList<FixturePackage> packages, int changedFiles)
    {
        Directory = dir;
        Packages = packages;
        ChangedFiles = changedFiles;
    }

    public string Directory { get; }
    public IReadOnlyList<FixturePackage> Packages { get; }
    public int ChangedFiles { get; }
    public string OldTree => Path.Combine(Directory, "old");
    public string NewTree => Path.Combine(Directory, "new");
    public string OldImage => Path.Combine(Directory, "old.ext4");
    public string NewImage => Path.Combine(Directory, "new.ext4");

    /// <summary>The default cache: $HILRIG_CACHE, else ~/.cache/hilrig.</summary>
    public static string DefaultCache() =>
        Environment.GetEnvironmentVariable("HILRIG_CACHE") is { Length: > 0 } c ? c
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "hilrig");

    /// <summary>Returns the cached fixture for today's package versions, building it first when there is none.</summary>
    public static RealisticFixture Ensure(string cache, string listPath, Action<string> log)
    {
        foreach (var tool in new[] { "apt-get", "apt-cache", "dpkg", "dpkg-deb", "mke2fs", "debugfs", "e2fsck" })
            if (Rig.Model.RigProbe.FindOnPath(tool) is null && !File.Exists($"/usr/sbin/{tool}") && !File.Exists($"/sbin/{tool}"))
                throw new RigFaultException($"the realistic fixture needs '{tool}' (Debian: apt, dpkg, e2fsprogs)");
        var (changed, base_) = ReadList(listPath);
        var packages = ResolveVersions(changed, base_, log);
        if (packages.Count(p => p.Changed) < 6)
            throw new RigFaultException($"the apt sources offer two versions of only {packages.Count(p => p.Changed)} of the {changed.Count} packages {listPath} updates; " +
                                        "add bookworm-security and bookworm-updates to the sources and run apt-get update");

        var keyText = Recipe + "\n" + string.Join("\n", packages.Select(p => $"{p.Name} {p.OldVersion} {p.NewVersion}"));
        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(keyText)))[..16];
        var dir = Path.Combine(cache, $"bench-ab-realistic-{key}");
        if (File.Exists(Path.Combine(dir, "complete")))
        {
            log($"realistic fixture: cached in {dir}");
            return Load(dir, packages);
        }

        var tmp = $"{dir}.tmp-{Environment.ProcessId}";
        if (System.IO.Directory.Exists(tmp)) System.IO.Directory.Delete(tmp, true);
        System.IO.Directory.CreateDirectory(tmp);
        try
        {
            log($"realistic fixture: building in {tmp} ({packages.Count(p => p.Changed)} updated packages, {packages.Count(p => !p.Changed)} unchanged)");
            var debs = Path.Combine(cache, "debs");
            DownloadAll(debs, packages.SelectMany(p => new[] { (p.Name, p.OldVersion), (p.Name, p.NewVersion) }).Distinct().ToList(), log);
            foreach (var tree in new[] { "old", "new" }) System.IO.Directory.CreateDirectory(Path.Combine(tmp, tree));
            // Unchanged packages first, then the updated ones: a file both ship ends up as the update's.
            foreach (var p in packages.OrderBy(p => p.Changed))
            {
                Exec("dpkg-deb", ["-x", DebPath(debs, p.Name, p.OldVersion), Path.Combine(tmp, "old")]);
                Exec("dpkg-deb", ["-x", DebPath(debs, p.Name, p.NewVersion), Path.Combine(tmp, "new")]);
            }
            var bytes = Math.Max(TreeBytes(Path.Combine(tmp, "old")), TreeBytes(Path.Combine(tmp, "new")));
            var imageBytes = BlockDevice.AlignUp((long)(bytes * 1.6), 16L << 20);
            foreach (var tree in new[] { "old", "new" })
                MakeImage(Path.Combine(tmp, tree), Path.Combine(tmp, $"{tree}.ext4"), imageBytes);
            var changedFiles = CountChangedFiles(Path.Combine(tmp, "old"), Path.Combine(tmp, "new"));
            File.WriteAllText(Path.Combine(tmp, "fixture.json"), JsonSerializer.Serialize(new
            {
                recipe = Recipe,
                image_bytes = imageBytes,
                changed_files = changedFiles,
                packages = packages.Select(p => new { name = p.Name, old_version = p.OldVersion, new_version = p.NewVersion }),
            }, new JsonSerializerOptions { WriteIndented = true }));
            File.WriteAllText(Path.Combine(tmp, "complete"), keyText + "\n");
            try
            {
                System.IO.Directory.Move(tmp, dir);
            }
            catch (IOException) when (File.Exists(Path.Combine(dir, "complete")))
            {
                // Another run built the same fixture meanwhile: use it.
                System.IO.Directory.Delete(tmp, true);
            }
            log($"realistic fixture: {imageBytes >> 20} MiB images, {changedFiles} files changed, cached in {dir}");
            return Load(dir, packages);
        }
        catch
        {
            if (System.IO.Directory.Exists(tmp)) System.IO.Directory.Delete(tmp, true);
            throw;
        }
    }

    private static RealisticFixture Load(string dir, IReadOnlyList<FixturePackage> packages)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "fixture.json")));
        return new RealisticFixture(dir, packages, doc.RootElement.GetProperty("changed_files").GetInt32());
    }

    /// <summary>The package list: "changed NAME…" and "base NAME…" lines, # comments.</summary>
    public static (List<string> Changed, List<string> Base) ReadList(string path)
    {
        var changed = new List<string>();
        var base_ = new List<string>();
        var lineNo = 0;
        foreach (var raw in File.ReadLines(path))
        {
            lineNo++;
            var line = raw.Split('#')[0].Trim();
            if (line.Length == 0) continue;
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var list = words[0] switch
            {
                "changed" => changed,
                "base" => base_,
                _ => throw new Loading.UsageException($"{path}:{lineNo}:1: '{words[0]}' is not 'changed' or 'base'"),
            };
            list.AddRange(words.Skip(1));
        }
        return (changed, base_);
    }

    private static List<FixturePackage> ResolveVersions(List<string> changed, List<string> base_, Action<string> log)
    {
        var updated = false;
        List<string> Versions(string name)
        {
            var v = Madison(name);
            if (v.Count == 0 && !updated && Environment.UserName == "root")
            {
                log("realistic fixture: apt-cache knows no versions yet; running apt-get update");
                Exec("apt-get", ["update", "-q"], timeout: TimeSpan.FromMinutes(10));
                updated = true;
                v = Madison(name);
            }
            if (v.Count == 0) throw new RigFaultException($"apt-cache madison {name}: no versions (run apt-get update)");
            return v;
        }
        var result = new List<FixturePackage>();
        foreach (var name in changed)
        {
            var v = Versions(name);
            if (v.Count < 2) log($"realistic fixture: only version {v[0]} of {name} is offered; it stays unchanged");
            result.Add(new FixturePackage(name, v[0], v[^1]));
        }
        foreach (var name in base_)
        {
            var v = Versions(name);
            result.Add(new FixturePackage(name, v[^1], v[^1]));
        }
        return result;
    }

    /// <summary>The versions apt offers for amd64, lowest first, in dpkg's order.</summary>
    private static List<string> Madison(string name)
    {
        var versions = Exec("apt-cache", ["madison", name]).Split('\n')
            .Select(l => l.Split('|', StringSplitOptions.TrimEntries))
            .Where(f => f.Length >= 3 && f[0] == name && !f[2].Contains("Sources"))
            .Select(f => f[1]).Distinct().ToList();
        versions.Sort((a, b) => a == b ? 0 : Run(Info("dpkg", ["--compare-versions", a, "lt", b], null), TimeSpan.FromSeconds(30))?.ExitCode == 0 ? -1 : 1);
        return versions;
    }

    private static string DebDirectory(string debs, string name, string version) => Path.Combine(debs, name, version.Replace(':', '%'));

    private static string DebPath(string debs, string name, string version) =>
        System.IO.Directory.GetFiles(DebDirectory(debs, name, version), "*.deb").Single();

    /// <summary>Downloads the packages not in the cache yet with one apt-get run, then files each under its name and version.</summary>
    private static void DownloadAll(string debs, List<(string Name, string Version)> wanted, Action<string> log)
    {
        var missing = wanted.Where(w => !System.IO.Directory.Exists(DebDirectory(debs, w.Name, w.Version)) ||
                                        System.IO.Directory.GetFiles(DebDirectory(debs, w.Name, w.Version), "*.deb").Length != 1).ToList();
        if (missing.Count == 0) return;
        log($"realistic fixture: apt-get download of {missing.Count} packages");
        var staging = Path.Combine(debs, $".staging-{Environment.ProcessId}");
        if (System.IO.Directory.Exists(staging)) System.IO.Directory.Delete(staging, true);
        System.IO.Directory.CreateDirectory(staging);
        try
        {
            var info = Info("apt-get", new[] { "download", "-q" }.Concat(missing.Select(m => $"{m.Name}={m.Version}")), null);
            info.WorkingDirectory = staging;
            var r = Run(info, TimeSpan.FromMinutes(20)) ?? throw new RigFaultException("apt-get download did not finish in 20 minutes");
            if (r.ExitCode != 0) throw new RigFaultException($"apt-get download exited {r.ExitCode}: {r.Stderr.Trim()}");
            foreach (var deb in System.IO.Directory.GetFiles(staging, "*.deb"))
            {
                var fields = Exec("dpkg-deb", ["-f", deb, "Package", "Version"]).Split('\n', StringSplitOptions.RemoveEmptyEntries)
                    .Select(l => l.Split(':', 2)).ToDictionary(f => f[0].Trim(), f => f[1].Trim());
                var dir = DebDirectory(debs, fields["Package"], fields["Version"]);
                if (System.IO.Directory.Exists(dir)) System.IO.Directory.Delete(dir, true);
                System.IO.Directory.CreateDirectory(dir);
                File.Move(deb, Path.Combine(dir, Path.GetFileName(deb)));
            }
        }
        finally
        {
            System.IO.Directory.Delete(staging, true);
        }
        foreach (var (name, version) in missing)
            if (!System.IO.Directory.Exists(DebDirectory(debs, name, version)))
                throw new RigFaultException($"apt-get download did not bring {name}={version}");
    }

    private static long TreeBytes(string root) =>
        new DirectoryInfo(root).EnumerateFiles("*", SearchOption.AllDirectories).Where(f => f.LinkTarget is null).Sum(f => f.Length);

    /// <summary>
    /// mke2fs -d with a fixed UUID, hash seed and clock; then debugfs sets every inode's atime and ctime (which mke2fs copies
    /// from the host, where they are whenever the tree was unpacked or read) to the same fixed time.
    /// </summary>
    private static void MakeImage(string tree, string image, long bytes)
    {
        var env = new Dictionary<string, string> { ["E2FSPROGS_FAKE_TIME"] = FixedTime.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        File.Delete(image);
        Exec("mke2fs", ["-q", "-F", "-t", "ext4", "-b", "4096", "-U", Uuid, "-E", $"hash_seed={HashSeed},root_owner=0:0", "-d", tree, image, $"{bytes / 1024}k"], env);
        var script = new StringBuilder();
        using (var reader = ImageReader.FromFile(image))
            foreach (var e in Ext4Filesystem.Open(reader).ReadEntries().Where(e => e.Kind != Ext4EntryKind.Journal))
                foreach (var field in new[] { "atime", "ctime" })
                {
                    script.Append($"sif <{e.Inode}> {field} @{FixedTime}\n");
                    script.Append($"sif <{e.Inode}> {field}_extra 0\n");
                }
        var scriptPath = image + ".debugfs";
        File.WriteAllText(scriptPath, script.ToString());
        Exec("debugfs", ["-w", "-f", scriptPath, image], env);
        File.Delete(scriptPath);
        var check = Run(Info("e2fsck", ["-fn", image], null), TimeSpan.FromMinutes(5));
        if (check?.ExitCode != 0) throw new RigFaultException($"e2fsck -fn {image} exited {check?.ExitCode}: {check?.Stdout}");
    }

    private static int CountChangedFiles(string oldRoot, string newRoot)
    {
        var count = 0;
        foreach (var f in new DirectoryInfo(newRoot).EnumerateFiles("*", SearchOption.AllDirectories).Where(f => f.LinkTarget is null))
        {
            var rel = Path.GetRelativePath(newRoot, f.FullName);
            var old = new FileInfo(Path.Combine(oldRoot, rel));
            if (!old.Exists || old.LinkTarget is not null || old.Length != f.Length ||
                !File.ReadAllBytes(old.FullName).AsSpan().SequenceEqual(File.ReadAllBytes(f.FullName))) count++;
        }
        return count;
    }
}

/// <summary>The realistic figures of <c>hilrig bench ab</c>, all measured in one run on the same fixture.</summary>
public sealed record RealisticResult(
    long ImageBytes, int ChangedPackages, int ChangedFiles,
    long PatchBytes, double CreateS, string Mode,
    long OstreeBytes, double OstreeCreateS,
    long ZstdPatchBytes, double ZstdCreateS,
    double ApplyS, double InstallS, long PeakBufferBytes);

/// <summary>Measures the realistic fixture: hilrig's delta, OSTree's static delta, zstd --patch-from; delta apply vs full install.</summary>
internal sealed class RealisticBenchmark(string work, RealisticFixture fixture, int runs, Action<string> log)
{
    public RealisticResult Run()
    {
        var dir = Path.Combine(work, "realistic");
        if (System.IO.Directory.Exists(dir)) System.IO.Directory.Delete(dir, true);
        System.IO.Directory.CreateDirectory(dir);
        var delta = Path.Combine(dir, "old-new.delta");

        log("realistic: hilrig delta create…");
        var clock = Stopwatch.StartNew();
        var stats = FileDelta.Create(fixture.OldImage, fixture.NewImage, delta, new FileDeltaOptions { Version = "new" });
        var createS = clock.Elapsed.TotalSeconds;
        log($"realistic: {stats}");

        log("realistic: ostree commit of both trees, then static-delta generate (timed)…");
        var repo = Path.Combine(dir, "ostree");
        Exec("ostree", [$"--repo={repo}", "init", "--mode=archive"]);
        string Commit(string tree) => Exec("ostree", [$"--repo={repo}", "commit", "-b", "bench", $"--tree=dir={tree}", "--no-xattrs",
            "--timestamp=2023-11-14T00:00:00Z", "--owner-uid=0", "--owner-gid=0"], timeout: TimeSpan.FromMinutes(30)).Trim();
        var c1 = Commit(fixture.OldTree);
        var c2 = Commit(fixture.NewTree);
        clock.Restart();
        Exec("ostree", [$"--repo={repo}", "static-delta", "generate", $"--from={c1}", $"--to={c2}"], timeout: TimeSpan.FromMinutes(30));
        var ostreeS = clock.Elapsed.TotalSeconds;
        var ostreeBytes = System.IO.Directory.EnumerateFiles(Path.Combine(repo, "deltas"), "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        log($"realistic: ostree static delta {ostreeBytes} bytes in {ostreeS:0.0} s");

        log("realistic: zstd -19 --long=28 --patch-from (timed)…");
        var zst = Path.Combine(dir, "new.zst");
        clock.Restart();
        Exec("zstd", ["-q", "-f", "-19", "--long=28", $"--patch-from={fixture.OldImage}", fixture.NewImage, "-o", zst], timeout: TimeSpan.FromMinutes(60));
        var zstdS = clock.Elapsed.TotalSeconds;
        var zstdBytes = new FileInfo(zst).Length;
        log($"realistic: zstd patch {zstdBytes} bytes in {zstdS:0.0} s");

        var (apply, install) = ApplyVersusInstall(dir, delta, stats.Header.TargetSha256);
        Directory.Delete(Path.Combine(dir, "ostree"), true);
        return new RealisticResult(new FileInfo(fixture.NewImage).Length, fixture.Packages.Count(p => p.Changed), fixture.ChangedFiles,
            stats.DeltaBytes, createS, stats.Mode, ostreeBytes, ostreeS, zstdBytes, zstdS, apply, install, stats.Header.PeakBufferBytes);
    }

    /// <summary>
    /// On one file-backed A/B disk running the old image: the full install of the new image (its hash given, as an update
    /// manager gives it) and the delta install, taking turns; the median of each. Both end in the same fdatasync'ed slot.
    /// </summary>
    private (double Apply, double Install) ApplyVersusInstall(string dir, string delta, Digest newSha)
    {
        var diskPath = Path.Combine(dir, "disk.img");
        var layout = AbLayout.ForSlot(BlockDevice.AlignUp(new FileInfo(fixture.NewImage).Length, 1 << 20));
        using var dev = FileBlockDevice.Create(diskPath, layout.DiskBytes);
        var disk = AbDisk.Create(dev, layout);
        var a = new AbUpdater(disk).Install(fixture.OldImage, new InstallRequest("old")).Target;
        Bootloader.Boot(disk, BootPolicy.NoCheck);
        var running = new AbUpdater(disk, a);
        running.MarkGood();
        double Once(Func<InstallResult> install, string what)
        {
            var clock = Stopwatch.StartNew();
            var r = install();
            var s = clock.Elapsed.TotalSeconds;
            if (r.Outcome != InstallOutcome.Installed || r.Sha256 != newSha)
                throw new InvalidOperationException($"realistic {what} did not install the new image: {r.Message}");
            running.RollbackTo(a);   // the new slot is marked bad (rolled back): the next turn writes it again
            return s;
        }
        var verified = new InstallRequest("new") { VerifiedSha256 = newSha };
        Once(() => running.Install(fixture.NewImage, verified), "install");   // warm-up: page cache, JIT
        Once(() => running.Install(delta), "delta install");
        var samples = new List<(double Apply, double Install)>();
        for (var r = 0; r < runs; r++)
        {
            samples.Add((Once(() => running.Install(delta), "delta install"), Once(() => running.Install(fixture.NewImage, verified), "install")));
            log($"realistic round {r + 1}: delta install {samples[^1].Apply:0.000} s, full install {samples[^1].Install:0.000} s");
        }
        File.Delete(diskPath);
        return (samples.Select(x => x.Apply).Order().ElementAt(runs / 2), samples.Select(x => x.Install).Order().ElementAt(runs / 2));
    }
}
