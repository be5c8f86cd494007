using System.Diagnostics;
using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;
using HilRig.AbUpdate;
using HilRig.Engine.Runtime;
using HilRig.Storage;

namespace HilRig.Rig.Images;

/// <summary>
/// <c>hilrig image build</c>: one device image from Debian's packages and the NativeAOT agent, with three carriers —
/// a PVH kernel + initramfs + GPT A/B disk for QEMU boards, and a root filesystem tarball for container boards.
/// Nothing is downloaded except through apt. The build is keyed by its inputs (package versions, the agent's sources,
/// the guest scripts, this builder's layout version): with nothing changed it only re-checks the outputs.
/// </summary>
public sealed class ImageBuilder(string repository, string outDirectory, Action<string> progress)
{
    /// <summary>Bumped when what the builder makes from the same inputs changes.</summary>
    private const string LayoutVersion = "hilrig-image/2";

    /// <summary>The slot root filesystem's size: the agent (~15 MiB), libc and OpenSSL, busybox, and room to spare.</summary>
    public const long RootfsBytes = 40L << 20;

    /// <summary>The data partition of the disk (the agent's data directory is the 9p share; this is the disk's own).</summary>
    public const long DataBytes = 8L << 20;

    /// <summary>The Debian packages the image is made of, besides the kernel.</summary>
    public static readonly string[] Packages = ["busybox-static", "libc6", "libssl3"];

    /// <summary>Shared libraries the agent loads (libssl/libcrypto through .NET's OpenSSL shim), from those packages.</summary>
    private static readonly string[] Libraries = ["ld-linux-x86-64.so.2", "libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1", "libssl.so.3", "libcrypto.so.3"];

    public string OutDirectory { get; } = Path.GetFullPath(outDirectory);

