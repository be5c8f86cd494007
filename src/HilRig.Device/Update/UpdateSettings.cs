using System.Net;
using HilRig.Update.Cm;
using HilRig.Update.Security;
using HilRig.Update.Um;

namespace HilRig.Device.Update;

/// <summary>
/// The update stack's board settings (rig.yaml <c>settings:</c> or a step's <c>Configure</c>), all under <c>update.</c>:
/// <list type="table">
/// <item><term>update.modules</term><description>the UM's modules, <c>id:plugin[:key=value;…]</c> comma-separated (enables the UM); <c>rootfs-ab</c> updates the board's A/B disk (<c>ab.disk</c>)</description></item>
/// <item><term>update.cm_url</term><description>where the CM's RegisterUM endpoint is (every UM)</description></item>
/// <item><term>update.priority</term><description>this UM's priority among the unit's UMs</description></item>
/// <item><term>update.cm</term><description><c>on</c> on the main node (enables the CM)</description></item>
/// <item><term>update.cm_listen</term><description>the address the CM listens on (default 127.0.0.1; on SimNet 0.0.0.0)</description></item>
/// <item><term>update.cm_port, update.cloud, update.unit, update.platform, update.expected</term><description>the CM's listen port, the cloud URL, unit and platform id, the UMs that must take part</description></item>
/// <item><term>update.trust, update.unit_key</term><description>trust store and unit key-agreement key (no default: provisioning gives them)</description></item>
/// <item><term>update.cloud_credentials</term><description>directory with <c>unit.crt</c>, <c>unit.key</c> and <c>ca.crt</c> from <c>hilrig cloud enroll</c>: the CM's identity towards the cloud and the CA it checks the cloud's certificate against</description></item>
/// <item><term>update.node_credentials</term><description>directory with this node's <c>node.crt</c>, <c>node.key</c> and the unit's node CA <c>ca.crt</c> (provisioning puts them there): CM and UM talk mutual TLS with them; required unless update.grpc_tls is off</description></item>
/// <item><term>update.grpc_tls</term><description><c>on</c> (default) or <c>off</c>: cleartext RegisterUM that any peer may use, for a capture that must show the gRPC messages</description></item>
/// <item><term>update.checkin_period</term><description>seconds between check-ins; 0 (default) checks in only on <c>cm checkin</c></description></item>
/// <item><term>update.deployment</term><description><c>shared</c> (file:// on shared storage, default) or <c>http</c> (the CM's file server, on update.cm_listen, named by the host of update.cm_url)</description></item>
/// <item><term>update.download_attempts, update.download_stall_timeout</term><description>attempts per component URL, and seconds without data before an attempt is abandoned and resumed</description></item>
/// <item><term>update.cm_crash_at</term><description>a CM fault point (<c>before-start</c>, <c>before-apply</c>) where the device dies as if its power was cut</description></item>
/// </list>
/// </summary>
public static class UpdateSettings
{
    public static bool UmEnabled(BoardConfig c) => c.Settings.ContainsKey("update.modules");

    public static bool CmEnabled(BoardConfig c) => c.Setting("update.cm", "off") == "on";

    /// <summary>
    /// Whether the UM updates the root filesystem (an enabled <c>rootfs-ab</c> module): then an update's new slot is
    /// committed by the CM's ApplyUpdate, not by the health check of its first boot.
    /// </summary>
    public static bool UmUpdatesRootfs(BoardConfig c)
    {
        if (!UmEnabled(c)) return false;
        try
        {
            return ParseModules(c.Setting("update.modules", ""), StateRoot(c)).Any(m => m.Plugin == "rootfs-ab" && !m.Disabled);
        }
        catch (InvalidDataException)
        {
            return false; // the UM reports its own bad configuration; boot selection must not fail over it
        }
    }

    public static string StateRoot(BoardConfig c) => Path.Combine(c.DataDirectory, "update");

    public static UmConfig Um(BoardConfig c)
    {
        var node = c.Setting("update.node", c.Name);
        var root = StateRoot(c);
        var modules = ParseModules(c.Setting("update.modules", ""), root);
        return new UmConfig(node, uint.Parse(c.Setting("update.priority", "0")), Path.Combine(root, "um"), modules) { Credentials = Credentials(c) };
    }

    /// <summary>
    /// The node's credentials for the CM↔UM channel (update.node_credentials), or null when update.grpc_tls is off. There
    /// is no default: a node without its own certificate has nothing to prove who it is with.
    /// </summary>
    public static NodeCredentials? Credentials(BoardConfig c)
    {
        if (c.Setting("update.grpc_tls", "on") == "off") return null;
        var directory = RequiredPath(c, "update.node_credentials", "the node's certificate, key and node CA (node.crt, node.key, ca.crt) for mutual TLS between CM and UMs");
        try { return NodeCredentials.LoadDirectory(directory); }
        catch (CredentialException e) { throw new InvalidDataException($"update.node_credentials: {e.Message}", e); }
    }

