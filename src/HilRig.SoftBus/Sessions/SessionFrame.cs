using System.Buffers.Binary;
using System.Security.Cryptography;
using HilRig.SoftBus.Auth;

namespace HilRig.SoftBus.Sessions;

/// <summary>
/// The 16-byte little-endian header of session data (dsoftbus TcpDataPacketHead): magic 0xBABEFACE | seq i32 |
/// flags i32 | dataLen u32, then dataLen bytes of <c>IV 12 | ciphertext | tag 16</c> (dataLen = payload + 28).
/// </summary>
public readonly record struct SessionFrameHeader(int Seq, int Flags, uint DataLength)
{
    public const int Size = 16;
    public const int Overhead = 12 + 16;
    public const int FlagBytes = 0, FlagAck = 1, FlagMessage = 2;

    /// <summary>The most one SendBytes may carry.</summary>
    public const int MaxPayload = 1 << 20;

    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, AuthFrameHeader.Magic);
        BinaryPrimitives.WriteInt32LittleEndian(destination[4..], Seq);
        BinaryPrimitives.WriteInt32LittleEndian(destination[8..], Flags);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[12..], DataLength);
    }

    public static SessionFrameHeader Read(ReadOnlySpan<byte> source)
    {
        var magic = BinaryPrimitives.ReadUInt32LittleEndian(source);
        if (magic != AuthFrameHeader.Magic) throw new AuthFrameException($"bad session magic 0x{magic:X8}", 0);
        var length = BinaryPrimitives.ReadUInt32LittleEndian(source[12..]);
        if (length < Overhead || length > MaxPayload + Overhead) throw new AuthFrameException($"session data length {length} outside {Overhead}–{MaxPayload + Overhead}", 12);
        return new SessionFrameHeader(BinaryPrimitives.ReadInt32LittleEndian(source[4..]), BinaryPrimitives.ReadInt32LittleEndian(source[8..]), length);
    }
}

/// <summary>
/// AES-256-GCM under a session's key for one direction. IV[0..4] is the frame's seq (+1 per SendBytes, from 1),
/// IV[4] the direction (so the two sides never share an IV), the rest random; the header is the additional data. A
/// receiver accepts exactly the next seq: a replayed, reordered, dropped-and-spliced or forged frame is refused.
/// </summary>
public sealed class SessionCipher : IDisposable
{
    private readonly AesGcm _gcm;
    private readonly byte _sendDirection;
    private int _sent;
    private int _received;

    public SessionCipher(byte[] key, bool opener)
    {
        if (key.Length != 32) throw new ArgumentException("a session key is 32 bytes (AES-256)");
        _gcm = new AesGcm(key, 16);
        _sendDirection = opener ? (byte)0 : (byte)1;
    }

    /// <summary>Seals <paramref name="payload"/> into <paramref name="frame"/> (header + IV + ciphertext + tag); returns its length.</summary>
    public int Seal(ReadOnlySpan<byte> payload, int flags, Span<byte> frame)
    {
        var seq = ++_sent;
        var header = new SessionFrameHeader(seq, flags, (uint)(payload.Length + SessionFrameHeader.Overhead));
        header.Write(frame);
        var iv = frame.Slice(SessionFrameHeader.Size, 12);
        BinaryPrimitives.WriteInt32LittleEndian(iv, seq);
        iv[4] = _sendDirection;
        RandomNumberGenerator.Fill(iv[5..]);
        var ct = frame.Slice(SessionFrameHeader.Size + 12, payload.Length);
        _gcm.Encrypt(iv, payload, ct, frame.Slice(SessionFrameHeader.Size + 12 + payload.Length, 16), frame[..SessionFrameHeader.Size]);
        return SessionFrameHeader.Size + (int)header.DataLength;
    }

    /// <summary>Opens a frame's body into <paramref name="plaintext"/>; throws <see cref="AuthFrameException"/> naming why it was refused.</summary>
    public void Open(ReadOnlySpan<byte> headerBytes, SessionFrameHeader header, ReadOnlySpan<byte> body, Span<byte> plaintext)
    {
        var iv = body[..12];
        if (BinaryPrimitives.ReadInt32LittleEndian(iv) != header.Seq) throw new AuthFrameException("the IV's seq differs from the header's: forged", SessionFrameHeader.Size);
        if (iv[4] == _sendDirection) throw new AuthFrameException("a frame of our own direction: reflected", SessionFrameHeader.Size + 4);
        if (header.Seq != _received + 1)
            throw new AuthFrameException(header.Seq <= _received
                ? $"seq {header.Seq} again after {_received}: replayed or reordered"
                : $"seq {header.Seq} after {_received}: frames missing or reordered", 4);
        try
        {
            _gcm.Decrypt(iv, body[12..^16], body[^16..], plaintext, headerBytes);
        }
        catch (AuthenticationTagMismatchException)
        {
            throw new AuthFrameException("the GCM tag does not verify: forged or damaged", SessionFrameHeader.Size);
        }
        _received = header.Seq;
    }

    public void Dispose() => _gcm.Dispose();
}
