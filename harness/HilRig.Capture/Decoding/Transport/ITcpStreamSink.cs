namespace HilRig.Capture.Decoding.Transport;

/// <summary>Receives one direction of a reassembled TCP stream: its bytes in order, and the holes the capture left in it.</summary>
public interface ITcpStreamSink
{
    /// <summary>The next in-order bytes of the stream; the span is only valid during the call.</summary>
    void OnBytes(ReadOnlySpan<byte> bytes);

    /// <summary>
    /// <paramref name="length"/> bytes starting at <paramref name="streamOffset"/> will never arrive (the capture missed
    /// them); the next <see cref="OnBytes"/> continues after the hole. A stream parser must resynchronise or stop.
    /// </summary>
    void OnGap(long streamOffset, long length);
}
