using System.Security.Cryptography;

namespace HilRig.Update.Bundles;

/// <summary>SHA-256 (and SHA-512 when asked) and length of a component's bytes.</summary>
public sealed record ComponentHashes(byte[] Sha256, byte[]? Sha512, long Size);

/// <summary>
/// A write-only stream that hashes and counts everything written through it on its way to <c>inner</c> (not disposed
/// with it), so a component is hashed while it is encrypted or decrypted instead of being read back afterwards.
/// </summary>
public sealed class HashingStream(Stream inner, bool sha512 = false) : Stream
{
    private readonly IncrementalHash _sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly IncrementalHash? _sha512 = sha512 ? IncrementalHash.CreateHash(HashAlgorithmName.SHA512) : null;
    private long _length;

    /// <summary>The hashes of everything written so far.</summary>
    public ComponentHashes Hashes() => new(_sha256.GetCurrentHash(), _sha512?.GetCurrentHash(), _length);

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        Append(buffer);
        inner.Write(buffer);
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default)
    {
        Append(buffer.Span);
        await inner.WriteAsync(buffer, ct);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct) => WriteAsync(buffer.AsMemory(offset, count), ct).AsTask();

    private void Append(ReadOnlySpan<byte> bytes)
    {
        _sha256.AppendData(bytes);
        _sha512?.AppendData(bytes);
        _length += bytes.Length;
    }

    public override void Flush() => inner.Flush();
    public override Task FlushAsync(CancellationToken ct) => inner.FlushAsync(ct);
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => _length;
    public override long Position { get => _length; set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _sha256.Dispose();
            _sha512?.Dispose();
        }
        base.Dispose(disposing);
    }
}
