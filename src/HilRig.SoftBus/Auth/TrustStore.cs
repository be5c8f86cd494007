using System.Text.Json;

namespace HilRig.SoftBus.Auth;

/// <summary>A peer bound with a PIN: its UDID, name and Ed25519 public key.</summary>
public sealed record TrustedPeer(string Udid, string Name, byte[] PublicKey);

/// <summary>The devices this one has bound with, persisted as <c>trusted.json</c> (or in memory when no directory is given).</summary>
public sealed class TrustStore
{
    private readonly string? _path;
    private readonly Dictionary<string, TrustedPeer> _peers = new(StringComparer.Ordinal);

    public TrustStore(string? directory = null)
    {
        if (directory is null) return;
        _path = Path.Combine(directory, "trusted.json");
        if (!File.Exists(_path)) return;
        foreach (var p in JsonSerializer.Deserialize(File.ReadAllBytes(_path), SoftBusJson.Default.ListStoredPeer) ?? [])
            _peers[p.Udid] = new TrustedPeer(p.Udid, p.Name, Convert.FromBase64String(p.PublicKey));
    }

    internal sealed record StoredPeer(string Udid, string Name, string PublicKey);

    public IReadOnlyList<TrustedPeer> Peers
    {
        get { lock (_peers) return _peers.Values.OrderBy(p => p.Name, StringComparer.Ordinal).ToList(); }
    }

    public bool TryGet(string udid, out TrustedPeer? peer)
    {
        lock (_peers) return _peers.TryGetValue(udid, out peer);
    }

    public void Add(TrustedPeer peer)
    {
        lock (_peers)
        {
            _peers[peer.Udid] = peer;
            if (_path is not null)
                Durable.Write(_path, JsonSerializer.SerializeToUtf8Bytes(_peers.Values.Select(p => new StoredPeer(p.Udid, p.Name, Convert.ToBase64String(p.PublicKey))).ToList(), SoftBusJson.Default.ListStoredPeer));
        }
    }
}
