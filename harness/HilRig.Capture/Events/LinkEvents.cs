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

/// <summary>
/// A packet whose IPv4 header, TCP or UDP checksum is wrong (reported only with <c>DecoderOptions.VerifyChecksums</c>).
/// The receiving host drops such a packet, so the decoder does too: its bytes never reach TCP reassembly or the
/// protocols above, and the clean retransmission that follows is what they read.
/// </summary>
public sealed class BadChecksumEvent(FrameContext context, string layer, ushort field, ushort calculated, int length, long offset) : DecodedEvent(context)
{
    /// <summary>"ipv4", "tcp" or "udp".</summary>
    public string Layer { get; } = layer;

    public ushort Field { get; } = field;

    /// <summary>What the field should have held.</summary>
    public ushort Calculated { get; } = calculated;

    /// <summary>Bytes of the packet at that layer (header included).</summary>
    public int Length { get; } = length;

    /// <summary>Offset of the checksum field in the frame.</summary>
    public long Offset { get; } = offset;

    public override string Protocol => Layer == "ipv4" ? "ip" : Layer;

    public override string Summary =>
        $"[{Layer} checksum 0x{Field:x4} incorrect, should be 0x{Calculated:x4}] len={Length} dropped, as the receiver would";

    protected override void WriteFields(Utf8JsonWriter w)
    {
        if (Context.Source.Port is { } src) w.WriteNumber("srcport", src);
        if (Context.Destination.Port is { } dst) w.WriteNumber("dstport", dst);
        w.WriteString("checksum", $"0x{Field:x4}");
        w.WriteString("checksum_calculated", $"0x{Calculated:x4}");
        w.WriteString("checksum_status", "bad");
        w.WriteNumber("len", Length);
        w.WriteNumber("offset", Offset);
    }
}
