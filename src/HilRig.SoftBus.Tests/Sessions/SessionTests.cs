using System.Net;
using System.Net.Sockets;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using HilRig.SoftBus.Auth;
using HilRig.SoftBus.Sessions;
using HilRig.SoftBus.Tests.Support;
using NUnit.Framework;

namespace HilRig.SoftBus.Tests.Sessions;

/// <summary>Sessions between two paired devices over loopback TCP.</summary>
public class SessionTests
{
    private sealed class Device(DeviceAuth auth, SessionService sessions) : IAsyncDisposable
    {
        public DeviceAuth Auth { get; } = auth;
        public SessionService Sessions { get; } = sessions;

        public async ValueTask DisposeAsync()
        {
            await Sessions.DisposeAsync();
            await Auth.DisposeAsync();
        }
    }

    private Device _dut = null!, _phone = null!;
    private AuthSession _link = null!;
    private readonly List<string> _received = new();
    private readonly List<Session> _opened = new();

    private static Device Make(string name, string? pin)
    {
        var identity = DeviceIdentity.Create();
        var authSessions = new AuthSessions();
        var sessions = new SessionService(identity, authSessions, log: l => TestContext.Out.WriteLine($"{name}: {l}"));
        sessions.Start(new IPEndPoint(IPAddress.Loopback, 0));
        var auth = new DeviceAuth(identity, new TrustStore(), authSessions, new AuthOptions { DeviceName = name, Pin = pin, SessionPort = () => sessions.Port });
        auth.Start(new IPEndPoint(IPAddress.Loopback, 0));
        return new Device(auth, sessions);
    }

    [SetUp]
    public async Task SetUp()
    {
        _received.Clear();
        _opened.Clear();
        _dut = Make("dut", "123456");
        _phone = Make("phone", null);
        _link = await _phone.Auth.PairAsync(new IPEndPoint(IPAddress.Loopback, _dut.Auth.Port), "123456");
        _dut.Sessions.CreateSessionServer("chat", new SessionListener
        {
            OnSessionOpened = s => { lock (_opened) _opened.Add(s); return 0; },
            OnBytesReceived = (s, data) => { lock (_received) _received.Add($"{s.Id}:{Encoding.UTF8.GetString(data.Span)}"); },
        });
    }

    [TearDown]
    public async Task TearDown()
    {
        await _phone.DisposeAsync();
        await _dut.DisposeAsync();
    }

    private Task<Session> OpenAsync(string name = "chat", SessionListener? listener = null) =>
        _phone.Sessions.OpenSessionAsync("phone-app", name, _link, listener ?? new SessionListener());

    [Test]
    public async Task OpenSession_SendBytesBothWays_ManySessionsPerServer()
    {
        var back = new List<string>();
        var a = await OpenAsync(listener: new SessionListener { OnBytesReceived = (_, d) => { lock (back) back.Add(Encoding.UTF8.GetString(d.Span)); } });
        var b = await OpenAsync();
        await a.SendBytesAsync("hello"u8.ToArray());
        await b.SendBytesAsync("world"u8.ToArray());
        await a.SendBytesAsync(new byte[200_000]);
        await Wait.UntilAsync(() => { lock (_received) return _received.Count == 3; }, "three messages");
        Assert.That(_opened, Has.Count.EqualTo(2));
        lock (_received) Assert.That(_received.Where(r => r.Length < 20), Is.EquivalentTo(new[] { $"{_opened[0].Id}:hello", $"{_opened[1].Id}:world" }));
        await _opened[0].SendBytesAsync("back at you"u8.ToArray());
        await Wait.UntilAsync(() => { lock (back) return back.Count == 1; }, "the reply");
        Assert.That(back[0], Is.EqualTo("back at you"));
        Assert.That(_opened[0].BytesReceived, Is.EqualTo(5 + 200_000));
    }

    [Test]
    public async Task CloseSession_ClosesBothSides()
    {
        var closed = new TaskCompletionSource();
        _dut.Sessions.CreateSessionServer("closing", new SessionListener { OnSessionClosed = _ => closed.TrySetResult() });
        var s = await OpenAsync("closing");
        _phone.Sessions.CloseSession(s.Id);
        await closed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await s.Closed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(_phone.Sessions.Sessions, Is.Empty);
        await Wait.UntilAsync(() => _dut.Sessions.Sessions.Count == 0, "the device forgot it");
    }

    [Test]
    public void OpenSession_UnknownName_IsRefused()
    {
        var e = Assert.ThrowsAsync<SessionException>(() => OpenAsync("nobody"))!;
        Assert.That(e.Message, Does.Contain("nobody"));
        Assert.That(_dut.Sessions.Counters["open-refused"], Is.EqualTo(1));
    }

    [Test]
    public async Task ReplayedFrame_InTheStream_IsRefused_AndTheSessionClosed()
    {
        var s = await OpenAsync();
        await s.SendBytesAsync("pay 10"u8.ToArray());
        await s.ReplayLastFrameAsync();
        await Wait.UntilAsync(() => _opened.Count == 1 && _opened[0].Closed.Task.IsCompleted, "the device closed the session");
        Assert.That(_opened[0].CloseReason, Does.Contain("replayed"));
        lock (_received) Assert.That(_received, Has.Count.EqualTo(1), "the replay was not delivered");
        await s.Closed.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Test]
    public async Task ReplayedOpenRequest_OnANewConnection_IsRejected()
    {
        var s = await OpenAsync();
        using var attacker = new TcpClient();
        await attacker.ConnectAsync(IPAddress.Loopback, _dut.Sessions.Port);
        await attacker.GetStream().WriteAsync(s.OpenRequest!);
        var n = await attacker.GetStream().ReadAsync(new byte[64]).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(n, Is.Zero, "no reply, the connection closed");
        Assert.That(_dut.Sessions.Counters["open-rejected"], Is.EqualTo(1));
        Assert.That(_opened, Has.Count.EqualTo(1));
    }

    [Test, Description("200 random byte strings sent into open sessions: each session is closed, the device keeps serving")]
    public async Task RandomBytesInASession_CloseIt_AndTheDeviceGoesOn()
    {
        var runs = 0;
        Prop.ForAll<byte[]>(bytes =>
        {
            var s = OpenAsync().GetAwaiter().GetResult();
            runs++;
            var data = bytes.Length == 0 ? [0] : bytes;
            s.Socket.Send(data);
            s.Socket.Shutdown(SocketShutdown.Send);
            s.Closed.Task.Wait(TimeSpan.FromSeconds(10));
            if (!s.Closed.Task.IsCompleted) TestContext.Out.WriteLine($"still open after {Convert.ToHexString(data)}");
            return s.Closed.Task.IsCompleted;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(200).WithEndSize(100));
        await Wait.UntilAsync(() => _dut.Sessions.Sessions.Count == 0, "every fuzzed session closed on the device");
        lock (_received) Assert.That(_received, Is.Empty, "nothing random was delivered as data");
        var good = await OpenAsync();
        await good.SendBytesAsync("still here"u8.ToArray());
        await Wait.UntilAsync(() => { lock (_received) return _received.Count == 1; }, "a good session still works");
        TestContext.Out.WriteLine($"{runs} fuzzed sessions; device counters {_dut.Sessions.Counters}");
    }
}
