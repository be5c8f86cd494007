using System.Collections.Concurrent;
using HilRig.Simulators.SimNet;

namespace HilRig.Simulators.Tests.SimNet;

/// <summary>
/// A fake of the lowest layer, the wire: frames injected here enter the switch through the real read
/// loop, and frames the switch sends are recorded with the time they left.
/// </summary>
internal sealed class RecordingPort(string host, TimeProvider time) : SwitchPort(host)
{
    private readonly BlockingCollection<byte[]> _incoming = new();
    private readonly List<(DateTimeOffset Time, byte[] Frame)> _sent = new();

    public override string Kind => "test";

    public void Inject(byte[] frame) => _incoming.Add(frame);

    public IReadOnlyList<(DateTimeOffset Time, byte[] Frame)> Sent
    {
        get { lock (_sent) return _sent.ToList(); }
    }

    public IReadOnlyList<int> Sequences => Sent.Select(s => TestFrames.SequenceOf(s.Frame)).ToList();

    internal override int Receive(Span<byte> buffer)
    {
        if (_incoming.IsAddingCompleted) return -1;
        if (!_incoming.TryTake(out var frame, 50)) return 0;
        frame.CopyTo(buffer);
        return frame.Length;
    }

    internal override void Send(ReadOnlySpan<byte> frame)
    {
        lock (_sent) _sent.Add((time.GetUtcNow(), frame.ToArray()));
    }

    /// <summary>Waits (with a deadline) until at least <paramref name="count"/> frames were sent here.</summary>
    public bool WaitForSent(int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Sent.Count < count)
        {
            if (DateTime.UtcNow > deadline) return false;
            Thread.Sleep(2);
        }
        return true;
    }

    public override void Dispose() => _incoming.CompleteAdding();
}
