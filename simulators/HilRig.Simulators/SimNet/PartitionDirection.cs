namespace HilRig.Simulators.SimNet;

/// <summary>Which traffic a partition stops, seen from the partitioned hosts.</summary>
public enum PartitionDirection
{
    /// <summary>Nothing in, nothing out.</summary>
    Both,
    /// <summary>The hosts cannot send to the rest (they still hear it).</summary>
    Outbound,
    /// <summary>The hosts cannot hear the rest (they can still send).</summary>
    Inbound,
}

/// <summary>
/// One control action applied to SimNet, with the switch's clock; steps and fault plans read these back for reports,
/// and capture assertions for windows ("while it was partitioned"). <see cref="Partitioned"/> and <see cref="Healed"/>
/// name the hosts a partition cut off (with its direction) or a heal released; a heal of everything has
/// <see cref="HealedAll"/>.
/// </summary>
public sealed record SimNetControlEvent(DateTimeOffset Time, string Action)
{
    public IReadOnlyList<string> Partitioned { get; init; } = [];
    public PartitionDirection Direction { get; init; }
    public IReadOnlyList<string> Healed { get; init; } = [];
    public bool HealedAll { get; init; }
}
