using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace HilRig.AbUpdate;

public sealed record SlotStatus(
    string Slot, string Partition, long Capacity, string State, int TriesLeft, string? BadReason, long? TamperedBlock,
    string Version, string Sha256, long Size, string MerkleRoot, bool Primary, bool Booted, uint InstallCount, string? RootSignedBy);

/// <summary>What `ab status` / `hilrig disk status` reports, derived from the disk alone (plus the booted slot, if any).</summary>
public sealed record AbStatus(
    string Disk, ulong Generation, int NewestCopy, string?[] CopyErrors, string? Primary, string? Booted, string? NextBoot,
    SlotStatus[] Slots)
{
    /// <summary>The JSON form of the A/B reports (status, verify): snake_case names, indented, every property written.</summary>
    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static AbStatus Read(AbDisk disk, SlotName? booted)
    {
        var state = disk.BootControl.Load();
        var rec = state.Record;
        var next = BootSelector.Decide(rec).Boot;
        SlotStatus S(SlotName n)
        {
            var i = rec[n];
            var s = disk[n];
            return new SlotStatus(n.ToString(), s.Partition.Name, s.Capacity, i.State.ToString().ToLowerInvariant(), i.TriesLeft,
                i.State == SlotState.Bad ? SlotInfo.ReasonText(i.Reason) : null, i.TamperedBlock >= 0 ? i.TamperedBlock : null,
                i.Version, i.ImageSize > 0 ? i.Sha256.ToHex() : "", i.ImageSize, i.ImageSize > 0 ? i.MerkleRoot.ToHex() : "",
                rec.Primary == n, booted == n, i.InstallCount, i.Signature.IsNone ? null : i.Signature.KeyId.ToHex());
        }
        return new AbStatus(disk.Name, rec.Generation, state.NewestCopy, state.CopyErrors, rec.Primary?.ToString(), booted?.ToString(),
            next?.ToString(), [S(SlotName.A), S(SlotName.B)]);
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json.AbStatus);

    /// <summary>The source-generated form of <see cref="JsonOptions"/> (the device is NativeAOT; the CLI prints the same).</summary>
    private static readonly AbJson Json = new(new JsonSerializerOptions(JsonOptions));

    public string ToText()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"disk: {Disk}");
        sb.AppendLine($"boot control: generation {Generation} (copy {NewestCopy})" +
                      string.Concat(CopyErrors.Select((e, i) => e is null ? "" : $"; copy {i} invalid: {e}")));
        sb.AppendLine($"primary: {Primary ?? "none"}   booted: {Booted ?? "-"}   next boot: {NextBoot ?? "no bootable slot"}");
        foreach (var s in Slots)
        {
            var state = s.State switch
            {
                "pending" => $"pending ({s.TriesLeft} tries left)",
                "bad" => $"bad ({s.BadReason}{(s.TamperedBlock is { } b ? $", block {b}" : "")})",
                _ => s.State,
            };
            sb.AppendLine($"slot {s.Slot} [{s.Partition}]{(s.Primary ? " primary" : "")}{(s.Booted ? " booted" : "")}: {state}" +
                          (s.Size > 0 ? $", version {(s.Version.Length > 0 ? s.Version : "unversioned")}, sha256 {s.Sha256}, {s.Size} bytes" : "") +
                          (s.Size > 0 ? s.RootSignedBy is { } k ? $", root signed by key {k[..8]}" : ", root not signed" : ""));
        }
        return sb.ToString();
    }
}
