namespace HilRig.AbUpdate.Delta;

/// <summary>
/// A byte string as runs of (zeros, literal bytes): how a patch's diff bytes travel. Literal runs absorb gaps of fewer
/// than four zeros, so a run costs more than the zeros it skips only rarely. Nine tenths of a typical diff is zeros, and
/// the compressor then works on a tenth of the bytes.
/// </summary>
public static class SparseRuns
{
    private const int MinZeroGap = 4;

    public static List<(int Zeros, int Literals)> Of(ReadOnlySpan<byte> data)
    {
        var runs = new List<(int, int)>();
        var i = 0;
        while (i < data.Length)
        {
            var literalStart = data[i..].IndexOfAnyExcept((byte)0);
            if (literalStart < 0)
            {
                runs.Add((data.Length - i, 0));
                break;
            }
            var start = i + literalStart;
            var end = start;
            while (end < data.Length)
            {
                var zero = data[end..].IndexOf((byte)0);
                if (zero < 0)
                {
                    end = data.Length;
                    break;
                }
                end += zero;
                var gap = data[end..].IndexOfAnyExcept((byte)0);
                if (gap < 0 || gap >= MinZeroGap) break;
                end += gap;
            }
            runs.Add((start - i, end - start));
            i = end;
        }
        return runs;
    }
}
