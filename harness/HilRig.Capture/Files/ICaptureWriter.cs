namespace HilRig.Capture.Files;

/// <summary>
/// Writes frames to a capture file. Implementations are thread-safe: SimNet writes from every port's
/// forwarding thread into one switch-wide file.
/// </summary>
public interface ICaptureWriter : IDisposable
{
    /// <summary>Declares an interface (a SimNet port); returns its id for <see cref="Write"/>. pcap files have exactly one.</summary>
    int AddInterface(string name, LinkType linkType);

    void Write(long timestampNanos, ReadOnlySpan<byte> frame, int interfaceId = 0,
        FrameDirection direction = FrameDirection.Unknown, string? comment = null);

    /// <summary>
    /// Pushes buffered records to the file so a reader sees every frame written so far. Returns the file's length up to
    /// the end of the last complete record: a reader of a capture still being written stops there, since the stream
    /// may already hold the first part of a later record (a buffer that fills mid-record writes what it holds).
    /// </summary>
    long Flush();

    /// <summary>Frames written so far.</summary>
    long FrameCount { get; }
}
