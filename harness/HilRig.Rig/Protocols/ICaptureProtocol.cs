namespace HilRig.Rig.Protocols;

/// <summary>Records the traffic of a board's network link to a pcap file.</summary>
public interface ICaptureProtocol
{
    /// <summary>Starts recording; the returned capture stops when disposed.</summary>
    Task<IPacketCapture> StartAsync(string name, CancellationToken cancellation = default);
}

/// <summary>A running capture; <see cref="PcapPath"/> is complete once it is stopped.</summary>
public interface IPacketCapture : IAsyncDisposable
{
    string PcapPath { get; }

    Task StopAsync();
}
