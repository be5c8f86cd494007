using HilRig.SoftBus.Coap;
using NUnit.Framework;

namespace HilRig.SoftBus.Tests.Coap;

public class CoapCodecTests
{
    [Test]
    public void Encode_ThenDecode_KeepsEveryField_IncludingExtendedDeltasAndLengths()
    {
        var m = CoapMessage.Request(CoapCode.Post, "/a/" + new string('x', 300) + "?q=1");
        m.MessageId = 0xBEEF;
        m.Token = [1, 2, 3, 4, 5, 6, 7, 8];
        m.Add(CoapOption.UInt(CoapOptionNumber.Size1, 70000)).Add(new CoapOption(2000, [9])).Add(new CoapOption(65000, []));
        m.Payload = new byte[] { 0xFF, 0, 1 };
        var bytes = CoapCodec.Encode(m);
        var back = CoapCodec.Decode(bytes);
        Assert.That(back.ToString(), Is.EqualTo(m.ToString()));
        Assert.That(back.Options, Is.EqualTo(m.Options));
        Assert.That(back.Path, Is.EqualTo("/a/" + new string('x', 300)));
        Assert.That(back.Queries, Is.EqualTo(new[] { "q=1" }));
        Assert.That(back.Payload.ToArray(), Is.EqualTo(new byte[] { 0xFF, 0, 1 }));
        // Uri-Path 11 after Uri-Host-less start: delta 11 in the nibble; the 300-byte value needs the 2-byte length form.
        Assert.That(bytes[4 + 8 + 2] >> 4, Is.EqualTo(0), "second Uri-Path has delta 0");
    }

    [TestCase(13, 1, TestName = "Delta 13 takes one extension byte")]
    [TestCase(268, 1, TestName = "Delta 268 takes one extension byte")]
    [TestCase(269, 2, TestName = "Delta 269 takes two extension bytes")]
    public void OptionDelta_UsesTheRightExtension(int number, int extensionBytes)
    {
        var m = new CoapMessage { Type = CoapType.NonConfirmable, Code = CoapCode.Get };
        m.Add(new CoapOption(number, []));
        var bytes = CoapCodec.Encode(m);
        Assert.That(bytes.Length, Is.EqualTo(4 + 1 + extensionBytes));
        Assert.That(CoapCodec.Decode(bytes).Options.Single().Number, Is.EqualTo(number));
    }

    [TestCase("41010001", TestName = "Version 1 with TKL 1 but no token byte")]
    [TestCase("490100010102030405060708090a", TestName = "TKL 9 is reserved")]
    [TestCase("8001 0001", TestName = "Version 2")]
    [TestCase("40000001ff", TestName = "Empty message with a payload marker")]
    [TestCase("40010001ff", TestName = "Payload marker with no payload")]
    [TestCase("40010001f0", TestName = "Option delta nibble 15")]
    [TestCase("400100010f", TestName = "Option length nibble 15")]
    [TestCase("40010001d0", TestName = "Delta extension byte missing")]
    [TestCase("40010001e100", TestName = "Two-byte delta extension cut short")]
    [TestCase("4001000113ab", TestName = "Option value longer than the datagram")]
    [TestCase("40200001", TestName = "Code class 1 is reserved")]
    [TestCase("400100", TestName = "Shorter than the header")]
    public void Decode_FormatErrors_Throw(string hex) =>
        Assert.Throws<CoapFormatException>(() => CoapCodec.Decode(Convert.FromHexString(hex.Replace(" ", ""))));

    [Test]
    public void Decode_OptionNumberBeyond65535_Throws()
    {
        // Two options of delta 65535+269-1 each overflow the 16-bit option number space.
        var bytes = Convert.FromHexString("40010001" + "e0fef2" + "e0fef2");
        var e = Assert.Throws<CoapFormatException>(() => CoapCodec.Decode(bytes))!;
        Assert.That(e.Offset, Is.EqualTo(7));
    }

    [Test]
    public void Block_ValueRoundTrips_AndSzx7IsRejected()
    {
        var b = new CoapBlock(5, true, 2);
        Assert.That(CoapBlock.TryParse(b.ToValue(), out var back), Is.True);
        Assert.That(back, Is.EqualTo(b));
        Assert.That(back.Size, Is.EqualTo(64));
        Assert.That(CoapBlock.TryParse(0x57, out _), Is.False);
        Assert.That(CoapBlock.ExponentFor(1024), Is.EqualTo(6));
        Assert.That(CoapBlock.ExponentFor(100), Is.EqualTo(2));
    }
}
