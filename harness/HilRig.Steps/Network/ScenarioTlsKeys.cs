using HilRig.Capture.Decoding.Tls;

namespace HilRig.Steps.Network;

/// <summary>
/// The key log files (SSLKEYLOGFILE format) of the scenario's TLS endpoints — the cloud writes one — so its capture
/// decodes HTTP inside TLS. Whoever starts a TLS endpoint adds its file; capture assertions read them all.
/// </summary>
public sealed class ScenarioTlsKeys
{
    private readonly List<string> _paths = new();

    public IReadOnlyList<string> Paths
    {
        get
        {
            lock (_paths) return _paths.ToList();
        }
    }

    public void Add(string path)
    {
        lock (_paths) _paths.Add(path);
    }

    /// <summary>Changes whenever a file is added or grows: the capture is decoded again with the new secrets.</summary>
    public long Version => Paths.Sum(p => File.Exists(p) ? new FileInfo(p).Length + 1 : 1);

    public TlsKeyLog Load() => TlsKeyLog.Load(Paths);
}
