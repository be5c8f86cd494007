using HilRig.Capture.Decoding.Coap;
using NUnit.Framework;

namespace HilRig.Capture.Tests.Decoding;

public class CoapReaderTests
{
    private static CoapMessage Read(string hex)
    {
        Assert.That(CoapReader.TryRead(Convert.FromHexString(hex), out var m), Is.True);
        return m!;
    }

    private static ProtocolViolationException Violation(string hex) =>
        Assert.Throws<ProtocolViolationException>(() => CoapReader.TryRead(Convert.FromHexString(hex), out _))!;

    [Test]
    public void TryRead_ConGetWithTokenAndPath_AllFields()
    {
        // CON GET mid 0x1234 token cafe, Uri-Path "time" (delta 11, len 4)
        var m = Read("42011234cafe" + "b474696d65");
        Assert.That(m.Type, Is.EqualTo(CoapType.Confirmable));
        Assert.That(m.MethodOrStatus, Is.EqualTo("GET"));
        Assert.That(m.MessageId, Is.EqualTo(0x1234));
        Assert.That(m.TokenHex, Is.EqualTo("cafe"));
        Assert.That(m.UriPath, Is.EqualTo("/time"));
    }

    [Test]
    public void TryRead_AckWithPayload_CodeTextAndPayload()
    {
        var m = Read("6045abcd" + "ff" + "68656c6c6f");
        Assert.That(m.Type, Is.EqualTo(CoapType.Acknowledgement));
        Assert.That(m.CodeText, Is.EqualTo("2.05"));
        Assert.That(m.Payload.ToArray(), Is.EqualTo("hello"u8.ToArray()));
    }

    [Test]
    public void TryRead_OneAndTwoByteExtendedDeltas_OptionNumbers()
    {
        // Size1 (60): delta 60 = 13 + 47 (one ext byte 0x2f); then option 60+269+1=330: delta 270 = 269 + 1 (two ext bytes 0x0001)
        var m = Read("40010001" + "d12f05" + "e1000107");
        Assert.That(m.Options.Select(o => o.Number), Is.EqualTo(new[] { 60, 330 }));
        Assert.That(m.Options[0].AsUInt(), Is.EqualTo(5));
    }

    [Test]
    public void TryRead_Block2_NumMoreSize()
    {
        // Block2 (23): delta 23 = 13+10 -> 0xd1 0x0a, value 0x3a: NUM 3, M 1, SZX 2 (64 bytes)
        var m = Read("60450001" + "d10a3a");
        Assert.That(m.Block2, Is.EqualTo(new CoapBlock(3, true, 2)));
        Assert.That(m.Block2!.Value.Size, Is.EqualTo(64));
    }

    [Test]
    public void TryRead_TokenLength9_ViolationAtHeader() =>
        Assert.That(Violation("49010001" + "000000000000000000").Message, Does.Contain("token length 9"));

    [Test]
    public void TryRead_Version2_Violation() => Assert.That(Violation("80010001").Offset, Is.EqualTo(0));

    [Test]
    public void TryRead_MarkerWithoutPayload_ViolationAtMarker()
    {
        var e = Violation("40010001ff");
        Assert.That(e.Offset, Is.EqualTo(4));
        Assert.That(e.Message, Does.Contain("empty payload"));
    }

    [Test]
    public void TryRead_ReservedDeltaNibble_ViolationAtOption()
    {
        var e = Violation("42011234cafe" + "f1");
        Assert.That(e.Offset, Is.EqualTo(6));
        Assert.That(e.Message, Does.Contain("nibble 15"));
    }

    [Test]
    public void TryRead_OptionLongerThanDatagram_ViolationAtOption()
    {
        var e = Violation("40010001" + "b5616263");
        Assert.That(e.Offset, Is.EqualTo(4));
        Assert.That(e.Message, Does.Contain("claims 5 bytes"));
    }

    [Test]
    public void TryRead_EmptyMessageWithToken_Violation() => Violation("41000001aa");

    [Test]
    public void TryRead_ShorterThanHeader_NeedsMore() =>
        Assert.That(CoapReader.TryRead(Convert.FromHexString("4001"), out _), Is.False);

    [Test]
    public void TryRead_TokenCutShort_NeedsMore() =>
        Assert.That(CoapReader.TryRead(Convert.FromHexString("44010001aa"), out _), Is.False);
}
