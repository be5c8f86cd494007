using System.Net;
using System.Net.Sockets;
using System.Text;
using HilRig.Capture.Assertions;
using HilRig.Capture.Decoding;
using HilRig.Simulators.SimNet;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.Simulators.Tests.SimNet;

/// <summary>Real hosts: network namespaces whose eth0 is a TAP device on SimNet (needs root).</summary>
[Category("root")]
public class NamespaceHostTests
{
    private SimNetSwitch _switch = null!;

    [SetUp]
    public void SetUp()
    {
        RequiredTool.RequireRoot("SimNet hosts are network namespaces behind TAP devices");
        RequiredTool.Require("ip", "namespaces are set up with iproute2");
        _switch = new SimNetSwitch(new SimNetOptions { Seed = 5 });
    }

    [TearDown]
    public void TearDown() => _switch?.Dispose();

    private NamespaceHost Host(string name, int last) =>
        _switch.AddNamespaceHost(new NamespaceHostOptions(name, [$"10.77.0.{last}/24"]));

    private static Socket Receiver(NamespaceHost host, int port, string? group = null) => InNamespace.Run(host.Namespace, () =>
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 3000 };
        s.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        s.Bind(new IPEndPoint(IPAddress.Any, port));
        if (group is not null)
            s.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.AddMembership, new MulticastOption(IPAddress.Parse(group), IPAddress.Parse(host.Address)));
        return s;
    });

    private static Socket Sender(NamespaceHost host) => InNamespace.Run(host.Namespace, () =>
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        s.Bind(new IPEndPoint(IPAddress.Parse(host.Address), 0));
        s.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastInterface, IPAddress.Parse(host.Address).GetAddressBytes());
        return s;
    });

    private static string? ReceiveText(Socket s)
    {
        var buffer = new byte[2048];
        try
        {
            var n = s.Receive(buffer);
            return Encoding.UTF8.GetString(buffer, 0, n);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
        {
            return null;
        }
    }

    [Test]
    public void Unicast_BetweenNamespaces_CrossesTheSwitch()
    {
        var a = Host("a", 2);
        var b = Host("b", 3);
        using var rx = Receiver(b, 7000);
        using var tx = Sender(a);
        tx.SendTo("hello b"u8, new IPEndPoint(IPAddress.Parse(b.Address), 7000));
        Assert.That(ReceiveText(rx), Is.EqualTo("hello b"));
        Assert.That(a.Port.FramesReceived, Is.GreaterThanOrEqualTo(2), "ARP request and the datagram came through a's TAP");
        Assert.That(a.Namespace, Does.StartWith(NetworkNamespaces.Prefix));
    }

    [Test]
    public void Multicast_CoapGroup_ReachesEveryMember()
    {
        var a = Host("cm", 2);
        var b = Host("um1", 3);
        var c = Host("um2", 4);
        using var rb = Receiver(b, 5683, "224.0.1.187");
        using var rc = Receiver(c, 5683, "224.0.1.187");
        using var tx = Sender(a);
        tx.SendTo("discover"u8, new IPEndPoint(IPAddress.Parse("224.0.1.187"), 5683));
        Assert.That(ReceiveText(rb), Is.EqualTo("discover"));
        Assert.That(ReceiveText(rc), Is.EqualTo("discover"));
    }

    [Test]
    public void Partition_StopsTraffic_HealRestores_CaptureShowsIt()
    {
        var a = Host("a", 2);
        var b = Host("b", 3);
        var path = _switch.StartCapture(Path.Combine(RepoPaths.NewTempDirectory("ns-part"), "switch.pcapng"));
        using var rx = Receiver(b, 7001);
        using var tx = Sender(a);
        var to = new IPEndPoint(IPAddress.Parse(b.Address), 7001);
        tx.SendTo("before"u8, to);
        Assert.That(ReceiveText(rx), Is.EqualTo("before"));
        _switch.Partition(["a"]);
        var cut = DateTimeOffset.UtcNow;
        tx.SendTo("during"u8, to);
        Assert.That(ReceiveText(rx), Is.Null, "nothing arrives within 3 s while partitioned");
        var healed = DateTimeOffset.UtcNow;
        _switch.Heal(["a"]);
        tx.SendTo("after"u8, to);
        Assert.That(ReceiveText(rx), Is.EqualTo("after"));
        _switch.FlushCaptures();
        var hosts = new HostDirectory().Add("a", IpAddress.Parse(a.Address), a.Mac).Add("b", IpAddress.Parse(b.Address), b.Mac);
        CaptureAssert.NoneFrom(CaptureLog.Load(path, hosts, view: DirectionView.Delivered), "a", cut, healed);
        var sent = CaptureLog.Load(path, hosts, view: DirectionView.Sent);
        Assert.That(sent.From("a").OfType<HilRig.Capture.Events.UdpEvent>().Count(e => e.Time >= cut && e.Time < healed), Is.EqualTo(1), "a did send 'during'; the switch dropped it");
    }

    [Test]
    public void Dispose_RemovesNamespaces()
    {
        var a = Host("a", 2);
        Assert.That(File.Exists($"/run/netns/{a.Namespace}"), Is.True);
        _switch.Dispose();
        Assert.That(File.Exists($"/run/netns/{a.Namespace}"), Is.False);
    }

    [Test]
    public void SweepStale_RemovesNamespacesOfDeadOwners_Only()
    {
        // pid_max is at most 2^22, so this owner cannot be alive.
        const string stale = NetworkNamespaces.Prefix + "4999999-1-ghost";
        var live = Host("alive", 2);
        IpCommand.Run("netns", "add", stale);
        var removed = NetworkNamespaces.SweepStale();
        Assert.That(removed, Does.Contain(stale));
        Assert.That(removed, Does.Not.Contain(live.Namespace));
        Assert.That(File.Exists($"/run/netns/{stale}"), Is.False);
        Assert.That(File.Exists($"/run/netns/{live.Namespace}"), Is.True);
    }

    [Test]
    public void AddNamespaceHost_BadNameOrAddress_ClearError()
    {
        Assert.That(Assert.Throws<ArgumentException>(() => _switch.AddNamespaceHost(new NamespaceHostOptions("Bad_Name", ["10.0.0.1/24"])))!.Message, Does.Contain("'Bad_Name'"));
        Assert.That(Assert.Throws<ArgumentException>(() => _switch.AddNamespaceHost(new NamespaceHostOptions("ok", ["10.0.0.300/24"])))!.Message, Does.Contain("'10.0.0.300/24'"));
    }
}

public class RootMessageTests
{
    [Test]
    public void SimNetRequiresRootException_SaysWhatCannotRunAndWhy()
    {
        var e = new SimNetRequiresRootException("SimNet host 'cm'");
        Assert.That(e.Message, Does.StartWith("SimNet host 'cm' needs root").And.Contain("network namespace").And.Contain("cannot run"));
    }
}
