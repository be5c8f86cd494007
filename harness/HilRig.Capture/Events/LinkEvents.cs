using System.Text.Json;
using HilRig.Capture.Decoding.Link;

namespace HilRig.Capture.Events;

public sealed class ArpEvent(FrameContext context, ArpPacket arp) : DecodedEvent(context)
{
    public ArpPacket Arp { get; } = arp;

    public override string Protocol => "arp";

    public override string Summary => Arp.Operation == ArpPacket.Request
        ? $"who-has {Arp.TargetIp} tell {Arp.SenderIp}"
        : $"{Arp.SenderIp} is-at {Arp.SenderMac}";

    protected override void WriteFields(Utf8JsonWriter w)
    {
        w.WriteNumber("opcode", Arp.Operation);
        w.WriteString("sender_mac", Arp.SenderMac.ToString());
        w.WriteString("sender_ip", Arp.SenderIp.ToString());
        w.WriteString("target_mac", Arp.TargetMac.ToString());
        w.WriteString("target_ip", Arp.TargetIp.ToString());
    }
}

/// <summary>An IP packet whose payload is not decoded further (ICMP, fragments, other protocols).</summary>
public sealed class IpEvent(FrameContext context, int protocolNumber, int length, bool fragment) : DecodedEvent(context)
{
    public int ProtocolNumber { get; } = protocolNumber;
    public int Length { get; } = length;
    public bool IsFragment { get; } = fragment;

    public override string Protocol => "ip";

    public override string Summary => $"proto={ProtocolNumber} len={Length}{(IsFragment ? " fragment" : "")}";

    protected override void WriteFields(Utf8JsonWriter w)
    {
        w.WriteNumber("proto", ProtocolNumber);
        w.WriteNumber("len", Length);
        if (IsFragment) w.WriteBoolean("fragment", true);
    }
}

/// <summary>A non-IP, non-ARP Ethernet frame.</summary>
public sealed class EthernetEvent(FrameContext context, ushort etherType, int length) : DecodedEvent(context)
{
    public ushort EtherType { get; } = etherType;
    public int Length { get; } = length;

    public override string Protocol => "eth";

    public override string Summary => $"type=0x{EtherType:x4} len={Length}";

    protected override void WriteFields(Utf8JsonWriter w)
    {
        w.WriteString("type", $"0x{EtherType:x4}");
        w.WriteNumber("len", Length);
    }
}

/// <summary>
/// A frame (or a protocol unit inside it) that broke its protocol or was cut short. Decoding never throws
/// past this: the reason and the byte offset within the frame are kept for the report.
/// </summary>
public sealed class MalformedEvent(FrameContext context, string layer, string reason, long offset) : DecodedEvent(context)
{
    public string Layer { get; } = layer;
    public string Reason { get; } = reason;

    /// <summary>Offset in the frame (or in the reassembled stream for TCP protocols).</summary>
    public long Offset { get; } = offset;

    public override string Protocol => "malformed";

    public override string Summary => $"{Layer}: {Reason} at offset {Offset}";

    protected override void WriteFields(Utf8JsonWriter w)
    {
        w.WriteString("layer", Layer);
        w.WriteString("reason", Reason);
        w.WriteNumber("offset", Offset);
    }
}

/// <summary>The header whose checksum a <see cref="BadChecksumEvent"/> found wrong.</summary>
public enum ChecksumLayer
{
    IPv4,
    Tcp,
    Udp,
}

/// <summary>
/// A packet whose IPv4 header, TCP or UDP checksum is wrong (reported only with <c>DecoderOptions.VerifyChecksums</c>).
/// The receiving host drops such a packet, so the decoder does too: its bytes never reach TCP reassembly or the
/// protocols above, and the clean retransmission that follows is what they read. A damaged IPv4 header may hold
/// damaged addresses, so such an event names its hosts by MAC address only.
/// </summary>
public sealed class BadChecksumEvent(FrameContext context, ChecksumLayer layer, ushort field, ushort calculated, int length, long offset) : DecodedEvent(context)
{
    public ChecksumLayer Layer { get; } = layer;

    public ushort Field { get; } = field;

    /// <summary>What the field should have held.</summary>
    public ushort Calculated { get; } = calculated;

    /// <summary>Bytes of the packet at that layer (header included) as the capture holds them.</summary>
    public int Length { get; } = length;

    /// <summary>Offset of the checksum field in the frame.</summary>
    public long Offset { get; } = offset;

    private string LayerName => Layer switch { ChecksumLayer.IPv4 => "ipv4", ChecksumLayer.Tcp => "tcp", _ => "udp" };

    public override string Protocol => Layer == ChecksumLayer.IPv4 ? "ip" : LayerName;

    public override string Summary =>
        $"[{LayerName} checksum 0x{Field:x4} incorrect, should be 0x{Calculated:x4}] len={Length} dropped, as the receiver would";

    protected override void WriteFields(Utf8JsonWriter w)
    {
        if (Context.Source.Port is { } src) w.WriteNumber("srcport", src);
        if (Context.Destination.Port is { } dst) w.WriteNumber("dstport", dst);
        // As TcpGapEvent does: consumers reading a protocol's usual fields see at once that this event is not a segment.
        w.WriteString("analysis", "bad_checksum");
        w.WriteString("checksum", $"0x{Field:x4}");
        w.WriteString("checksum_calculated", $"0x{Calculated:x4}");
        w.WriteString("checksum_status", "bad");
        w.WriteNumber("len", Length);
        w.WriteNumber("offset", Offset);
    }
}
