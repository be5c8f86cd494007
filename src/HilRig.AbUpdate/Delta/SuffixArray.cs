namespace HilRig.AbUpdate.Delta;

/// <summary>
/// Suffix arrays by induced sorting (SA-IS, Nong, Zhang and Chan 2009): linear time, about 5n bytes of work space for a
/// byte string. The byte-level diff looks every new position up in the old file's suffix array.
/// </summary>
public static class SuffixArray
{
    /// <summary>The start positions of all suffixes of <paramref name="text"/> in lexicographic order (a shorter prefix first).</summary>
    public static int[] Build(ReadOnlySpan<byte> text)
    {
        var n = text.Length;
        var sa = new int[n];
        if (n == 0) return sa;
        Sort(new Bytes(text.ToArray()), sa, 256);
        return sa;
    }

    /// <summary>A text the sort reads symbol by symbol: bytes at the top level, ints for the reduced strings.</summary>
    private interface IText
    {
        int Length { get; }
        int this[int i] { get; }
    }

    // Structs, so the JIT compiles the sort once per kind of text with the reads inlined.
    private readonly struct Bytes(byte[] data) : IText
    {
        public int Length => data.Length;
        public int this[int i] => data[i];
    }

    private readonly struct Ints(int[] data) : IText
    {
        public int Length => data.Length;
        public int this[int i] => data[i];
    }

    /// <summary>
    /// Sorts the suffixes of <paramref name="t"/> (symbols 0..alphabet-1) into <paramref name="sa"/>. The text ends in a
    /// virtual sentinel smaller than every symbol, so a suffix that is a prefix of another sorts first.
    /// </summary>
    private static void Sort<T>(T t, int[] sa, int alphabet) where T : struct, IText
    {
        var n = t.Length;
        if (n == 1)
        {
            sa[0] = 0;
            return;
        }

        // S-type: smaller than the suffix after it. The last symbol is L-type (the sentinel after it is smaller).
        // A bitmap, not a bool per suffix: the induce passes look types up at random places, and n/8 bytes stay in cache.
        var stype = new Types(n);
        for (var i = n - 2; i >= 0; i--)
            if (t[i] < t[i + 1] || (t[i] == t[i + 1] && stype[i + 1])) stype.SetS(i);

        var counts = new int[alphabet];
        for (var i = 0; i < n; i++) counts[t[i]]++;
        var bucket = new int[alphabet];

        void BucketEnds()
        {
            var sum = 0;
            for (var c = 0; c < alphabet; c++)
            {
                sum += counts[c];
                bucket[c] = sum;
            }
        }

        void BucketStarts()
        {
            var sum = 0;
            for (var c = 0; c < alphabet; c++)
            {
                bucket[c] = sum;
                sum += counts[c];
            }
        }

        void Induce()
        {
            // L-type suffixes in ascending order from the left, starting with the one before the sentinel...
            BucketStarts();
            sa[bucket[t[n - 1]]++] = n - 1;
            for (var i = 0; i < n; i++)
            {
                var j = sa[i] - 1;
                // Suffixes seen here are L-type or LMS, so j is L-type exactly when t[j] >= t[j + 1]: no type lookup.
                if (j >= 0 && t[j] >= t[j + 1]) sa[bucket[t[j]]++] = j;
            }
            // ...then S-type suffixes from the right, filling each bucket from its end.
            BucketEnds();
            for (var i = n - 1; i >= 0; i--)
            {
                var j = sa[i] - 1;
                if (j >= 0 && stype[j]) sa[--bucket[t[j]]] = j;
            }
        }

        // 1. Sort the LMS substrings: LMS positions at their bucket ends in any order, then induce.
        Array.Fill(sa, -1);
        BucketEnds();
        for (var i = n - 1; i > 0; i--)
            if (IsLms(stype, i)) sa[--bucket[t[i]]] = i;
        Induce();

        // 2. Name the sorted LMS substrings; equal substrings share a name.
        var lmsCount = 0;
        for (var i = 0; i < n; i++)
            if (IsLms(stype, sa[i])) sa[lmsCount++] = sa[i];
        var names = new int[n];
        Array.Fill(names, -1);
        var name = -1;
        var previous = -1;
        for (var k = 0; k < lmsCount; k++)
        {
            var p = sa[k];
            if (previous < 0 || !SameLmsSubstring(t, stype, previous, p)) name++;
            names[p] = name;
            previous = p;
        }
        var distinct = name + 1;

        // The reduced string: the names of the LMS substrings in text order.
        var lmsPositions = new int[lmsCount];
        var reduced = new int[lmsCount];
        for (int i = 1, k = 0; i < n; i++)
            if (IsLms(stype, i))
            {
                lmsPositions[k] = i;
                reduced[k++] = names[i];
            }

        // 3. Sort the LMS suffixes: recursively when names repeat, directly when they are all distinct.
        var reducedSa = new int[lmsCount];
        if (distinct < lmsCount) Sort(new Ints(reduced), reducedSa, distinct);
        else
            for (var k = 0; k < lmsCount; k++) reducedSa[reduced[k]] = k;

        // 4. Place the sorted LMS suffixes at their bucket ends (largest first) and induce the rest.
        Array.Fill(sa, -1);
        BucketEnds();
        for (var k = lmsCount - 1; k >= 0; k--)
        {
            var p = lmsPositions[reducedSa[k]];
            sa[--bucket[t[p]]] = p;
        }
        Induce();
    }

    /// <summary>Whether the LMS substrings at <paramref name="a"/> and <paramref name="b"/> (up to and including the next LMS position) are equal.</summary>
    private static bool IsLms(Types stype, int i) => i > 0 && i < stype.Length && stype[i] && !stype[i - 1];

    /// <summary>The S/L type of every suffix, one bit each.</summary>
    private readonly struct Types(int n)
    {
        private readonly ulong[] _bits = new ulong[(n + 63) / 64];
        public int Length => n;
        public bool this[int i] => (_bits[i >> 6] & (1UL << (i & 63))) != 0;
        public void SetS(int i) => _bits[i >> 6] |= 1UL << (i & 63);
    }

    private static bool SameLmsSubstring<T>(T t, Types stype, int a, int b) where T : struct, IText
    {
        var n = t.Length;
        for (var i = 0; ; i++)
        {
            var ea = a + i >= n;
            var eb = b + i >= n;
            // The sentinel ends exactly one substring, so one that reaches it equals no other.
            if (ea || eb) return false;
            if (t[a + i] != t[b + i] || stype[a + i] != stype[b + i]) return false;
            if (i > 0 && (IsLms(stype, a + i) || IsLms(stype, b + i))) return IsLms(stype, a + i) && IsLms(stype, b + i);
        }
    }
}
