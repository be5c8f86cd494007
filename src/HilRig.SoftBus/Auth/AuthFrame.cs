using System.Buffers.Binary;

namespace HilRig.SoftBus.Auth;

/// <summary>The module field of an auth frame (softbus_lite auth_conn.h; dsoftbus adds more).</summary>
public enum AuthModule
{
    TrustEngine = 1,
    HiChain = 2,
    AuthSdk = 3,
    HiChainSync = 4,
    Connection = 5,
    Session = 6,
    AuthChannel = 8,
    AuthMsg = 9,
}

/// <summary>
/// The 24-byte little-endian header of every auth-channel frame: magic 0xBABEFACE | module i32 | seq i64 | flag i32 |
/// len u32, then len bytes of body. Modules 1–4 and 8–9 carry plaintext JSON, 5–7 an encrypted body
/// (<see cref="FrameCipher"/>). A reply has flag 1 and the request's seq.
/// </summary>
public readonly record struct AuthFrameHeader(AuthModule Module, long Seq, int Flag, uint Length)
{
    public const uint Magic = 0xBABEFACE;
    public const int Size = 24;
    public const int FlagReply = 1;

    /// <summary>dsoftbus drops a frame of 0 or more than 64 KiB.</summary>
    public const uint MaxLength = 64 * 1024;

    public bool IsReply => Flag == FlagReply;

    public static bool IsEncrypted(AuthModule module) => module is AuthModule.Connection or AuthModule.Session or (AuthModule)7;

    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(destination[4..], (int)Module);
        BinaryPrimitives.WriteInt64LittleEndian(destination[8..], Seq);
        BinaryPrimitives.WriteInt32LittleEndian(destination[16..], Flag);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[20..], Length);
    }

    /// <summary>Reads a header; throws <see cref="AuthFrameException"/> for a bad magic or a length of 0 or over 64 KiB.</summary>
    public static AuthFrameHeader Read(ReadOnlySpan<byte> source)
    {
        var magic = BinaryPrimitives.ReadUInt32LittleEndian(source);
        if (magic != Magic) throw new AuthFrameException($"bad magic 0x{magic:X8} (expected 0x{Magic:X8})", 0);
        var length = BinaryPrimitives.ReadUInt32LittleEndian(source[20..]);
        if (length is 0 or > MaxLength) throw new AuthFrameException($"frame length {length} is 0 or over {MaxLength}", 20);
        return new AuthFrameHeader((AuthModule)BinaryPrimitives.ReadInt32LittleEndian(source[4..]), BinaryPrimitives.ReadInt64LittleEndian(source[8..]),
            BinaryPrimitives.ReadInt32LittleEndian(source[16..]), length);
    }
}

/// <summary>A frame the auth channel refuses; the connection is dropped. Offset is within the frame.</summary>
public sealed class AuthFrameException(string reason, int offset) : Exception($"auth frame refused at byte {offset}: {reason}")
{
    public string Reason { get; } = reason;
    public int Offset { get; } = offset;
}

/// <summary>One frame: header and body.</summary>
public sealed record AuthFrame(AuthFrameHeader Header, byte[] Body)
{
    public static async Task<AuthFrame?> ReadAsync(Stream stream, CancellationToken cancellation)
    {
        var header = new byte[AuthFrameHeader.Size];
        if (!await FillAsync(stream, header, cancellation)) return null;
        var h = AuthFrameHeader.Read(header);
        var body = new byte[h.Length];
        if (!await FillAsync(stream, body, cancellation)) throw new AuthFrameException($"the connection ended inside a {h.Length}-byte body", AuthFrameHeader.Size);
        return new AuthFrame(h, body);
    }

    public byte[] ToBytes()
    {
        var bytes = new byte[AuthFrameHeader.Size + Body.Length];
        Header.Write(bytes);
        Body.CopyTo(bytes, AuthFrameHeader.Size);
        return bytes;
    }

    /// <summary>Reads exactly <paramref name="buffer"/>.Length bytes; false if the stream ends before the first.</summary>
    internal static async Task<bool> FillAsync(Stream stream, Memory<byte> buffer, CancellationToken cancellation)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer[read..], cancellation);
            if (n == 0)
            {
                if (read == 0) return false;
                throw new EndOfStreamException($"the connection ended after {read} of {buffer.Length} bytes");
            }
            read += n;
        }
        return true;
    }
}
