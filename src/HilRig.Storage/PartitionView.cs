namespace HilRig.Storage;

/// <summary>A window onto a range of another device (a partition, a slot's data area), optionally read-only.</summary>
public sealed class PartitionView : IBlockDevice
{
    private readonly IBlockDevice _inner;
    private readonly string _name;

    public PartitionView(IBlockDevice inner, long offset, long length, string name, bool readOnly = false)
    {
        if (offset < 0 || length < 0 || offset + length > inner.Length)
            throw new ArgumentException($"{name}: range {offset}+{length} is outside {BlockDevice.Describe(inner)} (length {inner.Length})");
        if (offset % inner.SectorSize != 0 || length % inner.SectorSize != 0)
            throw new ArgumentException($"{name}: range {offset}+{length} is not aligned to {inner.SectorSize}-byte sectors");
        _inner = inner;
        Offset = offset;
        Length = length;
        _name = name;
        IsReadOnly = readOnly || inner.IsReadOnly;
    }

    public IBlockDevice Inner => _inner;
    public long Offset { get; }
    public int SectorSize => _inner.SectorSize;
    public long Length { get; }
    public bool IsReadOnly { get; }

    public PartitionView ReadOnlyView() => new(_inner, Offset, Length, _name, true);

    public void Read(long offset, Span<byte> buffer)
    {
        BlockDevice.CheckRead(this, offset, buffer.Length);
        _inner.Read(Offset + offset, buffer);
    }

    public void Write(long offset, ReadOnlySpan<byte> data, WriteFlags flags = WriteFlags.None)
    {
        BlockDevice.CheckWrite(this, offset, data.Length);
        _inner.Write(Offset + offset, data, flags);
    }

    public void Flush()
    {
        if (!IsReadOnly) _inner.Flush();
    }

    public void Trim(long offset, long length)
    {
        BlockDevice.CheckWrite(this, offset, length, "trim");
        _inner.Trim(Offset + offset, length);
    }

    public void Reach(string point) => _inner.Reach(point);

    public override string ToString() => $"{BlockDevice.Describe(_inner)}:{_name}";

    public void Dispose() { }
}
