namespace HilRig.Capture.Decoding.Dns;

/// <summary>Record types this decoder understands beyond raw bytes (RFC 1035 §3.2.2, RFC 3596, RFC 2782).</summary>
public enum DnsType : ushort
{
    A = 1,
    NS = 2,
    CNAME = 5,
    PTR = 12,
    TXT = 16,
    AAAA = 28,
    SRV = 33,
    NSEC = 47,
    ANY = 255,
}

public sealed record DnsQuestion(string Name, ushort Type, ushort Class, bool UnicastResponse);

/// <summary>A resource record; <see cref="Data"/> is the decoded RDATA (address, name, strings, SRV) or hex.</summary>
public sealed record DnsRecord(string Name, ushort Type, ushort Class, bool CacheFlush, uint Ttl, string Data);

/// <summary>A decoded DNS or mDNS message (RFC 1035 §4.1, RFC 6762).</summary>
public sealed class DnsMessage
{
    public required ushort Id { get; init; }
    public required ushort Flags { get; init; }
    public required IReadOnlyList<DnsQuestion> Questions { get; init; }
    public required IReadOnlyList<DnsRecord> Answers { get; init; }
    public required IReadOnlyList<DnsRecord> Authorities { get; init; }
    public required IReadOnlyList<DnsRecord> Additionals { get; init; }

    public bool IsResponse => (Flags & 0x8000) != 0;
    public int Opcode => (Flags >> 11) & 0xF;
    public int ResponseCode => Flags & 0xF;

    public static string TypeName(ushort type) => Enum.IsDefined((DnsType)type) ? ((DnsType)type).ToString() : $"TYPE{type}";

    public override string ToString()
    {
        var q = string.Join(",", Questions.Select(x => $"{TypeName(x.Type)} {x.Name}"));
        var a = string.Join(",", Answers.Select(x => $"{TypeName(x.Type)} {x.Name}={x.Data}"));
        return $"{(IsResponse ? "response" : "query")} id={Id}{(q.Length > 0 ? " q=" + q : "")}{(a.Length > 0 ? " an=" + a : "")}";
    }
}
