namespace HilRig.Rig.Drivers.Power.Relays;

/// <summary>
/// Request/response over a serial line for relay protocols: write a frame, read an exact number of bytes (or up to a
/// pattern) before a deadline. Reads are cancelled by token: System.IO.Ports' ReadAsync ignores ReadTimeout.
/// </summary>
public sealed class SerialTransport(System.IO.Ports.SerialPort port, TimeSpan timeout) : IDisposable
{
    public string PortName => port.PortName;

    public TimeSpan Timeout => timeout;

    public async Task WriteAsync(byte[] frame, CancellationToken cancellation)
    {
        port.DiscardInBuffer();
        await port.BaseStream.WriteAsync(frame, cancellation);
        await port.BaseStream.FlushAsync(cancellation);
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes; returns fewer if the deadline passes first (what arrived is kept).</summary>
    public async Task<byte[]> ReadAsync(int count, CancellationToken cancellation, DateTimeOffset? deadline = null)
    {
        var buffer = new byte[count];
        var got = await ReadIntoAsync(buffer, 0, cancellation, deadline ?? DateTimeOffset.UtcNow + timeout);
        return buffer[..got];
    }

    /// <summary>Reads until <paramref name="complete"/> says the bytes so far are a whole answer, or the deadline passes.</summary>
    public async Task<byte[]> ReadUntilAsync(Func<byte[], bool> complete, CancellationToken cancellation)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        var received = new List<byte>();
        var one = new byte[256];
        while (!complete(received.ToArray()))
        {
            var left = deadline - DateTimeOffset.UtcNow;
            if (left <= TimeSpan.Zero) break;
            using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            timer.CancelAfter(left);
            try
            {
                var n = await port.BaseStream.ReadAsync(one, timer.Token);
                received.AddRange(one.AsSpan(0, n));
            }
            catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
            {
                break;
            }
        }
        return received.ToArray();
    }

    private async Task<int> ReadIntoAsync(byte[] buffer, int offset, CancellationToken cancellation, DateTimeOffset deadline)
    {
        while (offset < buffer.Length)
        {
            var left = deadline - DateTimeOffset.UtcNow;
            if (left <= TimeSpan.Zero) return offset;
            using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            timer.CancelAfter(left);
            try
            {
                offset += await port.BaseStream.ReadAsync(buffer.AsMemory(offset), timer.Token);
            }
            catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
            {
                return offset;
            }
        }
        return offset;
    }

    public void Dispose() => port.Dispose();
}
