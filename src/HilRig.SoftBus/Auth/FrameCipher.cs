using System.Buffers.Binary;
using System.Security.Cryptography;

namespace HilRig.SoftBus.Auth;

/// <summary>Which way a frame goes under a key both sides hold: part of every IV, so the two directions never share one.</summary>
public enum Direction : byte
{
    ClientToServer = 0,
    ServerToClient = 1,
}

/// <summary>
/// An authenticated key between two devices and the replay state of both directions. Encrypted auth frames are
/// <c>keyIndex u32 | IV 12 | ciphertext | tag 16</c> (AES-GCM): IV[0..8] is the sender's frame counter for this key and
/// direction (strictly increasing), IV[8..12] the direction; the frame header is the additional data, so module, seq
/// and flag cannot be altered either. A frame whose counter is not above the last accepted one — a replay or a
/// reordering — or whose tag does not verify — a forgery or garbage — is refused.
/// </summary>
public sealed class FrameCipher
{
    public const int Overhead = 4 + 12 + 16;

    private readonly object _gate = new();
    private readonly byte[] _key;
    private long _sent;
    private long _received;

    public FrameCipher(uint keyIndex, byte[] key, Direction sendDirection)
    {
        if (key.Length is not (16 or 32)) throw new ArgumentException("AES-GCM key of 16 or 32 bytes");
        KeyIndex = keyIndex;
        _key = key;
        SendDirection = sendDirection;
    }

    public uint KeyIndex { get; }

    public Direction SendDirection { get; }

    /// <summary>Frames refused as replayed or reordered (counter not above the last), and as forged (tag wrong).</summary>
    public long Replays { get; private set; }

    public long Forgeries { get; private set; }

    /// <summary>Encrypts <paramref name="plaintext"/> as the body of a frame whose header (with its final length) is <paramref name="header"/>.</summary>
    public byte[] Seal(ReadOnlySpan<byte> plaintext, AuthFrameHeader header)
    {
        var body = new byte[Overhead + plaintext.Length];
        long counter;
        lock (_gate) counter = ++_sent;
        BinaryPrimitives.WriteUInt32LittleEndian(body, KeyIndex);
        var iv = body.AsSpan(4, 12);
        BinaryPrimitives.WriteInt64LittleEndian(iv, counter);
        BinaryPrimitives.WriteUInt32LittleEndian(iv[8..], (uint)SendDirection);
        Span<byte> aad = stackalloc byte[AuthFrameHeader.Size];
        (header with { Length = (uint)body.Length }).Write(aad);
        using var gcm = new AesGcm(_key, 16);
        gcm.Encrypt(iv, plaintext, body.AsSpan(16, plaintext.Length), body.AsSpan(16 + plaintext.Length, 16), aad);
        return body;
    }

    /// <summary>The key index of an encrypted body, to find its cipher.</summary>
    public static bool TryReadKeyIndex(ReadOnlySpan<byte> body, out uint keyIndex)
    {
        keyIndex = body.Length >= Overhead ? BinaryPrimitives.ReadUInt32LittleEndian(body) : 0;
        return body.Length >= Overhead;
    }

    /// <summary>Decrypts a body received with <paramref name="header"/>; throws <see cref="AuthFrameException"/> for a replay, reordering, forgery or garbage.</summary>
    public byte[] Open(ReadOnlySpan<byte> body, AuthFrameHeader header)
    {
        if (body.Length < Overhead) throw new AuthFrameException($"an encrypted body of {body.Length} bytes is shorter than {Overhead}", AuthFrameHeader.Size);
        if (BinaryPrimitives.ReadUInt32LittleEndian(body) != KeyIndex) throw new AuthFrameException("key index of another key", AuthFrameHeader.Size);
        var iv = body.Slice(4, 12);
        var expected = SendDirection == Direction.ClientToServer ? Direction.ServerToClient : Direction.ClientToServer;
        if (BinaryPrimitives.ReadUInt32LittleEndian(iv[8..]) != (uint)expected) throw Forged("an IV of the wrong direction");
        var counter = BinaryPrimitives.ReadInt64LittleEndian(iv);
        var plaintext = new byte[body.Length - Overhead];
        Span<byte> aad = stackalloc byte[AuthFrameHeader.Size];
        header.Write(aad);
        try
        {
            using var gcm = new AesGcm(_key, 16);
            gcm.Decrypt(iv, body.Slice(16, plaintext.Length), body[^16..], plaintext, aad);
        }
        catch (AuthenticationTagMismatchException)
        {
            throw Forged("the GCM tag does not verify");
        }
        lock (_gate)
        {
            if (counter <= _received)
            {
                Replays++;
                throw new AuthFrameException($"frame counter {counter} is not above {_received}: replayed or reordered", AuthFrameHeader.Size + 4);
            }
            _received = counter;
        }
        return plaintext;
    }

    private AuthFrameException Forged(string why)
    {
        lock (_gate) Forgeries++;
        return new AuthFrameException($"forged or damaged frame: {why}", AuthFrameHeader.Size + 4);
    }
}
