using System.Net;
using System.Text;
using HilRig.SoftBus.Router;
using NUnit.Framework;

namespace HilRig.SoftBus.Tests.Router;

/// <summary>The NGNS query and answer against the layout of ajtcl's ComposeMDnsReq / ParseMDNSResp, byte by byte where it matters.</summary>
public class NameServiceCodecTests
{
    private const string Guid = "0123456789abcdef0123456789abcdef";

    [Test]
    public void Query_HasAjtclsHeaderQuestionsAndTxtAdditionals()
    {
        var bytes = new NameServiceQuery(0x1234, Guid, "org.alljoyn.BusNode", new IPEndPoint(IPAddress.Parse("10.0.0.9"), 40001)).Encode();
        // id 0x1234, flags 0, QD 2, AN 0, NS 0, AR 2
        Assert.That(bytes[..12], Is.EqualTo(new byte[] { 0x12, 0x34, 0, 0, 0, 2, 0, 0, 0, 0, 0, 2 }));
        // first question: _alljoyn._tcp.local PTR, class 0x8001 (IN with the unicast-response bit)
        var q1 = new List<byte>();
        foreach (var l in new[] { "_alljoyn", "_tcp", "local" })
        {
            q1.Add((byte)l.Length);
            q1.AddRange(Encoding.ASCII.GetBytes(l));
        }
        q1.AddRange(new byte[] { 0, 0, 12, 0x80, 0x01 });
        Assert.That(bytes[12..(12 + q1.Count)], Is.EqualTo(q1.ToArray()));
        var text = Encoding.ASCII.GetString(bytes);
        foreach (var s in new[] { "search", "sender-info", "txtvers=0", "n_1=org.alljoyn.BusNode*", "m=1", "ajpv=10", "pv=2", "sid=4660", "ipv4=40001", "upcv4=10.0.0.9" })
            Assert.That(text, Does.Contain(s), s);
    }

    [Test]
    public void Query_RoundTrips()
    {
        var q = new NameServiceQuery(7, Guid, "org.alljoyn.BusNode", new IPEndPoint(IPAddress.Parse("10.0.0.9"), 40001));
        Assert.That(NameServiceQuery.Parse(q.Encode(), out var why), Is.EqualTo(q), why);
    }

    [Test]
    public void Answer_RoundTrips_AndCarriesPriorityPortAndVersion()
    {
        var a = new NameServiceAnswer(7, Guid, "org.alljoyn.BusNode.r1", new IPEndPoint(IPAddress.Parse("10.0.0.5"), 9955), 3, 12);
        var parsed = NameServiceAnswer.Parse(a.Encode(), out var why);
        Assert.That(parsed, Is.EqualTo(a), why);
        Assert.That(parsed!.EffectiveProtocolVersion, Is.EqualTo(12));
    }

    [Test]
    public void Answer_WithoutAjpv_CountsAsVersion10()
    {
        var a = new NameServiceAnswer(7, Guid, "org.alljoyn.BusNode.r1", new IPEndPoint(IPAddress.Parse("10.0.0.5"), 9955), 3, null);
        Assert.That(NameServiceAnswer.Parse(a.Encode(), out _)!.EffectiveProtocolVersion, Is.EqualTo(10));
    }

    [Test]
    public void Answer_FollowsBackwardCompressionPointers()
    {
        var full = new NameServiceAnswer(1, Guid, "org.alljoyn.BusNode.r1", new IPEndPoint(IPAddress.Parse("10.0.0.5"), 9955), 3, 10).Encode();
        // The PTR's owner "_alljoyn._tcp.local" (21 bytes) sits at 12, its target "<guid>._alljoyn._tcp.local" at 43;
        // the SRV owner is the same instance name again: write its service part as a pointer back to offset 12.
        var instanceLabel = new byte[] { 32 }.Concat(Encoding.ASCII.GetBytes(Guid)).ToArray();
        Assert.That(IndexOf(full, instanceLabel, from: 12), Is.EqualTo(43));
        var srvOwnerAt = IndexOf(full, instanceLabel, from: 44);
        var serviceAt = srvOwnerAt + instanceLabel.Length;
        var compressed = full[..serviceAt].Concat(new byte[] { 0xC0, 12 }).Concat(full[(serviceAt + 21)..]).ToArray();
        var parsed = NameServiceAnswer.Parse(compressed, out var why);
        Assert.That(parsed?.Priority, Is.EqualTo(3), why);
        Assert.That(parsed!.Router.Port, Is.EqualTo(9955));
    }

    [Test]
    public void Answer_ForwardPointer_IsAFormatErrorWithItsOffset()
    {
        var data = new byte[] { 0, 1, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0xC0, 20, 0, 12, 0, 1, 0, 0, 0, 0, 0, 0 };
        var e = Assert.Throws<NameServiceFormatException>(() => NameServiceAnswer.Parse(data, out _));
        Assert.That(e!.Offset, Is.EqualTo(12));
        Assert.That(e.Reason, Does.Contain("backwards"));
    }

    [Test]
    public void Answer_Truncated_IsAFormatErrorWithItsOffset()
    {
        var full = new NameServiceAnswer(1, Guid, "org.alljoyn.BusNode.r1", new IPEndPoint(IPAddress.Parse("10.0.0.5"), 9955), 3, 10).Encode();
        for (var cut = 13; cut < full.Length; cut += 7)
        {
            var e = Assert.Throws<NameServiceFormatException>(() => NameServiceAnswer.Parse(full[..cut], out _), $"cut at {cut}");
            Assert.That(e!.Offset, Is.InRange(0, cut), $"cut at {cut}");
        }
    }

    [Test]
    public void AQuery_IsNotAnAnswer_AndAnAnswerIsNotAQuery()
    {
        var q = new NameServiceQuery(7, Guid, "org.alljoyn.BusNode", new IPEndPoint(IPAddress.Parse("10.0.0.9"), 40001)).Encode();
        Assert.That(NameServiceAnswer.Parse(q, out var why), Is.Null);
        Assert.That(why, Does.Contain("query"));
        var a = new NameServiceAnswer(1, Guid, "org.alljoyn.BusNode.r1", new IPEndPoint(IPAddress.Parse("10.0.0.5"), 9955), 3, 10).Encode();
        Assert.That(NameServiceQuery.Parse(a, out why), Is.Null);
        Assert.That(why, Does.Contain("response"));
    }

    private static int IndexOf(byte[] haystack, byte[] needle, int from)
    {
        for (var i = from; i <= haystack.Length - needle.Length; i++)
            if (haystack.AsSpan(i, needle.Length).SequenceEqual(needle)) return i;
        return -1;
    }
}
