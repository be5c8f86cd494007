using HilRig.Capture.Files;

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
/// Captures live from an interface through libpcap on a dedicated thread (so it can sit in the board's
/// network namespace), handing every frame to a sink — usually a capture file writer. Physical rigs
/// capture on the NIC that faces the board. Needs root or CAP_NET_RAW.
/// </summary>
public sealed unsafe class LiveCapture : IDisposable
{
    private readonly LiveCaptureOptions _options;
    private readonly Action<CapturedFrame> _sink;
    private readonly Thread _thread;
    private readonly ManualResetEventSlim _ready = new();
    private volatile bool _stopping;
    private IntPtr _handle;
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

    /// <summary>Opens and activates the capture; throws with libpcap's reason when it cannot.</summary>
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
            LibPcap.pcap_close(_handle);
            _handle = IntPtr.Zero;
        }
    }

    private void Open()
    {
        LibPcap.EnsureResolver();
        if (_options.Namespace is { } ns) NetworkNamespaceThread.Enter(ns);
        var error = stackalloc byte[LibPcap.ErrorBufferSize];
        var where = _options.Namespace is null ? _options.Interface : $"{_options.Interface} in netns {_options.Namespace}";
        IntPtr p;
        try
        {
            p = LibPcap.pcap_create(_options.Interface, error);
        }
        catch (DllNotFoundException e)
        {
            throw new InvalidOperationException("libpcap is not installed (apt-get install libpcap0.8)", e);
        }
        if (p == IntPtr.Zero)
            throw new IOException($"pcap_create({where}): {System.Runtime.InteropServices.Marshal.PtrToStringUTF8((IntPtr)error)}");
        LibPcap.pcap_set_snaplen(p, _options.SnapLength);
        LibPcap.pcap_set_promisc(p, _options.Promiscuous ? 1 : 0);
        LibPcap.pcap_set_immediate_mode(p, 1);
        LibPcap.pcap_set_timeout(p, 100);
        LibPcap.pcap_set_buffer_size(p, 8 * 1024 * 1024);
        var status = LibPcap.pcap_activate(p);
        if (status < 0)
        {
            var reason = status == -8 /* PCAP_ERROR_PERM_DENIED */ ? "permission denied (needs root or CAP_NET_RAW)" : $"{LibPcap.Status(status)}: {LibPcap.Error(p)}";
            LibPcap.pcap_close(p);
            throw new IOException($"cannot capture on {where}: {reason}");
        }
        if (_options.Filter is { } filter)
        {
            LibPcap.BpfProgram program;
            if (LibPcap.pcap_compile(p, &program, filter, 1, 0xFFFFFFFF) != 0)
            {
                var reason = LibPcap.Error(p);
                LibPcap.pcap_close(p);
                throw new ArgumentException($"capture filter '{filter}' does not compile: {reason}");
            }
            var set = LibPcap.pcap_setfilter(p, &program);
            LibPcap.pcap_freecode(&program);
            if (set != 0)
            {
                var reason = LibPcap.Error(p);
                LibPcap.pcap_close(p);
                throw new IOException($"cannot apply filter '{filter}' on {where}: {reason}");
            }
        }
        LinkType = (LinkType)LibPcap.pcap_datalink(p);
        _handle = p;
    }

    private void Loop()
    {
        var buffer = new byte[_options.SnapLength];
        while (!_stopping)
        {
            LibPcap.PacketHeader* header;
            byte* data;
            var r = LibPcap.pcap_next_ex(_handle, &header, &data);
            if (r == 0) continue; // timeout: check _stopping
            if (r == -2) return; // pcap_breakloop
            if (r < 0) throw new IOException($"capture on {_options.Interface} failed: {LibPcap.Error(_handle)}");
            var length = (int)Math.Min(header->CapturedLength, (uint)buffer.Length);
            new ReadOnlySpan<byte>(data, length).CopyTo(buffer);
            var ts = header->Seconds * 1_000_000_000L + header->Microseconds * 1000L;
            Interlocked.Increment(ref _frames);
            _sink(new CapturedFrame(ts, LinkType, buffer.AsMemory(0, length), (int)header->Length));
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
        var h = _handle;
        if (h != IntPtr.Zero) LibPcap.pcap_breakloop(h);
        _thread.Join();
        _ready.Dispose();
    }
}
