using FsCheck;
using FsCheck.Fluent;
using HilRig.SoftBus.Router;
using NUnit.Framework;

namespace HilRig.SoftBus.Tests.Router;

/// <summary>The router link's D-Bus messages: BusHello and the probes round-trip; garbage is refused with an offset, never anything else (10,000 random, 10,000 mutated).</summary>
public class AllJoynMessageTests
{
    private const int Runs = 10_000;
    private static readonly Config Check = Config.QuickThrowOnFailure.WithMaxTest(Runs).WithStartSize(0).WithEndSize(200);

    private static readonly AllJoynMessage Hello = new(AllJoynMessageType.MethodCall, 1)
    {
        Path = "/org/alljoyn/Bus", Interface = "org.alljoyn.Bus", Member = "BusHello", Destination = "org.alljoyn.Bus", Body = ["fedcba9876543210fedcba9876543210", 10u],
    };

    [Test]
    public void BusHelloAndProbes_RoundTrip()
    {
        var back = AllJoynMessage.Decode(Hello.Encode());
        Assert.That((back.Type, back.Serial, back.Path, back.Interface, back.Member, back.Destination), Is.EqualTo((Hello.Type, 1u, Hello.Path, Hello.Interface, Hello.Member, Hello.Destination)));
        Assert.That(back.Body, Is.EqualTo(Hello.Body));
        var probe = AllJoynMessage.Decode(AllJoynMessage.ProbeReq(7).Encode());
        Assert.That(probe.Is("org.alljoyn.Daemon", "ProbeReq") && probe.Serial == 7 && probe.Type == AllJoynMessageType.Signal);
        var bytes = Hello.Encode();
        Assert.That((char)bytes[0], Is.EqualTo('l'));
        Assert.That(bytes.Length % 4, Is.Zero);
    }

    private static bool Refused(byte[] data)
    {
        try
        {
            AllJoynMessage.Decode(data);
            return true;
        }
        catch (AllJoynFormatException)
        {
            return true;
        }
    }

    [Test, Description("10,000 random messages")]
    public void RandomBytes_DecodeOrAreRefused() => Prop.ForAll<byte[]>(Refused).Check(Check);

    [Test, Description("10,000 mutations of BusHello")]
    public void MutatedHello_DecodesOrIsRefused()
    {
        var valid = Hello.Encode();
        var gen = Gen.Choose(0, valid.Length - 1).SelectMany(i => Gen.Choose(0, 255).Select(b => (i, (byte)b)));
        Prop.ForAll(Arb.From(gen), m =>
        {
            var d = (byte[])valid.Clone();
            d[m.i] = m.Item2;
            return Refused(d);
        }).Check(Check);
    }
}
