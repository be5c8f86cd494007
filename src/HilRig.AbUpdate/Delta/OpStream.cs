namespace HilRig.AbUpdate.Delta;

/// <summary>Op kinds of a format-2 delta's op stream (README: "Format 2").</summary>
public enum PatchOpKind : byte
{
    /// <summary>Write <c>count</c> blocks copied from source blocks <c>dst + delta</c>.</summary>
    Copy = 1,
    /// <summary>Write <c>count</c> blocks of zeros.</summary>
    Zero = 2,
    /// <summary>Build a buffer of new blocks from a byte-level patch against source extents; writes nothing by itself.</summary>
    Patch = 3,
    /// <summary>Write <c>count</c> blocks of an earlier patch's buffer, from block <c>offset</c> of it.</summary>
    Put = 4,
}

/// <summary>Appends LEB128 varints and raw bytes to the op stream.</summary>
internal sealed class OpStreamWriter(Stream output)
{
    public long Position { get; private set; }

    public void Byte(byte b)
    {
        output.WriteByte(b);
        Position++;
    }

    public void UVar(ulong v)
    {
        Span<byte> buf = stackalloc byte[10];
        var n = 0;
        while (v >= 0x80)
        {
            buf[n++] = (byte)(v | 0x80);
            v >>= 7;
        }
        buf[n++] = (byte)v;
        Bytes(buf[..n]);
    }

    /// <summary>A signed value, zigzag-encoded: small magnitudes of either sign stay short.</summary>
    public void SVar(long v) => UVar((ulong)((v << 1) ^ (v >> 63)));

    public void Bytes(ReadOnlySpan<byte> data)
    {
        output.Write(data);
        Position += data.Length;
    }

    /// <summary>
    /// A PATCH op, emitted when the target cursor is at <paramref name="cursor"/>: output size, source extents (the first
    /// relative to the cursor, each next one to the end of the previous: a file's old place is usually near its new one),
    /// the first 8 bytes of the output's SHA-256, the steps, the diff bytes as runs of (zeros, literals) — the run lengths
    /// first, then the literal bytes, so each kind of number sits with its own kind — and the extra bytes.
    /// </summary>
    public void Patch(long cursor, IReadOnlyList<(long Start, long Count)> source, ReadOnlySpan<byte> outputHash8, ByteDiff diff,
        IReadOnlyList<(int Zeros, int Literals)> runs)
    {
        Byte((byte)PatchOpKind.Patch);
        UVar((ulong)(diff.OutputLength / MerkleTree.BlockSize));
        UVar((ulong)source.Count);
        var prev = cursor;
        foreach (var (start, count) in source)
        {
            SVar(start - prev);
            UVar((ulong)count);
            prev = start + count;
        }
        Bytes(outputHash8);
        UVar((ulong)diff.Controls.Count);
        foreach (var c in diff.Controls)
        {
            UVar((ulong)c.Add);
            UVar((ulong)c.Copy);
            SVar(c.Seek);
        }
        UVar((ulong)runs.Count);
        foreach (var (zeros, literals) in runs)
        {
            UVar((ulong)zeros);
            UVar((ulong)literals);
        }
        var at = 0;
        foreach (var (zeros, literals) in runs)
        {
            at += zeros;
            Bytes(diff.DiffBytes.AsSpan(at, literals));
            at += literals;
        }
        Bytes(diff.ExtraBytes);
    }
}

/// <summary>
/// Reads the decompressed op stream, counting its offset; every malformed number (too long, too large, the stream ended)
/// becomes a <see cref="DeltaFormatException"/> naming the op and the offset.
/// </summary>
internal sealed class OpStreamReader(Stream input, string name)
{
    private readonly byte[] _buffer = new byte[1 << 16];
    private int _pos;
    private int _end;

    public long Offset { get; private set; }

    /// <summary>The op being read, for messages.</summary>
    public long Op { get; set; }

    private DeltaFormatException Error(string what) => new($"{name}: op {Op} at op-stream offset {Offset}: {what}");

    private bool Fill()
    {
        if (_pos < _end) return true;
        _pos = 0;
        _end = input.Read(_buffer);
        return _end > 0;
    }

    /// <summary>Whether the stream has ended (nothing more to read).</summary>
    public bool AtEnd => !Fill();

    public byte Byte()
    {
        if (!Fill()) throw Error("the op stream ended early");
        Offset++;
        return _buffer[_pos++];
    }

    public ulong UVar(string field)
    {
        ulong v = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = Byte();
            v |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return v;
        }
        throw Error($"{field} is not a valid varint (longer than 10 bytes)");
    }

    /// <summary>An unsigned varint that must lie in 0..<paramref name="max"/>.</summary>
    public long Count(string field, long max)
    {
        var v = UVar(field);
        if (v > (ulong)max) throw Error($"{field} {v} is larger than {max}");
        return (long)v;
    }

    public long SVar(string field)
    {
        var u = UVar(field);
        return (long)(u >> 1) ^ -(long)(u & 1);
    }

    public void Bytes(Span<byte> destination)
    {
        while (destination.Length > 0)
        {
            if (!Fill()) throw Error($"the op stream ended with {destination.Length} bytes of this op still to come");
            var n = Math.Min(destination.Length, _end - _pos);
            _buffer.AsSpan(_pos, n).CopyTo(destination);
            _pos += n;
            Offset += n;
            destination = destination[n..];
        }
    }
}
