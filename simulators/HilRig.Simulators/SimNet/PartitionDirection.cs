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

/// <summary>One control action applied to SimNet, with the switch's clock; steps and fault plans read these back for reports.</summary>
public sealed record SimNetControlEvent(DateTimeOffset Time, string Action);
