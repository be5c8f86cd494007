namespace HilRig.Capture.Decoding.Network;

/// <summary>IANA protocol numbers used in IPv4 Protocol and IPv6 Next Header.</summary>
public enum IpProtocol : byte
{
    HopByHop = 0,
    Icmp = 1,
    Tcp = 6,
    Udp = 17,
    Routing = 43,
    Fragment = 44,
    Icmpv6 = 58,
    NoNextHeader = 59,
    DestinationOptions = 60,
}
