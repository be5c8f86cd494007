using HilRig.Capture.Decoding.Link;
using NUnit.Framework;

namespace HilRig.Capture.Tests.Decoding.Link;

/// <summary>The link types the decoder claims to know are the ones it reads; any other is refused by number.</summary>
public class LinkLayerTests
{
    [Test]
    public void EveryNamedLinkType_IsSupported_AndReadsAShortFrameAsTooShort()
    {
        foreach (var type in Enum.GetValues<LinkType>())
        {
            Assert.That(LinkLayer.IsSupported(type), Is.True, type.ToString());
            Assert.That(LinkLayer.TryRead(type, [], out _, out _, out _, out _), Is.False, $"{type}: an empty frame is too short, not unknown");
        }
    }

    [Test]
    public void UnnamedLinkType_NotSupported_AndRefusedWithItsNumber()
    {
        var usb = (LinkType)189;
        Assert.That(LinkLayer.IsSupported(usb), Is.False);
        var e = Assert.Throws<ProtocolViolationException>(() => LinkLayer.TryRead(usb, new byte[64], out _, out _, out _, out _));
        Assert.That(e!.Message, Does.Contain("link type 189 is not one this decoder knows"));
    }
}
