using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using HilRig.AbUpdate;
using HilRig.AbUpdate.Delta;
using HilRig.Cli.Output;
using HilRig.Rig.Model;
using HilRig.Engine.Runtime;
using HilRig.Storage;
using static HilRig.Cli.Commands.BenchProcesses;

namespace HilRig.Cli.Commands;

/// <summary>
/// <c>hilrig bench ab [--json]</c>: in one run, on one machine, installs a 128 MiB ext4 image into a file-backed slot
/// and compares it with <c>dd</c> + <c>sha256sum</c> of the same image (the throughput limit) and with Debian's RAUC
/// installing the same image as a plain bundle to file-backed slots (private D-Bus, custom bootloader backend); then
/// compares the size of a delta (format 2, and the block delta of format 1) for a 1 MiB change in a 32 MiB image with
/// <c>ostree static-delta</c> of the same change; then, on the realistic fixture (<see cref="RealisticFixture"/>: a
/// Debian security update of a dozen packages), hilrig's delta against OSTree's static delta and zstd --patch-from (size
/// and time to make) and the delta's install against the full install of the same slot. <c>--json</c> prints install_s,
/// rauc_install_s, dd_sha256_s, patch_bytes, block_patch_bytes, ostree_delta_bytes and the realistic_* figures.
/// </summary>
public static class BenchAb
{
    public static Command Create()
    {
        var json = CommonOptions.Json();
        var size = new Option<string>("--size") { Description = "image size for the install comparison", DefaultValueFactory = _ => "128MiB" };
        var runs = new Option<int>("--runs") { Description = "timed runs per contender (the median is reported)", DefaultValueFactory = _ => 3 };
        var keep = new Option<string?>("--keep") { Description = "keep the work directory here instead of a temporary one" };
        var cache = new Option<string?>("--cache") { Description = "where the realistic fixture is cached (default $HILRIG_CACHE or ~/.cache/hilrig)" };
        var skipRealistic = new Option<bool>("--skip-realistic") { Description = "leave out the realistic fixture (Debian packages, OSTree, zstd)" };
        var ab = new Command("ab", "A/B install vs dd+sha256sum and RAUC; delta size and time vs ostree static-delta and zstd --patch-from")
        {
            json, size, runs, keep, cache, skipRealistic,
        };
        ab.SetAction((p, ct) => Loading.GuardAsync(() =>
        {
            var bytes = AbCli.Size(p.GetValue(size)!, "--size");
            if (p.GetValue(runs) is < 1 or > 20) throw new Loading.UsageException("--runs: between 1 and 20");
            var work = p.GetValue(keep) ?? Path.Combine(Path.GetTempPath(), $"hilrig-bench-ab-{Environment.ProcessId}");
            Directory.CreateDirectory(work);
            var asJson = p.GetValue(json);
            try
            {
                Action<string> log = line => { if (!asJson) Terminal.Line(line); else Console.Error.WriteLine(line); };
                var result = new AbBenchmark(work, bytes, p.GetValue(runs), log).Run(ct);
                if (!p.GetValue(skipRealistic))
                {
                    var root = Rig.Drivers.ProcessBoard.DeviceLocator.RepositoryRoot() ?? Directory.GetCurrentDirectory();
                    var fixture = RealisticFixture.Ensure(p.GetValue(cache) ?? RealisticFixture.DefaultCache(),
                        Path.Combine(root, "fixtures", "ab", "realistic-update.txt"), log);
                    result = result with { Realistic = new RealisticBenchmark(work, fixture, p.GetValue(runs), log).Run() };
                }
                if (asJson) Console.Out.WriteLine(result.ToJson());
                else foreach (var line in result.Summary()) Terminal.Line(line);
                return Task.FromResult(ExitCodes.Passed);
            }
            finally
            {
                if (p.GetValue(keep) is null) TryDelete(work);
            }
        }));
        return ab;
    }

    private static void TryDelete(string dir)
    {
        try
        {
            Directory.Delete(dir, true);
        }
        catch (IOException)
        {
        }
    }
}

