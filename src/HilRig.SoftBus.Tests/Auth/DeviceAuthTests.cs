using System.Net;
using System.Net.Sockets;
using FsCheck;
using FsCheck.Fluent;
using HilRig.SoftBus.Auth;
using HilRig.SoftBus.Tests.Support;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.SoftBus.Tests.Auth;

/// <summary>Binding with a PIN, logins, throttling and a hostile peer, over real TCP on loopback.</summary>
public class DeviceAuthTests
{
    private readonly List<DeviceAuth> _owned = new();
    private ManualTimeProvider _time = null!;

    [SetUp]
    public void SetUp() => _time = new ManualTimeProvider();

    [TearDown]
    public async Task TearDown()
    {
        foreach (var a in _owned) await a.DisposeAsync();
        _owned.Clear();
    }

    private DeviceAuth Device(string name, string? pin, TrustStore? trust = null, TimeSpan? timeout = null)
    {
        var auth = new DeviceAuth(DeviceIdentity.Create(), trust ?? new TrustStore(), new AuthSessions(), new AuthOptions
        {
            DeviceName = name, Pin = pin, Time = _time, SessionPort = () => 4242, AuthTimeout = timeout ?? TimeSpan.FromSeconds(10),
            Log = l => TestContext.Out.WriteLine($"{name}: {l}"),
        });
        auth.Start(new IPEndPoint(IPAddress.Loopback, 0));
        _owned.Add(auth);
        return auth;
    }

    private static IPEndPoint At(DeviceAuth d) => new(IPAddress.Loopback, d.Port);

    [Test]
    public async Task Pair_RightPin_BothSidesTrustEachOther_AndShareThePorts()
    {
        var dut = Device("dut", "123456");
        var phone = Device("phone", null);
        var session = await phone.PairAsync(At(dut), "123456");
        Assert.That(session.PeerName, Is.EqualTo("dut"));
        Assert.That(session.PeerSessionPort, Is.EqualTo(4242));
        Assert.That(session.Bound, Is.True);
        await Wait.UntilAsync(() => dut.Sessions.All.Count == 1, "the device has the session");
        Assert.That(dut.Sessions.All[0].KeyIndex, Is.EqualTo(session.KeyIndex));
        Assert.That(phone.Trust.Peers.Select(p => p.Name), Is.EqualTo(new[] { "dut" }));
        Assert.That(dut.Trust.Peers.Select(p => p.Name), Is.EqualTo(new[] { "phone" }));
    }

    [Test]
    public async Task Pair_WrongPin_IsRefused_NoSessionNoTrust()
    {
        var dut = Device("dut", "123456");
        var phone = Device("phone", null);
        var e = Assert.ThrowsAsync<AuthException>(() => phone.PairAsync(At(dut), "654321"));
        Assert.That(e!.Message, Does.Contain("wrong PIN"));
        Assert.That(phone.Sessions.All, Is.Empty);
        Assert.That(dut.Sessions.All, Is.Empty);
        Assert.That(dut.Trust.Peers, Is.Empty);
        Assert.That(phone.Trust.Peers, Is.Empty);
        Assert.That(dut.Counters["wrong-pin"], Is.EqualTo(1));
        await Task.CompletedTask;
    }

    [Test]
    public async Task WrongPins_AreThrottled_UntilTheLockoutPasses()
    {
        var dut = Device("dut", "123456");
        var phone = Device("phone", null);
        for (var i = 0; i < 3; i++) Assert.ThrowsAsync<AuthException>(() => phone.PairAsync(At(dut), "000000"));
        var locked = Assert.ThrowsAsync<AuthException>(() => phone.PairAsync(At(dut), "123456"))!;
        Assert.That(locked.Message, Does.Contain("locked"), "even the right PIN waits out the lockout");
        _time.Advance(TimeSpan.FromSeconds(11));
        var session = await phone.PairAsync(At(dut), "123456");
        Assert.That(session.Bound, Is.True);
        Assert.That(dut.Throttle.ConsecutiveFailures, Is.Zero);
    }