    public static Uri CmUrl(BoardConfig c) => new(c.Settings.TryGetValue("update.cm_url", out var url) ? url
        : throw new InvalidDataException("update.cm_url is not set: the UM does not know where its CM is"));

    public static CmConfig Cm(BoardConfig c)
    {
        string Need(string key) => c.Settings.TryGetValue(key, out var v) && v.Length > 0 ? v : throw new InvalidDataException($"{key} is not set");
        return new CmConfig(
            c.Setting("update.unit", c.Name),
            Need("update.platform"),
            new Uri(Need("update.cloud")),
            Path.Combine(StateRoot(c), "cm"),
            Need("update.expected").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries),
            c.Setting("update.deployment", "shared") == "http" ? ImageDeployment.HttpFileServer : ImageDeployment.SharedStorage)
        {
            StepTimeout = Seconds(c, "update.step_timeout", TimeSpan.FromSeconds(60)),
            // The main node's own UM reaches the CM where every other node does: that is the address to name it by.
            AdvertisedHost = c.Settings.TryGetValue("update.cm_url", out var cmUrl) && Uri.TryCreate(cmUrl, UriKind.Absolute, out var u) ? u.Host : null,
            CrashAt = c.Setting("update.cm_crash_at", "") is { Length: > 0 } point ? point : null,
            Download = Download(c),
            Credentials = Credentials(c),
        };
    }

    /// <summary>update.download_attempts (per URL) and update.download_stall_timeout (seconds); the product defaults otherwise.</summary>
    public static DownloadOptions Download(BoardConfig c)
    {
        var defaults = new DownloadOptions();
        return defaults with
        {
            AttemptsPerUrl = int.Parse(c.Setting("update.download_attempts", defaults.AttemptsPerUrl.ToString(System.Globalization.CultureInfo.InvariantCulture)), System.Globalization.CultureInfo.InvariantCulture),
            StallTimeout = Seconds(c, "update.download_stall_timeout", defaults.StallTimeout),
        };
    }

    /// <summary>update.cm_listen (default 127.0.0.1; 0.0.0.0 when the UMs are other hosts on the rig network) and update.cm_port.</summary>
    public static IPEndPoint CmEndpoint(BoardConfig c) =>
        new(IPAddress.Parse(c.Setting("update.cm_listen", "127.0.0.1")), int.Parse(c.Setting("update.cm_port", "0")));

    public static TimeSpan CheckInPeriod(BoardConfig c) => Seconds(c, "update.checkin_period", TimeSpan.Zero);

    /// <summary>A setting given in (possibly fractional) seconds, or <paramref name="fallback"/> when it is not set.</summary>
    private static TimeSpan Seconds(BoardConfig c, string key, TimeSpan fallback) =>
        c.Settings.TryGetValue(key, out var seconds) ? TimeSpan.FromSeconds(double.Parse(seconds, System.Globalization.CultureInfo.InvariantCulture)) : fallback;

    /// <summary>
    /// A file the CM or UM cannot work without (its trust store, the unit's key, the node's credentials). There is no default: a device must never
    /// fall back to someone else's keys, least of all the repository's test-only ones.
    /// </summary>
    public static string RequiredPath(BoardConfig c, string key, string what) =>
        c.Settings.TryGetValue(key, out var path) && path.Length > 0 ? path
            : throw new InvalidDataException($"{key} is not set: the CM needs {what}");

    /// <summary><c>app:file,fw:test:failAt=update;reboot=update,rootfs:rootfs-ab</c> → module configs with per-node default paths.</summary>
    public static IReadOnlyList<ModuleConfig> ParseModules(string spec, string stateRoot)
    {
        var modules = new List<ModuleConfig>();
        foreach (var entry in spec.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = entry.Split(':', 3);
            if (parts.Length < 2) throw new InvalidDataException($"update.modules: '{entry}' is not id:plugin[:key=value;…]");
            var (id, plugin) = (parts[0], parts[1]);
            var p = new Dictionary<string, string>(StringComparer.Ordinal) { ["version"] = "1.0" };
            if (parts.Length == 3)
                foreach (var kv in parts[2].Split(';', StringSplitOptions.RemoveEmptyEntries))
                {
                    var eq = kv.IndexOf('=');
                    if (eq <= 0) throw new InvalidDataException($"update.modules: '{kv}' in '{entry}' is not key=value");
                    p[kv[..eq]] = kv[(eq + 1)..];
                }
            if (plugin == "file") p.TryAdd("path", Path.Combine(stateRoot, "files", id));
            modules.Add(new ModuleConfig(id, plugin,
                UpdatePriority: p.TryGetValue("updatePriority", out var up) ? int.Parse(up) : 0,
                RebootPriority: p.TryGetValue("rebootPriority", out var rp) ? int.Parse(rp) : 0,
                Params: p));
        }
        return modules;
    }
}
