namespace HilRig.Capture.Assertions;

/// <summary>
/// A capture assertion failed. Carries what a report attaches: the capture file and a readable excerpt
/// of the decoded events around the violation.
/// </summary>
public sealed class CaptureAssertionException(string message, string pcapPath, string excerpt, long? frame)
    : Exception($"{message}\ncapture: {pcapPath}{(frame is { } f ? $" (frame {f})" : "")}\n{excerpt}")
{
    public string Reason { get; } = message;
    public string PcapPath { get; } = pcapPath;
    public string Excerpt { get; } = excerpt;

    /// <summary>Frame number of the violating event, when there is one.</summary>
    public long? Frame { get; } = frame;
}
