using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace HilRig.Capture.Decoding.Tls;

/// <summary>
/// One direction's record protection under one TLS 1.3 traffic secret (RFC 8446 §7.3, §5.2–5.3): key and IV expanded
/// from the secret, the nonce the IV XOR the record's sequence number, the record header as additional data. Opens
/// records in order; a record that does not authenticate returns false and does not advance the sequence.
/// </summary>
internal sealed class TlsCipher : IDisposable
{
    private const int TagLength = 16;
    private readonly byte[] _iv;
    private readonly AesGcm? _aes;
    private readonly ChaCha20Poly1305? _chacha;
    private ulong _sequence;

    public TlsCipher(ushort suite, byte[] secret)
    {
        var (hash, keyLength) = Suite(suite) ?? throw new ArgumentException($"cipher suite 0x{suite:x4} is not a TLS 1.3 suite");
        var key = ExpandLabel(hash, secret, "key", keyLength);
        _iv = ExpandLabel(hash, secret, "iv", 12);
        if (suite == 0x1303) _chacha = new ChaCha20Poly1305(key);
        else _aes = new AesGcm(key, TagLength);
    }

    /// <summary>The TLS 1.3 suites: 0x1301 AES-128-GCM/SHA-256, 0x1302 AES-256-GCM/SHA-384, 0x1303 ChaCha20-Poly1305/SHA-256.</summary>
    public static (HashAlgorithmName Hash, int KeyLength)? Suite(ushort suite) => suite switch
    {
        0x1301 => (HashAlgorithmName.SHA256, 16),
        0x1302 => (HashAlgorithmName.SHA384, 32),
        0x1303 => (HashAlgorithmName.SHA256, 32),
        _ => null,
    };

    /// <summary>
    /// Decrypts one record (its 5-byte header and ciphertext) into <paramref name="plain"/>; returns the inner content
    /// type and the content length (padding removed), or null when the record does not authenticate under this key.
    /// </summary>
    public (byte ContentType, int Length)? Open(ReadOnlySpan<byte> header, ReadOnlySpan<byte> body, Span<byte> plain)
    {
        if (body.Length < TagLength + 1) return null;
        Span<byte> nonce = stackalloc byte[12];
        _iv.CopyTo(nonce);
        Span<byte> sequence = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(sequence, _sequence);
        for (var i = 0; i < 8; i++) nonce[4 + i] ^= sequence[i];
        var ciphertext = body[..^TagLength];
        var tag = body[^TagLength..];
        var output = plain[..ciphertext.Length];
        try
        {
            if (_aes is not null) _aes.Decrypt(nonce, ciphertext, tag, output, header);
            else _chacha!.Decrypt(nonce, ciphertext, tag, output, header);
        }
        catch (AuthenticationTagMismatchException)
        {
            return null;
        }
        _sequence++;
        // TLSInnerPlaintext: content, the real content type, then zero padding.
        var end = output.Length;
        while (end > 0 && output[end - 1] == 0) end--;
        return end == 0 ? ((byte)0, 0) : (output[end - 1], end - 1);
    }

    /// <summary>HKDF-Expand-Label (RFC 8446 §7.1) with an empty context.</summary>
    private static byte[] ExpandLabel(HashAlgorithmName hash, byte[] secret, string label, int length)
    {
        var full = Encoding.ASCII.GetBytes("tls13 " + label);
        var info = new byte[2 + 1 + full.Length + 1];
        BinaryPrimitives.WriteUInt16BigEndian(info, (ushort)length);
        info[2] = (byte)full.Length;
        full.CopyTo(info, 3);
        return HKDF.Expand(hash, secret, length, info);
    }

    public void Dispose()
    {
        _aes?.Dispose();
        _chacha?.Dispose();
    }
}
