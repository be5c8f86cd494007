using System.Diagnostics;
using HilRig.Capture.Decoding;

namespace HilRig.Simulators.SimNet;

/// <summary>What a namespace host needs: its name, its addresses inside the namespace (CIDR) and optionally its MAC.</summary>
public sealed record NamespaceHostOptions(string Name, IReadOnlyList<string> Addresses)
{
    /// <summary>Locally administered, derived from the host name when not given, so captures read the same every run.</summary>
    public MacAddress? Mac { get; init; }

    /// <value>1500.</value>
    public int Mtu { get; init; } = 1500;

    /// <summary>
    /// Checksum offload and TSO on the host's eth0 (a TAP with IFF_VNET_HDR): its stack sends 64 KB TCP super-frames
    /// that SimNet passes whole where it can, as veth does. Off: every frame is a wire frame, as before offloads.
    /// </summary>
    /// <value>true.</value>
    public bool Offloads { get; init; } = true;

    /// <summary>
    /// When set, the host is the network namespace of this process (a container board's network holder) instead of a new
    /// one: it is given a SimNet name (<c>ip netns attach</c>), so everything that reaches hosts by namespace name works on it.
    /// </summary>
    public int? JoinProcess { get; init; }
}

/// <summary>
/// A process board or the cloud on SimNet: its own network namespace whose <c>eth0</c> is a TAP device
/// plugged into the switch. Run its processes with <see cref="StartInfo"/>.
/// </summary>
public sealed class NamespaceHost
{
    internal NamespaceHost(string name, string netns, MacAddress mac, IReadOnlyList<string> addresses, TapPort port)
    {
        Name = name;
        Namespace = netns;
        Mac = mac;
        Addresses = addresses;
        Port = port;
    }

    public const string InterfaceName = "eth0";

    public string Name { get; }

    /// <summary>The network namespace (<c>ip netns exec NAMESPACE …</c>).</summary>
    public string Namespace { get; }

    public MacAddress Mac { get; }

    /// <summary>CIDR addresses on eth0.</summary>
    public IReadOnlyList<string> Addresses { get; }

    /// <summary>The first address without its prefix length.</summary>
    public string Address => Addresses[0].Split('/')[0];

    public TapPort Port { get; }

    public ProcessStartInfo StartInfo(string file, params string[] args) => NetworkNamespaces.StartInfo(Namespace, file, args);

    public override string ToString() => $"{Name} ({Address} in {Namespace})";
}
