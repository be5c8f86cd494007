namespace HilRig.Capture.Decoding.Transport;

/// <summary>
/// Out-of-order bytes all the streams of one capture may hold together. A stream that would go over it gives up
/// waiting for its oldest gap instead, so a capture with thousands of lossy connections stays bounded.
/// </summary>
public sealed class TcpBufferBudget(long maxBytes)
{
    /// <summary>64 MiB: sixteen streams each holding a full 4 MiB receive window.</summary>
    public const long DefaultMaxBytes = 64L * 1024 * 1024;

    public TcpBufferBudget() : this(DefaultMaxBytes) { }

    public long MaxBytes { get; } = maxBytes;

    /// <summary>Out-of-order bytes held right now by every stream using this budget.</summary>
    public long HeldBytes { get; private set; }

    internal void Take(int bytes) => HeldBytes += bytes;

    internal void Give(int bytes) => HeldBytes -= bytes;
}
