using System.Buffers.Binary;

namespace HilRig.Capture.Decoding.Transport;

[Flags]
public enum TcpFlags : ushort
{
    None = 0,
    Fin = 0x01,
    Syn = 0x02,
    Rst = 0x04,
    Psh = 0x08,
    Ack = 0x10,
    Urg = 0x20,
    Ece = 0x40,
    Cwr = 0x80,
}

/// <summary>
/// A TCP header (RFC 9293 §3.1).
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |          Source Port          |       Destination Port        |
/// |                        Sequence Number                        |
/// |                    Acknowledgment Number                      |
/// |  Data |       |C|E|U|A|P|R|S|F|                               |
/// | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
/// |           Checksum            |         Urgent Pointer        |
/// |                           [Options]                           |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// </code>
/// </summary>
public readonly record struct TcpSegment(ushort SourcePort, ushort DestinationPort, uint Sequence, uint Acknowledgment, TcpFlags Flags, ushort Window, int HeaderLength)
{
    public const int MinHeaderLength = 20;

    public bool Has(TcpFlags flag) => (Flags & flag) == flag;

    public static bool TryRead(ReadOnlySpan<byte> data, out TcpSegment tcp)
    {
        tcp = default;
        if (data.Length < MinHeaderLength) return false;
        var offset = (data[12] >> 4) * 4;
        if (offset < MinHeaderLength) throw new ProtocolViolationException("tcp", $"data offset {offset} is below 20", 12);
        if (data.Length < offset) return false;
        tcp = new TcpSegment(BinaryPrimitives.ReadUInt16BigEndian(data), BinaryPrimitives.ReadUInt16BigEndian(data[2..]),
            BinaryPrimitives.ReadUInt32BigEndian(data[4..]), BinaryPrimitives.ReadUInt32BigEndian(data[8..]),
            (TcpFlags)data[13], BinaryPrimitives.ReadUInt16BigEndian(data[14..]), offset);
        return true;
    }

    public override string ToString()
    {
        var f = new List<string>(4);
        if (Has(TcpFlags.Syn)) f.Add("SYN");
        if (Has(TcpFlags.Fin)) f.Add("FIN");
        if (Has(TcpFlags.Rst)) f.Add("RST");
        if (Has(TcpFlags.Psh)) f.Add("PSH");
        if (Has(TcpFlags.Ack)) f.Add("ACK");
        return string.Join(",", f);
    }
}
