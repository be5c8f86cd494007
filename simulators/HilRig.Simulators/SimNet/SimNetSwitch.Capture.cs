using HilRig.Capture;
using HilRig.Capture.Files;

namespace HilRig.Simulators.SimNet;

/// <summary>
/// Captures: a switch-wide pcapng with one interface per port holding every frame twice — as it entered
/// the switch (inbound, before impairment) and as it was delivered (outbound, after) — and optional
/// per-port captures showing what that host's interface saw, like tcpdump on its eth0.
/// </summary>
public sealed partial class SimNetSwitch
{
    private readonly List<CaptureSink> _captures = new();
    private volatile CaptureSink[] _captureSnapshot = [];

    private sealed class CaptureSink(ICaptureWriter writer, string? onlyHost, string path)
    {
        public ICaptureWriter Writer { get; } = writer;
        public string? OnlyHost { get; } = onlyHost;
        public string Path { get; } = path;
        public int[] InterfaceIds = [];
    }

    /// <summary>Starts the switch-wide capture into <paramref name="path"/> (pcapng); returns the path.</summary>
    public string StartCapture(string path) => AddCapture(path, null);

    /// <summary>Starts a capture of one host's port: what the host sent (inbound) and what it received (outbound).</summary>
    public string StartPortCapture(string host, string path)
    {
        Port(host);
        return AddCapture(path, host);
    }

    /// <summary>Stops and closes the capture writing <paramref name="path"/>; the file is complete afterwards.</summary>
    public void StopCapture(string path)
    {
        lock (_gate)
        {
            var sink = _captures.FirstOrDefault(c => c.Path == path) ?? throw new ArgumentException($"no SimNet capture is writing {path}");
            _captures.Remove(sink);
            _captureSnapshot = _captures.ToArray();
            sink.Writer.Dispose();
        }
    }

    /// <summary>Flushes every capture so a reader sees all frames switched so far.</summary>
    public void FlushCaptures()
    {
        foreach (var c in _captureSnapshot) c.Writer.Flush();
    }

    /// <summary>
    /// Flushes the capture writing <paramref name="path"/>; returns its length up to the last complete block, where a
    /// reader must stop while the switch goes on appending.
    /// </summary>
    public long FlushCapture(string path) =>
        (_captureSnapshot.FirstOrDefault(c => c.Path == path) ?? throw new ArgumentException($"no SimNet capture is writing {path}")).Writer.Flush();

    public IReadOnlyList<string> CapturePaths => _captureSnapshot.Select(c => c.Path).ToList();

    private string AddCapture(string path, string? host)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        var sink = new CaptureSink(PcapngWriter.Create(path), host, path);
        lock (_gate)
        {
            foreach (var p in _ports) AddInterface_NeedsLock(sink, p);
            _captures.Add(sink);
            _captureSnapshot = _captures.ToArray();
        }
        return path;
    }

    private void AddCaptureInterface_NeedsLock(SwitchPort port)
    {
        foreach (var sink in _captures) AddInterface_NeedsLock(sink, port);
    }

    private static void AddInterface_NeedsLock(CaptureSink sink, SwitchPort port)
    {
        if (sink.OnlyHost is not null && sink.OnlyHost != port.Host) return;
        var ids = sink.InterfaceIds;
        if (ids.Length <= port.Index)
        {
            var bigger = Enumerable.Repeat(-1, port.Index + 1).ToArray();
            ids.CopyTo(bigger, 0);
            ids = bigger;
        }
        ids[port.Index] = sink.Writer.AddInterface(port.Host, LinkType.Ethernet);
        sink.InterfaceIds = ids;
    }

    private void CaptureIngress(SwitchPort port, in Packet packet) => CaptureAt(port, packet, FrameDirection.Inbound);

    private void CaptureEgress(SwitchPort port, in Packet packet) => CaptureAt(port, packet, FrameDirection.Outbound);

    private void CaptureEgress(SwitchPort port, ReadOnlySpan<byte> frame) => CaptureAt(port, frame, FrameDirection.Outbound);

    /// <summary>
    /// Records what the port's wire would carry: a super-frame or a frame with its checksum left to the hardware is
    /// written as the wire frames it stands for (as a mirror port of a real switch sees them), all with this instant's time.
    /// </summary>
    private void CaptureAt(SwitchPort port, in Packet packet, FrameDirection direction)
    {
        if (packet.Header.IsPlain)
        {
            CaptureAt(port, packet.Frame, direction);
            return;
        }
        var sinks = _captureSnapshot;
        if (sinks.Length == 0) return;
        var wire = packet.WireFrames();
        var ts = CapturedFrame.ToNanos(_time.GetUtcNow());
        for (var i = 0; i < wire.Count; i++) Write(sinks, port, ts, wire[i], direction);
    }

    /// <summary>Records one wire frame (checksum complete).</summary>
    private void CaptureAt(SwitchPort port, ReadOnlySpan<byte> frame, FrameDirection direction)
    {
        var sinks = _captureSnapshot;
        if (sinks.Length == 0) return;
        Write(sinks, port, CapturedFrame.ToNanos(_time.GetUtcNow()), frame, direction);
    }

    private static void Write(CaptureSink[] sinks, SwitchPort port, long ts, ReadOnlySpan<byte> frame, FrameDirection direction)
    {
        foreach (var sink in sinks)
        {
            var ids = sink.InterfaceIds;
            if (port.Index < ids.Length && ids[port.Index] >= 0) sink.Writer.Write(ts, frame, ids[port.Index], direction);
        }
    }

    private void StopCaptures()
    {
        lock (_gate)
        {
            foreach (var c in _captures) c.Writer.Dispose();
            _captures.Clear();
            _captureSnapshot = [];
        }
    }
}
