namespace HilRig.Capture;

/// <summary>
/// The LINKTYPE_ values (tcpdump.org/linktypes.html) of the link layers this project decodes.
/// A capture may carry any other value; decoding such a frame reports it as unknown with its number.
/// </summary>
public enum LinkType : ushort
{
    /// <summary>BSD loopback: a 4-byte host-order address family, then the IP packet.</summary>
    Null = 0,
    Ethernet = 1,
    /// <summary>A bare IPv4 or IPv6 packet (version nibble decides).</summary>
    Raw = 101,
    /// <summary>Linux "cooked" capture v1, what <c>tcpdump -i any</c> writes.</summary>
    LinuxSll = 113,
    /// <summary>Linux "cooked" capture v2.</summary>
    LinuxSll2 = 276,
}
