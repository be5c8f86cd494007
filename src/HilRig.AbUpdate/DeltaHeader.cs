using System.Buffers.Binary;
using System.Text;
using HilRig.Storage;

namespace HilRig.AbUpdate;

/// <summary>
/// The fixed 512-byte header of a delta file, format 1 (<see cref="BlockDelta"/>: block ops, each payload compressed on
/// its own) or format 2 (<see cref="Delta.FileDelta"/>: one zstd-compressed op stream with byte-level patches). Both keep
/// the magic "HRDELTA1" so that an updater that only knows format 1 refuses a format-2 delta by its version number
/// instead of taking it for a full image.
/// </summary>
public sealed record DeltaHeader(
    long SourceSize, Digest SourceSha256,
    long TargetSize, Digest TargetSha256, Digest TargetMerkleRoot,
    long OpCount, long BodyLength, Digest BodySha256, string Version)
{
    public const int Size = 512;
    public static readonly byte[] Magic = "HRDELTA1"u8.ToArray();

    /// <summary>The format versions this updater applies.</summary>
    public const int OldestFormat = 1, NewestFormat = 2;

    /// <summary>Format-2 body codecs.</summary>
    public const byte CodecZstd = 1;

    public int FormatVersion { get; init; } = 1;

    /// <summary>Format 2: how the op stream is compressed (<see cref="CodecZstd"/>).</summary>
    public byte Codec { get; init; }

    /// <summary>Format 2: the zstd window (log2 bytes) the decoder must hold.</summary>
    public int WindowLog { get; init; }

    /// <summary>Format 2: the most bytes of patch output the applier holds at once (what it must be able to allocate).</summary>
    public long PeakBufferBytes { get; init; }

    /// <summary>Format 2: the length of the op stream once decompressed.</summary>
    public long OpStreamBytes { get; init; }

    public byte[] Serialize()
    {
        var b = new byte[Size];
        Magic.CopyTo(b, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(8), (uint)FormatVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(12), MerkleTree.BlockSize);
        BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(16), SourceSize);
        SourceSha256.WriteTo(b.AsSpan(24));
        BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(56), TargetSize);
        TargetSha256.WriteTo(b.AsSpan(64));
        TargetMerkleRoot.WriteTo(b.AsSpan(96));
        BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(128), OpCount);
        BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(136), BodyLength);
        BodySha256.WriteTo(b.AsSpan(144));
        var v = Encoding.UTF8.GetBytes(Version);
        if (v.Length > SlotInfo.MaxVersionBytes) throw new ArgumentException($"version '{Version}' is longer than {SlotInfo.MaxVersionBytes} bytes");
        b[176] = (byte)v.Length;
        v.CopyTo(b, 177);
        if (FormatVersion >= 2)
        {
            b[308] = Codec;
            b[309] = (byte)WindowLog;
            BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(312), PeakBufferBytes);
            BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(320), OpStreamBytes);
        }
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(Size - 4), Crc32.Compute(b.AsSpan(0, Size - 4)));
        return b;
    }

    public static bool HasMagic(ReadOnlySpan<byte> start) => start.Length >= 8 && start[..8].SequenceEqual(Magic);

    public static DeltaHeader Parse(ReadOnlySpan<byte> b, string where)
    {
        if (b.Length < Size) throw new DeltaFormatException($"{where}: delta truncated: {b.Length} bytes, shorter than the {Size}-byte header");
        if (!HasMagic(b)) throw new DeltaFormatException($"{where}: not a HilRig delta (bytes 0..7 are {Convert.ToHexString(b[..8])}, expected 'HRDELTA1')");
        var crc = Crc32.Compute(b[..(Size - 4)]);
        var stored = BinaryPrimitives.ReadUInt32LittleEndian(b[(Size - 4)..]);
        if (crc != stored) throw new DeltaFormatException($"{where}: delta header CRC32 at byte {Size - 4} is {stored:x8}, computed {crc:x8}");
        var version = BinaryPrimitives.ReadUInt32LittleEndian(b[8..]);
        if (version is < OldestFormat or > NewestFormat)
            throw new DeltaFormatException($"{where}: delta format version {version} at byte 8 is not supported (this updater applies formats {OldestFormat} and {NewestFormat}; make the delta with a matching 'hilrig delta create --format')");
        var bs = BinaryPrimitives.ReadUInt32LittleEndian(b[12..]);
        if (bs != MerkleTree.BlockSize) throw new DeltaFormatException($"{where}: delta block size {bs} at byte 12 is not {MerkleTree.BlockSize}");
        var h = new DeltaHeader(
            BinaryPrimitives.ReadInt64LittleEndian(b[16..]), Digest.FromSpan(b.Slice(24, 32)),
            BinaryPrimitives.ReadInt64LittleEndian(b[56..]), Digest.FromSpan(b.Slice(64, 32)), Digest.FromSpan(b.Slice(96, 32)),
            BinaryPrimitives.ReadInt64LittleEndian(b[128..]), BinaryPrimitives.ReadInt64LittleEndian(b[136..]), Digest.FromSpan(b.Slice(144, 32)),
            Encoding.UTF8.GetString(b.Slice(177, Math.Min((int)b[176], SlotInfo.MaxVersionBytes))))
        {
            FormatVersion = (int)version,
        };
        if (h.SourceSize <= 0 || h.TargetSize <= 0 || h.OpCount <= 0 || h.BodyLength <= 0)
            throw new DeltaFormatException($"{where}: delta header has a non-positive size or count (source {h.SourceSize}, target {h.TargetSize}, ops {h.OpCount}, body {h.BodyLength})");
        if (version >= 2)
        {
            h = h with
            {
                Codec = b[308], WindowLog = b[309],
                PeakBufferBytes = BinaryPrimitives.ReadInt64LittleEndian(b[312..]),
                OpStreamBytes = BinaryPrimitives.ReadInt64LittleEndian(b[320..]),
            };
            if (h.Codec != CodecZstd) throw new DeltaFormatException($"{where}: delta codec {h.Codec} at byte 308 is not zstd ({CodecZstd})");
            if (h.WindowLog is < 10 or > 31) throw new DeltaFormatException($"{where}: delta window log {h.WindowLog} at byte 309 is not 10..31");
            if (h.PeakBufferBytes < 0 || h.OpStreamBytes <= 0)
                throw new DeltaFormatException($"{where}: delta header declares {h.PeakBufferBytes} buffer bytes and an op stream of {h.OpStreamBytes} bytes");
        }
        return h;
    }
}
