using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace HilRig.Storage;

/// <summary>
/// A block device backed by a file (a disk image, a slot image or a real block device node).
/// Plain writes land in the OS page cache; <see cref="Flush"/> is fdatasync; FUA writes go through an O_SYNC handle.
/// </summary>
public sealed class FileBlockDevice : IBlockDevice
{
    private readonly SafeFileHandle _handle;
    private SafeFileHandle? _syncHandle;
    private readonly string _path;

    private FileBlockDevice(string path, SafeFileHandle handle, long length, int sectorSize, bool readOnly)
    {
        _path = path;
        _handle = handle;
        Length = length;
        SectorSize = sectorSize;
        IsReadOnly = readOnly;
    }

    public int SectorSize { get; }
    public long Length { get; }
    public bool IsReadOnly { get; }
    public string Path => _path;

    /// <summary>Creates (or truncates) a sparse image file of <paramref name="length"/> bytes.</summary>
    public static FileBlockDevice Create(string path, long length, int sectorSize = 512)
    {
        CheckGeometry(path, length, sectorSize);
        var handle = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite, FileShare.Read);
        RandomAccess.SetLength(handle, length);
        return new FileBlockDevice(path, handle, length, sectorSize, false);
    }

    public static FileBlockDevice Open(string path, bool readOnly = false, int sectorSize = 512)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file", path);
        var handle = File.OpenHandle(path, FileMode.Open, readOnly ? FileAccess.Read : FileAccess.ReadWrite,
            readOnly ? FileShare.ReadWrite : FileShare.Read);
        var length = RandomAccess.GetLength(handle);
        if (length == 0 && BlockDeviceLength(path) is { } device) length = device;
        if (length % sectorSize != 0)
        {
            handle.Dispose();
            throw new BlockDeviceException($"{path}: length {length} is not a multiple of the {sectorSize}-byte sector size");
        }
        return new FileBlockDevice(path, handle, length, sectorSize, readOnly);
    }

    /// <summary>
    /// The size of a block device node (a QEMU board's <c>/dev/vda</c>), whose file length reads as 0: sysfs gives it in
    /// 512-byte units whatever the logical sector size.
    /// </summary>
    private static long? BlockDeviceLength(string path)
    {
        var resolved = new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? path;
        if (!resolved.StartsWith("/dev/", StringComparison.Ordinal)) return null;
        var size = $"/sys/class/block/{System.IO.Path.GetFileName(resolved)}/size";
        return File.Exists(size) && long.TryParse(File.ReadAllText(size).Trim(), out var sectors) ? sectors * 512 : null;
    }

    private static void CheckGeometry(string path, long length, int sectorSize)
    {
        if (sectorSize is not (512 or 4096)) throw new ArgumentException($"{path}: sector size {sectorSize} is not 512 or 4096");
        if (length <= 0 || length % sectorSize != 0)
            throw new ArgumentException($"{path}: length {length} is not a positive multiple of the {sectorSize}-byte sector size");
    }

    public void Read(long offset, Span<byte> buffer)
    {
        BlockDevice.CheckRead(this, offset, buffer.Length);
        var done = 0;
        while (done < buffer.Length)
        {
            var n = RandomAccess.Read(_handle, buffer[done..], offset + done);
            if (n <= 0) throw new BlockDeviceException($"{_path}: short read at offset {offset + done}");
            done += n;
        }
    }

    public void Write(long offset, ReadOnlySpan<byte> data, WriteFlags flags = WriteFlags.None)
    {
        BlockDevice.CheckWrite(this, offset, data.Length);
        if ((flags & WriteFlags.Fua) != 0)
        {
            _syncHandle ??= File.OpenHandle(_path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, FileOptions.WriteThrough);
            RandomAccess.Write(_syncHandle, data, offset);
        }
        else
        {
            RandomAccess.Write(_handle, data, offset);
        }
    }

    public void Flush()
    {
        if (IsReadOnly) return;
        if (fdatasync((int)_handle.DangerousGetHandle()) != 0)
            throw new BlockDeviceException($"{_path}: fdatasync failed (errno {Marshal.GetLastPInvokeError()})");
    }

    public void Trim(long offset, long length)
    {
        BlockDevice.CheckWrite(this, offset, length, "trim");
        const int PunchHoleKeepSize = 0x02 | 0x01;
        if (length == 0) return;
        if (fallocate((int)_handle.DangerousGetHandle(), PunchHoleKeepSize, offset, length) == 0) return;
        var zeros = new byte[Math.Min(length, 1 << 20)];
        for (long done = 0; done < length; done += zeros.Length)
            RandomAccess.Write(_handle, zeros.AsSpan(0, (int)Math.Min(zeros.Length, length - done)), offset + done);
    }

    public override string ToString() => _path;

    public void Dispose()
    {
        _syncHandle?.Dispose();
        _handle.Dispose();
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int fdatasync(int fd);

    [DllImport("libc", SetLastError = true)]
    private static extern int fallocate(int fd, int mode, long offset, long len);
}
