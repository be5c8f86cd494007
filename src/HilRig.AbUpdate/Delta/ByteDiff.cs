namespace HilRig.AbUpdate.Delta;

/// <summary>
/// One step of a byte-level patch (bsdiff's control triple): add <see cref="Add"/> diff bytes to as many old bytes at the
/// old cursor, append <see cref="Copy"/> extra bytes, then move the old cursor by <see cref="Seek"/>.
/// </summary>
public readonly record struct DiffControl(int Add, int Copy, long Seek);

/// <summary>
/// A byte-level patch from an old byte string to a new one, bsdiff-style: <see cref="Controls"/>, the bytewise differences
/// (new − old, mod 256) of the approximately matching stretches in <see cref="DiffBytes"/>, and the new bytes nothing
/// matched in <see cref="ExtraBytes"/>. Code that moved keeps most of its bytes, so the differences are mostly zeros and a
/// few repeating values (shifted addresses): a general-purpose compressor squeezes them well, which is why the three
/// streams are kept apart.
/// </summary>
public sealed class ByteDiff
{
    /// <summary>Matches are measured up to this many bytes at a time: a long run just takes several steps.</summary>
    private const int MaxMatch = 1 << 16;

    public ByteDiff(IReadOnlyList<DiffControl> controls, byte[] diffBytes, byte[] extraBytes)
    {
        Controls = controls;
        DiffBytes = diffBytes;
        ExtraBytes = extraBytes;
    }

    public IReadOnlyList<DiffControl> Controls { get; }
    public byte[] DiffBytes { get; }
    public byte[] ExtraBytes { get; }

    /// <summary>Bytes of new data the patch produces.</summary>
    public long OutputLength => DiffBytes.LongLength + ExtraBytes.LongLength;

    /// <summary>A patch that is all extra bytes: the new data as it is (when there is nothing to diff against).</summary>
    public static ByteDiff Literal(byte[] data) => new(data.Length == 0 ? [] : [new DiffControl(0, data.Length, 0)], [], data);

    /// <summary>
    /// Diffs <paramref name="newData"/> against <paramref name="oldData"/> whose suffix array is <paramref name="oldSa"/>
    /// (<see cref="SuffixArray.Build"/>). Deterministic: the same inputs give the same patch.
    /// </summary>
    public static ByteDiff Create(ReadOnlySpan<byte> oldData, int[] oldSa, ReadOnlySpan<byte> newData) =>
        Create(oldData, new DiffIndex(oldData, oldSa), newData);

    /// <summary>As <see cref="Create(ReadOnlySpan{byte}, int[], ReadOnlySpan{byte})"/>, with an index built once for many new strings.</summary>
    public static ByteDiff Create(ReadOnlySpan<byte> oldData, DiffIndex index, ReadOnlySpan<byte> newData)
    {
        var oldSa = index.SuffixArray;
        var controls = new List<DiffControl>();
        var diff = new MemoryStream();
        var extra = new MemoryStream();
        int oldSize = oldData.Length, newSize = newData.Length;
        int scan = 0, len = 0, pos = 0, lastScan = 0, lastPos = 0, lastOffset = 0;

        while (scan < newSize)
        {
            // Find the next place where an exact match beats continuing the current alignment by more than 8 bytes.
            var oldScore = 0;
            var scoredTo = scan += len;
            for (; scan < newSize; scan++)
            {
                // Where the next 8 bytes occur nowhere in the old data (new code, compressed data) no match can win: skip the search.
                len = index.MayOccur(newData[scan..]) ? LongestMatch(oldData, oldSa, newData[scan..], out pos) : 0;
                for (; scoredTo < scan + len; scoredTo++)
                    if (scoredTo + lastOffset < oldSize && oldData[scoredTo + lastOffset] == newData[scoredTo]) oldScore++;
                if ((len == oldScore && len != 0) || len > oldScore + 8) break;
                if (scan + lastOffset < oldSize && oldData[scan + lastOffset] == newData[scan]) oldScore--;
            }
            if (len == oldScore && scan != newSize) continue;

            // Extend the previous alignment forward and the new one backward, as far as more than half the bytes match.
            int lengthForward = 0, lengthBack = 0;
            for (int i = 0, matched = 0, best = 0; lastScan + i < scan && lastPos + i < oldSize;)
            {
                if (oldData[lastPos + i] == newData[lastScan + i]) matched++;
                i++;
                if (matched * 2 - i > best * 2 - lengthForward)
                {
                    best = matched;
                    lengthForward = i;
                }
            }
            if (scan < newSize)
                for (int i = 1, matched = 0, best = 0; scan >= lastScan + i && pos >= i; i++)
                {
                    if (oldData[pos - i] == newData[scan - i]) matched++;
                    if (matched * 2 - i > best * 2 - lengthBack)
                    {
                        best = matched;
                        lengthBack = i;
                    }
                }
            if (lastScan + lengthForward > scan - lengthBack)
            {
                // The two extensions overlap: split the overlap where the forward one stops paying.
                var overlap = lastScan + lengthForward - (scan - lengthBack);
                int score = 0, bestScore = 0, split = 0;
                for (var i = 0; i < overlap; i++)
                {
                    if (newData[lastScan + lengthForward - overlap + i] == oldData[lastPos + lengthForward - overlap + i]) score++;
                    if (newData[scan - lengthBack + i] == oldData[pos - lengthBack + i]) score--;
                    if (score > bestScore)
                    {
                        bestScore = score;
                        split = i + 1;
                    }
                }
                lengthForward += split - overlap;
                lengthBack -= split;
            }

            for (var i = 0; i < lengthForward; i++) diff.WriteByte((byte)(newData[lastScan + i] - oldData[lastPos + i]));
            var extraLength = scan - lengthBack - (lastScan + lengthForward);
            extra.Write(newData.Slice(lastScan + lengthForward, extraLength));
            controls.Add(new DiffControl(lengthForward, extraLength, (long)(pos - lengthBack) - (lastPos + lengthForward)));
            lastScan = scan - lengthBack;
            lastPos = pos - lengthBack;
            lastOffset = pos - scan;
        }
        return new ByteDiff(controls, diff.ToArray(), extra.ToArray());
    }