    public ImageManifest Build(string architecture = "x86_64")
    {
        if (architecture != "x86_64")
            throw new ArgumentException($"--arch {architecture}: only x86_64 images are built (arm64 needs a second apt architecture; not done yet)");
        Directory.CreateDirectory(OutDirectory);
        var apt = new DebianPackages(Path.Combine(OutDirectory, ".debs"));
        var kernel = apt.ResolveMeta("linux-image-amd64", "linux-image-");
        var packages = new[] { kernel }.Concat(Packages.Select(apt.Resolve)).ToList();
        var agent = AgentPublisher.Publish(repository, Path.Combine(OutDirectory, ".agent"), "linux-x64", progress);
        var agentBinary = Path.Combine(agent, "HilRig.Device");

        var inputs = packages.Select(p => new ImageInput(p.Name, p.Version))
            .Append(new ImageInput("agent", BoardImage.Sha256Of(agentBinary)))
            .Append(new ImageInput("agent/libe_sqlite3.so", BoardImage.Sha256Of(Path.Combine(agent, "libe_sqlite3.so"))))
            .Append(new ImageInput("guest-scripts", Sha256(GuestScripts.InitramfsInit + GuestScripts.SlotInit)))
            .Append(new ImageInput("layout", $"{LayoutVersion} rootfs={RootfsBytes} data={DataBytes} modules={string.Join(',', KernelModules.Wanted)}"))
            .ToList();
        var key = Sha256(string.Join('\n', inputs.Select(i => $"{i.Name}={i.Identity}")));
        var image = new BoardImage(OutDirectory);
        if (UpToDate(image, key) is { } current)
        {
            progress($"image up to date (key {key[..12]})");
            return current;
        }

        var work = Path.Combine(OutDirectory, ".work");
        if (Directory.Exists(work)) Directory.Delete(work, recursive: true);
        var unpacked = new Dictionary<string, string>();
        foreach (var package in packages)
        {
            progress($"package {package}");
            var into = Path.Combine(work, "packages", package.Name);
            apt.Extract(package, into);
            unpacked[package.Name] = into;
        }
        var kernelRoot = unpacked[kernel.Name];

        progress("kernel: extracting the PVH vmlinux from the bzImage");
        var bzImage = Directory.EnumerateFiles(Path.Combine(kernelRoot, "boot"), "vmlinuz-*").Single();
        Vmlinux.Extract(bzImage, Temp(BoardImage.Kernel));

        var busybox = Path.Combine(unpacked["busybox-static"], "bin", "busybox");
        var rootfs = Path.Combine(work, "rootfs");
        PopulateCommon(rootfs, busybox, agent, unpacked);
        Write(Path.Combine(rootfs, "sbin", "init"), GuestScripts.SlotInit, executable: true);

        progress("rootfs: ext4 slot filesystem (mke2fs -d, reproducible)");
        var rootfsImage = Temp(BoardImage.Rootfs);
        MakeExt4(rootfsImage, rootfs, RootfsBytes, "hilrig-rootfs");
        var release = new ReleaseManifest(BoardImage.BaseRelease).BuildOn(File.ReadAllBytes(rootfsImage));
        File.WriteAllBytes(rootfsImage, release);

        progress("initramfs: busybox, kernel modules, the agent as boot selector");
        var initramfs = Path.Combine(work, "initramfs");
        PopulateCommon(initramfs, busybox, agent, unpacked);
        Write(Path.Combine(initramfs, "init"), GuestScripts.InitramfsInit, executable: true);
        var moduleRoot = Directory.EnumerateDirectories(Path.Combine(kernelRoot, "lib", "modules")).Single();
        var modules = KernelModules.Resolve(moduleRoot, KernelModules.Wanted);
        Directory.CreateDirectory(Path.Combine(initramfs, "lib", "modules"));
        foreach (var module in modules) File.Copy(module, Path.Combine(initramfs, "lib", "modules", Path.GetFileName(module)));
        Write(Path.Combine(initramfs, "etc", "modules"), string.Concat(modules.Select(m => Path.GetFileName(m) + "\n")));
        foreach (var dir in new[] { "ro", "rw", "newroot" }) Directory.CreateDirectory(Path.Combine(initramfs, dir));
        // Not compressed: under TCG the kernel took ~1.5 s to gunzip the 16 MB archive (36 MB of cpio) and QEMU loads
        // the uncompressed one in a blink, so an uncompressed initramfs reached the prompt ~1.6 s sooner (measured).
        using (var file = File.Create(Temp(BoardImage.Initramfs)))
            Cpio.Write(initramfs, file, [("dev/console", 5, 1)]);

        progress("disk: GPT with boot control, slots A/B and data; release " + BoardImage.BaseRelease + " installed into slot A");
        var slotCapacity = BlockDevice.AlignUp(release.Length, AbLayout.MiB);
        using (var stream = new MemoryStream(release))
            RunningDisk.Create(Temp(BoardImage.Disk), AbLayout.ForSlot(slotCapacity, DataBytes), stream, BoardImage.BaseRelease, SeededRng.GuidSource(0x48696C526967));

        progress("container: root filesystem tarball");
        WriteTar(rootfs, Temp(BoardImage.ContainerRootfs));

        var files = new[] { BoardImage.Kernel, BoardImage.Initramfs, BoardImage.Rootfs, BoardImage.Disk, BoardImage.ContainerRootfs };
        var outputs = new List<ImageOutput>();
        foreach (var file in files)
        {
            var temp = Temp(file);
            outputs.Add(new ImageOutput(file, new FileInfo(temp).Length, BoardImage.Sha256Of(temp)));
            File.Move(temp, image.PathOf(file), overwrite: true);
        }
        var manifest = new ImageManifest(key, architecture, BoardImage.BaseRelease, inputs, outputs);
        BoardImage.WriteManifest(image.PathOf(BoardImage.ManifestFile), manifest);
        Directory.Delete(work, recursive: true);
        return manifest;
    }

    private string Temp(string file) => Path.Combine(OutDirectory, file + ".partial");

    /// <summary>The current manifest when it has this key and every output still matches it; null when a build is due.</summary>
    private static ImageManifest? UpToDate(BoardImage image, string key)
    {
        try
        {
            var manifest = image.ReadManifest();
            return manifest.Key == key ? image.Verify(manifest.Outputs.Select(o => o.File).ToArray()) : null;
        }
        catch (BoardImageException)
        {
            return null;
        }
    }

