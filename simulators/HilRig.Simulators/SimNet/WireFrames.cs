namespace HilRig.Simulators.SimNet;

/// <summary>
/// One packet being switched, as its port handed it over: the bytes (behind a virtio-net header on an offloading port),
/// the frame, and how many wire frames it stands for and their bytes, worked out once. Its wire frames are cut on first
/// need into the switching thread's <see cref="SimNet.WireFrames"/>, so the ingress capture and every destination that
/// needs them (egress captures, ports without offloads, impaired links) share one cut.
/// </summary>
internal readonly ref struct Packet
{
    private readonly WireFrames _wire;

    public Packet(ReadOnlySpan<byte> bytes, int headerLength, VirtioNetHeader header, WireFrames wire)
    {
        Bytes = bytes;
        HeaderLength = headerLength;
        Header = header;
        var segments = new GsoSegmenter(Frame, header);
        Count = segments.Count;
        WireBytes = segments.WireBytes;
        _wire = wire;
        wire.Forget();
    }

    /// <summary>The packet as read: header (if any) and frame.</summary>
    public ReadOnlySpan<byte> Bytes { get; }

    public int HeaderLength { get; }

    public VirtioNetHeader Header { get; }

    /// <summary>The frame (or super-frame) behind the header.</summary>
    public ReadOnlySpan<byte> Frame => Bytes[HeaderLength..];

    /// <summary>Wire frames this packet stands for (1 for a plain frame).</summary>
    public int Count { get; }

    /// <summary>Bytes of those wire frames together.</summary>
    public long WireBytes { get; }

    /// <summary>The wire frames, checksums complete: cut on the first call for this packet, the same ones afterwards.</summary>
    public WireFrames WireFrames()
    {
        _wire.CutOnce(Frame, Header, WireBytes, Count);
        return _wire;
    }
}

/// <summary>
/// The wire frames of the packet a thread is switching, back to back in one buffer kept per thread (no allocation once
/// it has grown to the largest packet seen).
/// </summary>
internal sealed class WireFrames
{
    private byte[] _bytes = new byte[128 * 1024];
    private int[] _ends = new int[64];
    private bool _cut;

    public int Count { get; private set; }

    public ReadOnlySpan<byte> this[int index]
    {
        get
        {
            var start = index == 0 ? 0 : _ends[index - 1];
            return _bytes.AsSpan(start, _ends[index] - start);
        }
    }

    /// <summary>A new packet: nothing cut for it yet.</summary>
    public void Forget()
    {
        _cut = false;
        Count = 0;
    }

    public void CutOnce(ReadOnlySpan<byte> frame, VirtioNetHeader header, long wireBytes, int count)
    {
        if (_cut) return;
        if (_bytes.Length < wireBytes) _bytes = new byte[Math.Max(wireBytes, 2L * _bytes.Length)];
        if (_ends.Length < count) _ends = new int[Math.Max(count, 2 * _ends.Length)];
        var segments = new GsoSegmenter(frame, header);
        var at = 0;
        var n = 0;
        while (segments.TryNext(_bytes.AsSpan(at), out var length))
        {
            at += length;
            _ends[n++] = at;
        }
        Count = n;
        _cut = true;
    }
}
