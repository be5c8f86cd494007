using HilRig.Capture.Decoding;

namespace HilRig.Capture.Assertions;

/// <summary>
/// The decoded events of a capture that is still being written, per <see cref="DirectionView"/>, decoded again only when
/// the file has grown: a scenario's capture steps read the same capture many times. Each load reads up to the length the
/// writer's Flush returned: every frame written so far, and not the part of a record the writer is still appending.
/// The host directory is applied on each load (hosts join as boards boot).
/// </summary>
public sealed class CaptureLogCache(string pcapPath, DecoderOptions? options = null)
{
    private readonly object _gate = new();
    private readonly Dictionary<DirectionView, (long Length, IReadOnlyList<Events.DecodedEvent> Events)> _decoded = new();

    public string PcapPath => pcapPath;

    public CaptureLog Load(HostDirectory hosts, DirectionView view, long length)
    {
        lock (_gate)
        {
            if (!_decoded.TryGetValue(view, out var cached) || cached.Length != length)
            {
                cached = (length, CaptureLog.Load(pcapPath, null, options, view, length).Events);
                _decoded[view] = cached;
            }
            return new CaptureLog(pcapPath, cached.Events, hosts);
        }
    }
}
