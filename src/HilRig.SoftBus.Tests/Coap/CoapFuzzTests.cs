using System.Net;
using FsCheck;
using FsCheck.Fluent;
using HilRig.SoftBus.Coap;
using HilRig.SoftBus.Tests.Support;
using HilRig.SoftBus.Transport;
using NUnit.Framework;

namespace HilRig.SoftBus.Tests.Coap;

/// <summary>
/// Datagrams from FsCheck straight into a server endpoint's receive path: it never throws, and it answers exactly as
/// RFC 7252 demands — a RST with the id for a CON it must reject, an ACK with id and token for a CON request, silence for
/// a NON it rejects and for every ACK/RST. 10,000 random datagrams and 10,000 single-byte mutations of valid ones.
/// </summary>
public class CoapFuzzTests
{
    private const int Runs = 10_000;
    private static readonly Config Check = Config.QuickThrowOnFailure.WithMaxTest(Runs).WithStartSize(0).WithEndSize(80);

    private static bool Holds(byte[] datagram, CoapEndpoint server, MemoryNetwork net, ref int port)
    {
        var remote = new IPEndPoint(IPAddress.Parse("10.0.0.7"), ++port % 60000 + 1);
        var before = net.Sent.Count;
        server.OnDatagram(new Datagram(datagram, remote, false));
        var replies = net.Sent.Skip(before).Where(s => s.To.Equals(remote)).Select(s => CoapCodec.Decode(s.Data)).ToList();
        CoapMessage parsed;
        try
        {
            parsed = CoapCodec.Decode(datagram);
        }
        catch (CoapFormatException)
        {
            var isCon = CoapCodec.TryReadHeader(datagram, out var type, out var mid) && type == CoapType.Confirmable;
            return isCon ? replies.Count == 1 && replies[0].Type == CoapType.Reset && replies[0].MessageId == mid : replies.Count == 0;
        }
        if (parsed.Type is CoapType.Acknowledgement or CoapType.Reset) return replies.Count == 0;
        if (parsed.Type == CoapType.NonConfirmable) return replies.All(r => r.Type == CoapType.NonConfirmable && r.Token.AsSpan().SequenceEqual(parsed.Token));
        // A CON: exactly one reply with its id — a RST (ping, unknown response) or an ACK echoing the token.
        if (replies.Count != 1 || replies[0].MessageId != parsed.MessageId) return false;
        return parsed.IsRequest
            ? replies[0].Type == CoapType.Acknowledgement && replies[0].Token.AsSpan().SequenceEqual(parsed.Token) && !(replies[0].Code.IsSuccess && HasUnknownCritical(parsed))
            : replies[0].Type == CoapType.Reset;
    }

    private static bool HasUnknownCritical(CoapMessage m) => m.Options.Any(o => CoapOptionNumber.IsCritical(o.Number) && !CoapOptionNumber.IsKnown(o.Number));

    private static (CoapEndpoint, MemoryNetwork) Server()
    {
        var net = new MemoryNetwork(TimeProvider.System);
        var server = new CoapServer().Add(new CoapResource("/r", (_, body, _) => ValueTask.FromResult<CoapMessage?>(CoapResource.Respond(CoapCode.Content, body))));
        return (new CoapEndpoint(net.Add("10.0.0.2", 5683), handler: server.HandleAsync), net);
    }

    [Test, Description("10,000 random datagrams")]
    public async Task RandomDatagrams_AnsweredAsTheRfcDemands()
    {
        var (server, net) = Server();
        var port = 0;
        Prop.ForAll<byte[]>(d => Holds(d, server, net, ref port)).Check(Check);
        await server.DisposeAsync();
    }

    [Test, Description("10,000 single-byte mutations (and truncations) of valid CON and NON requests")]
    public async Task MutatedDatagrams_AnsweredAsTheRfcDemands()
    {
        var (server, net) = Server();
        var port = 0;
        var valid = new List<byte[]>();
        foreach (var type in new[] { CoapType.Confirmable, CoapType.NonConfirmable })
        {
            var m = CoapMessage.Request(CoapCode.Post, "/r?x=1", type);
            m.MessageId = 0x1234;
            m.Token = [1, 2, 3];
            m.Payload = new byte[] { 1, 2, 3, 4 };
            m.Block1 = new CoapBlock(0, false, 2);
            valid.Add(CoapCodec.Encode(m));
        }
        var gen = from which in Gen.Elements(valid.ToArray())
                  from index in Gen.Choose(0, which.Length)
                  from value in Gen.Choose(0, 255)
                  select index == which.Length ? which[..(value % which.Length)] : Mutate(which, index, (byte)value);
        Prop.ForAll(gen.ToArbitrary(), d => Holds(d, server, net, ref port)).Check(Check);
        await server.DisposeAsync();
    }

    private static byte[] Mutate(byte[] original, int index, byte value)
    {
        var copy = (byte[])original.Clone();
        copy[index] = value;
        return copy;
    }
}
