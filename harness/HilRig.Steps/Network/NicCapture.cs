using HilRig.Capture.Files;
using HilRig.Capture.Live;
using HilRig.Engine.Runtime;
using HilRig.Rig.Boards;
using HilRig.Rig.Model;
using HilRig.Rig.Protocols;

namespace HilRig.Steps.Network;

/// <summary>
/// The <c>capture</c> driver of a physical board: the host NIC wired to the board, captured with SharpPcap from the
/// moment a scenario names the board until it ends, into <c>nic.pcapng</c> among the scenario's artifacts — the file the
/// capture assertions read when the rig has no SimNet.
/// </summary>
public sealed class NicCapture : ICaptureProtocol, IHasEvidence, IDisposable
{
    private readonly PcapngWriter _writer;
    private readonly LiveCapture _capture;

    private NicCapture(string boardName, OptionValues options, string directory)
    {
        Directory.CreateDirectory(directory);
        PcapPath = Path.Combine(directory, "nic.pcapng");
        Interface = options.RequiredString("interface");
        _writer = PcapngWriter.Create(PcapPath);
        try
        {
            _capture = LiveCapture.ToFile(new LiveCaptureOptions(Interface) { Filter = options.String("filter") }, _writer);
        }
        catch (Exception e) when (e is IOException or ArgumentException or InvalidOperationException)
        {
            _writer.Dispose();
            throw new RigFaultException($"board {boardName}: capture ({options.Location}): {e.Message}", e);
        }
    }

    public string Interface { get; }

    public string PcapPath { get; }

    /// <summary>Adds the capture driver to physical boards whose rig entry names one (registered by the scenario host).</summary>
    public static void AttachTo(Board board, string directory)
    {
        if (board.Kind == BoardKind.Physical && board.Definition.Driver("capture") is { } options)
            board.AddDriver(new NicCapture(board.Name, options, directory));
    }

    /// <summary>What was captured so far is on disk.</summary>
    /// <summary>Flushes the capture; returns its length up to the last complete block, where a reader stops.</summary>
    public long Flush() => _writer.Flush();

    public Task<IPacketCapture> StartAsync(string name, CancellationToken cancellation = default) =>
        Task.FromResult<IPacketCapture>(new Running(this));

    /// <summary>Read after the board is released (the capture stopped and the file closed).</summary>
    public IEnumerable<(string Name, string Path)> Evidence()
    {
        yield return ($"{Interface} capture", PcapPath);
    }

    public void Dispose()
    {
        _capture.Dispose();
        _writer.Dispose();
    }

    /// <summary>The board's one capture: it runs for the whole scenario, so "stopping" it only flushes.</summary>
    private sealed class Running(NicCapture owner) : IPacketCapture
    {
        public string PcapPath => owner.PcapPath;

        public Task StopAsync()
        {
            owner.Flush();
            return Task.CompletedTask;
        }

        public ValueTask DisposeAsync() => new(StopAsync());
    }
}
