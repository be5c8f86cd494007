using System.Text.Json;
using HilRig.AbUpdate;
using HilRig.Update.Serialization;

namespace HilRig.Update.Um.Modules;

/// <summary>
/// What <c>rootfs-ab</c>'s Prepare checked and the later steps act on, persisted as one value so a reboot or a power cut
/// never leaves half of it: the image (full or block delta), the slot running at Prepare (<see cref="Source"/>, the
/// fallback), the slot it goes into (<see cref="Target"/>; equal to the source when that slot already runs the image),
/// and the hash and size the target must end up with. <see cref="RootSignature"/> is the release's root signature (its
/// <c>.rootsig</c> text) from the component's annotation.
/// </summary>
public sealed record RootfsAbPlan(string Image, bool Delta, SlotName Source, SlotName Target, string Sha256, long Size, string Version, string? RootSignature = null)
{
    /// <summary>The image is what the node already runs: nothing to write, switch or revert.</summary>
    public bool NothingToSwitch => Source == Target;

    public Digest Digest => Digest.Parse(Sha256);

    public string ToJson() => JsonSerializer.Serialize(this, StateJson.Default.RootfsAbPlan);

    public static RootfsAbPlan? FromJson(string? json) => json is null ? null : JsonSerializer.Deserialize(json, StateJson.Default.RootfsAbPlan);
}
