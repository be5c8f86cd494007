namespace HilRig.Storage;

/// <summary>
/// A volatile write-back cache in front of a device, with the semantics of a disk's write cache:
/// plain writes are held (read-your-writes) until <see cref="Flush"/> writes them down in offset order and flushes the
/// lower device; FUA writes go straight through and supersede cached data for their sectors; <see cref="Discard"/> is
/// what a power cut does to it. The power-loss model reads <see cref="DirtySectors"/> to decide what a cut keeps.
/// </summary>
public sealed class WriteBackCache : IBlockDevice
{
    private const int PageSize = 4096;
    private readonly IBlockDevice _lower;
    private readonly Dictionary<long, DirtyPage> _dirty = new();
    private readonly int _sectorsPerPage;

    private sealed class DirtyPage
    {
        public readonly byte[] Data = new byte[PageSize];
        public ulong Mask;
    }

    public WriteBackCache(IBlockDevice lower)
    {
        if (PageSize % lower.SectorSize != 0) throw new ArgumentException($"sector size {lower.SectorSize} does not divide {PageSize}");
        _lower = lower;
        _sectorsPerPage = PageSize / lower.SectorSize;
    }

    public IBlockDevice Lower => _lower;
    public int SectorSize => _lower.SectorSize;
    public long Length => _lower.Length;
    public bool IsReadOnly => _lower.IsReadOnly;

    /// <summary>Bytes written but not yet flushed.</summary>
    public long DirtyBytes => _dirty.Values.Sum(p => (long)System.Numerics.BitOperations.PopCount(p.Mask)) * SectorSize;

    public void Read(long offset, Span<byte> buffer)
    {
        _lower.Read(offset, buffer);
        if (_dirty.Count == 0 || buffer.Length == 0) return;
        var s = SectorSize;
        var end = offset + buffer.Length;
        for (var pageIndex = offset / PageSize; pageIndex * PageSize < end; pageIndex++)
        {
            if (!_dirty.TryGetValue(pageIndex, out var page)) continue;
            for (var k = 0; k < _sectorsPerPage; k++)
            {
                if ((page.Mask & (1UL << k)) == 0) continue;
                var secStart = pageIndex * PageSize + (long)k * s;
                var lo = Math.Max(secStart, offset);
                var hi = Math.Min(secStart + s, end);
                if (lo >= hi) continue;
                page.Data.AsSpan((int)(lo - pageIndex * PageSize), (int)(hi - lo)).CopyTo(buffer[(int)(lo - offset)..]);
            }
        }
    }

    public void Write(long offset, ReadOnlySpan<byte> data, WriteFlags flags = WriteFlags.None)
    {
        BlockDevice.CheckWrite(this, offset, data.Length);
        if ((flags & WriteFlags.Fua) != 0)
        {
            _lower.Write(offset, data, WriteFlags.Fua);
            ForgetRange(offset, data.Length);
            return;
        }
        var s = SectorSize;
        for (var done = 0; done < data.Length; done += s)
        {
            var pos = offset + done;
            var pageIndex = pos / PageSize;
            if (!_dirty.TryGetValue(pageIndex, out var page)) _dirty[pageIndex] = page = new DirtyPage();
            var inPage = (int)(pos % PageSize);
            data.Slice(done, s).CopyTo(page.Data.AsSpan(inPage));
            page.Mask |= 1UL << (inPage / s);
        }
    }

    /// <summary>Writes every dirty sector down (coalesced, in offset order), then flushes the lower device.</summary>
    public void Flush()
    {
        if (_dirty.Count > 0)
        {
            foreach (var run in DirtyRuns()) _lower.Write(run.Offset, run.Data);
            _dirty.Clear();
        }
        _lower.Flush();
    }

    public void Trim(long offset, long length)
    {
        BlockDevice.CheckWrite(this, offset, length, "trim");
        ForgetRange(offset, length);
        _lower.Trim(offset, length);
    }

    public void Reach(string point) => _lower.Reach(point);

    /// <summary>Drops every unflushed write, as a power cut does.</summary>
    public void Discard() => _dirty.Clear();

    /// <summary>Every dirty sector in offset order: (byte offset, sector data).</summary>
    public IEnumerable<(long Offset, ReadOnlyMemory<byte> Data)> DirtySectors()
    {
        var s = SectorSize;
        foreach (var pageIndex in _dirty.Keys.Order())
        {
            var page = _dirty[pageIndex];
            for (var k = 0; k < _sectorsPerPage; k++)
                if ((page.Mask & (1UL << k)) != 0)
                    yield return (pageIndex * PageSize + (long)k * s, page.Data.AsMemory(k * s, s));
        }
    }

    /// <summary>Dirty data coalesced into contiguous runs, in offset order.</summary>
    public IEnumerable<(long Offset, byte[] Data)> DirtyRuns()
    {
        long runStart = -1, runEnd = -1;
        var buffer = new MemoryStream();
        foreach (var (off, data) in DirtySectors())
        {
            if (off != runEnd)
            {
                if (runStart >= 0) yield return (runStart, buffer.ToArray());
                buffer.SetLength(0);
                runStart = off;
            }
            buffer.Write(data.Span);
            runEnd = off + data.Length;
        }
        if (runStart >= 0) yield return (runStart, buffer.ToArray());
    }

    private void ForgetRange(long offset, long length)
    {
        if (_dirty.Count == 0) return;
        var s = SectorSize;
        for (var pos = offset; pos < offset + length; pos += s)
        {
            var pageIndex = pos / PageSize;
            if (!_dirty.TryGetValue(pageIndex, out var page)) continue;
            page.Mask &= ~(1UL << (int)(pos % PageSize / s));
            if (page.Mask == 0) _dirty.Remove(pageIndex);
        }
    }

    public override string ToString() => $"cache({BlockDevice.Describe(_lower)})";

    public void Dispose() { }
}
