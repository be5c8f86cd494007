namespace HilRig.Capture;

/// <summary>
/// A capture file or a frame inside it breaks its format. <see cref="Offset"/> is the byte offset
/// (in the file for file errors, in the frame for decoder errors) where the violation was found.
/// </summary>
public class CaptureFormatException : Exception
{
    public CaptureFormatException(string message, long offset, Exception? inner = null)
        : base($"{message} (at byte offset {offset})", inner)
    {
        Offset = offset;
        Reason = message;
    }

    /// <summary>Byte offset of the violation.</summary>
    public long Offset { get; }

    /// <summary>The message without the offset suffix.</summary>
    public string Reason { get; }
}

/// <summary>A protocol decoder met bytes the protocol forbids. Offset is relative to the start of that protocol's bytes.</summary>
public class ProtocolViolationException : CaptureFormatException
{
    public ProtocolViolationException(string protocol, string message, long offset)
        : base($"{protocol}: {message}", offset)
    {
        Protocol = protocol;
    }

    public string Protocol { get; }
}
