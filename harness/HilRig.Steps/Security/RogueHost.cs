using System.Text.Json;
using HilRig.Cloud;
using HilRig.Cloud.Security;
using HilRig.Engine.Runtime;
using HilRig.Rig.Boards;
using HilRig.Rig.Protocols;
using HilRig.Simulators.SimNet;
using HilRig.Steps.Update;
using HilRig.Update.Cloud;

namespace HilRig.Steps.Security;

/// <summary>
/// An attacker on the rig network: HTTPS requests to the cloud's unit URL from a board's network namespace (SimNet),
/// as malware on that board or a stranger on the unit's network would send them, with whatever credentials a step gives
/// it — none, a certificate of its own CA, a certificate the cloud issued to another unit, a token of some role. Before
/// each attack it notes what the cloud holds, so a step can prove that nothing was written; it keeps the answer.
/// </summary>
public sealed class RogueHost(UpdateUnit unit, ScenarioOutput output)
{
    private readonly Dictionary<string, IssuedUnitCertificate> _enrolled = new();
    private string? _before;

    /// <summary>The last answer: status and the cloud's reason.</summary>
    public (int Status, string Reason)? LastAnswer { get; private set; }

    /// <summary>The board the last attack came from.</summary>
    public Board? From { get; private set; }

    /// <summary>A certificate the cloud issued to <paramref name="unitId"/> (as <c>hilrig cloud enroll</c>), kept for later attacks.</summary>
    public async Task<IssuedUnitCertificate> EnrolledAsync(string unitId)
    {
        if (_enrolled.TryGetValue(unitId, out var issued)) return issued;
        issued = (await CloudEnrollment.IssueAsync(unit.Cloud.Data, [unitId], DateTimeOffset.UtcNow))[0];
        output.WriteLine($"the attacker holds a certificate the cloud issued to unit '{unitId}' ({issued.Record.Serial})");
        return _enrolled[unitId] = issued;
    }

    /// <summary>A certificate for <paramref name="unitId"/> from a CA the attacker made (the cloud's CA name copied when <paramref name="lookalike"/>).</summary>
    public IssuedUnitCertificate Forged(string unitId, bool lookalike)
    {
        var now = DateTimeOffset.UtcNow;
        using var real = CloudCertificateAuthority.LoadCertificate(unit.Cloud.Data.CaCertificate, "the CA certificate");
        using var ca = CloudCertificateAuthority.Create(now, lookalike ? real.SubjectName : null);
        return ca.IssueUnit(unitId, now.AddHours(-1), now.AddDays(1), now);
    }

    /// <summary>An operator token with <paramref name="roles"/>, issued as <c>hilrig cloud token add</c> does.</summary>
    public async Task<string> TokenAsync(OperatorRole roles)
    {
        var (token, record) = OperatorToken.New(roles, $"attacker's {OperatorRoles.Format(roles)} token", DateTimeOffset.UtcNow);
        using var store = new CloudStore(unit.Cloud.Data.Database);
        await store.InTransactionAsync(s =>
        {
            s.AddToken(record);
            return true;
        });
        return token;
    }

    /// <summary>Sends one request from <paramref name="board"/>'s network to the cloud's unit URL and keeps the answer.</summary>
    public async Task SendAsync(Board board, IssuedUnitCertificate? certificate, string? authorization, HttpMethod method, string path, HttpContent? content, CancellationToken ct)
    {
        From = board;
        _before = await SnapshotAsync(ct);
        var handler = board.TryGet<INetworkProtocol>(out var network) && network!.Namespace is { } ns ? NamespaceSockets.Handler(ns) : new SocketsHttpHandler();
        var ca = File.ReadAllText(unit.Cloud.Data.CaCertificate);
        UnitCredentials? credentials = null;
        if (certificate is not null)
        {
            // The attacker trusts the real CA (it is public); what it presents is its own business.
            credentials = UnitCredentials.FromPem(certificate.CertificatePem, certificate.KeyPem, ca);
            credentials.ConfigureTls(handler);
        }
        else handler.TrustOnly(System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(ca));
        using (credentials)
        using (var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(60) })
        using (var request = new HttpRequestMessage(method, new Uri(unit.Cloud.UnitUrl, path.TrimStart('/'))) { Content = content })
        {
            if (authorization is not null) request.Headers.TryAddWithoutValidation("Authorization", authorization);
            using var response = await http.SendAsync(request, ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            var reason = body;
            try
            {
                using var json = JsonDocument.Parse(body);
                if (json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("error", out var e)) reason = e.GetString() ?? body;
            }
            catch (JsonException)
            {
            }
            LastAnswer = ((int)response.StatusCode, reason);
            output.WriteLine($"{board.Name} → {method} {path}{(certificate is null ? "" : $" (certificate '{certificate.Record.UnitId}')")}{(authorization is null ? "" : " (Authorization header)")}: {(int)response.StatusCode} {reason}");
        }
    }

    /// <summary>What a refused request must not have changed: every unit, image version, result and group the cloud holds.</summary>
    public async Task<string> SnapshotAsync(CancellationToken ct)
    {
        var api = unit.Cloud.Api;
        var units = new List<object?>();
        foreach (var id in new[] { UpdateUnit.UnitId }.Concat(_enrolled.Keys)) units.Add(await api.UnitAsync(id, ct));
        var results = await api.ResultsAsync(UpdateUnit.UnitId, ct);
        using var versions = JsonDocument.Parse(await api.VersionsJsonAsync(UpdateUnit.Platform, ct));
        using var dashboard = JsonDocument.Parse(await api.DashboardJsonAsync(ct));
        return JsonSerializer.Serialize(new { units, results, versions = versions.RootElement, groups = dashboard.RootElement.GetProperty("groups") }, CloudApi.Json);
    }

    /// <summary>Fails unless the cloud holds what it held before the last attack.</summary>
    public async Task NothingWrittenAsync(CancellationToken ct)
    {
        var before = _before ?? throw new InvalidOperationException("no attack yet");
        var after = await SnapshotAsync(ct);
        if (after != before) throw new AssertionFailedException($"the refused request changed the cloud:\nbefore: {before}\nafter:  {after}");
        output.WriteLine($"the cloud holds what it held before: {after}");
    }
}
