namespace HilRig.Capture.Decoding.Tls;

/// <summary>
/// TLS secrets in the NSS key log format (<c>SSLKEYLOGFILE</c>, what .NET, OpenSSL, curl, Node and browsers write, and
/// what tshark's <c>tls.keylog_file</c> reads): <c>LABEL &lt;client random, hex&gt; &lt;secret, hex&gt;</c> per line. Only the
/// TLS 1.3 traffic secrets are used; other lines (TLS 1.2's CLIENT_RANDOM, comments) are kept out of the way.
/// </summary>
public sealed class TlsKeyLog
{
    public const string ClientHandshake = "CLIENT_HANDSHAKE_TRAFFIC_SECRET";
    public const string ServerHandshake = "SERVER_HANDSHAKE_TRAFFIC_SECRET";
    public const string ClientTraffic = "CLIENT_TRAFFIC_SECRET_0";
    public const string ServerTraffic = "SERVER_TRAFFIC_SECRET_0";

    private readonly Dictionary<string, Dictionary<string, byte[]>> _byClientRandom = new(StringComparer.OrdinalIgnoreCase);

    public static TlsKeyLog Empty { get; } = new();

    /// <summary>Connections (client randoms) with at least one secret.</summary>
    public int Count => _byClientRandom.Count;

    /// <summary>Reads every file that exists (a process that made no TLS connection wrote none).</summary>
    public static TlsKeyLog Load(IEnumerable<string> paths)
    {
        var log = new TlsKeyLog();
        foreach (var path in paths.Where(File.Exists))
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            while (reader.ReadLine() is { } line) log.Add(line);
        }
        return log;
    }

    public static TlsKeyLog Parse(string text)
    {
        var log = new TlsKeyLog();
        foreach (var line in text.Split('\n')) log.Add(line);
        return log;
    }

    private void Add(string line)
    {
        var parts = line.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 3 || parts[0].StartsWith('#') || parts[1].Length != 64) return;
        byte[] secret;
        try { secret = Convert.FromHexString(parts[2]); }
        catch (FormatException) { return; }
        if (!_byClientRandom.TryGetValue(parts[1], out var secrets)) _byClientRandom[parts[1]] = secrets = new(StringComparer.Ordinal);
        secrets[parts[0]] = secret;
    }

    /// <summary>The secret <paramref name="label"/> of the connection whose ClientHello carried <paramref name="clientRandom"/>.</summary>
    public byte[]? Secret(ReadOnlySpan<byte> clientRandom, string label) =>
        _byClientRandom.TryGetValue(Convert.ToHexString(clientRandom), out var secrets) ? secrets.GetValueOrDefault(label) : null;
}
