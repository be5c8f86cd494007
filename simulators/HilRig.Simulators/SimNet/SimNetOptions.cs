namespace HilRig.Simulators.SimNet;

/// <summary>Settings of one SimNet instance.</summary>
public sealed record SimNetOptions
{
    /// <summary>The run seed every link generator is derived from (with the component name "simnet/FROM->TO").</summary>
    public ulong Seed { get; init; }

    /// <summary>Clock for delays and capture timestamps; tests pass a manual one.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Hosts that may be added, at most.</summary>
    /// <value>64.</value>
    public int MaxPorts { get; init; } = 64;

    /// <summary>Impairment every new link direction starts with.</summary>
    public LinkImpairment DefaultImpairment { get; init; } = LinkImpairment.None;

    /// <summary>
    /// Per-host defaults (a board's rig-file profile), by host: both directions of every link touching the host start with
    /// it instead of <see cref="DefaultImpairment"/>; where both ends have one, the sender's wins. The control API's
    /// settings (a fault plan's impairment of a host or of all links) are above them, for hosts joining later too.
    /// </summary>
    public IReadOnlyDictionary<string, LinkImpairment> HostImpairments { get; init; } = new Dictionary<string, LinkImpairment>();
}
