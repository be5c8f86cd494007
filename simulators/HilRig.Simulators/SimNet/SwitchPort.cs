namespace HilRig.Simulators.SimNet;

/// <summary>
/// One port of the switch: where a host's frames come in and go out. Each port gets one dedicated read
/// thread from the switch; <see cref="Send"/> may be called from any thread.
/// </summary>
public abstract class SwitchPort : IDisposable
{
    private long _received;
    private long _sent;

    protected SwitchPort(string host) => Host = host;

    /// <summary>The host (board or cloud) behind this port; links and partitions are named by host.</summary>
    public string Host { get; }

    /// <summary>"tap", "dgram" or "stream".</summary>
    public abstract string Kind { get; }

    /// <summary>Position in the switch's port table, set when added.</summary>
    public int Index { get; internal set; } = -1;

    public long FramesReceived => Interlocked.Read(ref _received);

    public long FramesSent => Interlocked.Read(ref _sent);

    /// <summary>What stopped this port's read loop, when something did (the switch goes on without it); null while it runs.</summary>
    public Exception? Failure { get; internal set; }

    /// <summary>
    /// Blocks until a frame arrives (returns its length), a short poll interval passes (returns 0, so
    /// the read loop can notice shutdown) or the port is closed for good (returns −1).
    /// </summary>
    internal abstract int Receive(Span<byte> buffer);

    /// <summary>Delivers one frame to the host; a host that is gone drops it silently.</summary>
    internal abstract void Send(ReadOnlySpan<byte> frame);

    /// <summary>
    /// Bytes of <see cref="VirtioNetHeader"/> before each packet <see cref="Receive"/> returns, when the port offloads
    /// checksums and segmentation (a TAP with IFF_VNET_HDR); 0 for ports that carry plain wire frames.
    /// </summary>
    public virtual int OffloadHeaderLength => 0;

    /// <summary>Delivers a packet with its virtio-net header (a GSO super-frame stays whole); only for offloading ports.</summary>
    internal virtual void SendWithHeader(ReadOnlySpan<byte> headerAndPacket) =>
        throw new NotSupportedException($"port {Host} ({Kind}) does not take offloaded packets");

    /// <summary>Counts received wire frames (a super-frame counts as the segments it stands for).</summary>
    internal void CountReceived(int frames = 1) => Interlocked.Add(ref _received, frames);

    internal void CountSent(int frames = 1) => Interlocked.Add(ref _sent, frames);

    public abstract void Dispose();

    public override string ToString() => $"{Host} ({Kind})";
}