public sealed record AbBenchResult(long ImageBytes, int Runs, double InstallS, double RaucInstallS, double DdSha256S, long PatchBytes, long BlockPatchBytes,
    long OstreeDeltaBytes, long ChangeBytes)
{
    public RealisticResult? Realistic { get; init; }

    public string ToJson()
    {
        var figures = new Dictionary<string, object>
        {
            ["install_s"] = Math.Round(InstallS, 4),
            ["rauc_install_s"] = Math.Round(RaucInstallS, 4),
            ["dd_sha256_s"] = Math.Round(DdSha256S, 4),
            ["patch_bytes"] = PatchBytes,
            ["block_patch_bytes"] = BlockPatchBytes,
            ["ostree_delta_bytes"] = OstreeDeltaBytes,
        };
        if (Realistic is { } r)
        {
            figures["realistic_image_bytes"] = r.ImageBytes;
            figures["realistic_changed_packages"] = r.ChangedPackages;
            figures["realistic_changed_files"] = r.ChangedFiles;
            figures["realistic_patch_bytes"] = r.PatchBytes;
            figures["realistic_ostree_bytes"] = r.OstreeBytes;
            figures["realistic_zstd_patch_bytes"] = r.ZstdPatchBytes;
            figures["realistic_create_s"] = Math.Round(r.CreateS, 3);
            figures["ostree_create_s"] = Math.Round(r.OstreeCreateS, 3);
            figures["zstd_patch_create_s"] = Math.Round(r.ZstdCreateS, 3);
            figures["realistic_apply_s"] = Math.Round(r.ApplyS, 4);
            figures["realistic_install_s"] = Math.Round(r.InstallS, 4);
            figures["realistic_peak_buffer_bytes"] = r.PeakBufferBytes;
        }
        return JsonSerializer.Serialize(figures);
    }

    public IEnumerable<string> Summary()
    {
        string S(double s) => s.ToString("0.000", CultureInfo.InvariantCulture) + " s";
        var throughput = DdSha256S / InstallS;
        yield return $"install of a {BlockDevice.FormatSize(ImageBytes)} ext4 image into a file-backed slot (median of {Runs}):";
        yield return $"  dd + sha256sum (throughput limit)   {S(DdSha256S)}";
        yield return $"  hilrig install (stream, SHA-256, Merkle tree, boot control, fdatasync)   {S(InstallS)}   " +
                     $"{throughput:P0} of the dd+sha256sum throughput (target ≥ 80%): {(throughput >= 0.8 ? "met" : "MISSED")}";
        yield return $"  rauc install (plain bundle, custom bootloader backend)   {S(RaucInstallS)}   " +
                     $"hilrig is {RaucInstallS / InstallS:0.00}× as fast (target ≥ 1): {(InstallS <= RaucInstallS ? "met" : "MISSED")}";
        yield return $"patch for a {BlockDevice.FormatSize(ChangeBytes)} change in a 32MiB ext4 image:";
        yield return $"  hilrig delta (format 2)   {PatchBytes} bytes   (format 1, blocks: {BlockPatchBytes} bytes)";
        yield return $"  ostree static-delta  {OstreeDeltaBytes} bytes   ratio {(double)PatchBytes / OstreeDeltaBytes:0.000} (target ≤ 1): {(PatchBytes <= OstreeDeltaBytes ? "met" : "MISSED")}";
        if (Realistic is not { } r) yield break;
        string Met(bool ok) => ok ? "met" : "MISSED";
        yield return $"realistic: a security update of {r.ChangedPackages} Debian packages ({r.ChangedFiles} files changed), {BlockDevice.FormatSize(r.ImageBytes)} ext4 images ({r.Mode}):";
        yield return $"  hilrig delta create   {r.PatchBytes} bytes in {S(r.CreateS)}";
        yield return $"  ostree static-delta   {r.OstreeBytes} bytes in {S(r.OstreeCreateS)}   size ratio {(double)r.PatchBytes / r.OstreeBytes:0.000} (target ≤ 1.0): {Met(r.PatchBytes <= r.OstreeBytes)}; " +
                     $"time ratio {r.CreateS / r.OstreeCreateS:0.00} (target ≤ 2): {Met(r.CreateS <= 2 * r.OstreeCreateS)}";
        yield return $"  zstd -19 --long=28 --patch-from   {r.ZstdPatchBytes} bytes in {S(r.ZstdCreateS)}   size ratio {(double)r.PatchBytes / r.ZstdPatchBytes:0.000} (target ≤ 0.7): {Met(r.PatchBytes <= 0.7 * r.ZstdPatchBytes)}";
        yield return $"  delta install {S(r.ApplyS)} vs full install {S(r.InstallS)} of the same slot (median of {Runs}; target: delta ≤ full): {Met(r.ApplyS <= r.InstallS)}; " +
                     $"device buffers at most {r.PeakBufferBytes} bytes";
    }
}

