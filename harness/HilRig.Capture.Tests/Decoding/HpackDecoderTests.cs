using HilRig.Capture.Decoding.Http2;
using NUnit.Framework;

namespace HilRig.Capture.Tests.Decoding;

/// <summary>The request examples of RFC 7541 Appendix C, decoded in sequence with one dynamic table.</summary>
public class HpackDecoderTests
{
    private static List<HeaderField> Decode(HpackDecoder d, string hex)
    {
        var fields = new List<HeaderField>();
        d.Decode(Convert.FromHexString(hex), fields);
        return fields;
    }

    [Test]
    public void Decode_C3_RequestsWithoutHuffman()
    {
        var d = new HpackDecoder();
        Assert.That(Decode(d, "828684410f7777772e6578616d706c652e636f6d").Select(f => f.ToString()),
            Is.EqualTo(new[] { ":method: GET", ":scheme: http", ":path: /", ":authority: www.example.com" }));
        Assert.That(d.DynamicTableSize, Is.EqualTo(57));
        Assert.That(Decode(d, "828684be58086e6f2d6361636865").Select(f => f.ToString()),
            Is.EqualTo(new[] { ":method: GET", ":scheme: http", ":path: /", ":authority: www.example.com", "cache-control: no-cache" }));
        Assert.That(d.DynamicTableSize, Is.EqualTo(110));
    }

    [Test]
    public void Decode_C4_RequestsWithHuffman()
    {
        var d = new HpackDecoder();
        Assert.That(Decode(d, "828684418cf1e3c2e5f23a6ba0ab90f4ff").Last().Value, Is.EqualTo("www.example.com"));
        Assert.That(Decode(d, "828684be5886a8eb10649cbf").Last().ToString(), Is.EqualTo("cache-control: no-cache"));
        var third = Decode(d, "828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf");
        Assert.That(third.Select(f => f.ToString()), Is.EqualTo(new[]
            { ":method: GET", ":scheme: https", ":path: /index.html", ":authority: www.example.com", "custom-key: custom-value" }));
        Assert.That(d.DynamicTableSize, Is.EqualTo(164));
    }

    [Test]
    public void Decode_ValueWithOctetsAbove0x7F_EntrySizeCountsOctets()
    {
        // §4.1: an entry's size is its name and value in octets plus 32. Two entries of 1 + 40 + 32 = 73 octets fill a
        // table of 146 exactly; counting 0xE9 as two UTF-8 bytes would evict the first before the second went in.
        var d = new HpackDecoder(maxTableSize: 146);
        var value = string.Concat(Enumerable.Repeat("e9", 40));
        Decode(d, "4001" + "78" + "28" + value + "4001" + "79" + "28" + value);
        Assert.That(d.DynamicTableSize, Is.EqualTo(146));
        var indexed = Decode(d, "bebf");
        Assert.That(indexed.Select(f => f.Name), Is.EqualTo(new[] { "y", "x" }));
        Assert.That(indexed[1].Value, Is.EqualTo(new string('\u00e9', 40)));
    }

    [Test]
    public void Decode_IndexBeyondTables_ViolationWithOffset()
    {
        var e = Assert.Throws<HpackException>(() => Decode(new HpackDecoder(), "82ff00"))!;
        Assert.That(e.Offset, Is.EqualTo(1));
        Assert.That(e.Message, Does.Contain("index 127"));
    }

    [Test]
    public void Decode_StringPastEnd_Violation() =>
        Assert.Throws<HpackException>(() => Decode(new HpackDecoder(), "400a61"));

    [Test]
    public void Huffman_BadPadding_Violation() =>
        // 'a' is 00011 (5 bits); padding with zeros instead of ones.
        Assert.Throws<HpackException>(() => Huffman.Decode([0b0001_1000], 0));

    [TestCase("")]
    [TestCase("www.example.com")]
    [TestCase("/demo.Updater/GetStatus")]
    [TestCase("application/grpc+proto; ünïcödé \u00ff")]
    public void Huffman_EncodeThenDecode_RoundTrips(string text) =>
        Assert.That(Huffman.Decode(Huffman.Encode(text), 0), Is.EqualTo(text));
}
