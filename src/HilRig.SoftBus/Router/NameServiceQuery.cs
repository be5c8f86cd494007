using System.Net;

namespace HilRig.SoftBus.Router;

/// <summary>
/// The thin core's NGNS query (ajtcl aj_disco.c ComposeMDnsReq), sent to 224.0.0.251:5353: DNS id = the search id
/// (+1 per burst), two PTR questions for <c>_alljoyn._tcp.local</c> and <c>_alljoyn._udp.local</c> with class 0x8001
/// (IN, unicast response wanted), and two TXT additionals: <c>search.&lt;guid&gt;.local</c> (<c>txtvers=0</c>,
/// <c>n_1=&lt;prefix&gt;*</c>, <c>m=1</c>) and <c>sender-info.&lt;guid&gt;.local</c> (<c>txtvers=0</c>, <c>ajpv</c>,
/// <c>pv=2</c>, <c>sid</c>, <c>ipv4</c> = the port answers go to, <c>upcv4</c> = the address they go to).
/// </summary>
public sealed record NameServiceQuery(ushort SearchId, string Guid, string Prefix, IPEndPoint ReplyTo, int ProtocolVersion = NameServiceQuery.AllJoynProtocolVersion)
{
    public const int AllJoynProtocolVersion = 10;
    public const string TcpService = "_alljoyn._tcp.local";
    public const string UdpService = "_alljoyn._udp.local";
    internal const ushort ClassInUnicast = 0x8001;
    internal const uint SearchTtl = 120;

    public byte[] Encode()
    {
        var o = new List<byte>(256);
        DnsWire.WriteHeader(o, SearchId, 0, qd: 2, an: 0, ns: 0, ar: 2);
        foreach (var service in new[] { TcpService, UdpService })
        {
            DnsWire.WriteName(o, service);
            DnsWire.WriteU16(o, DnsWire.TypePtr);
            DnsWire.WriteU16(o, ClassInUnicast);
        }
        DnsWire.WriteRecord(o, $"search.{Guid}.local", DnsWire.TypeTxt, 1, SearchTtl, r => DnsWire.WriteTxt(r, ["txtvers=0", $"n_1={Prefix}*", "m=1"]));
        DnsWire.WriteRecord(o, $"sender-info.{Guid}.local", DnsWire.TypeTxt, 1, SearchTtl, r => DnsWire.WriteTxt(r,
            ["txtvers=0", $"ajpv={ProtocolVersion}", "pv=2", $"sid={SearchId}", $"ipv4={ReplyTo.Port}", $"upcv4={ReplyTo.Address}"]));
        return o.ToArray();
    }

    /// <summary>Parses a query; null (with why) for a DNS message that is not an AllJoyn search. Throws <see cref="NameServiceFormatException"/> on broken DNS.</summary>
    public static NameServiceQuery? Parse(ReadOnlySpan<byte> data, out string? whyNot)
    {
        whyNot = null;
        var asksAllJoyn = false;
        var header = DnsWire.ReadHeader(data, out var pos, (name, type) =>
            asksAllJoyn |= type == DnsWire.TypePtr && name.Equals(TcpService, StringComparison.OrdinalIgnoreCase));
        if (header.IsResponse) return Not(out whyNot, "a response, not a query");
        var records = DnsWire.ReadRecords(data, header.Records, ref pos);
        if (!asksAllJoyn) return Not(out whyNot, $"no PTR question for {TcpService}");
        Dictionary<string, string>? search = null, sender = null;
        string? guid = null;
        foreach (var r in records.Where(r => r.Type == DnsWire.TypeTxt))
        {
            if (r.Name.StartsWith("search.", StringComparison.Ordinal)) search = DnsWire.ReadTxt(data, r);
            else if (r.Name.StartsWith("sender-info.", StringComparison.Ordinal))
            {
                sender = DnsWire.ReadTxt(data, r);
                guid = r.Name["sender-info.".Length..].Replace(".local", "", StringComparison.Ordinal);
            }
        }
        if (search is null || !search.TryGetValue("n_1", out var prefix)) return Not(out whyNot, "no search TXT with n_1");
        if (sender is null || guid is null) return Not(out whyNot, "no sender-info TXT");
        if (!sender.TryGetValue("upcv4", out var ip) || !IPAddress.TryParse(ip, out var address))
            return Not(out whyNot, "sender-info has no valid upcv4");
        if (!sender.TryGetValue("ipv4", out var p) || !ushort.TryParse(p, out var port) || port == 0)
            return Not(out whyNot, "sender-info has no valid ipv4 port");
        var ajpv = sender.TryGetValue("ajpv", out var v) && int.TryParse(v, out var pv) ? pv : AllJoynProtocolVersion;
        return new NameServiceQuery(header.Id, guid, prefix.TrimEnd('*'), new IPEndPoint(address, port), ajpv);
    }

    internal static T? Not<T>(out string? whyNot, string reason) where T : class
    {
        whyNot = reason;
        return null;
    }

    private static NameServiceQuery? Not(out string? whyNot, string reason) => Not<NameServiceQuery>(out whyNot, reason);
}
