using System.Net;

namespace HilRig.SoftBus.Transport;

/// <summary>One received datagram: its bytes, who sent it, and whether it was addressed to a group (multicast or broadcast) rather than to us alone.</summary>
public readonly record struct Datagram(ReadOnlyMemory<byte> Data, IPEndPoint Remote, bool ToGroup);

/// <summary>
/// What the CoAP message layer needs from UDP: send to an endpoint, receive with the sender and the kind of destination.
/// <see cref="UdpTransport"/> is the real one; tests plug in an in-memory network.
/// </summary>
public interface IDatagramTransport : IAsyncDisposable
{
    IPEndPoint LocalEndPoint { get; }

    ValueTask SendAsync(ReadOnlyMemory<byte> data, IPEndPoint remote, CancellationToken cancellation = default);

    /// <summary>Waits for the next datagram; its <see cref="Datagram.Data"/> is valid until the next call.</summary>
    ValueTask<Datagram> ReceiveAsync(CancellationToken cancellation = default);
}