    /// <summary>The longest prefix of <paramref name="target"/> found in the old data (binary search over its suffix array).</summary>
    private static int LongestMatch(ReadOnlySpan<byte> oldData, int[] sa, ReadOnlySpan<byte> target, out int position)
    {
        position = 0;
        if (sa.Length == 0 || target.Length == 0) return 0;
        if (target.Length > MaxMatch) target = target[..MaxMatch];
        int lo = 0, hi = sa.Length - 1;
        while (hi - lo > 1)
        {
            var mid = lo + (hi - lo) / 2;
            var suffix = oldData[sa[mid]..];
            var n = Math.Min(suffix.Length, target.Length);
            if (suffix[..n].SequenceCompareTo(target[..n]) < 0) lo = mid;
            else hi = mid;
        }
        var lenLo = oldData[sa[lo]..].CommonPrefixLength(target);
        var lenHi = oldData[sa[hi]..].CommonPrefixLength(target);
        if (lenLo >= lenHi)
        {
            position = sa[lo];
            return lenLo;
        }
        position = sa[hi];
        return lenHi;
    }

    /// <summary>
    /// Rebuilds the new data into <paramref name="output"/>: <paramref name="readOld"/> fills a buffer from old data at an
    /// offset (the device reads its active slot). Every step is checked against the old length and the output space first.
    /// </summary>
    public static void Apply(IReadOnlyList<DiffControl> controls, ReadOnlySpan<byte> diffBytes, ReadOnlySpan<byte> extraBytes,
        long oldLength, ReadOld readOld, Span<byte> output, Action<int, string> fail)
    {
        long oldPos = 0;
        int outPos = 0, diffPos = 0, extraPos = 0;
        Span<byte> old = stackalloc byte[4096];
        for (var k = 0; k < controls.Count; k++)
        {
            var c = controls[k];
            if (c.Add < 0 || c.Copy < 0 || c.Add > output.Length - outPos || c.Add > diffBytes.Length - diffPos)
                fail(k, $"step {k} adds {c.Add} bytes at output offset {outPos}, past the output ({output.Length}) or the diff bytes ({diffBytes.Length})");
            if (oldPos < 0 || oldPos + c.Add > oldLength)
                fail(k, $"step {k} reads old bytes {oldPos}..{oldPos + c.Add}, outside the {oldLength}-byte source");
            for (var done = 0; done < c.Add;)
            {
                var n = Math.Min(old.Length, c.Add - done);
                readOld(oldPos + done, old[..n]);
                var dst = output.Slice(outPos + done, n);
                var d = diffBytes.Slice(diffPos + done, n);
                for (var i = 0; i < n; i++) dst[i] = (byte)(old[i] + d[i]);
                done += n;
            }
            outPos += c.Add;
            diffPos += c.Add;
            oldPos += c.Add;
            if (c.Copy > output.Length - outPos || c.Copy > extraBytes.Length - extraPos)
                fail(k, $"step {k} copies {c.Copy} extra bytes at output offset {outPos}, past the output ({output.Length}) or the extra bytes ({extraBytes.Length})");
            extraBytes.Slice(extraPos, c.Copy).CopyTo(output[outPos..]);
            outPos += c.Copy;
            extraPos += c.Copy;
            oldPos += c.Seek;
        }
        if (outPos != output.Length || diffPos != diffBytes.Length || extraPos != extraBytes.Length)
            fail(controls.Count, $"the steps produce {outPos} of {output.Length} bytes, using {diffPos} of {diffBytes.Length} diff and {extraPos} of {extraBytes.Length} extra bytes");
    }

    public delegate void ReadOld(long offset, Span<byte> buffer);
}

/// <summary>
/// What a diff looks old bytes up in: the suffix array, and a bitmap of the hashes of every 8-byte string of the old data
/// (about one bit in eight set) that rules out most places without a match before a binary search is spent on them.
/// </summary>
public sealed class DiffIndex
{
    private const int Gram = 8;
    private readonly ulong[] _bits;
    private readonly int _shift;

    public DiffIndex(ReadOnlySpan<byte> oldData, int[] suffixArray)
    {
        SuffixArray = suffixArray;
        var log = Math.Clamp(64 - System.Numerics.BitOperations.LeadingZeroCount((ulong)Math.Max(1, oldData.Length) * 8), 16, 31);
        _shift = 64 - log;
        _bits = new ulong[(1L << log) / 64];
        for (var i = 0; i + Gram <= oldData.Length; i++)
        {
            var h = Hash(oldData[i..]);
            _bits[h >> 6] |= 1UL << (int)(h & 63);
        }
    }

    public int[] SuffixArray { get; }

    public static DiffIndex Build(ReadOnlySpan<byte> oldData) => new(oldData, Delta.SuffixArray.Build(oldData));

    private ulong Hash(ReadOnlySpan<byte> at) => (System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(at) * 0x9E3779B97F4A7C15UL) >> _shift;

    /// <summary>False when the first 8 bytes of <paramref name="at"/> are certainly not in the old data (shorter strings: true).</summary>
    public bool MayOccur(ReadOnlySpan<byte> at)
    {
        if (at.Length < Gram) return true;
        var h = Hash(at);
        return (_bits[h >> 6] & (1UL << (int)(h & 63))) != 0;
    }
}
