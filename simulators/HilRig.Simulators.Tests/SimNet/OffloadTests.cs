using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using HilRig.Capture;
using HilRig.Capture.Assertions;
using HilRig.Capture.Decoding;
using HilRig.Capture.Events;
using HilRig.Capture.Files;
using HilRig.Simulators.SimNet;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.Simulators.Tests.SimNet;

/// <summary>
/// Offloading TAP ports (TSO super-frames) between real namespaces: a TCP transfer arrives intact whether SimNet passes
/// super-frames whole (clean link) or cuts them to impair each segment, and captures hold wire frames only (needs root).
/// </summary>
[Category("root")]
public class OffloadTests
{
    private const int Bytes = 8 << 20;
    private SimNetSwitch _switch = null!;

    [SetUp]
    public void SetUp()
    {
        RequiredTool.RequireRoot("SimNet hosts are network namespaces behind TAP devices");
        _switch = new SimNetSwitch(new SimNetOptions { Seed = 9 });
    }

    [TearDown]
    public void TearDown() => _switch?.Dispose();

    /// <summary>Sends random bytes (<see cref="Bytes"/> unless told) from a to b over TCP; returns (sent hash, received hash).</summary>
    private static (string Sent, string Received) Transfer(NamespaceHost a, NamespaceHost b, int port, int bytes = Bytes)
    {
        var data = RandomNumberGenerator.GetBytes(bytes);
        using var listener = InNamespace.Run(b.Namespace, () =>
        {
            var l = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            l.Bind(new IPEndPoint(IPAddress.Parse(b.Address), port));
            l.Listen(1);
            return l;
        });
        var receive = Task.Run(() =>
        {
            using var s = listener.Accept();
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[1 << 16];
            int n;
            while ((n = s.Receive(buffer)) > 0) hash.AppendData(buffer, 0, n);
            return Convert.ToHexString(hash.GetHashAndReset());
        });
        using (var client = InNamespace.Run(a.Namespace, () => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)))
        {
            client.Connect(new IPEndPoint(IPAddress.Parse(b.Address), port));
            client.Send(data);
            client.Shutdown(SocketShutdown.Send);
            Assert.That(receive.Wait(TimeSpan.FromSeconds(60)), Is.True, "the transfer finished");
        }
        return (Convert.ToHexString(SHA256.HashData(data)), receive.Result);
    }

    private (NamespaceHost A, NamespaceHost B) Hosts() =>
        (_switch.AddNamespaceHost(new NamespaceHostOptions("a", ["10.77.0.2/24"])),
         _switch.AddNamespaceHost(new NamespaceHostOptions("b", ["10.77.0.3/24"])));

    [Test]
    public void CleanLink_SuperFramesPassWhole_TransferIntact()
    {
        var (a, b) = Hosts();
        var (sent, received) = Transfer(a, b, 7100);
        Assert.That(received, Is.EqualTo(sent));
        // 8 MiB in far fewer reads than 1448-byte segments: the sender's stack used TSO and SimNet passed it through.
        var stats = _switch.Statistics("a", "b");
        Assert.That(stats.ForwardedBytes, Is.GreaterThanOrEqualTo(Bytes), "counted as wire frames");
        Assert.That(a.Port.FramesReceived, Is.GreaterThan(Bytes / 1448), "wire frames counted, not super-frames");
    }

    [Test]
    public void ImpairedLink_SegmentsDecidedOneByOne_TransferIntact()
    {
        var (a, b) = Hosts();
        _switch.ImpairBoth("a", "b", new LinkImpairment { Loss = 0.02, Duplicate = 0.05, Reorder = 0.05 });
        var (sent, received) = Transfer(a, b, 7101);
        Assert.That(received, Is.EqualTo(sent));
        var stats = _switch.Statistics("a", "b");
        Assert.That(new[] { stats.LostRandom, stats.Duplicated, stats.Reordered }, Has.All.GreaterThan(0));
        Assert.That(stats.Forwarded + stats.LostRandom - stats.Duplicated, Is.GreaterThan(Bytes / 1448), "decisions were per wire frame");
    }

    [Test]
    public void Capture_HoldsWireFramesWithValidChecksums_WhileForwardingPassesSuperFrames()
    {
        var (a, b) = Hosts();
        var path = _switch.StartCapture(Path.Combine(RepoPaths.NewTempDirectory("offload-cap"), "switch.pcapng"));
        var (sent, received) = Transfer(a, b, 7102);
        Assert.That(received, Is.EqualTo(sent));
        _switch.StopCapture(path);
        var frames = CaptureFile.ReadAll(path);
        Assert.That(frames.Max(f => f.Data.Length), Is.LessThanOrEqualTo(1514), "a mirror port sees wire frames, never a 64 KB super-frame");
        var events = CaptureDecoder.DecodeFile(path, new DecoderOptions { VerifyChecksums = true });
        Assert.That(events.OfType<BadChecksumEvent>(), Is.Empty, "every checksum the senders left to the NIC was finished right");
        var tcp = events.OfType<TcpEvent>().Where(e => e.Context.Direction == FrameDirection.Inbound).ToList();
        Assert.That(tcp.Sum(e => (long)e.PayloadLength), Is.GreaterThanOrEqualTo(Bytes), "every payload byte is in the capture");
    }

    [Test]
    public void CorruptingLink_TheDeliveredCaptureShowsEachDamagedFrameAsTheReceiverSawIt()
    {
        var (a, b) = Hosts();
        var path = _switch.StartCapture(Path.Combine(RepoPaths.NewTempDirectory("corrupt-cap"), "switch.pcapng"));
        _switch.Impair("a", "b", new LinkImpairment { Corrupt = 0.03 });
        var (sent, received) = Transfer(a, b, 7103, 2 << 20);
        Assert.That(received, Is.EqualTo(sent), "the receiver's checksums caught every flipped bit and TCP resent");
        _switch.StopCapture(path);
        var corrupted = _switch.Statistics("a", "b").Corrupted;
        Assert.That(corrupted, Is.GreaterThan(0));

        var verifying = new DecoderOptions { VerifyChecksums = true };
        var delivered = CaptureLog.Load(path, options: verifying, view: DirectionView.Delivered).Events;
        var bad = delivered.OfType<BadChecksumEvent>().ToList();
        // At most one report per damaged frame: a flip in the IP version or header length makes a packet unreadable
        // rather than wrongly summed, an ARP or neighbour discovery frame has no checksum of ours, and the last frames
        // may still be in the delay line when the capture stops.
        var unreadable = delivered.OfType<MalformedEvent>().Count();
        Assert.That(bad.Count + unreadable, Is.InRange(1, corrupted));
        Assert.That(bad.Count, Is.GreaterThanOrEqualTo(corrupted / 2), $"{bad.Count} of {corrupted} damaged frames reported");
        Assert.That(bad.Select(e => e.Destination.Mac), Is.All.EqualTo(b.Mac), "damaged on the way to b (by MAC: a damaged IP header's addresses are not read)");
        Assert.That(CaptureLog.Load(path, options: verifying, view: DirectionView.Sent).Events.OfType<BadChecksumEvent>(), Is.Empty,
            "what a sent, before the link damaged it, is intact");
        // Dropped, the damaged copies leave every byte of the stream to the clean retransmissions: no hole in what b got,
        // and those retransmissions read as the first arrival of their bytes (unverified, they read as repeats).
        var toB = delivered.Where(e => e.Destination.Port == 7103).ToList();
        Assert.That(toB.OfType<TcpGapEvent>(), Is.Empty);
        Assert.That(toB.OfType<TcpEvent>().Where(e => e.Analysis is TcpAnalysis.None or TcpAnalysis.OutOfOrder).Sum(e => (long)e.PayloadLength),
            Is.GreaterThanOrEqualTo(2 << 20));
        static int Repeats(IEnumerable<HilRig.Capture.Events.DecodedEvent> events) =>
            events.OfType<TcpEvent>().Count(e => e.Destination.Port == 7103 && e.Analysis == TcpAnalysis.Retransmission);
        var unverified = CaptureLog.Load(path, view: DirectionView.Delivered).Events;
        Assert.That(Repeats(toB), Is.LessThan(Repeats(unverified)), $"{Repeats(toB)} repeats verified, {Repeats(unverified)} unverified, {bad.Count} damaged");
    }
}
