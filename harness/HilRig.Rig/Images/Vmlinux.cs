using System.Diagnostics;
using HilRig.Engine.Runtime;

namespace HilRig.Rig.Images;

/// <summary>
/// The kernel as QEMU boots it fastest: the ELF inside Debian's bzImage, started through its PVH entry point. Under TCG,
/// decompressing the bzImage costs 3–4 s of every boot (platform-infra §1), so the xz payload is unpacked once here.
/// </summary>
public static class Vmlinux
{
    private static readonly byte[] XzMagic = [0xFD, (byte)'7', (byte)'z', (byte)'X', (byte)'Z', 0x00];

    public static void Extract(string bzImage, string output)
    {
        var bytes = File.ReadAllBytes(bzImage);
        var at = bytes.AsSpan().IndexOf(XzMagic);
        if (at < 0) throw new InvalidDataException($"{bzImage}: no xz payload (is this an x86 bzImage compressed with xz?)");
        var info = new ProcessStartInfo("xz", ["--decompress", "--stdout", "--single-stream", "--quiet"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(info) ?? throw new RigFaultException("cannot start xz");
        var stderr = process.StandardError.ReadToEndAsync();
        using (var file = File.Create(output))
        {
            var copy = process.StandardOutput.BaseStream.CopyToAsync(file);
            // The payload is followed by the rest of the bzImage; --single-stream stops at the end of the first stream.
            try
            {
                process.StandardInput.BaseStream.Write(bytes, at, bytes.Length - at);
            }
            catch (IOException)
            {
                // xz closes its input once the stream ended; what follows is not kernel.
            }
            process.StandardInput.Close();
            copy.GetAwaiter().GetResult();
        }
        process.WaitForExit();
        var head = new byte[4];
        using (var f = File.OpenRead(output)) f.ReadExactly(head);
        if (!head.AsSpan().SequenceEqual("\x7f"u8.ToArray().Concat("ELF"u8.ToArray()).ToArray()))
            throw new InvalidDataException($"{bzImage}: the xz payload is not an ELF kernel (xz: {stderr.Result.Trim()})");
    }
}