    /// <summary>What the slot root and the initramfs share: busybox and its applets, the agent, its libraries, mount points.</summary>
    private static void PopulateCommon(string root, string busybox, string agent, IReadOnlyDictionary<string, string> unpacked)
    {
        var bin = Path.Combine(root, "bin");
        Directory.CreateDirectory(bin);
        File.Copy(busybox, Path.Combine(bin, "busybox"));
        foreach (var applet in Applets(busybox).Where(a => a != "busybox"))
            File.CreateSymbolicLink(Path.Combine(bin, applet), "busybox");
        File.Copy(Path.Combine(agent, "HilRig.Device"), Path.Combine(bin, "hilrig-device"));
        File.Copy(Path.Combine(agent, "libe_sqlite3.so"), Path.Combine(bin, "libe_sqlite3.so"));
        var lib = Path.Combine(root, "lib", "x86_64-linux-gnu");
        Directory.CreateDirectory(lib);
        foreach (var name in Libraries)
        {
            var source = unpacked.Values
                .SelectMany(p => new[] { Path.Combine(p, "lib", "x86_64-linux-gnu", name), Path.Combine(p, "usr", "lib", "x86_64-linux-gnu", name) })
                .FirstOrDefault(File.Exists)
                ?? throw new InvalidDataException($"{name} is in none of the packages {string.Join(", ", unpacked.Keys)}");
            File.Copy(new FileInfo(source).ResolveLinkTarget(true)?.FullName ?? source, Path.Combine(lib, name));
        }
        Directory.CreateDirectory(Path.Combine(root, "lib64"));
        File.CreateSymbolicLink(Path.Combine(root, "lib64", "ld-linux-x86-64.so.2"), "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
        Directory.CreateDirectory(Path.Combine(root, "sbin"));
        foreach (var dir in new[] { "data", "dev", "proc", "sys", "tmp", "run", "etc" }) Directory.CreateDirectory(Path.Combine(root, dir));
    }

    private static IEnumerable<string> Applets(string busybox) =>
        RunTool(busybox, ["--list"]).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static void MakeExt4(string image, string from, long bytes, string label)
    {
        if (File.Exists(image)) File.Delete(image);
        // A fixed UUID, hash seed and clock make the same tree give the same filesystem bytes. No journal: slots are
        // mounted read-only and must keep their hash.
        RunTool("mke2fs", ["-q", "-t", "ext4", "-O", "^has_journal", "-b", "4096", "-N", "512", "-L", label,
            "-U", "6b2f3d1a-5c4e-4e0b-9a7d-48494c524947", "-E", "hash_seed=6b2f3d1a-5c4e-4e0b-9a7d-48494c524947,root_owner=0:0",
            "-d", from, image, $"{bytes / 1024}k"], ("E2FSPROGS_FAKE_TIME", "1700000000"));
    }

    private static void WriteTar(string root, string output)
    {
        using var file = File.Create(output);
        using var tar = new TarWriter(file, TarEntryFormat.Pax, leaveOpen: false);
        foreach (var path in Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var name = Path.GetRelativePath(root, path);
            var info = new FileInfo(path);
            PaxTarEntry entry;
            if (info.LinkTarget is { } target) entry = new PaxTarEntry(TarEntryType.SymbolicLink, name) { LinkName = target };
            else if (Directory.Exists(path)) entry = new PaxTarEntry(TarEntryType.Directory, name + "/");
            else entry = new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = File.OpenRead(path) };
            entry.Mode = info.LinkTarget is not null ? (UnixFileMode)0x1FF
                : Directory.Exists(path) || (info.UnixFileMode & UnixFileMode.UserExecute) != 0 ? (UnixFileMode)0x1ED : (UnixFileMode)0x1A4;
            entry.ModificationTime = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
            tar.WriteEntry(entry);
            entry.DataStream?.Dispose();
        }
    }

    private static void Write(string path, string text, bool executable = false)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text.EndsWith('\n') ? text : text + "\n");
        if (executable && !OperatingSystem.IsWindows()) File.SetUnixFileMode(path, (UnixFileMode)0x1ED);
    }

    private static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private static string RunTool(string program, IReadOnlyList<string> arguments, params (string Name, string Value)[] environment)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        foreach (var (name, value) in environment) info.Environment[name] = value;
        using var process = Process.Start(info) ?? throw new RigFaultException($"cannot start {program}");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new RigFaultException($"{program} {string.Join(' ', arguments)} failed (exit {process.ExitCode}): {stderr.Result.Trim()}");
        return stdout;
    }
}
