using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using HilRig.Capture.Live;

namespace HilRig.Simulators.Benchmarks;

/// <summary>
/// Measures TCP goodput from one network namespace to another: a receiver thread in the destination
/// namespace accepts and counts bytes, a sender thread in the source namespace writes for a fixed time.
/// Threads enter the namespaces (sockets stay there), so no external tool (iperf) is needed.
/// </summary>
public static class ThroughputProbe
{
    public sealed record Result(long Bytes, TimeSpan Elapsed)
    {
        public double Mbps => Bytes * 8 / Elapsed.TotalSeconds / 1e6;
    }

    public static Result Measure(string senderNamespace, string receiverNamespace, IPAddress receiverAddress, TimeSpan duration, int port = 5201)
    {
        using var listening = new ManualResetEventSlim();
        long received = 0;
        Exception? failure = null;
        var stopwatch = new Stopwatch();
        var receiver = new Thread(() =>
        {
            try
            {
                NetworkNamespaceThread.Enter(receiverNamespace);
                using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                listener.Bind(new IPEndPoint(receiverAddress, port));
                listener.Listen(1);
                listening.Set();
                using var s = listener.Accept();
                var buffer = new byte[256 * 1024];
                int n;
                while ((n = s.Receive(buffer)) > 0) Interlocked.Add(ref received, n);
            }
            catch (Exception e)
            {
                failure = e;
                listening.Set();
            }
        }) { IsBackground = true, Name = "bench receiver" };
        receiver.Start();
        if (!listening.Wait(TimeSpan.FromSeconds(10)) || failure is not null)
            throw new InvalidOperationException($"throughput receiver did not start: {failure?.Message}", failure);

        var sender = new Thread(() =>
        {
            try
            {
                NetworkNamespaceThread.Enter(senderNamespace);
                using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                s.Connect(new IPEndPoint(receiverAddress, port));
                var chunk = new byte[128 * 1024];
                Random.Shared.NextBytes(chunk);
                // Warm-up (slow start, ARP) is excluded: the clock starts after the first second of data.
                var warm = Stopwatch.StartNew();
                while (warm.Elapsed < TimeSpan.FromMilliseconds(500)) s.Send(chunk);
                var before = Interlocked.Read(ref received);
                stopwatch.Start();
                while (stopwatch.Elapsed < duration) s.Send(chunk);
                stopwatch.Stop();
                Interlocked.Add(ref received, -before);
                s.Shutdown(SocketShutdown.Both);
            }
            catch (Exception e)
            {
                failure = e;
            }
        }) { IsBackground = true, Name = "bench sender" };
        sender.Start();
        sender.Join();
        receiver.Join(TimeSpan.FromSeconds(10));
        if (failure is not null) throw new InvalidOperationException($"throughput measurement failed: {failure.Message}", failure);
        return new Result(Interlocked.Read(ref received), stopwatch.Elapsed);
    }
}