    [Test]
    public void Throttle_LockoutDoublesAndIsCapped()
    {
        var t = new PinThrottle(_time);
        t.Failed();
        t.Failed();
        Assert.That(t.LockedFor(), Is.Null, "two free attempts");
        t.Failed();
        Assert.That(t.LockedFor(), Is.EqualTo(TimeSpan.FromSeconds(10)));
        t.Failed();
        Assert.That(t.LockedFor(), Is.EqualTo(TimeSpan.FromSeconds(20)));
        for (var i = 0; i < 20; i++) t.Failed();
        Assert.That(t.LockedFor(), Is.EqualTo(TimeSpan.FromMinutes(10)));
    }

    [Test]
    public async Task Login_AfterBinding_UsesStoredKeys_UnknownDeviceRefused()
    {
        var dut = Device("dut", "123456");
        var phone = Device("phone", null);
        await phone.PairAsync(At(dut), "123456");
        var login = await phone.LoginAsync(At(dut));
        Assert.That(login.Bound, Is.False);
        Assert.That(login.PeerName, Is.EqualTo("dut"));
        var stranger = Device("stranger", null);
        var e = Assert.ThrowsAsync<AuthException>(() => stranger.LoginAsync(At(dut)))!;
        Assert.That(e.Message, Does.Contain("not bound"));
    }

    [Test]
    public async Task GarbageAfterTheHandshake_DisconnectsThePeer()
    {
        var dut = Device("dut", "123456");
        var phone = Device("phone", null);
        var session = await phone.PairAsync(At(dut), "123456");
        await phone.ClientConnections[session].SendRawAsync("this is not a frame at all, just noise"u8.ToArray(), CancellationToken.None);
        await session.Closed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await Wait.UntilAsync(() => dut.Sessions.All.Count == 0, "the device dropped the session");
        Assert.That(dut.Counters["dropped"], Is.EqualTo(1));
    }

    [Test]
    public async Task ReplayedEncryptedFrame_DisconnectsThePeer()
    {
        var dut = Device("dut", "123456");
        var phone = Device("phone", null);
        var session = await phone.PairAsync(At(dut), "123456");
        var connection = phone.ClientConnections[session];
        var header = new AuthFrameHeader(AuthModule.Connection, 5, 0, 0);
        var body = session.Cipher.Seal("{\"CODE\":1}"u8, header);
        var frame = new AuthFrame(header with { Length = (uint)body.Length }, body).ToBytes();
        await connection.SendRawAsync(frame, CancellationToken.None);
        await connection.SendRawAsync(frame, CancellationToken.None); // the same bytes again
        await session.Closed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await Wait.UntilAsync(() => dut.Counters["dropped"] == 1, "dropped");
    }

    [Test]
    public async Task UnfinishedAuthentication_IsTornDownAfterTheTimeout()
    {
        var dut = Device("dut", "123456", timeout: TimeSpan.FromMilliseconds(300));
        using var idle = new TcpClient();
        await idle.ConnectAsync(IPAddress.Loopback, dut.Port);
        var n = await idle.GetStream().ReadAsync(new byte[1]).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(n, Is.Zero, "closed by the device");
        Assert.That(dut.Counters["auth-timeout"], Is.EqualTo(1));
    }

    [Test, Description("300 random byte streams, each on its own connection: the device answers or hangs up, and still binds afterwards")]
    public async Task RandomStreams_NeverCrashTheDevice()
    {
        var dut = Device("dut", "123456");
        var replies = 0;
        Prop.ForAll<byte[]>(bytes =>
        {
            using var c = new TcpClient();
            c.Connect(IPAddress.Loopback, dut.Port);
            var stream = c.GetStream();
            // Half the inputs start with a valid magic so they get past the first check.
            var data = bytes.Length % 2 == 0 ? [0xCE, 0xFA, 0xBE, 0xBA, .. bytes] : bytes;
            try { stream.Write(data); } catch (IOException) { }
            c.Client.Shutdown(SocketShutdown.Send);
            var buffer = new byte[4096];
            try
            {
                stream.ReadTimeout = 5000;
                var n = stream.Read(buffer);
                if (n > 0)
                {
                    replies++;
                    // Anything said back is a well-formed frame (an INFORM refusing the attempt).
                    AuthFrameHeader.Read(buffer);
                }
            }
            catch (IOException) { }
            return true;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(300).WithEndSize(200));
        var phone = Device("phone", null);
        Assert.That((await phone.PairAsync(At(dut), "123456")).Bound, Is.True);
        TestContext.Out.WriteLine($"{replies} of 300 got a reply; counters: {dut.Counters}");
    }
}
