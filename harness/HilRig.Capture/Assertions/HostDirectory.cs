using HilRig.Capture.Decoding;
using HilRig.Capture.Events;

namespace HilRig.Capture.Assertions;

/// <summary>
/// Names the hosts of a rig by their addresses, so assertions speak of "cm" and "um1" rather than
/// 10.77.0.2. SimNet fills it from the rig; a physical rig from its address plan.
/// </summary>
public sealed class HostDirectory
{
    private readonly Dictionary<IpAddress, string> _byIp = new();
    private readonly Dictionary<MacAddress, string> _byMac = new();
    private readonly Dictionary<string, List<object>> _addresses = new(StringComparer.Ordinal);

    public HostDirectory Add(string host, IpAddress? ip = null, MacAddress? mac = null)
    {
        if (!_addresses.TryGetValue(host, out var list)) _addresses[host] = list = new List<object>();
        if (ip is { } i) { _byIp[i] = host; list.Add(i); }
        if (mac is { } m) { _byMac[m] = host; list.Add(m); }
        return this;
    }

    public IReadOnlyCollection<string> Hosts => _addresses.Keys;

    /// <summary>The host an endpoint belongs to, by IP first, then MAC; null if unknown.</summary>
    public string? NameOf(Endpoint endpoint) =>
        endpoint.Ip is { } ip && _byIp.TryGetValue(ip, out var n) ? n
        : endpoint.Mac is { } mac && _byMac.TryGetValue(mac, out var m) ? m
        : null;

    public bool Is(Endpoint endpoint, string host) => NameOf(endpoint) == host;

    /// <summary>"cm (10.77.0.2:50051)" or the bare endpoint.</summary>
    public string Describe(Endpoint endpoint) => NameOf(endpoint) is { } n ? $"{n} ({endpoint})" : endpoint.ToString();

    public void RequireKnown(string host)
    {
        if (!_addresses.ContainsKey(host))
            throw new ArgumentException($"host '{host}' is not in the capture's host directory (known: {string.Join(", ", _addresses.Keys.Order())})");
    }
}
