using System.Buffers;
using System.Collections.Concurrent;
using HilRig.Capture.Decoding;
using HilRig.Simulators.Randomness;

namespace HilRig.Simulators.SimNet;

/// <summary>
/// SimNet: a userspace learning Ethernet switch whose links misbehave on request. Each port has one read
/// thread that learns source MACs, looks up or floods the destination (broadcast, multicast, unknown
/// unicast) and applies the impairment of every link direction it forwards on. Frames without impairment
/// go straight out from the read thread with no allocation; impaired ones go through the delay line.
/// Offloading TAP ports hand over TCP super-frames (GSO, up to 64 KB) with partial checksums: between two such
/// ports on a clean link they pass whole, with their virtio-net header, as between two NICs with TSO and GRO;
/// wherever frames must be individual — an impaired link (every decision is per wire frame), a port without
/// offloads (QEMU sockets), a capture (a mirror port sees wire frames) — <see cref="GsoSegmenter"/> cuts them
/// into the segments the sender's NIC would have put on the wire, checksums completed.
/// </summary>
public sealed partial class SimNetSwitch : IDisposable, Faults.INetworkFaults
{
    private const int MaxFrameLength = 65550;
    private const int MaxPacketLength = MaxFrameLength + VirtioNetHeader.Length;
    private const int EthernetHeaderLength = 14;

    // Where the switching thread keeps the wire frames of the packet it is switching, cut at most once.
    [ThreadStatic] private static WireFrames? _wireFrames;

    private readonly SimNetOptions _options;
    private readonly TimeProvider _time;
    private readonly object _gate = new();
    private readonly ConcurrentDictionary<ulong, SwitchPort> _macTable = new();
    private readonly LinkState?[,] _links;
    private readonly DelayLine _delayLine;
    private readonly List<Thread> _threads = new();
    private volatile SwitchPort[] _ports = [];
    private volatile bool _stopping;

    public SimNetSwitch(SimNetOptions? options = null)
    {
        _options = options ?? new SimNetOptions();
        _time = _options.Time;
        _links = new LinkState?[_options.MaxPorts, _options.MaxPorts];
        _delayLine = new DelayLine(_time, f => DeliverFrame(f.Destination, f.Buffer.AsSpan(0, f.Length), f.Link));
    }

    public ulong Seed => _options.Seed;

    public IReadOnlyList<SwitchPort> Ports => _ports;

    /// <summary>Frames waiting in the delay line right now.</summary>
    public int Delayed => _delayLine.Count;

