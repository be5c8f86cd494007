namespace HilRig.Rig.Protocols;

/// <summary>Where a board sits on the rig's network.</summary>
public interface INetworkProtocol
{
    /// <summary>The board's addresses as other hosts on the rig network reach it.</summary>
    IReadOnlyList<System.Net.IPAddress> Addresses { get; }

    /// <summary>The network namespace the board runs in, when it is a simulated host; null for real hardware.</summary>
    string? Namespace { get; }
}
