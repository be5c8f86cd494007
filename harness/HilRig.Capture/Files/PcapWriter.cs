namespace HilRig.Capture.Files;

/// <summary>Writes classic little-endian pcap (one link type, no directions or comments).</summary>
public sealed class PcapWriter : ICaptureWriter
{
    private readonly object _gate = new();
    private readonly Stream _stream;
    private readonly bool _nanosecond;
    private readonly LinkType _linkType;
    private readonly byte[] _header = new byte[PcapFormat.RecordHeaderLength];
    private bool _interfaceTaken;
    private long _frames;
    private long _length = PcapFormat.FileHeaderLength;
    private bool _disposed;

    public PcapWriter(Stream stream, LinkType linkType = LinkType.Ethernet, bool nanosecond = true, uint snapLength = 262144)
    {
        _stream = stream;
        _nanosecond = nanosecond;
        _linkType = linkType;
        Span<byte> fileHeader = stackalloc byte[PcapFormat.FileHeaderLength];
        PcapFormat.WriteFileHeader(fileHeader, linkType, snapLength, nanosecond);
        _stream.Write(fileHeader);
    }

    public static PcapWriter Create(string path, LinkType linkType = LinkType.Ethernet) =>
        new(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 64 * 1024), linkType);

    public long FrameCount => Interlocked.Read(ref _frames);

    public int AddInterface(string name, LinkType linkType)
    {
        lock (_gate)
        {
            if (linkType != _linkType)
                throw new InvalidOperationException($"a pcap file has one link type ({_linkType}); interface '{name}' is {linkType}: use pcapng");
            _interfaceTaken = true;
            return 0;
        }
    }

    public void Write(long timestampNanos, ReadOnlySpan<byte> frame, int interfaceId = 0,
        FrameDirection direction = FrameDirection.Unknown, string? comment = null)
    {
        lock (_gate)
        {
            if (_disposed) return;
            PcapFormat.WriteRecordHeader(_header, timestampNanos, frame.Length, frame.Length, _nanosecond);
            _stream.Write(_header);
            _stream.Write(frame);
            _length += _header.Length + frame.Length;
            _frames++;
        }
        _ = _interfaceTaken;
    }

    /// <summary>Pushes buffered records to the file (nothing once disposed); returns the length of the complete records in it.</summary>
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
}
