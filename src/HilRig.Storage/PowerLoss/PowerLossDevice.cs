namespace HilRig.Storage.PowerLoss;

public enum OpKind
{
    Write,
    WriteFua,
    Flush,
    Trim,
}

/// <summary>One device request about to be issued. <see cref="Data"/> is empty for flushes and trims.</summary>
public readonly ref struct InFlightOp
{
    public InFlightOp(long index, OpKind kind, long offset, long length, ReadOnlySpan<byte> data, string? afterPoint)
    {
        Index = index;
        Kind = kind;
        Offset = offset;
        Length = length;
        Data = data;
        AfterPoint = afterPoint;
    }

    public long Index { get; }
    public OpKind Kind { get; }
    public long Offset { get; }
    public long Length { get; }
    public ReadOnlySpan<byte> Data { get; }
    /// <summary>The named point reached just before this operation (as "name#n"), if any.</summary>
    public string? AfterPoint { get; }

    public override string ToString() => Kind switch
    {
        OpKind.Flush => $"op {Index}: flush",
        OpKind.Trim => $"op {Index}: trim {Length} bytes at offset {Offset}",
        _ => $"op {Index}: {(Kind == OpKind.WriteFua ? "FUA write" : "write")} of {Length} bytes at offset {Offset}",
    };
}

public delegate void BeforeOpHandler(PowerLossDevice device, in InFlightOp op);

/// <summary>
/// The simulated disk of the power-loss model: stable media, a volatile write cache (<see cref="WriteBackCache"/>) and a
/// request splitter (host writes become requests of at most <see cref="MaxRequestBytes"/>, like the kernel's max_sectors_kb).
/// Every request is counted; with a <see cref="CutPlan"/> the power fails during request N or after a named point: unflushed
/// writes are lost (or scrambled), the request in flight is torn at sector granularity by a generator seeded from the plan,
/// and every later call throws <see cref="PowerCutException"/>. <see cref="BeforeOp"/> lets the sweep fork a "what if the
/// power failed here" copy of the media at every request without stopping the run.
/// </summary>
public sealed class PowerLossDevice : IBlockDevice
{
    private readonly WriteBackCache _cache;
    private readonly Dictionary<string, int> _occurrences = new();
    private string? _pendingPoint;
    private bool _armed;

    public PowerLossDevice(IBlockDevice media, int maxRequestBytes = 128 * 1024, CutPlan? plan = null)
    {
        if (maxRequestBytes < media.SectorSize || maxRequestBytes % media.SectorSize != 0)
            throw new ArgumentException($"request size {maxRequestBytes} is not a positive multiple of the {media.SectorSize}-byte sector");
        Media = media;
        _cache = new WriteBackCache(media);
        MaxRequestBytes = maxRequestBytes;
        Plan = plan;
    }

    public IBlockDevice Media { get; }
    public WriteBackCache Cache => _cache;
    public int MaxRequestBytes { get; }
    public CutPlan? Plan { get; set; }
    public long OpCount { get; private set; }
    public bool IsPoweredOff { get; private set; }
    /// <summary>Set when the power went: which request, and what it was.</summary>
    public string? CutDescription { get; private set; }
    public BeforeOpHandler? BeforeOp { get; set; }
    /// <summary>Every named point reached, with the index of the next operation: "slot-write#3" → 17.</summary>
    public List<(string Point, long NextOp)> PointLog { get; } = new();

    public int SectorSize => Media.SectorSize;
    public long Length => Media.Length;
    public bool IsReadOnly => Media.IsReadOnly;

    public void Read(long offset, Span<byte> buffer)
    {
        ThrowIfOff();
        _cache.Read(offset, buffer);
    }

    public void Write(long offset, ReadOnlySpan<byte> data, WriteFlags flags = WriteFlags.None)
    {
        ThrowIfOff();
        BlockDevice.CheckWrite(this, offset, data.Length);
        var kind = (flags & WriteFlags.Fua) != 0 ? OpKind.WriteFua : OpKind.Write;
        for (var done = 0; done < data.Length; done += MaxRequestBytes)
        {
            var piece = data.Slice(done, Math.Min(MaxRequestBytes, data.Length - done));
            Issue(new InFlightOp(OpCount, kind, offset + done, piece.Length, piece, TakePoint()));
            _cache.Write(offset + done, piece, flags);
            OpCount++;
        }
    }

    public void Flush()
    {
        ThrowIfOff();
        Issue(new InFlightOp(OpCount, OpKind.Flush, 0, 0, default, TakePoint()));
        _cache.Flush();
        OpCount++;
    }

    public void Trim(long offset, long length)
    {
        ThrowIfOff();
        BlockDevice.CheckWrite(this, offset, length, "trim");
        Issue(new InFlightOp(OpCount, OpKind.Trim, offset, length, default, TakePoint()));
        _cache.Trim(offset, length);
        OpCount++;
    }

    public void Reach(string point)
    {
        ThrowIfOff();
        var n = _occurrences[point] = _occurrences.GetValueOrDefault(point) + 1;
        var tag = $"{point}#{n}";
        _pendingPoint = _pendingPoint is null ? tag : $"{_pendingPoint},{tag}";
        PointLog.Add((tag, OpCount));
        if (Plan?.At is NamedCut nc && nc.Point == point && nc.Occurrence == n) _armed = true;
    }

    /// <summary>
    /// When a named cut point was reached but no operation followed it (the caller went idle), the power fails now,
    /// with nothing in flight: unflushed writes are lost. Call it where the caller would sit idle (end of a command).
    /// </summary>
    public void FireIfArmed()
    {
        if (!_armed) return;
        _armed = false;
        _cache.Discard();
        IsPoweredOff = true;
        CutDescription = $"power cut right after {_pendingPoint ?? Plan?.At.ToString()} (no operation in flight)";
        throw new PowerCutException(CutDescription, OpCount);
    }

    /// <summary>How many times a named point has been reached.</summary>
    public int Occurrences(string point) => _occurrences.GetValueOrDefault(point);

    /// <summary>
    /// A copy of the media as it would be if the power failed during <paramref name="op"/> now, under <paramref name="seed"/>
    /// and <paramref name="policy"/>; this device carries on untouched. Needs <see cref="MemoryBlockDevice"/> media.
    /// </summary>
    public MemoryBlockDevice ForkCut(in InFlightOp op, ulong seed, CutPolicy policy)
    {
        if (Media is not MemoryBlockDevice mem) throw new InvalidOperationException("ForkCut needs MemoryBlockDevice media");
        var fork = mem.Fork();
        PowerCut.Apply(fork, _cache, op, seed, policy);
        return fork;
    }

    private string? TakePoint()
    {
        var p = _pendingPoint;
        _pendingPoint = null;
        return p;
    }

    private void Issue(in InFlightOp op)
    {
        BeforeOp?.Invoke(this, op);
        if (Plan is null) return;
        if (_armed || (Plan.At is OpCut oc && oc.Op == op.Index))
        {
            PowerCut.Apply(Media, _cache, op, Plan.Seed, Plan.Policy);
            _cache.Discard();
            IsPoweredOff = true;
            _armed = false;
            CutDescription = $"power cut during {op.ToString()}{(op.AfterPoint is null ? "" : $" (after {op.AfterPoint})")}";
            throw new PowerCutException(CutDescription, op.Index);
        }
    }

    private void ThrowIfOff()
    {
        if (IsPoweredOff) throw new PowerCutException($"device is powered off ({CutDescription})", OpCount);
    }

    public override string ToString() => BlockDevice.Describe(Media);

    public void Dispose() { }
}