/// <summary>Runs the tools a benchmark compares against (and the ones that build its fixtures), with a deadline.</summary>
internal static class BenchProcesses
{
    public static ProcessStartInfo Info(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string>? env)
    {
        var info = new ProcessStartInfo(RigProbe.FindOnPath(file) ?? file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        if (env is not null) foreach (var (k, v) in env) info.Environment[k] = v;
        return info;
    }

    public static string Exec(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string>? env = null, TimeSpan? timeout = null)
    {
        var info = Info(file, args, env);
        var limit = timeout ?? TimeSpan.FromMinutes(5);
        var (exitCode, stdout, stderr) = Run(info, limit)
            ?? throw new RigFaultException($"{file} {string.Join(' ', info.ArgumentList)} did not finish in {limit.TotalMinutes:0} minutes");
        if (exitCode != 0)
            throw new RigFaultException($"{file} {string.Join(' ', info.ArgumentList)} exited {exitCode}: {stderr.Trim()}{stdout.Trim()}");
        return stdout;
    }

    /// <summary>The exit code of a probe such as <c>rauc status</c>; one that has not finished in 10 s counts as a failure (-1).</summary>
    public static int TryExec(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string>? env) =>
        Run(Info(file, args, env), TimeSpan.FromSeconds(10))?.ExitCode ?? -1;

    /// <summary>
    /// Runs a process to its end, reading stdout and stderr together (one read after the other deadlocks once the child
    /// fills the pipe that is not being read); null when it has not finished within <paramref name="timeout"/> (it is killed).
    /// </summary>
    public static (int ExitCode, string Stdout, string Stderr)? Run(ProcessStartInfo info, TimeSpan timeout)
    {
        using var p = Process.Start(info) ?? throw new RigFaultException($"cannot start {info.FileName}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(true);
            return null;
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}

/// <summary>The measurements of <c>hilrig bench ab</c>; every contender works on the same files in the same run.</summary>
internal sealed class AbBenchmark(string work, long imageBytes, int runs, Action<string> log)
{
    private const string Uuid = "11111111-2222-4333-8444-555555555555";
    private const string HashSeed = "66666666-7777-4888-9999-aaaaaaaaaaaa";
    private readonly List<BackgroundProcess> _background = new();

    public AbBenchResult Run(CancellationToken cancellation)
    {
        foreach (var tool in new[] { "dd", "sha256sum", "mke2fs", "rauc", "dbus-daemon", "openssl", "mksquashfs", "ostree", "zstd" })
            if (RigProbe.FindOnPath(tool) is null)
                throw new RigFaultException($"bench ab needs '{tool}' (Debian: rauc, ostree, dbus-daemon, squashfs-tools, e2fsprogs, openssl, zstd); run it as root so ./hilrig installs them");
        try
        {
            var image = Path.Combine(work, "rootfs.ext4");
            log($"building a {BlockDevice.FormatSize(imageBytes)} ext4 image in {work}…");
            var tree = Path.Combine(work, "tree");
            BuildTree(tree, imageBytes * 3 / 4, 1, null);
            MakeExt4(tree, image, imageBytes);
            File.ReadAllBytes(image); // every contender reads a hot page cache

            var rauc = RaucSetup(image, cancellation);
            double DdSha() => Timed(() => Exec("sh", ["-c", $"dd if='{image}' of='{work}/dd-out.img' bs=1M conv=notrunc status=none && sha256sum '{image}' >/dev/null"]));
            // One untimed round warms the page cache, the JIT and RAUC's service; then the contenders take turns,
            // so a busy machine slows all of them alike.
            DdSha();
            InstallOnce(image);
            rauc();
            var samples = new List<(double Dd, double Install, double Rauc)>();
            for (var r = 0; r < runs; r++)
            {
                samples.Add((DdSha(), InstallOnce(image), rauc()));
                log($"round {r + 1}: dd+sha256sum {samples[^1].Dd:0.000} s, hilrig install {samples[^1].Install:0.000} s, rauc install {samples[^1].Rauc:0.000} s");
            }
            double Median(IEnumerable<double> xs) => xs.Order().ElementAt(runs / 2);
            var dd = Median(samples.Select(x => x.Dd));
            var install = Median(samples.Select(x => x.Install));
            var raucSeconds = Median(samples.Select(x => x.Rauc));
            if (!FilePrefixEquals(image, Path.Combine(work, "rauc", "slotB.img")))
                throw new InvalidOperationException("after rauc install, slot B does not hold the image");
            var (patch, blockPatch, ostree, change) = PatchSizes();
            log($"patch: hilrig {patch} bytes (format 1: {blockPatch}), ostree {ostree} bytes");
            return new AbBenchResult(imageBytes, runs, install, raucSeconds, dd, patch, blockPatch, ostree, change);
        }
        finally
        {
            foreach (var p in _background) p.Dispose();
        }
    }

    private static double Timed(Action action)
    {
        var sw = Stopwatch.StartNew();
        action();
        return sw.Elapsed.TotalSeconds;
    }

    private double InstallOnce(string image)
    {
        var diskPath = Path.Combine(work, "hilrig-disk.img");
        var layout = AbLayout.ForSlot(BlockDevice.AlignUp(new FileInfo(image).Length, 4096));
        File.Delete(diskPath);
        using var dev = FileBlockDevice.Create(diskPath, layout.DiskBytes);
        var disk = AbDisk.Create(dev, layout);
        var sw = Stopwatch.StartNew();
        var r = new AbUpdater(disk).Install(image, new InstallRequest("bench"));
        var seconds = sw.Elapsed.TotalSeconds;
        if (r.Outcome != InstallOutcome.Installed) throw new InvalidOperationException($"bench install did not install: {r.Message}");
        return seconds;
    }

    // ---- RAUC: a plain bundle, file-backed ext4 slots, a custom bootloader backend, a private system bus ----

    /// <summary>Sets up RAUC and returns one timed install (slot B each time: the service stays booted on A).</summary>
    private Func<double> RaucSetup(string image, CancellationToken cancellation)
    {
        var dir = Path.Combine(work, "rauc");
        Directory.CreateDirectory(Path.Combine(dir, "bundle"));
        Directory.CreateDirectory(Path.Combine(dir, "data"));
        Exec("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", $"{dir}/ca.key", "-out", $"{dir}/ca.pem", "-subj", "/CN=hilrig-bench-ca",
            "-days", "2", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=keyCertSign"]);
        Exec("openssl", ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", $"{dir}/signer.key", "-out", $"{dir}/signer.csr", "-subj", "/CN=hilrig-bench-signer"]);
        File.WriteAllText($"{dir}/signer.ext", "keyUsage=digitalSignature\nbasicConstraints=CA:FALSE\n");
        Exec("openssl", ["x509", "-req", "-in", $"{dir}/signer.csr", "-CA", $"{dir}/ca.pem", "-CAkey", $"{dir}/ca.key", "-CAcreateserial",
            "-out", $"{dir}/signer.pem", "-days", "2", "-extfile", $"{dir}/signer.ext"]);
        File.Copy(image, $"{dir}/bundle/rootfs.ext4", true);
        File.WriteAllText($"{dir}/bundle/manifest.raucm", "[update]\ncompatible=hilrig-bench\nversion=1.0\n\n[bundle]\nformat=plain\n\n[image.rootfs]\nfilename=rootfs.ext4\n");
        File.Delete($"{dir}/bench.raucb");
        Exec("rauc", ["bundle", "--cert", $"{dir}/signer.pem", "--key", $"{dir}/signer.key", $"{dir}/bundle", $"{dir}/bench.raucb"]);
        File.Delete($"{dir}/bundle/rootfs.ext4");

        var slotBytes = BlockDevice.AlignUp(new FileInfo(image).Length, 1 << 20);
        foreach (var slot in new[] { "slotA.img", "slotB.img" })
        {
            using var f = File.Create($"{dir}/{slot}");
            f.SetLength(slotBytes);
        }
        File.WriteAllText($"{dir}/primary", "A\n");
        File.WriteAllText($"{dir}/bootloader.sh",
            "#!/bin/sh\n# RAUC custom bootloader backend: boot state in files next to this script.\n" +
            $"d='{dir}'\ncase \"$1\" in\n  get-primary) cat \"$d/primary\" ;;\n  set-primary) echo \"$2\" > \"$d/primary\" ;;\n" +
            "  get-state) cat \"$d/state.$2\" 2>/dev/null || echo good ;;\n  set-state) echo \"$3\" > \"$d/state.$2\" ;;\n  *) exit 1 ;;\nesac\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode($"{dir}/bootloader.sh", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.WriteAllText($"{dir}/system.conf",
            $"[system]\ncompatible=hilrig-bench\nbootloader=custom\ndata-directory={dir}/data\n\n[handlers]\nbootloader-custom-backend={dir}/bootloader.sh\n\n" +
            $"[keyring]\npath={dir}/ca.pem\n\n[slot.rootfs.0]\ndevice={dir}/slotA.img\ntype=ext4\nbootname=A\n\n[slot.rootfs.1]\ndevice={dir}/slotB.img\ntype=ext4\nbootname=B\n");
        var socket = $"{dir}/bus.sock";
        File.Delete(socket);
        File.WriteAllText($"{dir}/dbus.conf",
            "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\" \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n" +
            $"<busconfig>\n  <type>system</type>\n  <listen>unix:path={socket}</listen>\n  <auth>EXTERNAL</auth>\n" +
            "  <policy context=\"default\">\n    <allow user=\"*\"/>\n    <allow own=\"*\"/>\n    <allow send_destination=\"*\" eavesdrop=\"true\"/>\n    <allow eavesdrop=\"true\"/>\n  </policy>\n</busconfig>\n");

        var env = new Dictionary<string, string> { ["DBUS_SYSTEM_BUS_ADDRESS"] = $"unix:path={socket}" };
        Start("dbus-daemon", [$"--config-file={dir}/dbus.conf", "--nofork", "--nopidfile"], env, $"{dir}/dbus.log");
        WaitFor(() => File.Exists(socket), "the private D-Bus socket", cancellation);
        Start("rauc", ["service", $"--conf={dir}/system.conf", "--override-boot-slot=A"], env, $"{dir}/service.log");
        WaitFor(() => TryExec("rauc", ["status"], env) == 0, "the RAUC service on the private bus", cancellation);

        return () =>
        {
            var t = Timed(() => Exec("rauc", ["install", $"{dir}/bench.raucb"], env));
            if (File.ReadAllText($"{dir}/primary").Trim() != "B")
                throw new InvalidOperationException($"rauc install did not make slot B primary (see {dir}/service.log)");
            File.WriteAllText($"{dir}/primary", "A\n");
            return t;
        };
    }

    private static bool FilePrefixEquals(string a, string b)
    {
        using var fa = File.OpenRead(a);
        using var fb = File.OpenRead(b);
        var ba = new byte[1 << 20];
        var bb = new byte[1 << 20];
        while (true)
        {
            var n = fa.ReadAtLeast(ba, ba.Length, false);
            if (n == 0) return true;
            if (fb.ReadAtLeast(bb, n, false) < n || !ba.AsSpan(0, n).SequenceEqual(bb.AsSpan(0, n))) return false;
        }
    }

    // ---- patch size: the same 1 MiB change as a block delta of ext4 images and as an OSTree static delta of the trees ----

    private (long Patch, long BlockPatch, long Ostree, long Change) PatchSizes()
    {
        const long Image = 32L << 20;
        const int Change = 1 << 20;
        var dir = Path.Combine(work, "patch");
        if (Directory.Exists(dir)) Directory.Delete(dir, true);
        Directory.CreateDirectory(dir);
        var t1 = Path.Combine(dir, "tree1");
        var t2 = Path.Combine(dir, "tree2");
        BuildTree(t1, 24L << 20, 2, null);
        BuildTree(t2, 24L << 20, 2, Change);
        MakeExt4(t1, $"{dir}/v1.ext4", Image);
        MakeExt4(t2, $"{dir}/v2.ext4", Image);
        var stats = FileDelta.Create($"{dir}/v1.ext4", $"{dir}/v2.ext4", $"{dir}/v1-v2.delta", new FileDeltaOptions { Version = "2" });
        var block = BlockDelta.Create($"{dir}/v1.ext4", $"{dir}/v2.ext4", $"{dir}/v1-v2.block-delta", new DeltaOptions(Version: "2"));

        var repo = Path.Combine(dir, "repo");
        Exec("ostree", [$"--repo={repo}", "init", "--mode=archive"]);
        string Commit(string tree) => Exec("ostree", [$"--repo={repo}", "commit", "-b", "bench", $"--tree=dir={tree}", "--no-xattrs",
            "--timestamp=2023-11-14T00:00:00Z", "--owner-uid=0", "--owner-gid=0"]).Trim();
        var c1 = Commit(t1);
        var c2 = Commit(t2);
        Exec("ostree", [$"--repo={repo}", "static-delta", "generate", $"--from={c1}", $"--to={c2}"]);
        var ostree = Directory.EnumerateFiles(Path.Combine(repo, "deltas"), "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        return (stats.DeltaBytes, block.DeltaBytes, ostree, Change);
    }

    /// <summary>
    /// A root-filesystem-like tree from a seed: libraries (random bytes) and documents (text), 64 KiB to 1 MiB each,
    /// plus usr/lib/libupdate.so (1 MiB). With <paramref name="change"/>, that file's content is new (random): the
    /// change the patch comparison measures. Fixed mtimes, so the two trees differ in that file only.
    /// </summary>
    private static void BuildTree(string root, long bytes, ulong seed, int? change)
    {
        if (Directory.Exists(root)) Directory.Delete(root, true);
        Directory.CreateDirectory(Path.Combine(root, "usr/lib"));
        Directory.CreateDirectory(Path.Combine(root, "usr/share/doc"));
        var rng = SeededRng.For(seed, 0x74726565, 0);
        var words = "update slot boot control merkle tree block delta power cut release verify kernel driver service".Split(' ');
        long total = 0;
        for (var i = 0; total < bytes; i++)
        {
            var size = (1 << 16) << rng.Next(5);
            var data = new byte[size];
            string path;
            if (i % 2 == 1)
            {
                rng.Fill(data);
                path = $"usr/lib/lib{i:000}.so";
            }
            else
            {
                var sb = new StringBuilder(size + 16);
                while (sb.Length < size) sb.Append(words[rng.Next(words.Length)]).Append(' ');
                Encoding.ASCII.GetBytes(sb.ToString(0, size), data);
                path = $"usr/share/doc/doc{i:000}.txt";
            }
            File.WriteAllBytes(Path.Combine(root, path), data);
            total += size;
        }
        var lib = new byte[1 << 20];
        (change is null ? SeededRng.For(seed, 0x6F6C64, 0) : SeededRng.For(seed, 0x6E6577, 0)).Fill(lib);
        File.WriteAllBytes(Path.Combine(root, "usr/lib/libupdate.so"), lib);
        var stamp = DateTime.UnixEpoch.AddSeconds(1_700_000_000);
        foreach (var entry in Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories).Append(root))
        {
            if (File.Exists(entry)) File.SetLastWriteTimeUtc(entry, stamp);
            else Directory.SetLastWriteTimeUtc(entry, stamp);
        }
    }

    /// <summary>An ext4 image with 4 KiB blocks whose only inputs are the tree: fixed UUID, hash seed and clock.</summary>
    private void MakeExt4(string tree, string image, long bytes)
    {
        File.Delete(image);
        Exec("mke2fs", ["-q", "-F", "-t", "ext4", "-b", "4096", "-U", Uuid, "-E", $"hash_seed={HashSeed},root_owner=0:0", "-d", tree, image, $"{bytes / 1024}k"],
            new Dictionary<string, string> { ["E2FSPROGS_FAKE_TIME"] = "1700000000" });
    }

    // ---- processes ----

    private void Start(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string> env, string logPath)
    {
        var p = Process.Start(BenchProcesses.Info(file, args, env)) ?? throw new RigFaultException($"cannot start {file}");
        _background.Add(new BackgroundProcess(p, logPath));
    }

    /// <summary>A service the benchmark started and the log its output goes to; disposing stops the one and closes the other.</summary>
    private sealed class BackgroundProcess : IDisposable
    {
        private readonly Process _process;
        private readonly StreamWriter _log;
        private bool _closed;

        public BackgroundProcess(Process process, string logPath)
        {
            _process = process;
            _log = new StreamWriter(logPath) { AutoFlush = true };
            process.OutputDataReceived += (_, e) => Write(e.Data);
            process.ErrorDataReceived += (_, e) => Write(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        private void Write(string? line)
        {
            if (line is null) return;
            lock (_log)
                if (!_closed) _log.WriteLine(line);
        }

        public void Dispose()
        {
            StopProcess(_process);
            // A line still in flight after the process is gone is dropped, not written to a closed log.
            lock (_log)
            {
                _closed = true;
                _log.Dispose();
            }
        }
    }

    private static void StopProcess(Process p)
    {
        try
        {
            if (!p.HasExited)
            {
                p.Kill();
                p.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }
        p.Dispose();
    }

    private static void WaitFor(Func<bool> condition, string what, CancellationToken cancellation)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new RigFaultException($"bench ab: {what} did not come up within 30 s");
            Task.Delay(50, cancellation).Wait(cancellation);
        }
    }
}
