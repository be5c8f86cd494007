using System.Buffers.Binary;
using System.Text;

namespace HilRig.Capture.Files;

/// <summary>
/// Writes little-endian pcapng with one interface per SimNet port, nanosecond timestamps, and each
/// frame's direction (epb_flags) and optional comment, all of which tshark shows.
/// </summary>
public sealed class PcapngWriter : ICaptureWriter
{
    private readonly object _gate = new();
    private readonly Stream _stream;
    private byte[] _scratch = new byte[2048];
    private int _interfaces;
    private long _frames;
    private long _length;
    private bool _disposed;

    public PcapngWriter(Stream stream, string? application = "HilRig")
    {
        _stream = stream;
        WriteSectionHeader(application);
    }

    public static PcapngWriter Create(string path) =>
        new(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 64 * 1024));

    public long FrameCount => Interlocked.Read(ref _frames);

    /*
     *  Interface Description Block body:
     *  +-------------------------------+-------------------------------+
     *  |           LinkType            |           Reserved            |
     *  +-------------------------------+-------------------------------+
     *  |                            SnapLen                            |
     *  +---------------------------------------------------------------+
     *  /                      Options (if_name, if_tsresol)            /
     */
    public int AddInterface(string name, LinkType linkType)
    {
        var nameBytes = Encoding.UTF8.GetBytes(name);
        lock (_gate)
        {
            var bodyLength = 8 + OptionLength(nameBytes.Length) + OptionLength(1) + 4;
            var block = Begin(PcapngFormat.InterfaceDescriptionBlock, bodyLength, out var pos);
            BinaryPrimitives.WriteUInt16LittleEndian(block.AsSpan(pos), (ushort)linkType);
            BinaryPrimitives.WriteUInt16LittleEndian(block.AsSpan(pos + 2), 0);
            BinaryPrimitives.WriteUInt32LittleEndian(block.AsSpan(pos + 4), 262144);
            pos += 8;
            pos = PutOption(block, pos, PcapngFormat.IfName, nameBytes);
            pos = PutOption(block, pos, PcapngFormat.IfTsResol, [9]); // 10^-9: nanoseconds
            pos = PutEnd(block, pos);
            End(block, pos);
            return _interfaces++;
        }
    }

    /*
     *  Enhanced Packet Block body:
     *  |                         Interface ID                          |
     *  |                        Timestamp (High)                       |
     *  |                        Timestamp (Low)                        |
     *  |                    Captured Packet Length                     |
     *  |                    Original Packet Length                     |
     *  /                          Packet Data (padded to 32 bits)      /
     *  /                      Options (epb_flags, opt_comment)         /
     */
    public void Write(long timestampNanos, ReadOnlySpan<byte> frame, int interfaceId = 0,
        FrameDirection direction = FrameDirection.Unknown, string? comment = null)
    {
        lock (_gate)
        {
            if (_disposed) return;
            if ((uint)interfaceId >= (uint)_interfaces)
                throw new ArgumentOutOfRangeException(nameof(interfaceId), $"interface {interfaceId} was never added ({_interfaces} exist)");
            var commentBytes = comment is null ? 0 : Encoding.UTF8.GetByteCount(comment);
            var hasOptions = direction != FrameDirection.Unknown || comment is not null;
            var bodyLength = 20 + PcapngFormat.Pad4(frame.Length)
                + (direction != FrameDirection.Unknown ? OptionLength(4) : 0)
                + (comment is not null ? OptionLength(commentBytes) : 0)
                + (hasOptions ? 4 : 0);
            var block = Begin(PcapngFormat.EnhancedPacketBlock, bodyLength, out var pos);
            var ts = (ulong)timestampNanos;
            var s = block.AsSpan();
            BinaryPrimitives.WriteUInt32LittleEndian(s[pos..], (uint)interfaceId);
            BinaryPrimitives.WriteUInt32LittleEndian(s[(pos + 4)..], (uint)(ts >> 32));
            BinaryPrimitives.WriteUInt32LittleEndian(s[(pos + 8)..], (uint)ts);
            BinaryPrimitives.WriteUInt32LittleEndian(s[(pos + 12)..], (uint)frame.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(s[(pos + 16)..], (uint)frame.Length);
            pos += 20;
            frame.CopyTo(s[pos..]);
            s.Slice(pos + frame.Length, PcapngFormat.Pad4(frame.Length) - frame.Length).Clear();
            pos += PcapngFormat.Pad4(frame.Length);
            if (direction != FrameDirection.Unknown)
            {
                Span<byte> flags = stackalloc byte[4];
                BinaryPrimitives.WriteUInt32LittleEndian(flags, (uint)direction);
                pos = PutOption(block, pos, PcapngFormat.EpbFlags, flags);
            }
            if (comment is not null) pos = PutOption(block, pos, PcapngFormat.OptComment, Encoding.UTF8.GetBytes(comment));
            if (hasOptions) pos = PutEnd(block, pos);
            End(block, pos);
            _frames++;
        }
    }

    /// <summary>Pushes buffered records to the file (nothing once disposed); returns the length of the complete blocks in it.</summary>
    public long Flush()
    {
        lock (_gate)
        {
            if (!_disposed) _stream.Flush();
            return _length;
        }
    }

    /// <summary>Closes the file. A <see cref="Write"/> racing with this (a switch thread holding a stopped capture) is dropped.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _stream.Dispose();
        }
    }

    /*
     *  Section Header Block body:
     *  |                      Byte-Order Magic                         |
     *  |          Major Version        |         Minor Version         |
     *  |                          Section Length (64, -1 = unknown)    |
     *  /                      Options (shb_userappl)                   /
     */
    private void WriteSectionHeader(string? application)
    {
        var app = application is null ? [] : Encoding.UTF8.GetBytes(application);
        var bodyLength = 16 + (app.Length > 0 ? OptionLength(app.Length) + 4 : 0);
        var block = Begin(PcapngFormat.SectionHeaderBlock, bodyLength, out var pos);
        BinaryPrimitives.WriteUInt32LittleEndian(block.AsSpan(pos), PcapngFormat.ByteOrderMagic);
        BinaryPrimitives.WriteUInt16LittleEndian(block.AsSpan(pos + 4), 1);
        BinaryPrimitives.WriteUInt16LittleEndian(block.AsSpan(pos + 6), 0);
        BinaryPrimitives.WriteInt64LittleEndian(block.AsSpan(pos + 8), -1);
        pos += 16;
        if (app.Length > 0)
        {
            pos = PutOption(block, pos, 4 /* shb_userappl */, app);
            pos = PutEnd(block, pos);
        }
        End(block, pos);
    }

    private static int OptionLength(int valueLength) => 4 + PcapngFormat.Pad4(valueLength);

    private byte[] Begin(uint type, int bodyLength, out int pos)
    {
        var total = 12 + bodyLength;
        if (_scratch.Length < total) _scratch = new byte[Math.Max(total, _scratch.Length * 2)];
        BinaryPrimitives.WriteUInt32LittleEndian(_scratch, type);
        BinaryPrimitives.WriteUInt32LittleEndian(_scratch.AsSpan(4), (uint)total);
        pos = 8;
        return _scratch;
    }

    private void End(byte[] block, int pos)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(block.AsSpan(pos), (uint)(pos + 4));
        _stream.Write(block, 0, pos + 4);
        _length += pos + 4;
    }

    private static int PutOption(byte[] block, int pos, ushort code, ReadOnlySpan<byte> value)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(block.AsSpan(pos), code);
        BinaryPrimitives.WriteUInt16LittleEndian(block.AsSpan(pos + 2), (ushort)value.Length);
        value.CopyTo(block.AsSpan(pos + 4));
        block.AsSpan(pos + 4 + value.Length, PcapngFormat.Pad4(value.Length) - value.Length).Clear();
        return pos + 4 + PcapngFormat.Pad4(value.Length);
    }

    private static int PutEnd(byte[] block, int pos)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(block.AsSpan(pos), 0);
        return pos + 4;
    }
}
