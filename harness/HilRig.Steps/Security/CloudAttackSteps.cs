using System.Net.Http.Json;
using System.Text;
using HilRig.Cloud;
using HilRig.Cloud.Security;
using HilRig.Engine.Bindings;
using HilRig.Engine.Runtime;
using HilRig.Rig.Boards;
using HilRig.Rig.Protocols;
using HilRig.Steps.Update;
using HilRig.Update.Bundles;
using HilRig.Update.Cloud;
using Reqnroll;

namespace HilRig.Steps.Security;

/// <summary>
/// Issue 13's attacks on the cloud, sent by a rogue host on the rig network (<see cref="RogueHost"/>): check-ins without
/// a certificate, with a forged one, as another unit, with a revoked one; operator calls without a token, with a
/// malformed or revoked one, with the wrong role; bodies over a route's limit. Each is answered, logged on the cloud and
/// leaves nothing written, which the Then steps check.
/// </summary>
[Binding]
public sealed class CloudAttackSteps(RogueHost rogue, UpdateUnit unit, ScenarioOutput output)
{
    private static HttpContent CheckIn(string unitId, string nonce = "rogue") =>
        JsonContent.Create(new CheckInRequest(unitId, UpdateUnit.Platform, 0, nonce), options: CloudApi.Json);

    [When("a rogue host on board {board} checks in as unit {string} without a client certificate")]
    [StepSummary("POST /api/checkin from the board's network, no certificate")]
    public Task NoCertificate(Board board, string unitId, CancellationToken ct) =>
        rogue.SendAsync(board, null, null, HttpMethod.Post, CloudApi.CheckInPath, CheckIn(unitId), ct);

    [When("a rogue host on board {board} checks in as unit {string} with a certificate from its own CA")]
    [StepSummary("a certificate naming the unit, issued by a CA the attacker made")]
    public Task OwnCa(Board board, string unitId, CancellationToken ct) =>
        rogue.SendAsync(board, rogue.Forged(unitId, lookalike: false), null, HttpMethod.Post, CloudApi.CheckInPath, CheckIn(unitId), ct);

    [When("a rogue host on board {board} checks in as unit {string} with a certificate from a CA named like the cloud's")]
    [StepSummary("a forgery: the attacker's CA carries the cloud CA's very name, only the signature differs")]
    public Task LookalikeCa(Board board, string unitId, CancellationToken ct) =>
        rogue.SendAsync(board, rogue.Forged(unitId, lookalike: true), null, HttpMethod.Post, CloudApi.CheckInPath, CheckIn(unitId), ct);

    [When("a rogue host on board {board} enrolled as unit {string} checks in as unit {string}")]
    [StepSummary("a genuine certificate of one unit (issued on first use, kept for the scenario) used to check in as another, or as itself")]
    public async Task AsUnit(Board board, string enrolledAs, string unitId, CancellationToken ct) =>
        await rogue.SendAsync(board, await rogue.EnrolledAsync(enrolledAs), null, HttpMethod.Post, CloudApi.CheckInPath, CheckIn(unitId), ct);

    [When("the cloud operator revokes unit {string}")]
    [StepSummary("`hilrig cloud revoke`: every certificate issued to the unit")]
    public async Task Revoke(string unitId)
    {
        var revoked = await CloudEnrollment.RevokeAsync(unit.Cloud.Data, unitId, DateTimeOffset.UtcNow);
        if (revoked.Count == 0) throw new InvalidOperationException($"unit '{unitId}' was never enrolled");
        output.WriteLine($"revoked {revoked.Count} certificate(s) of unit '{unitId}'");
    }

    [When("a rogue host on board {board} enrolled as unit {string} sends a check-in of {int} KiB")]
    [StepSummary("a genuine certificate, a check-in body padded to the size given (the limit is 4 KiB)")]
    public async Task BigCheckIn(Board board, string unitId, int kib, CancellationToken ct)
    {
        var body = new StringContent(Padded($"{{\"unitId\":\"{unitId}\",\"platformId\":\"{UpdateUnit.Platform}\",\"imageVersion\":0,\"nonce\":", kib), Encoding.UTF8, "application/json");
        await rogue.SendAsync(board, await rogue.EnrolledAsync(unitId), null, HttpMethod.Post, CloudApi.CheckInPath, body, ct);
    }

    [When("a rogue host on board {board} enrolled as unit {string} reports a result of {int} KiB")]
    [StepSummary("a genuine certificate, a result whose detail pads it to the size given (the limit is 64 KiB)")]
    public async Task BigResult(Board board, string unitId, int kib, CancellationToken ct)
    {
        var body = new StringContent(Padded($"{{\"unitId\":\"{unitId}\",\"imageVersion\":1,\"success\":false,\"reason\":\"um-failed\",\"detail\":", kib), Encoding.UTF8, "application/json");
        await rogue.SendAsync(board, await rogue.EnrolledAsync(unitId), null, HttpMethod.Post, CloudApi.ResultsPath, body, ct);
    }

