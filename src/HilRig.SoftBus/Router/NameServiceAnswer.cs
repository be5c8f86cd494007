using System.Net;
using System.Net.Sockets;

namespace HilRig.SoftBus.Router;

/// <summary>
/// A router's NGNS answer (what ajtcl aj_disco.c ParseMDNSResp needs), sent unicast to the query's upcv4:ipv4:
/// answers PTR <c>_alljoyn._tcp.local</c> → <c>&lt;guid&gt;._alljoyn._tcp.local</c>, SRV of that name (the
/// <b>priority</b> is the router's rank, lower is better; port = its TCP port; target <c>&lt;guid&gt;.local</c>), TXT
/// <c>advertise.&lt;guid&gt;.local</c> (<c>txtvers=0</c>, <c>t=1</c>, <c>n_1</c> = the advertised name); additionals TXT
/// <c>sender-info.&lt;guid&gt;.local</c> (<c>txtvers=0</c>, <c>ajpv</c> — absent means 10 —, <c>pv=2</c>) and A
/// <c>&lt;guid&gt;.local</c>.
/// </summary>
public sealed record NameServiceAnswer(ushort SearchId, string Guid, string Name, IPEndPoint Router, int Priority, int? ProtocolVersion)
{
    private const ushort ResponseFlags = 0x8400; // QR, AA
    private const uint Ttl = 120;

    /// <summary>The version ranking uses: the advertised ajpv, or 10 when the answer carries none (ajtcl's rule).</summary>
    public int EffectiveProtocolVersion => ProtocolVersion ?? NameServiceQuery.AllJoynProtocolVersion;

    public byte[] Encode()
    {
        if (Router.AddressFamily != AddressFamily.InterNetwork) throw new ArgumentException("the thin core's answers carry an IPv4 A record");
        var instance = $"{Guid}._alljoyn._tcp.local";
        var host = $"{Guid}.local";
        var o = new List<byte>(256);
        DnsWire.WriteHeader(o, SearchId, ResponseFlags, qd: 0, an: 3, ns: 0, ar: 2);
        DnsWire.WriteRecord(o, NameServiceQuery.TcpService, DnsWire.TypePtr, 1, Ttl, r => DnsWire.WriteName(r, instance));
        DnsWire.WriteRecord(o, instance, DnsWire.TypeSrv, 1, Ttl, r =>
        {
            DnsWire.WriteU16(r, Priority);
            DnsWire.WriteU16(r, 0); // weight
            DnsWire.WriteU16(r, Router.Port);
            DnsWire.WriteName(r, host);
        });
        DnsWire.WriteRecord(o, $"advertise.{Guid}.local", DnsWire.TypeTxt, 1, Ttl, r => DnsWire.WriteTxt(r, ["txtvers=0", "t=1", $"n_1={Name}"]));
        DnsWire.WriteRecord(o, $"sender-info.{Guid}.local", DnsWire.TypeTxt, 1, Ttl, r => DnsWire.WriteTxt(r,
            ProtocolVersion is { } v ? ["txtvers=0", $"ajpv={v}", "pv=2"] : ["txtvers=0", "pv=2"]));
        DnsWire.WriteRecord(o, host, DnsWire.TypeA, 1, Ttl, r => r.AddRange(Router.Address.GetAddressBytes()));
        return o.ToArray();
    }

    /// <summary>
    /// Parses an answer. Null (with why) for a well-formed DNS message that is not a usable AllJoyn answer (a query, no
    /// PTR to <c>_alljoyn._tcp.local</c>, no SRV, A or advertise TXT for it); <see cref="NameServiceFormatException"/>
    /// (with the byte offset) for broken DNS.
    /// </summary>
    public static NameServiceAnswer? Parse(ReadOnlySpan<byte> data, out string? whyNot)
    {
        whyNot = null;
        var header = DnsWire.ReadHeader(data, out var pos);
        if (!header.IsResponse) return Not(out whyNot, "a query, not a response");
        var records = DnsWire.ReadRecords(data, header.Records, ref pos);
        var ptr = records.FirstOrDefault(r => r.Type == DnsWire.TypePtr && r.Name.Equals(NameServiceQuery.TcpService, StringComparison.OrdinalIgnoreCase));
        if (ptr.Name is null) return Not(out whyNot, $"no PTR for {NameServiceQuery.TcpService}");
        var at = ptr.RdataOffset;
        var instance = DnsWire.ReadName(data, ref at);
        if (at > ptr.RdataOffset + ptr.RdataLength) throw new NameServiceFormatException("PTR target runs past its record", ptr.RdataOffset);
        var guid = instance.Split('.')[0];
        var srv = records.FirstOrDefault(r => r.Type == DnsWire.TypeSrv && r.Name.Equals(instance, StringComparison.OrdinalIgnoreCase));
        if (srv.Name is null) return Not(out whyNot, $"no SRV for {instance}");
        if (srv.RdataLength < 7) throw new NameServiceFormatException($"SRV RDATA of {srv.RdataLength} bytes (at least 7 needed)", srv.RdataOffset);
        var priority = DnsWire.U16(data, srv.RdataOffset, "SRV priority");
        var port = DnsWire.U16(data, srv.RdataOffset + 4, "SRV port");
        at = srv.RdataOffset + 6;
        var target = DnsWire.ReadName(data, ref at);
        if (at > srv.RdataOffset + srv.RdataLength) throw new NameServiceFormatException("SRV target runs past its record", srv.RdataOffset + 6);
        if (port == 0) return Not(out whyNot, "SRV port 0");
        var a = records.FirstOrDefault(r => r.Type == DnsWire.TypeA && r.Name.Equals(target, StringComparison.OrdinalIgnoreCase));
        if (a.Name is null) return Not(out whyNot, $"no A record for {target}");
        if (a.RdataLength != 4) throw new NameServiceFormatException($"A RDATA of {a.RdataLength} bytes (4 needed)", a.RdataOffset);
        var address = new IPAddress(data.Slice(a.RdataOffset, 4));
        Dictionary<string, string>? advertise = null, sender = null;
        foreach (var r in records.Where(r => r.Type == DnsWire.TypeTxt))
        {
            if (r.Name.StartsWith("advertise.", StringComparison.Ordinal)) advertise = DnsWire.ReadTxt(data, r);
            else if (r.Name.StartsWith("sender-info.", StringComparison.Ordinal)) sender = DnsWire.ReadTxt(data, r);
        }
        var name = advertise?.FirstOrDefault(kv => kv.Key.StartsWith("n_", StringComparison.Ordinal)).Value;
        if (string.IsNullOrEmpty(name)) return Not(out whyNot, "no advertise TXT with an n_ name");
        int? ajpv = null;
        if (sender is not null && sender.TryGetValue("ajpv", out var v))
        {
            if (!int.TryParse(v, out var pv) || pv < 0) return Not(out whyNot, $"sender-info ajpv '{v}' is not a number");
            ajpv = pv;
        }
        return new NameServiceAnswer(header.Id, guid, name, new IPEndPoint(address, port), priority, ajpv);
    }

    private static NameServiceAnswer? Not(out string? whyNot, string reason) => NameServiceQuery.Not<NameServiceAnswer>(out whyNot, reason);
}
