using HilRig.Capture.Decoding;
using HilRig.Simulators.Randomness;
using HilRig.Simulators.SimNet;
using HilRig.Testing;
using NUnit.Framework;
using static HilRig.Simulators.Tests.SimNet.TestFrames;

namespace HilRig.Simulators.Tests.SimNet;

/// <summary>Stopping the switch, or one of its captures, while frames are on their way.</summary>
public class ShutdownTests
{
    [Test]
    public void DelayLine_Dispose_WaitsForADeliveryPassInProgress()
    {
        var time = new ManualTimeProvider();
        using var entered = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var delivered = 0;
        var line = new DelayLine(time, _ =>
        {
            entered.Set();
            release.Wait(TimeSpan.FromSeconds(10));
            Interlocked.Increment(ref delivered);
        });
        var port = new RecordingPort("b", time);
        var link = new LinkState("a", "b", 1);
        link.EnterDelayLine();
        line.Schedule(new PendingFrame(new byte[64], 64, port, link), time.GetTimestamp() + TimeSpan.TicksPerMillisecond);
        var timerThread = Task.Run(() => time.Advance(TimeSpan.FromMilliseconds(1)));
        Assert.That(entered.Wait(TimeSpan.FromSeconds(5)), Is.True, "the delivery pass started");

        var dispose = Task.Run(line.Dispose);
        Assert.That(dispose.Wait(TimeSpan.FromMilliseconds(300)), Is.False, "Dispose returned while a frame was being delivered");
        release.Set();
        Assert.That(dispose.Wait(TimeSpan.FromSeconds(5)), Is.True);
        Assert.That(Volatile.Read(ref delivered), Is.EqualTo(1), "the pass had finished when Dispose returned");
        Assert.That(timerThread.Wait(TimeSpan.FromSeconds(5)), Is.True);
        Assert.That(link.InFlight, Is.Zero);
    }

    [Test]
    public void ReadLoop_PortThatFails_StopsThatPortOnly_AndIsRecorded()
    {
        using var sw = new SimNetSwitch(new SimNetOptions { Seed = 1 });
        var broken = sw.AddPort(new FailingPort("broken"));
        var a = sw.AddPort(new RecordingPort("a", TimeProvider.System));
        var b = sw.AddPort(new RecordingPort("b", TimeProvider.System));
        Assert.That(Eventually(() => broken.Failure is not null), Is.True, "the failure was recorded on the port");
        Assert.That(broken.Failure, Is.InstanceOf<IOException>());
        Assert.That(sw.ControlLog.Select(e => e.Action), Has.Some.Contains("port broken stopped").And.Some.Contains("device gone"));
        a.Inject(Udp(MacAddress.Broadcast, A, 1));
        Assert.That(b.WaitForSent(1, TimeSpan.FromSeconds(5)), Is.True, "the other ports go on switching");
    }

    [Test]
    public void StreamPort_GuestThatStopsReading_LosesItsOwnFrames_OthersGoOn_AndDisposeReturns()
    {
        // A QEMU guest that stops reading its stream netdev filled the socket, and Send blocked the sending port's read
        // thread (and the delay line) for good; Dispose then waited forever on that thread.
        var sw = new SimNetSwitch(new SimNetOptions { Seed = 1 });
        var socketPath = Path.Combine(RepoPaths.NewTempDirectory("stream-stuck"), "n0.sock");
        var stuck = sw.AddPort(new StreamPort("stuck", socketPath));
        using var guest = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream,
            System.Net.Sockets.ProtocolType.Unspecified);
        guest.Connect(new System.Net.Sockets.UnixDomainSocketEndPoint(socketPath)); // and never reads
        Assert.That(Eventually(() => stuck.Connected), Is.True, "the port accepted the guest");
        var a = sw.AddPort(new RecordingPort("a", TimeProvider.System));
        var b = sw.AddPort(new RecordingPort("b", TimeProvider.System));

        const int frames = 4000; // ~5.7 MB: many times what a Unix socket buffers
        for (var i = 0; i < frames; i++) a.Inject(Udp(MacAddress.Broadcast, A, i, 1400));
        Assert.That(b.WaitForSent(frames, TimeSpan.FromSeconds(30)), Is.True,
            $"b got {b.Sent.Count} of {frames}: a guest that does not read stopped the switch");
        Assert.That(stuck.FramesDropped, Is.GreaterThan(0));

        var dispose = Task.Run(sw.Dispose);
        Assert.That(dispose.Wait(TimeSpan.FromSeconds(10)), Is.True, "Dispose hung on the stuck guest");
    }

    private static bool Eventually(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) return false;
            Thread.Sleep(5);
        }
        return true;
    }

    /// <summary>A port whose device fails under the read loop.</summary>
    private sealed class FailingPort(string host) : SwitchPort(host)
    {
        public override string Kind => "test";

        internal override int Receive(Span<byte> buffer) => throw new IOException("device gone");

        internal override void Send(ReadOnlySpan<byte> frame) { }

        public override void Dispose() { }
    }
}
