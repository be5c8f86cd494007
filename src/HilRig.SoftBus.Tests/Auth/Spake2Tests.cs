using System.Security.Cryptography;
using System.Text;
using HilRig.SoftBus.Auth;
using NUnit.Framework;

namespace HilRig.SoftBus.Tests.Auth;

/// <summary>SPAKE2 against the test vectors of RFC 9382 Appendix B (P256-SHA256-HKDF-HMAC, w, x, y given).</summary>
public class Spake2Tests
{
    private static byte[] H(string hex) => Convert.FromHexString(hex.Replace(" ", ""));

    [Test]
    public void Rfc9382_Vector_ServerClient_MatchesEveryValue()
    {
        var w = H("2ee57912099d31560b3a44b1184b9b4866e904c49d12ac5042c97dca461b1a5f");
        var x = H("43dd0fd7215bdcb482879fca3220c6a968e66d70b1356cac18bb26c84a78d729");
        var y = H("dcb60106f276b02606d8ef0a328c02e4b629f84f89786af5befb0bc75b6e66be");
        var a = Spake2.ForA(w, "server"u8.ToArray(), "client"u8.ToArray(), x);
        var b = Spake2.ForB(w, "server"u8.ToArray(), "client"u8.ToArray(), y);
        Assert.That(Convert.ToHexStringLower(a.Share), Is.EqualTo("04a56fa807caaa53a4d28dbb9853b9815c61a411118a6fe516a8798434751470f9010153ac33d0d5f2047ffdb1a3e42c9b4e6be662766e1eeb4116988ede5f912c"));
        Assert.That(Convert.ToHexStringLower(b.Share), Is.EqualTo("0406557e482bd03097ad0cbaa5df82115460d951e3451962f1eaf4367a420676d09857ccbc522686c83d1852abfa8ed6e4a1155cf8f1543ceca528afb591a1e0b7"));
        var ra = a.Finish(b.Share);
        var rb = b.Finish(a.Share);
        Assert.That(Convert.ToHexStringLower(SHA256.HashData(ra.Transcript)), Is.EqualTo("0e0672dc86f8e45565d338b0540abe6915bdf72e2b35b5c9e5663168e960a91b"));
        Assert.That(Convert.ToHexStringLower(ra.SharedKey), Is.EqualTo("0e0672dc86f8e45565d338b0540abe69"));
        Assert.That(Convert.ToHexStringLower(ra.OurConfirmation), Is.EqualTo("58ad4aa88e0b60d5061eb6b5dd93e80d9c4f00d127c65b3b35b1b5281fee38f0"));
        Assert.That(Convert.ToHexStringLower(rb.OurConfirmation), Is.EqualTo("d3e2e547f1ae04f2dbdbf0fc4b79f8ecff2dff314b5d32fe9fcef2fb26dc459b"));
        Assert.That(ra.Confirms(rb.OurConfirmation) && rb.Confirms(ra.OurConfirmation), Is.True);
        Assert.That(rb.SharedKey, Is.EqualTo(ra.SharedKey));
    }

    [Test]
    public void Rfc9382_Vector_EmptyIdentityA_MatchesConfirmations()
    {
        var a = Spake2.ForA(H("0548d8729f730589e579b0475a582c1608138ddf7054b73b5381c7e883e2efae"), [], "client"u8.ToArray(), H("403abbe3b1b4b9ba17e3032849759d723939a27a27b9d921c500edde18ed654b"));
        var b = Spake2.ForB(H("0548d8729f730589e579b0475a582c1608138ddf7054b73b5381c7e883e2efae"), [], "client"u8.ToArray(), H("903023b6598908936ea7c929bd761af6039577a9c3f9581064187c3049d87065"));
        var ra = a.Finish(b.Share);
        Assert.That(Convert.ToHexStringLower(ra.OurConfirmation), Is.EqualTo("47d29e6666af1b7dd450d571233085d7a9866e4d49d2645e2df975489521232b"));
        Assert.That(Convert.ToHexStringLower(b.Finish(a.Share).OurConfirmation), Is.EqualTo("3313c5cefc361d27fb16847a91c2a73b766ffa90a4839122a9b70a2f6bd1d6df"));
    }

    [Test]
    public void WrongPin_ConfirmationFails_AndKeysDiffer()
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var a = Spake2.ForA(Spake2.PasswordScalar("123456", salt), "dev"u8.ToArray(), "phone"u8.ToArray());
        var b = Spake2.ForB(Spake2.PasswordScalar("123457", salt), "dev"u8.ToArray(), "phone"u8.ToArray());
        var ra = a.Finish(b.Share);
        var rb = b.Finish(a.Share);
        Assert.That(ra.Confirms(rb.OurConfirmation), Is.False);
        Assert.That(rb.Confirms(ra.OurConfirmation), Is.False);
        Assert.That(ra.SharedKey, Is.Not.EqualTo(rb.SharedKey));
    }

    [Test]
    public void NotAPoint_IsRefused()
    {
        var a = Spake2.ForA(Spake2.PasswordScalar("1", new byte[16]), [], []);
        var bad = new byte[65];
        bad[0] = 4;
        bad[1] = 1;
        Assert.Throws<CryptographicException>(() => a.Finish(bad));
        Assert.Throws<CryptographicException>(() => a.Finish(Encoding.ASCII.GetBytes("garbage")));
    }
}
