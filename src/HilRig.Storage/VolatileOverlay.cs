namespace HilRig.Storage;

/// <summary>
/// A writable, volatile layer over a read-only device (a non-persistent snapshot): writes land in memory, reads merge,
/// and nothing ever reaches the lower device. Dropping the overlay (a reboot) discards every runtime change.
/// </summary>
public sealed class VolatileOverlay : IBlockDevice
{
    private const int PageSize = 4096;
    private readonly IBlockDevice _lower;
    private readonly Dictionary<long, byte[]> _pages = new();

    public VolatileOverlay(IBlockDevice lower) => _lower = lower;

    public int SectorSize => _lower.SectorSize;
    public long Length => _lower.Length;
    public bool IsReadOnly => false;
    /// <summary>Bytes changed at runtime (in whole pages).</summary>
    public long OverlayBytes => (long)_pages.Count * PageSize;

    public void Read(long offset, Span<byte> buffer)
    {
        BlockDevice.CheckRead(this, offset, buffer.Length);
        var done = 0;
        while (done < buffer.Length)
        {
            var pos = offset + done;
            var index = pos / PageSize;
            var inPage = (int)(pos % PageSize);
            var n = Math.Min(PageSize - inPage, buffer.Length - done);
            if (_pages.TryGetValue(index, out var page)) page.AsSpan(inPage, n).CopyTo(buffer[done..]);
            else _lower.Read(pos, buffer.Slice(done, n));
            done += n;
        }
    }

    public void Write(long offset, ReadOnlySpan<byte> data, WriteFlags flags = WriteFlags.None)
    {
        BlockDevice.CheckWrite(this, offset, data.Length);
        var done = 0;
        while (done < data.Length)
        {
            var pos = offset + done;
            var n = Math.Min(PageSize - (int)(pos % PageSize), data.Length - done);
            data.Slice(done, n).CopyTo(PageFor(pos).AsSpan((int)(pos % PageSize)));
            done += n;
        }
    }

    public void Trim(long offset, long length)
    {
        BlockDevice.CheckWrite(this, offset, length, "trim");
        long done = 0;
        while (done < length)
        {
            var pos = offset + done;
            var n = (int)Math.Min(PageSize - pos % PageSize, length - done);
            PageFor(pos).AsSpan((int)(pos % PageSize), n).Clear();
            done += n;
        }
    }

    private byte[] PageFor(long pos)
    {
        var index = pos / PageSize;
        if (_pages.TryGetValue(index, out var page)) return page;
        page = new byte[PageSize];
        var start = index * PageSize;
        _lower.Read(start, page.AsSpan(0, (int)Math.Min(PageSize, Length - start)));
        return _pages[index] = page;
    }

    public void Flush() { }

    /// <summary>Forgets every runtime change.</summary>
    public void Discard() => _pages.Clear();

    public override string ToString() => $"overlay({BlockDevice.Describe(_lower)})";

    public void Dispose() => _pages.Clear();
}
