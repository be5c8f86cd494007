using System.Net;
using FsCheck;
using FsCheck.Fluent;
using HilRig.SoftBus.Router;
using HilRig.SoftBus.Tests.Support;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.SoftBus.Tests.Router;

/// <summary>
/// Name-service packets from FsCheck: the parsers either parse, say why a packet is not theirs, or throw
/// <see cref="NameServiceFormatException"/> with an offset inside the packet — nothing else; a client fed them never
/// throws and never takes a candidate from a packet that does not parse. 10,000 random packets, 10,000 single-byte
/// mutations of a valid answer and 10,000 of a valid query.
/// </summary>
public class NameServiceFuzzTests
{
    private const int Runs = 10_000;
    private static readonly Config Check = Config.QuickThrowOnFailure.WithMaxTest(Runs).WithStartSize(0).WithEndSize(300);
    private static readonly IPEndPoint From = new(IPAddress.Parse("10.0.0.7"), 5353);

    private static readonly byte[] ValidAnswer =
        new NameServiceAnswer(9, "0123456789abcdef0123456789abcdef", "org.alljoyn.BusNode.r1", new IPEndPoint(IPAddress.Parse("10.0.0.5"), 9955), 3, 10).Encode();

    private static readonly byte[] ValidQuery =
        new NameServiceQuery(9, "0123456789abcdef0123456789abcdef", "org.alljoyn.BusNode", new IPEndPoint(IPAddress.Parse("10.0.0.9"), 40001)).Encode();

    private static bool ParsesOrSaysWhere(byte[] data)
    {
        foreach (var parse in new Func<object?>[] { () => NameServiceAnswer.Parse(data, out _), () => NameServiceQuery.Parse(data, out _) })
        {
            try
            {
                parse();
            }
            catch (NameServiceFormatException e)
            {
                if (e.Offset < 0 || e.Offset > data.Length) return false;
            }
        }
        return true;
    }

    private static RouterClient Client() =>
        new(new MemoryNetwork(new ManualTimeProvider()).Add("10.0.0.9", 40001),
            new RouterClientOptions { Guid = "fedcba9876543210fedcba9876543210", ReplyAddress = IPAddress.Parse("10.0.0.9") });

    [Test, Description("10,000 random packets")]
    public void RandomPackets_ParseOrFailWithAnOffset_AndNeverThrowInTheClient()
    {
        var client = Client();
        Prop.ForAll<byte[]>(d =>
        {
            client.OnDatagram(d, From);
            return ParsesOrSaysWhere(d);
        }).Check(Check);
    }

    [Test, Description("10,000 mutations of a valid answer")]
    public void MutatedAnswers_ParseOrFailWithAnOffset_AndNeverThrowInTheClient()
    {
        var client = Client();
        var gen = Gen.Choose(0, ValidAnswer.Length - 1).SelectMany(i => Gen.Choose(0, 255).Select(b => (i, (byte)b)));
        Prop.ForAll(Arb.From(gen), m =>
        {
            var d = (byte[])ValidAnswer.Clone();
            d[m.i] = m.Item2;
            client.OnDatagram(d, From);
            return ParsesOrSaysWhere(d);
        }).Check(Check);
        Assert.That(client.Counters["format-error"] + client.Counters["not-an-answer"], Is.GreaterThan(0), "some mutations must have been refused");
    }

    [Test, Description("10,000 mutations of a valid query")]
    public void MutatedQueries_ParseOrFailWithAnOffset()
    {
        var gen = Gen.Choose(0, ValidQuery.Length - 1).SelectMany(i => Gen.Choose(0, 255).Select(b => (i, (byte)b)));
        Prop.ForAll(Arb.From(gen), m =>
        {
            var d = (byte[])ValidQuery.Clone();
            d[m.i] = m.Item2;
            return ParsesOrSaysWhere(d);
        }).Check(Check);
    }
}
