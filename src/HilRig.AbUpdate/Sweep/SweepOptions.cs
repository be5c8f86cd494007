using System.Globalization;
using HilRig.Storage;
using HilRig.Storage.PowerLoss;

namespace HilRig.AbUpdate.Sweep;

public enum UpdateKind
{
    Full,
    Patch,
}

/// <summary>
/// One sweep: which update, how big, which seed (images, GUIDs, tears and samples all derive from it), how many cuts to
/// sample (null: every device operation), and the disk model (request size, sector size, what unflushed writes do).
/// </summary>
public sealed record SweepOptions(
    UpdateKind Kind,
    long ImageSize,
    ulong Seed = 1,
    int? Sample = null,
    CutPolicy Policy = CutPolicy.LoseUnflushed,
    int RequestBytes = SweepOptions.DefaultRequestBytes,
    int SectorSize = 512,
    byte Tries = 3,
    int RestartEvery = 128,
    int HashCheckEvery = 128)
{
    public const int DefaultRequestBytes = 4096;

    /// <summary>The boot policy used after every cut: a sampled tamper check, as a device would run at boot.</summary>
    public BootPolicy Boot { get; init; } = new(TamperCheck.Sampled, 8);

    /// <summary>"full/16MiB/s42" plus any non-default disk-model options.</summary>
    public string Prefix =>
        $"{Kind.ToString().ToLowerInvariant()}/{BlockDevice.FormatSize(ImageSize)}/s{Seed}" +
        (RequestBytes != DefaultRequestBytes ? $"/rq{RequestBytes}" : "") +
        (SectorSize != 512 ? $"/ss{SectorSize}" : "") +
        (Policy == CutPolicy.ScrambleUnflushed ? "/any" : "");

    public string IdFor(CutPoint at) => $"{Prefix}/{at}";

    /// <summary>
    /// Parses a replay id: KIND/SIZE/sSEED[/rqN][/ssN][/any]/CUT where CUT is wN (device operation N) or @point#N.
    /// </summary>
    public static (SweepOptions Options, CutPoint At) ParseId(string id)
    {
        var parts = id.Trim().Split('/');
        string Bad(string why) => $"replay id '{id}': {why} (expected KIND/SIZE/sSEED[/rqN][/ssN][/any]/CUT, e.g. full/16MiB/s1/w137)";
        if (parts.Length < 4) throw new FormatException(Bad("too few parts"));
        var kind = parts[0] switch
        {
            "full" => UpdateKind.Full,
            "patch" => UpdateKind.Patch,
            _ => throw new FormatException(Bad($"unknown update kind '{parts[0]}'")),
        };
        long size;
        try { size = BlockDevice.ParseSize(parts[1]); }
        catch (FormatException e) { throw new FormatException(Bad(e.Message)); }
        if (!parts[2].StartsWith('s') || !ulong.TryParse(parts[2].AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var seed))
            throw new FormatException(Bad($"'{parts[2]}' is not sSEED"));
        var options = new SweepOptions(kind, size, seed);
        foreach (var p in parts[3..^1])
        {
            if (p == "any") options = options with { Policy = CutPolicy.ScrambleUnflushed };
            else if (p.StartsWith("rq") && int.TryParse(p.AsSpan(2), out var rq)) options = options with { RequestBytes = rq };
            else if (p.StartsWith("ss") && int.TryParse(p.AsSpan(2), out var ss)) options = options with { SectorSize = ss };
            else throw new FormatException(Bad($"unknown option '{p}'"));
        }
        CutPoint at;
        try { at = CutPoint.Parse(parts[^1]); }
        catch (FormatException e) { throw new FormatException(Bad(e.Message)); }
        return (options, at);
    }
}

public sealed record CutFailure(string Id, string? Alias, string Message)
{
    public override string ToString() => $"FAIL {Id}{(Alias is null ? "" : $" ({Alias})")}: {Message}";
}

public sealed record SweepReport(string Prefix, long TotalOps, int Cuts, int RestartChecks, int HashChecks, TimeSpan Elapsed, IReadOnlyList<CutFailure> Failures)
{
    public double Rate => Cuts / Math.Max(Elapsed.TotalSeconds, 1e-9);

    /// <summary>The closing line: "cuts=N failures=F rate=R/s".</summary>
    public string Summary => $"cuts={Cuts} failures={Failures.Count} rate={Rate.ToString("0", CultureInfo.InvariantCulture)}/s";
}

/// <summary>What one cut led to after the reboot.</summary>
public sealed record CutOutcome(string Id, string? Alias, bool Ok, string Message, SlotName? Booted, string? Release, Digest? DiskDigest);
