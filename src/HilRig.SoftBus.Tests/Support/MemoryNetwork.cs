using System.Net;
using System.Threading.Channels;
using HilRig.SoftBus.Transport;

namespace HilRig.SoftBus.Tests.Support;

/// <summary>
/// An in-memory UDP network for message-layer tests: endpoints by address, a broadcast address that reaches every
/// other endpoint on the same port, a log of every datagram with the virtual time it was sent, and a drop rule.
/// </summary>
public sealed class MemoryNetwork(TimeProvider time)
{
    private readonly object _gate = new();
    private readonly Dictionary<IPEndPoint, MemoryTransport> _hosts = new();

    public static readonly IPAddress Broadcast = IPAddress.Parse("10.0.0.255");

    public List<(DateTimeOffset At, IPEndPoint From, IPEndPoint To, byte[] Data)> Sent { get; } = new();

    /// <summary>Return true to lose a datagram.</summary>
    public Func<IPEndPoint, IPEndPoint, byte[], bool> Drop { get; set; } = (_, _, _) => false;

    public MemoryTransport Add(string address, int port)
    {
        var t = new MemoryTransport(this, new IPEndPoint(IPAddress.Parse(address), port));
        lock (_gate) _hosts[t.LocalEndPoint] = t;
        return t;
    }

    internal void Deliver(MemoryTransport from, byte[] data, IPEndPoint to)
    {
        lock (_gate) Sent.Add((time.GetUtcNow(), from.LocalEndPoint, to, data));
        if (Drop(from.LocalEndPoint, to, data)) return;
        List<MemoryTransport> targets;
        lock (_gate)
            targets = to.Address.Equals(Broadcast)
                ? _hosts.Values.Where(h => h != from && h.LocalEndPoint.Port == to.Port).ToList()
                : _hosts.TryGetValue(to, out var h) ? [h] : [];
        foreach (var t in targets) t.Inbox.Writer.TryWrite(new Datagram(data, from.LocalEndPoint, to.Address.Equals(Broadcast)));
    }

    /// <summary>Datagrams sent from one endpoint, decoded as CoAP.</summary>
    public List<(DateTimeOffset At, HilRig.SoftBus.Coap.CoapMessage Message)> From(IPEndPoint endpoint)
    {
        lock (_gate) return Sent.Where(s => s.From.Equals(endpoint)).Select(s => (s.At, HilRig.SoftBus.Coap.CoapCodec.Decode(s.Data))).ToList();
    }
}

public sealed class MemoryTransport(MemoryNetwork network, IPEndPoint local) : IDatagramTransport
{
    internal Channel<Datagram> Inbox { get; } = Channel.CreateUnbounded<Datagram>();

    public IPEndPoint LocalEndPoint => local;

    public ValueTask SendAsync(ReadOnlyMemory<byte> data, IPEndPoint remote, CancellationToken cancellation = default)
    {
        network.Deliver(this, data.ToArray(), remote);
        return ValueTask.CompletedTask;
    }

    public ValueTask<Datagram> ReceiveAsync(CancellationToken cancellation = default) => Inbox.Reader.ReadAsync(cancellation);

    /// <summary>Injects a datagram as if <paramref name="from"/> had sent it.</summary>
    public void Inject(byte[] data, IPEndPoint from, bool toGroup = false) => Inbox.Writer.TryWrite(new Datagram(data, from, toGroup));

    public ValueTask DisposeAsync()
    {
        Inbox.Writer.TryComplete();
        return ValueTask.CompletedTask;
    }
}
