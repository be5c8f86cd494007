using System.Buffers.Binary;

namespace HilRig.AbUpdate;

/// <summary>Recognizes filesystem images by their superblock, to catch a truncated image when no size was given.</summary>
public static class ImageSniffer
{
    /// <summary>Bytes to look at from the start of an image.</summary>
    public const int HeadBytes = 4096;

    /// <summary>The filesystem type and the size its superblock declares, or null when it is not a known filesystem.</summary>
    public static (string Type, long Size)? DeclaredSize(ReadOnlySpan<byte> head)
    {
        // ext2/3/4: superblock at 1024, magic 0xEF53 at +56, blocks at +4 (lo) and +0x150 (hi, with the 64bit feature).
        if (head.Length >= 2048 && BinaryPrimitives.ReadUInt16LittleEndian(head[(1024 + 56)..]) == 0xEF53)
        {
            var sb = head[1024..];
            var logBlock = BinaryPrimitives.ReadUInt32LittleEndian(sb[24..]);
            if (logBlock <= 6)
            {
                long blocks = BinaryPrimitives.ReadUInt32LittleEndian(sb[4..]);
                var incompat = BinaryPrimitives.ReadUInt32LittleEndian(sb[0x60..]);
                if ((incompat & 0x80) != 0) blocks |= (long)BinaryPrimitives.ReadUInt32LittleEndian(sb[0x150..]) << 32;
                return ("ext4", blocks * (1024L << (int)logBlock));
            }
        }
        // squashfs: "hsqs" at 0, bytes_used at 40 (the image is padded to 4 KiB by mksquashfs).
        if (head.Length >= 96 && head[..4].SequenceEqual("hsqs"u8))
            return ("squashfs", BinaryPrimitives.ReadInt64LittleEndian(head[40..]));
        return null;
    }
}

/// <summary>A stream that first replays bytes already read (to sniff a header) and then continues with the rest.</summary>
internal sealed class PrefixedStream(byte[] prefix, int prefixLength, Stream rest) : Stream
{
    private int _pos;

    public override int Read(Span<byte> buffer)
    {
        if (_pos < prefixLength)
        {
            var n = Math.Min(buffer.Length, prefixLength - _pos);
            prefix.AsSpan(_pos, n).CopyTo(buffer);
            _pos += n;
            return n;
        }
        return rest.Read(buffer);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