    [When("a rogue host on board {board} calls {word} {string} without a token")]
    [StepSummary("an operator route, no Authorization header")]
    public Task NoToken(Board board, string method, string path, CancellationToken ct) =>
        rogue.SendAsync(board, null, null, new HttpMethod(method), path, Body(method), ct);

    [When("a rogue host on board {board} calls {word} {string} with the Authorization header {string}")]
    [StepSummary("an operator route with a header as given (malformed tokens, other schemes)")]
    public Task Header(Board board, string method, string path, string header, CancellationToken ct) =>
        rogue.SendAsync(board, null, header, new HttpMethod(method), path, Body(method), ct);

    [When("a rogue host on board {board} calls {word} {string} with a token of role {word}")]
    [StepSummary("a valid token holding that one role (oem, operator or viewer)")]
    public async Task RoleToken(Board board, string method, string path, string role, CancellationToken ct) =>
        await rogue.SendAsync(board, null, $"Bearer {await rogue.TokenAsync(OperatorRoles.Parse(role))}", new HttpMethod(method), path, Body(method), ct);

    [When("a rogue host on board {board} calls {word} {string} with a revoked token")]
    [StepSummary("a token with every role, revoked (`hilrig cloud token revoke`) before it is used")]
    public async Task RevokedToken(Board board, string method, string path, CancellationToken ct)
    {
        var token = await rogue.TokenAsync(OperatorRole.All);
        var id = OperatorToken.IdOf(token, out _)!;
        using (var store = new CloudStore(unit.Cloud.Data.Database))
            await store.InTransactionAsync(s => s.RevokeToken(id, DateTimeOffset.UtcNow));
        await rogue.SendAsync(board, null, $"Bearer {token}", new HttpMethod(method), path, Body(method), ct);
    }

    [When("a rogue host on board {board} uploads, with an oem token, a bundle whose metadata is {int} MiB")]
    [StepSummary("an OEM upload whose metadata.json is over the 1 MiB the cloud reads (not JSON: parsing it would fail differently)")]
    public async Task HugeMetadata(Board board, int mib, CancellationToken ct)
    {
        var dir = Path.Combine(output.Directory, "rogue");
        Directory.CreateDirectory(dir);
        var payload = Path.Combine(dir, "c.enc");
        await File.WriteAllTextAsync(payload, "x", ct);
        var bundle = Path.Combine(dir, "huge-metadata.tar");
        await BundleArchive.WriteAsync(bundle, new byte[mib << 20], [("c", payload)], ct);
        var token = await rogue.TokenAsync(OperatorRole.Oem);
        await using var file = File.OpenRead(bundle);
        await rogue.SendAsync(board, null, $"Bearer {token}", HttpMethod.Post, $"api/platforms/{UpdateUnit.Platform}/images", new StreamContent(file), ct);
    }

    [Then("the cloud refuses it with {int} saying {string}")]
    [StepSummary("the last rogue request's status and reason, and the same refusal in the cloud's security log, from the rogue board's address")]
    public void Refused(int status, string reason)
    {
        var (got, why) = rogue.LastAnswer ?? throw new InvalidOperationException("no rogue request was sent");
        if (got != status || !why.Contains(reason, StringComparison.Ordinal))
            throw new AssertionFailedException($"the cloud answered {got} \"{why}\"; expected {status} saying \"{reason}\"");
        var from = rogue.From!.TryGet<INetworkProtocol>(out var network) ? network!.Addresses[0].ToString() : "127.0.0.1";
        var logged = SecurityLogEntry.ReadAll(unit.Cloud.Data.SecurityLog);
        var entry = logged.LastOrDefault(e => e.Status == status && e.Reason == why)
            ?? throw new AssertionFailedException($"the cloud's security log has no {status} \"{why}\":\n{string.Join('\n', logged.Select(e => $"{e.Status} {e.Reason}"))}");
        if (!entry.Remote.StartsWith(from + ":", StringComparison.Ordinal))
            throw new AssertionFailedException($"the security log names {entry.Remote} as the sender, not board {rogue.From.Name} ({from})");
        output.WriteLine($"security log: {entry.At:O} {entry.Remote} {entry.Method} {entry.Path} {entry.Status} {entry.Reason}");
    }

    [Then("nothing the rogue host sent was written")]
    [StepSummary("units, results, image versions and groups are as before the last rogue request")]
    public Task NothingWritten(CancellationToken ct) => rogue.NothingWrittenAsync(ct);

    /// <summary>A JSON object whose last string field pads the whole to <paramref name="kib"/> KiB.</summary>
    private static string Padded(string head, int kib) => head + "\"" + new string('x', Math.Max(0, (kib << 10) - head.Length - 2)) + "\"}";

    private static HttpContent? Body(string method) =>
        method is "POST" or "PUT" ? new StringContent("""{"group":null,"platformId":"hilrig-unit","targetVersion":1}""", Encoding.UTF8, "application/json") : null;
}
