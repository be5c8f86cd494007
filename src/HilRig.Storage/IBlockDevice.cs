using System.Globalization;
using System.Text.RegularExpressions;

namespace HilRig.Storage;

/// <summary>How a write reaches stable storage.</summary>
[Flags]
public enum WriteFlags
{
    None = 0,
    /// <summary>Force unit access: the write is on stable media when the call returns. It does not flush earlier cached writes.</summary>
    Fua = 1,
}

/// <summary>
/// A block device: byte-addressed, but writes and trims are whole sectors at sector-aligned offsets, as on a real disk.
/// Reads may be unaligned. Writes without <see cref="WriteFlags.Fua"/> may sit in a volatile cache until <see cref="Flush"/>.
/// </summary>
public interface IBlockDevice : IDisposable
{
    /// <summary>Logical sector size in bytes (512 or 4096): the unit of write atomicity and of tearing in the power-loss model.</summary>
    int SectorSize { get; }

    /// <summary>Capacity in bytes (a multiple of <see cref="SectorSize"/>).</summary>
    long Length { get; }

    bool IsReadOnly { get; }

    void Read(long offset, Span<byte> buffer);

    void Write(long offset, ReadOnlySpan<byte> data, WriteFlags flags = WriteFlags.None);

    /// <summary>Makes every completed write durable (a cache flush / fdatasync).</summary>
    void Flush();

    /// <summary>Discards a sector-aligned range; it reads back as zeros afterwards.</summary>
    void Trim(long offset, long length);

    /// <summary>
    /// Tells the device that the caller reached a named point (<c>slot-write</c>, <c>bootctl-write</c>, <c>mark-primary</c>, …).
    /// Plain devices ignore it; views forward it; the power-loss model can cut power there.
    /// </summary>
    void Reach(string point) { }
}

/// <summary>Raised for an I/O request that breaks the block-device rules; the message names the device, the offset and the rule.</summary>
public sealed class BlockDeviceException(string message) : IOException(message);

public static partial class BlockDevice
{
    public static void CheckRead(IBlockDevice device, long offset, int count)
    {
        if (offset < 0 || count < 0 || offset + count > device.Length)
            throw new BlockDeviceException(
                $"{Describe(device)}: read of {count} bytes at offset {offset} is outside the device (length {device.Length})");
    }

    public static void CheckWrite(IBlockDevice device, long offset, long count, string what = "write")
    {
        if (device.IsReadOnly)
            throw new BlockDeviceException($"{Describe(device)}: {what} of {count} bytes at offset {offset} refused: the device is read-only");
        if (offset < 0 || count < 0 || offset + count > device.Length)
            throw new BlockDeviceException(
                $"{Describe(device)}: {what} of {count} bytes at offset {offset} is outside the device (length {device.Length})");
        var s = device.SectorSize;
        if (offset % s != 0 || count % s != 0)
            throw new BlockDeviceException(
                $"{Describe(device)}: {what} of {count} bytes at offset {offset} is not aligned to the {s}-byte sector size");
    }

    public static string Describe(IBlockDevice device) => device.ToString() ?? device.GetType().Name;

    /// <summary>Reads <paramref name="count"/> bytes into a new array.</summary>
    public static byte[] ReadBytes(this IBlockDevice device, long offset, int count)
    {
        var buffer = new byte[count];
        device.Read(offset, buffer);
        return buffer;
    }

    /// <summary>Writes then flushes: the data is durable and ordered after every earlier write.</summary>
    public static void WriteDurable(this IBlockDevice device, long offset, ReadOnlySpan<byte> data)
    {
        device.Write(offset, data);
        device.Flush();
    }

    public static long AlignUp(long value, long alignment) => (value + alignment - 1) / alignment * alignment;

    public static long AlignDown(long value, long alignment) => value / alignment * alignment;

    /// <summary>
    /// Parses sizes as people write them, with the rules of the rig file's sizes: <c>4096</c>, <c>512KiB</c>, <c>16MiB</c>,
    /// <c>256M</c>, <c>1.5GiB</c> (K/M/G are binary, with an optional i and B, any case; a fraction of a byte is dropped).
    /// </summary>
    public static long ParseSize(string text)
    {
        var m = SizePattern().Match(text.Trim());
        long multiplier = !m.Success ? 0 : m.Groups[2].Value.ToUpperInvariant() switch
        {
            "" or "B" => 1,
            "K" or "KB" or "KIB" => 1L << 10,
            "M" or "MB" or "MIB" => 1L << 20,
            "G" or "GB" or "GIB" => 1L << 30,
            _ => 0,
        };
        if (multiplier == 0 || !decimal.TryParse(m.Groups[1].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n) ||
            n > long.MaxValue / (decimal)multiplier)
            throw new FormatException($"'{text}' is not a size (write e.g. 4096, 512KiB, 16MiB, 1G)");
        return (long)decimal.Truncate(n * multiplier);
    }

    [GeneratedRegex(@"^([0-9]+(?:\.[0-9]+)?)\s*([KMG]i?B?|B|)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SizePattern();

    public static string FormatSize(long bytes)
    {
        if (bytes != 0 && bytes % (1L << 30) == 0) return $"{bytes >> 30}GiB";
        if (bytes != 0 && bytes % (1L << 20) == 0) return $"{bytes >> 20}MiB";
        if (bytes != 0 && bytes % (1L << 10) == 0) return $"{bytes >> 10}KiB";
        return $"{bytes}B";
    }
}
