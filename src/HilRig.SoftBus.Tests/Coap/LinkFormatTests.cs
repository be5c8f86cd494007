using HilRig.SoftBus.Coap;
using NUnit.Framework;

namespace HilRig.SoftBus.Tests.Coap;

public class LinkFormatTests
{
    [Test]
    public void Parse_Rfc6690Example_ReadsTargetsAndAttributes()
    {
        var links = LinkFormat.Parse("</sensors/temp>;if=\"sensor\";rt=\"temperature-c\";ct=0,</sensors/light>;if=\"sensor\";obs,</time>;title=\"a \\\"quoted\\\" clock\"");
        Assert.That(links.Select(l => l.Target), Is.EqualTo(new[] { "/sensors/temp", "/sensors/light", "/time" }));
        Assert.That(links[0]["rt"], Is.EqualTo("temperature-c"));
        Assert.That(links[0]["ct"], Is.EqualTo("0"));
        Assert.That(links[1].Has("obs"), Is.True);
        Assert.That(links[2]["title"], Is.EqualTo("a \"quoted\" clock"));
    }

    [Test]
    public void Serialize_ThenParse_RoundTrips()
    {
        var links = new[] { new CoreLink("/big", [new("rt", "x.big"), new("ct", "0"), new("obs", null)]) };
        var text = LinkFormat.Serialize(links);
        Assert.That(text, Is.EqualTo("</big>;rt=\"x.big\";ct=0;obs"));
        Assert.That(LinkFormat.Parse(text)[0].Attributes, Is.EqualTo(links[0].Attributes));
    }

    [TestCase("/a>", 0)]
    [TestCase("</a", 0)]
    [TestCase("</a>;", 5)]
    [TestCase("</a>x", 4)]
    [TestCase("</a>;t=\"open", 5)]
    public void Parse_Malformed_NamesTheOffset(string text, int offset) =>
        Assert.That(Assert.Throws<LinkFormatException>(() => LinkFormat.Parse(text))!.Offset, Is.EqualTo(offset));

    [Test]
    public void Filter_ByAttributeValuePrefixAndHref()
    {
        var links = LinkFormat.Parse("</a>;rt=\"one two\",</b>;rt=\"three\",</c>");
        Assert.That(LinkFormat.Filter(links, "rt=two").Select(l => l.Target), Is.EqualTo(new[] { "/a" }));
        Assert.That(LinkFormat.Filter(links, "rt=th*").Select(l => l.Target), Is.EqualTo(new[] { "/b" }));
        Assert.That(LinkFormat.Filter(links, "href=/c").Select(l => l.Target), Is.EqualTo(new[] { "/c" }));
        Assert.That(LinkFormat.Filter(links, null).Count(), Is.EqualTo(3));
    }
}
