using System.Net;
using System.Net.Sockets;
using System.Text;
using HilRig.SoftBus.Router;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.SoftBus.Tests.Router;

/// <summary>The client's side of the SASL connect against scripted routers on loopback, its line deadline in virtual time.</summary>
public class SaslAnonymousTests
{
    private const string Guid = "c0ffee00c0ffee00c0ffee00c0ffee00";

    /// <summary>A connected pair: the client's stream and the scripted router's.</summary>
    private static async Task<(NetworkStream Client, NetworkStream Router)> PairAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(listener.LocalEndPoint!);
        var router = await listener.AcceptAsync();
        return (new NetworkStream(client, ownsSocket: true), new NetworkStream(router, ownsSocket: true));
    }

    [Test]
    public async Task ASilentRouter_FailsTheConnectAfterTheLineTimeout_NotBefore()
    {
        var time = new ManualTimeProvider();
        var (client, router) = await PairAsync();
        await using var _ = client;
        await using var __ = router;
        var connect = SaslAnonymous.ConnectAsync(client, Guid, 10, RouterTimers.AllJoyn, time, CancellationToken.None);
        var opening = new byte[16];
        await router.ReadExactlyAsync(opening);
        Assert.That(Encoding.ASCII.GetString(opening), Is.EqualTo("\0AUTH ANONYMOUS\n"));
        time.Advance(TimeSpan.FromMilliseconds(3400));
        await Task.Delay(50);
        Assert.That(connect.IsCompleted, Is.False, "3.4 s is within the 3.5 s line timeout");
        time.Advance(TimeSpan.FromMilliseconds(100));
        var e = Assert.ThrowsAsync<RouterConnectException>(async () => await connect.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.That(e!.Failure, Is.EqualTo(RouterConnectFailure.Silent));
        Assert.That(e.Blacklists, Is.False, "a silent router may be tried again");
    }

    [TestCase("REJECTED EXTERNAL\n", RouterConnectFailure.AuthRejected, true)]
    [TestCase("OK 0123\nINFORM_PROTO_VERSION 9\n", RouterConnectFailure.TooOld, true)]
    [TestCase("OK 0123\nINFORM_PROTO_VERSION ten\n", RouterConnectFailure.ProtocolError, false)]
    [TestCase("OK 0123\nERROR\n", RouterConnectFailure.ProtocolError, false)]
    public async Task ABadRouterAnswer_IsNamed_AndBlacklistsOnlyWhenAjtclWould(string script, RouterConnectFailure failure, bool blacklists)
    {
        var (client, router) = await PairAsync();
        await using var _ = client;
        await using var __ = router;
        await router.WriteAsync(Encoding.ASCII.GetBytes(script));
        var e = Assert.ThrowsAsync<RouterConnectException>(() => SaslAnonymous.ConnectAsync(client, Guid, 10, RouterTimers.AllJoyn, TimeProvider.System, CancellationToken.None));
        Assert.That((e!.Failure, e.Blacklists), Is.EqualTo((failure, blacklists)), e.Message);
    }

    [Test]
    public async Task AnOverlongLine_IsAProtocolError()
    {
        var (client, router) = await PairAsync();
        await using var _ = client;
        await using var __ = router;
        await router.WriteAsync(new byte[SaslAnonymous.MaxLine + 10].Select(_ => (byte)'A').ToArray());
        var e = Assert.ThrowsAsync<RouterConnectException>(() => SaslAnonymous.ConnectAsync(client, Guid, 10, RouterTimers.AllJoyn, TimeProvider.System, CancellationToken.None));
        Assert.That(e!.Failure, Is.EqualTo(RouterConnectFailure.ProtocolError));
        Assert.That(e.Message, Does.Contain("longer than"));
    }
}
