using HilRig.Capture.Files;
using SharpPcap;
using SharpPcap.LibPcap;

namespace HilRig.Capture.Live;

/// <summary>What to capture: an interface (optionally inside a network namespace) and a BPF filter.</summary>
public sealed record LiveCaptureOptions(string Interface)
{
    /// <summary>Network namespace the interface lives in, or null for the harness's own.</summary>
    public string? Namespace { get; init; }

    /// <summary>A pcap-filter(7) expression, e.g. "udp port 5683".</summary>
    public string? Filter { get; init; }

    /// <value>262144: whole frames.</value>
    public int SnapLength { get; init; } = 262144;

    public bool Promiscuous { get; init; } = true;
}

/// <summary>
/// Captures live from an interface through SharpPcap on a dedicated thread (so it can sit in a board's network
/// namespace), handing every frame to a sink — usually a capture file writer. Physical rigs capture on the NIC that
/// faces the board. Needs root or CAP_NET_RAW. The device list is made on the capture thread after it entered the
/// namespace: <c>LibPcapLiveDeviceList.Instance</c> is a process-wide cache that a root-namespace thread would poison
/// (platform-dotnet.md §0).
/// </summary>
public sealed class LiveCapture : IDisposable
{
    private readonly LiveCaptureOptions _options;
    private readonly Action<CapturedFrame> _sink;
    private readonly Thread _thread;
    private readonly ManualResetEventSlim _ready = new();
    private volatile bool _stopping;
    private LibPcapLiveDevice? _device;
    private Exception? _startError;
    private long _frames;

    private LiveCapture(LiveCaptureOptions options, Action<CapturedFrame> sink)
    {
        _options = options;
        _sink = sink;
        _thread = new Thread(Run) { IsBackground = true, Name = $"pcap {options.Interface}" };
    }

    public LinkType LinkType { get; private set; }

    public long FrameCount => Interlocked.Read(ref _frames);

    /// <summary>Error that ended the capture thread, if any.</summary>
    public Exception? Failure { get; private set; }

    /// <summary>Opens the capture; throws naming the interface (or the filter) when it cannot.</summary>
    public static LiveCapture Start(LiveCaptureOptions options, Action<CapturedFrame> sink)
    {
        var capture = new LiveCapture(options, sink);
        capture._thread.Start();
        capture._ready.Wait();
        if (capture._startError is { } e)
        {
            capture._thread.Join();
            throw e;
        }
        return capture;
    }

    /// <summary>Captures into a file writer (pcap or pcapng), declaring one interface named after the device.</summary>
    public static LiveCapture ToFile(LiveCaptureOptions options, ICaptureWriter writer)
    {
        var interfaceId = -1;
        return Start(options, frame =>
        {
            if (interfaceId < 0) interfaceId = writer.AddInterface(options.Interface, frame.LinkType);
            writer.Write(frame.TimestampNanos, frame.Data.Span, interfaceId);
        });
    }

    private void Run()
    {
        try
        {
            Open();
        }
        catch (Exception e)
        {
            _startError = e;
            _ready.Set();
            return;
        }
        _ready.Set();
        try
        {
            Loop();
        }
        catch (Exception e)
        {
            Failure = e;
        }
        finally
        {
            _device?.Close();
        }
    }

    private void Open()
    {
        if (_options.Namespace is { } ns) NetworkNamespaceThread.Enter(ns);
        var where = _options.Namespace is null ? _options.Interface : $"{_options.Interface} in netns {_options.Namespace}";
        LibPcapLiveDeviceList devices;
        try
        {
            devices = LibPcapLiveDeviceList.New();
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or PcapException)
        {
            throw new InvalidOperationException($"libpcap is not usable (apt-get install libpcap0.8): {e.Message}", e);
        }
        var device = devices.FirstOrDefault(d => d.Name == _options.Interface)
            ?? throw new IOException($"cannot capture on {where}: no such interface; interfaces: {string.Join(", ", devices.Select(d => d.Name))}");
        try
        {
            device.Open(new DeviceConfiguration
            {
                Mode = _options.Promiscuous ? DeviceModes.Promiscuous : DeviceModes.None,
                Snaplen = _options.SnapLength,
                ReadTimeout = 100,
                Immediate = true,
                BufferSize = 8 * 1024 * 1024,
            });
        }
        catch (PcapException e)
        {
            var reason = e.Message.Contains("permission", StringComparison.OrdinalIgnoreCase) ? "permission denied (needs root or CAP_NET_RAW)" : e.Message;
            throw new IOException($"cannot capture on {where}: {reason}", e);
        }
        if (_options.Filter is { } filter)
        {
            try
            {
                device.Filter = filter;
            }
            catch (PcapException e)
            {
                device.Close();
                throw new ArgumentException($"capture filter '{filter}' does not compile: {e.Message}", e);
            }
        }
        LinkType = FileLinkType((int)device.LinkType);
        _device = device;
    }

    /// <summary>
    /// libpcap hands out DLT values, files carry LINKTYPE values; they agree except for a few DLTs whose numbers
    /// differ between platforms (tcpdump's linktypes list). On Linux a tun device reports DLT_RAW as 12 (14 on
    /// OpenBSD), which a file must record as LINKTYPE_RAW (101) or no reader decodes it.
    /// </summary>
    internal static LinkType FileLinkType(int dlt) => dlt switch
    {
        12 or 14 => LinkType.Raw,
        11 => (LinkType)100, // DLT_ATM_RFC1483
        15 => (LinkType)102, // DLT_SLIP_BSDOS
        16 => (LinkType)103, // DLT_PPP_BSDOS
        _ => (LinkType)dlt,
    };

    private void Loop()
    {
        var buffer = new byte[_options.SnapLength];
        while (!_stopping)
        {
            var status = _device!.GetNextPacket(out var packet);
            if (status == GetPacketStatus.ReadTimeout) continue; // check _stopping
            if (status == GetPacketStatus.NoRemainingPackets) return;
            if (status != GetPacketStatus.PacketRead) throw new IOException($"capture on {_options.Interface} failed: {_device.LastError}");
            var data = packet.Data;
            var length = Math.Min(data.Length, buffer.Length);
            data[..length].CopyTo(buffer);
            var ts = (long)packet.Header.Timeval.Seconds * 1_000_000_000L + (long)packet.Header.Timeval.MicroSeconds * 1000L;
            Interlocked.Increment(ref _frames);
            _sink(new CapturedFrame(ts, LinkType, buffer.AsMemory(0, length), packet.Header is PcapHeader header ? (int)header.PacketLength : data.Length));
        }
    }

    /// <summary>Waits until <paramref name="count"/> frames have been captured or the deadline passes.</summary>
    public bool WaitForFrames(long count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (FrameCount < count)
        {
            if (DateTime.UtcNow > deadline || !_thread.IsAlive) return false;
            Thread.Sleep(5);
        }
        return true;
    }

    public void Dispose()
    {
        _stopping = true;
        _thread.Join();
        _ready.Dispose();
    }
}
