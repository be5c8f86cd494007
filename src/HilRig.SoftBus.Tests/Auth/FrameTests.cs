using System.Security.Cryptography;
using FsCheck;
using FsCheck.Fluent;
using HilRig.SoftBus.Auth;
using NUnit.Framework;

namespace HilRig.SoftBus.Tests.Auth;

public class FrameTests
{
    [Test]
    public void Header_IsTheLiteLayout()
    {
        var h = new AuthFrameHeader(AuthModule.AuthSdk, 7, 1, 10);
        var bytes = new byte[24];
        h.Write(bytes);
        Assert.That(Convert.ToHexString(bytes), Is.EqualTo("CEFABEBA" + "03000000" + "0700000000000000" + "01000000" + "0A000000"));
        Assert.That(AuthFrameHeader.Read(bytes), Is.EqualTo(h));
    }

    [TestCase("00000000", TestName = "Bad magic")]
    [TestCase("CEFABEBA", TestName = "Length 0")]
    public void Header_Refuses(string magic)
    {
        var bytes = new byte[24];
        Convert.FromHexString(magic).CopyTo(bytes, 0);
        Assert.Throws<AuthFrameException>(() => AuthFrameHeader.Read(bytes));
    }

    [Test]
    public void Header_RefusesOver64KiB()
    {
        var bytes = new byte[24];
        new AuthFrameHeader(AuthModule.AuthSdk, 1, 0, 65537).Write(bytes);
        Assert.That(Assert.Throws<AuthFrameException>(() => AuthFrameHeader.Read(bytes))!.Offset, Is.EqualTo(20));
    }

    private static (FrameCipher Client, FrameCipher Server) Pair()
    {
        var key = RandomNumberGenerator.GetBytes(16);
        return (new FrameCipher(9, key, Direction.ClientToServer), new FrameCipher(9, key, Direction.ServerToClient));
    }

    [Test]
    public void Cipher_Body_IsIndexIvCiphertextTag_AndLengthIsPlaintextPlus32()
    {
        var (client, server) = Pair();
        var header = new AuthFrameHeader(AuthModule.Connection, 1, 0, 0);
        var body = client.Seal("hello"u8, header);
        Assert.That(body.Length, Is.EqualTo(5 + 32));
        Assert.That(BitConverter.ToUInt32(body, 0), Is.EqualTo(9u));
        Assert.That(BitConverter.ToInt64(body, 4), Is.EqualTo(1), "IV[0..8] is the sender's counter");
        Assert.That(server.Open(body, header with { Length = (uint)body.Length }), Is.EqualTo("hello"u8.ToArray()));
    }

    [Test]
    public void Cipher_RefusesReplayReorderForgeryAndAlteredHeader()
    {
        var (client, server) = Pair();
        var h = new AuthFrameHeader(AuthModule.Connection, 1, 0, 0);
        var first = client.Seal("a"u8, h);
        var second = client.Seal("b"u8, h);
        var fh = h with { Length = (uint)first.Length };
        Assert.That(server.Open(second, fh), Is.EqualTo("b"u8.ToArray()));
        Assert.Throws<AuthFrameException>(() => server.Open(first, fh), "reordered: counter 1 after 2");
        Assert.Throws<AuthFrameException>(() => server.Open(second, fh), "replayed");
        var third = client.Seal("c"u8, h);
        third[20] ^= 1;
        Assert.Throws<AuthFrameException>(() => server.Open(third, fh), "forged ciphertext");
        var fourth = client.Seal("d"u8, h);
        Assert.Throws<AuthFrameException>(() => server.Open(fourth, fh with { Seq = 2 }), "altered header seq");
        Assert.Throws<AuthFrameException>(() => client.Open(client.Seal("e"u8, h), fh), "our own frame reflected back");
        Assert.That((server.Replays, server.Forgeries, client.Forgeries), Is.EqualTo((2L, 2L, 1L)));
    }

    [Test, Description("10,000 random bodies: Open refuses every one with an AuthFrameException")]
    public void Cipher_RandomBodies_AlwaysRefused()
    {
        var (_, server) = Pair();
        var h = new AuthFrameHeader(AuthModule.Session, 1, 0, 0);
        Prop.ForAll<byte[]>(body =>
        {
            try
            {
                server.Open(body, h with { Length = (uint)body.Length });
                return false;
            }
            catch (AuthFrameException)
            {
                return true;
            }
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(10_000).WithEndSize(200));
    }

    [Test, Description("10,000 random headers: a valid header or an AuthFrameException, nothing else")]
    public void Header_RandomBytes_ValidOrRefused()
    {
        Prop.ForAll<byte[]>(bytes =>
        {
            var h = new byte[24];
            bytes.AsSpan(0, Math.Min(24, bytes.Length)).CopyTo(h);
            if (bytes.Length % 3 == 0) BitConverter.GetBytes(AuthFrameHeader.Magic).CopyTo(h, 0);
            try
            {
                var header = AuthFrameHeader.Read(h);
                return header.Length is > 0 and <= AuthFrameHeader.MaxLength;
            }
            catch (AuthFrameException)
            {
                return true;
            }
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(10_000).WithEndSize(40));
    }
}
