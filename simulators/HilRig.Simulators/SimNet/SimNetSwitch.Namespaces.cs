using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using HilRig.Capture.Decoding;

namespace HilRig.Simulators.SimNet;

/// <summary>Hosts in network namespaces behind TAP ports.</summary>
public sealed partial class SimNetSwitch
{
    private readonly List<NamespaceHost> _namespaceHosts = new();
    private static int _sweptOnce;

    public IReadOnlyList<NamespaceHost> NamespaceHosts
    {
        get { lock (_namespaceHosts) return _namespaceHosts.ToList(); }
    }

    [GeneratedRegex("^[a-z][a-z0-9-]{0,30}$")]
    private static partial Regex HostNamePattern();

    /// <summary>
    /// Creates a namespace for the host, a TAP device plugged into this switch that becomes the host's
    /// <c>eth0</c> with the given addresses, loopback up and a multicast route (discovery needs it). The first
    /// call in a process sweeps namespaces left by crashed runs. Needs root.
    /// </summary>
    public NamespaceHost AddNamespaceHost(NamespaceHostOptions options)
    {
        if (!HostNamePattern().IsMatch(options.Name))
            throw new ArgumentException($"host name '{options.Name}' must be lower-case letters, digits and '-', starting with a letter, at most 31 characters");
        if (options.Addresses.Count == 0) throw new ArgumentException($"host '{options.Name}' has no address");
        foreach (var a in options.Addresses)
            if (!System.Net.IPNetwork.TryParse(a, out _)) throw new ArgumentException($"host '{options.Name}': address '{a}' is not CIDR (e.g. 10.77.0.2/24)");
        SimNetRequiresRootException.ThrowIfNotRoot($"SimNet host '{options.Name}'");
        if (Interlocked.Exchange(ref _sweptOnce, 1) == 0) NetworkNamespaces.SweepStale();

        var netns = NetworkNamespaces.NewName(options.Name);
        var mac = options.Mac ?? MacFor(options.Name);
        // A temporary, unique name in the harness's namespace; renamed to eth0 once moved.
        var tapName = $"hrsnt{Convert.ToHexString(RandomNumberGenerator.GetBytes(4)).ToLowerInvariant()}";
        if (options.JoinProcess is { } pid) NetworkNamespaces.Attach(netns, pid);
        else NetworkNamespaces.Create(netns);
        TapPort? port = null;
        try
        {
            port = TapPort.Create(options.Name, tapName, options.Offloads);
            IpCommand.Run("link", "set", tapName, "netns", netns);
            var commands = new List<string>
            {
                $"link set {tapName} name {NamespaceHost.InterfaceName}",
                $"link set {NamespaceHost.InterfaceName} address {mac} mtu {options.Mtu}",
                "link set lo up",
            };
            commands.AddRange(options.Addresses.Select(a => $"addr add {a} dev {NamespaceHost.InterfaceName}"));
            commands.Add($"link set {NamespaceHost.InterfaceName} up");
            commands.Add($"route add 224.0.0.0/4 dev {NamespaceHost.InterfaceName}");
            IpCommand.Batch(netns, commands);
            AddPort(port);
            var host = new NamespaceHost(options.Name, netns, mac, options.Addresses, port);
            lock (_namespaceHosts) _namespaceHosts.Add(host);
            return host;
        }
        catch
        {
            port?.Dispose();
            NetworkNamespaces.Delete(netns);
            throw;
        }
    }

    public NamespaceHost FindNamespaceHost(string name)
    {
        lock (_namespaceHosts)
            return _namespaceHosts.FirstOrDefault(h => h.Name == name) ?? throw new ArgumentException($"SimNet has no namespace host '{name}'");
    }

    /// <summary>02:48:52 ("HR") then three bytes of SHA-256 of the host name: locally administered, unicast, stable.</summary>
    public static MacAddress MacFor(string host)
    {
        var h = SHA256.HashData(Encoding.UTF8.GetBytes(host));
        return new MacAddress(0x024852_000000UL | ((ulong)h[0] << 16) | ((ulong)h[1] << 8) | h[2]);
    }

    private void DisposeNamespaceHosts()
    {
        List<NamespaceHost> hosts;
        lock (_namespaceHosts)
        {
            hosts = _namespaceHosts.ToList();
            _namespaceHosts.Clear();
        }
        foreach (var h in hosts)
        {
            try
            {
                NetworkNamespaces.Delete(h.Namespace);
            }
            catch (IOException)
            {
                // Left for the next run's sweep; the owner record names this process, which is ending.
            }
        }
    }
}
