using System.Diagnostics;
using System.Text;
using HilRig.Storage;
using HilRig.Testing;

namespace HilRig.AbUpdate.Tests;

/// <summary>Real ext2/3/4 images for tests: trees made from a seed, turned into images by e2fsprogs' <c>mke2fs -d</c>.</summary>
public static class Ext4Images
{
    public const string Uuid = "11111111-2222-4333-8444-555555555555";

    public static string Tool(string name) => RequiredTool.Require(name, "builds and inspects ext4 images (Debian: e2fsprogs)");

    /// <summary>mke2fs -d with a fixed UUID, hash seed and clock (block size 4096 unless the extra options say otherwise).</summary>
    public static void Make(string tree, string image, long bytes, params string[] extra)
    {
        File.Delete(image);
        var args = new List<string> { "-q", "-F" };
        if (!extra.Contains("-t")) args.AddRange(["-t", "ext4"]);
        if (!extra.Contains("-b")) args.AddRange(["-b", "4096"]);
        args.AddRange(["-U", Uuid, "-E", "hash_seed=66666666-7777-4888-9999-aaaaaaaaaaaa,root_owner=0:0"]);
        args.AddRange(extra);
        args.AddRange(["-d", tree, image, $"{bytes / 1024}k"]);
        var (code, output) = Run(Tool("mke2fs"), args.ToArray());
        if (code != 0) throw new InvalidOperationException($"mke2fs {string.Join(' ', args)} exited {code}: {output}");
    }

    public static (int Code, string Output) Run(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["E2FSPROGS_FAKE_TIME"] = "1700000000";
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    /// <summary>
    /// A small root-filesystem-like tree: "binaries" (seeded random bytes with repeated stretches, like code), text files,
    /// a library under a versioned name, a symlink, nested directories. <paramref name="version"/> 2 changes some files
    /// in scattered bytes, grows one, renames the library's version, drops a file and adds one.
    /// </summary>
    public static string Tree(string root, int version, int files = 24)
    {
        if (Directory.Exists(root)) Directory.Delete(root, true);
        foreach (var d in new[] { "usr/bin", "usr/lib", "usr/share/doc/pkg", "etc" }) Directory.CreateDirectory(Path.Combine(root, d));
        for (var i = 0; i < files; i++)
        {
            var data = Binary((ulong)i, 20_000 + i * 3_000);
            if (version >= 2 && i % 3 == 0)
            {
                // A rebuilt binary: a few scattered bytes differ and 100 bytes are inserted in the middle.
                var rng = new SeededRng(1000 + (ulong)i);
                for (var k = 0; k < 40; k++) data[rng.Next(data.Length)] ^= 0x21;
                data = [.. data.AsSpan(0, data.Length / 2), .. new byte[100], .. data.AsSpan(data.Length / 2)];
            }
            if (version >= 2 && i == 5) continue;   // removed
            File.WriteAllBytes(Path.Combine(root, "usr/bin", $"tool{i:00}"), data);
        }
        var lib = Binary(77, 150_000);
        if (version >= 2) lib[1234] ^= 0xFF;
        File.WriteAllBytes(Path.Combine(root, "usr/lib", version >= 2 ? "libthing.so.1.3" : "libthing.so.1.2"), lib);
        var text = new StringBuilder();
        for (var i = 0; i < 2000; i++) text.Append($"line {i}: the quick update of slot {(version >= 2 && i % 97 == 0 ? "B" : "A")} is verified\n");
        File.WriteAllText(Path.Combine(root, "usr/share/doc/pkg/changelog"), text.ToString());
        File.WriteAllText(Path.Combine(root, "etc/os-release"), $"NAME=HilRig\nVERSION={version}\n");
        if (version >= 2) File.WriteAllBytes(Path.Combine(root, "usr/bin/newtool"), Binary(99, 30_000));
        File.CreateSymbolicLink(Path.Combine(root, "usr/lib/libthing.so"), version >= 2 ? "libthing.so.1.3" : "libthing.so.1.2");
        var stamp = DateTime.UnixEpoch.AddSeconds(1_700_000_000);
        foreach (var entry in Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories).Append(root))
            if (new FileInfo(entry).LinkTarget is null)
            {
                File.SetLastWriteTimeUtc(entry, stamp);
                File.SetLastAccessTimeUtc(entry, stamp);
            }
        return root;
    }

    /// <summary>Bytes that look like code to a diff: random 64-byte pieces, many of them repeated.</summary>
    public static byte[] Binary(ulong seed, int length)
    {
        var rng = new SeededRng(seed);
        var pieces = new byte[32][];
        for (var i = 0; i < pieces.Length; i++)
        {
            pieces[i] = new byte[64];
            rng.Fill(pieces[i]);
        }
        var data = new byte[length];
        for (var at = 0; at < length; at += 64)
            pieces[rng.Next(pieces.Length)].AsSpan(0, Math.Min(64, length - at)).CopyTo(data.AsSpan(at));
        return data;
    }
}
