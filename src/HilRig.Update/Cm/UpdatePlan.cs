using Google.Protobuf;
using HilRig.Update.Protocol;

namespace HilRig.Update.Cm;

/// <summary>
/// Which components go to which UM for one image version; persisted so a restarted CM can finish it.
/// <see cref="Downgrade"/>: the cloud's signed offer moves the unit back to this (previous) version.
/// </summary>
public sealed record UpdatePlan(ulong ImageVersion, IReadOnlyDictionary<string, IReadOnlyList<PrepareComponentInfo>> Nodes, bool Downgrade = false)
{
    public CMMessages PrepareFor(string nodeId)
    {
        var prepare = new PrepareUpdate { ImageVersion = ImageVersion };
        prepare.Components.AddRange(Nodes[nodeId]);
        return new CMMessages { PrepareUpdate = prepare };
    }

    internal PersistedPlan ToPersisted() => new(ImageVersion,
        Nodes.ToDictionary(n => n.Key, n => n.Value.Select(c => Convert.ToBase64String(c.ToByteArray())).ToList()), Downgrade);

    internal static UpdatePlan FromPersisted(PersistedPlan p) => new(p.ImageVersion,
        p.Nodes.ToDictionary(n => n.Key, n => (IReadOnlyList<PrepareComponentInfo>)n.Value.Select(b => PrepareComponentInfo.Parser.ParseFrom(Convert.FromBase64String(b))).ToList()),
        p.Downgrade);
}

internal sealed record PersistedPlan(ulong ImageVersion, Dictionary<string, List<string>> Nodes, bool Downgrade = false);

/// <summary>Where an update stands on the CM (after aos_communicationmanager's umcontroller states).</summary>
public enum UpdatePhase
{
    Preparing,
    Starting,
    Applying,
    Reverting,
}