    /// <summary>Adds a port and starts its read thread. Host names are unique: links and partitions are named by host.</summary>
    public T AddPort<T>(T port) where T : SwitchPort
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stopping, this);
            if (_ports.Any(p => p.Host == port.Host)) throw new ArgumentException($"SimNet already has a port for host '{port.Host}'");
            if (_ports.Length >= _options.MaxPorts) throw new InvalidOperationException($"SimNet is full ({_options.MaxPorts} ports)");
            port.Index = _ports.Length;
            foreach (var other in _ports)
            {
                _links[port.Index, other.Index] = NewLink(port.Host, other.Host);
                _links[other.Index, port.Index] = NewLink(other.Host, port.Host);
            }
            _ports = [.. _ports, port];
            AddCaptureInterface_NeedsLock(port);
            var thread = new Thread(() => ReadLoop(port)) { IsBackground = true, Name = $"simnet {port.Host}" };
            _threads.Add(thread);
            thread.Start();
            return port;
        }
    }

    private LinkState NewLink(string from, string to)
    {
        var (impairment, blocked) = InitialLinkState_NeedsLock(from, to);
        return new(from, to, SeedDerivation.Derive(_options.Seed, $"simnet/{from}->{to}")) { Impairment = impairment, Blocked = blocked };
    }

    public SwitchPort Port(string host) =>
        _ports.FirstOrDefault(p => p.Host == host)
        ?? throw new ArgumentException($"SimNet has no host '{host}' (hosts: {string.Join(", ", _ports.Select(p => p.Host))})");

    private void ReadLoop(SwitchPort port)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(MaxPacketLength);
        var headerLength = port.OffloadHeaderLength;
        try
        {
            while (!_stopping)
            {
                var n = port.Receive(buffer);
                if (n < 0) return;
                if (n < headerLength + EthernetHeaderLength) continue; // poll timeout or a runt
                OnFrame(port, buffer.AsSpan(0, n));
            }
        }
        catch (Exception e)
        {
            // An exception on this thread would end the process: this port stops reading, the switch and its other ports go on.
            port.Failure = e;
            Record($"port {port.Host} stopped: {e.GetType().Name}: {e.Message}");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Switches one packet that arrived on <paramref name="ingress"/> (also the entry point for tests): a wire frame,
    /// or for an offloading port a virtio-net header and the frame or super-frame behind it.
    /// </summary>
    internal void OnFrame(SwitchPort ingress, ReadOnlySpan<byte> bytes)
    {
        var headerLength = ingress.OffloadHeaderLength;
        var header = headerLength > 0 ? VirtioNetHeader.Read(bytes) : default;
        var wire = _wireFrames ??= new WireFrames();
        var packet = new Packet(bytes, headerLength, header, wire);
        var frame = packet.Frame;
        ingress.CountReceived(packet.Count);
        CaptureIngress(ingress, packet);
        var destination = MacAddress.Read(frame);
        var source = MacAddress.Read(frame[6..]);
        if (!source.IsGroup && (!_macTable.TryGetValue(source.Value, out var known) || known != ingress))
            _macTable[source.Value] = ingress;

        if (!destination.IsGroup && _macTable.TryGetValue(destination.Value, out var target))
        {
            if (target != ingress) Forward(ingress, target, packet);
            return;
        }
        // Broadcast, multicast (no IGMP snooping: every port gets it, as on a dumb switch) and unknown unicast.
        foreach (var port in _ports)
            if (port != ingress) Forward(ingress, port, packet);
    }

    private void Forward(SwitchPort from, SwitchPort to, in Packet packet)
    {
        var link = _links[from.Index, to.Index]!;
        if (link.Blocked)
        {
            Interlocked.Add(ref link.LostPartition, packet.Count);
            return;
        }
        var impairment = link.Impairment;
        if (impairment.IsNone && link.InFlight == 0)
        {
            DeliverPacket(to, packet, link);
            return;
        }
        if (packet.Header.IsPlain)
        {
            Impair(link, impairment, to, packet.Frame);
            return;
        }
        // Impairment decides per wire frame: the super-frame cut (or the checksum completed), once for all its uses.
        var wire = packet.WireFrames();
        for (var i = 0; i < wire.Count; i++) Impair(link, impairment, to, wire[i]);
    }

    /*
     * Decisions come from a generator seeded per frame (link, flow, the frame's place in its flow) and are drawn in a
     * fixed order, so a seed replays the same way whatever order the flows' frames arrive in:
     *   loss (random or Gilbert–Elliott) → duplicate? → per copy: rate limit (tail drop past queue_limit),
     *   delay ± jitter, reorder (held back by reorder_gap, others overtake) or FIFO, corrupt one bit.
     */
    private void Impair(LinkState link, LinkImpairment impairment, SwitchPort to, ReadOnlySpan<byte> frame)
    {
        var random = link.RandomFor(frame, out var flow);
        bool lost;
        if (impairment.BurstLoss is { } ge)
        {
            flow.BurstBad = flow.BurstBad ? !random.Chance(ge.R) : random.Chance(ge.P);
            lost = random.Chance(flow.BurstBad ? ge.LossInBad : ge.LossInGood);
        }
        else lost = random.Chance(impairment.Loss);
        if (lost)
        {
            Interlocked.Increment(ref link.LostRandom);
            return;
        }
        var copies = random.Chance(impairment.Duplicate) ? 2 : 1;
        if (copies == 2) Interlocked.Increment(ref link.Duplicated);
        var now = _time.GetTimestamp();
        var frequency = _time.TimestampFrequency;
        for (var copy = 0; copy < copies; copy++)
        {
            var departure = now;
            if (impairment.RateBitsPerSecond > 0)
            {
                var start = Math.Max(now, link.NextFree);
                if (start - now > ToTimestamp(impairment.QueueLimit, frequency))
                {
                    Interlocked.Increment(ref link.LostQueue);
                    continue;
                }
                departure = start + frame.Length * 8L * frequency / impairment.RateBitsPerSecond;
                link.NextFree = departure;
            }
            var delay = impairment.Delay;
            if (impairment.Jitter > TimeSpan.Zero)
                delay += TimeSpan.FromTicks((long)((random.NextDouble() * 2 - 1) * impairment.Jitter.Ticks));
            var due = departure + ToTimestamp(delay, frequency);
            if (random.Chance(impairment.Reorder))
            {
                due += ToTimestamp(impairment.ReorderGap, frequency);
                Interlocked.Increment(ref link.Reordered);
            }
            else
            {
                due = Math.Max(due, link.LastDue);
                link.LastDue = due;
            }
            var corrupt = frame.Length > EthernetHeaderLength && random.Chance(impairment.Corrupt);
            if (due <= now && !corrupt && link.InFlight == 0)
            {
                DeliverFrame(to, frame, link);
                continue;
            }
            var buffer = ArrayPool<byte>.Shared.Rent(frame.Length);
            frame.CopyTo(buffer);
            if (corrupt)
            {
                // Past the Ethernet header, so the damaged frame still reaches its port and the receiver's checksum must catch it.
                var at = EthernetHeaderLength + random.NextInt(frame.Length - EthernetHeaderLength);
                buffer[at] ^= (byte)(1 << random.NextInt(8));
                Interlocked.Increment(ref link.Corrupted);
            }
            Interlocked.Increment(ref link.Delayed);
            link.EnterDelayLine();
            _delayLine.Schedule(new PendingFrame(buffer, frame.Length, to, link), due);
        }
    }

    private static long ToTimestamp(TimeSpan span, long frequency) => span.Ticks * frequency / TimeSpan.TicksPerSecond;

    /// <summary>Delivers one wire frame (checksum complete).</summary>
    private void DeliverFrame(SwitchPort to, ReadOnlySpan<byte> frame, LinkState link)
    {
        // A partition raised while the frame waited in the delay line still stops it.
        if (link.Blocked)
        {
            Interlocked.Increment(ref link.LostPartition);
            return;
        }
        // Recorded before the host can see it, so the capture never shows a delivery later than its effect.
        CaptureEgress(to, frame);
        to.Send(frame);
        to.CountSent();
        Interlocked.Increment(ref link.Forwarded);
        Interlocked.Add(ref link.ForwardedBytes, frame.Length);
    }

    /// <summary>
    /// Delivers a packet as it arrived: whole, header and all, to an offloading port; cut into wire frames for any
    /// other. Capture sees wire frames either way.
    /// </summary>
    private void DeliverPacket(SwitchPort to, in Packet packet, LinkState link)
    {
        if (packet.Header.IsPlain)
        {
            DeliverFrame(to, packet.Frame, link);
            return;
        }
        CaptureEgress(to, packet);
        if (to.OffloadHeaderLength == VirtioNetHeader.Length && packet.HeaderLength == VirtioNetHeader.Length)
            to.SendWithHeader(packet.Bytes);
        else
        {
            var wire = packet.WireFrames();
            for (var i = 0; i < wire.Count; i++) to.Send(wire[i]);
        }
        to.CountSent(packet.Count);
        Interlocked.Add(ref link.Forwarded, packet.Count);
        Interlocked.Add(ref link.ForwardedBytes, packet.WireBytes);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_stopping) return;
            _stopping = true;
        }
        foreach (var t in _threads) t.Join();
        _delayLine.Dispose();
        foreach (var p in _ports) p.Dispose();
        DisposeNamespaceHosts();
        StopCaptures();
    }
}
