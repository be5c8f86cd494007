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
}
