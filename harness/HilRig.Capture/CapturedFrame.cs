namespace HilRig.Capture;

/// <summary>Which way a frame crossed the interface it was captured on (pcapng epb_flags bits 0–1).</summary>
public enum FrameDirection : byte
{
    Unknown = 0,
    Inbound = 1,
    Outbound = 2,
}

/// <summary>
/// One captured frame. <see cref="Data"/> may point into a reader's buffer that the next read
/// overwrites; call <see cref="Detach"/> to keep it.
/// </summary>
public readonly record struct CapturedFrame(
    long TimestampNanos,
    LinkType LinkType,
    ReadOnlyMemory<byte> Data,
    int OriginalLength,
    int InterfaceId = 0,
    FrameDirection Direction = FrameDirection.Unknown,
    string? Comment = null)
{
    public DateTimeOffset Time => DateTimeOffset.UnixEpoch.AddTicks(TimestampNanos / 100);

    /// <summary>True when the capture kept fewer bytes than were on the wire (snap length).</summary>
    public bool IsTruncated => Data.Length < OriginalLength;

    public CapturedFrame Detach() => this with { Data = Data.ToArray() };

    public static long ToNanos(DateTimeOffset time) => (time - DateTimeOffset.UnixEpoch).Ticks * 100;
}
