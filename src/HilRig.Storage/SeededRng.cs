namespace HilRig.Storage;

/// <summary>
/// A tiny deterministic generator (SplitMix64). Independent of System.Random's implementation, so a cut id printed
/// today replays the same tear on any runtime.
/// </summary>
public struct SeededRng
{
    private ulong _state;

    public SeededRng(ulong seed) => _state = seed;

    /// <summary>A generator for one (seed, stream, index) triple, e.g. (run seed, "tear", op index).</summary>
    public static SeededRng For(ulong seed, ulong stream, ulong index)
    {
        var r = new SeededRng(seed ^ 0x9E3779B97F4A7C15UL);
        var a = r.NextU64() ^ stream * 0xBF58476D1CE4E5B9UL;
        var b = new SeededRng(a).NextU64() ^ index * 0x94D049BB133111EBUL;
        return new SeededRng(new SeededRng(b).NextU64());
    }

    /// <summary>
    /// Version-4 GUIDs drawn from <paramref name="seed"/> (its "guid" stream): reproducible disk and partition GUIDs, so
    /// the same seed makes a byte-identical disk image.
    /// </summary>
    public static Func<Guid> GuidSource(ulong seed)
    {
        var rng = For(seed, GuidStream, 0);
        return () => rng.NextGuid();
    }

    private const ulong GuidStream = 0x67756964; // "guid"

    /// <summary>A random version-4 (RFC 9562) GUID.</summary>
    public Guid NextGuid()
    {
        Span<byte> g = stackalloc byte[16];
        Fill(g);
        g[7] = (byte)((g[7] & 0x0F) | 0x40);
        g[8] = (byte)((g[8] & 0x3F) | 0x80);
        return new Guid(g);
    }

    public ulong NextU64()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, max).</summary>
    public int Next(int max)
    {
        if (max <= 0) throw new ArgumentOutOfRangeException(nameof(max));
        return (int)(NextU64() % (ulong)max);
    }

    /// <summary>Uniform in [0, max).</summary>
    public long NextLong(long max)
    {
        if (max <= 0) throw new ArgumentOutOfRangeException(nameof(max));
        return (long)(NextU64() % (ulong)max);
    }

    public bool NextBool() => (NextU64() & 1) != 0;

    public void Fill(Span<byte> buffer)
    {
        var i = 0;
        for (; i + 8 <= buffer.Length; i += 8) BitConverter.TryWriteBytes(buffer[i..], NextU64());
        if (i < buffer.Length)
        {
            Span<byte> tail = stackalloc byte[8];
            BitConverter.TryWriteBytes(tail, NextU64());
            tail[..(buffer.Length - i)].CopyTo(buffer[i..]);
        }
    }
}
