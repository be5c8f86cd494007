using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using HilRig.Update.Bundles;
using HilRig.Update.Cloud;
using HilRig.Update.Protocol;
using HilRig.Update.Storage;
using Microsoft.Extensions.Logging;

using HilRig.Update.Serialization;

namespace HilRig.Update.Cm;

/// <summary>
/// The unit's Communication Manager (seed 001): checks in with the cloud, downloads the offered image, verifies it
/// (offer signature and nonce → metadata signature and key validity → image version and component ids → size,
/// SHA-256, SHA-512 of every payload) and only then decrypts it, deploys it for the UMs and runs the update across
/// them. A refused bundle never reaches a UM; its reason goes to the cloud. State is persisted, so a restarted CM
/// finishes what it started (<see cref="ResumeAsync"/>).
/// </summary>
public sealed class CommunicationManager : IDisposable
{
    /// <summary>Annotation the CM adds to a component only when a cloud-signed offer moves the unit back to the previous image.</summary>
    public const string DowngradeAnnotation = "hilrig.downgrade";

    private readonly CmConfig _config;
    private readonly TrustStore _trust;
    private readonly ECDiffieHellman _unitKey;
    private readonly CloudClient _cloud;
    private readonly ComponentDownloader _downloader;
    private readonly TimeProvider _time;
    private readonly ILogger? _log;
    private readonly SemaphoreSlim _busy = new(1, 1);
    private readonly UpdateOrchestrator _orchestrator;

    public CommunicationManager(CmConfig config, TrustStore trust, ECDiffieHellman unitKey, HttpClient http, TimeProvider time, ILogger? log = null)
    {
        _config = config;
        _trust = trust;
        _unitKey = unitKey;
        _time = time;
        _log = log;
        _cloud = new CloudClient(http, config.CloudUrl, time);
        _downloader = new ComponentDownloader(http, config.Download, time, log);
        Directory.CreateDirectory(config.StateDirectory);
        Store = new CmStateStore(config.DatabasePath);
        Registry = new UmRegistry(time) { ReconnectGrace = config.Link.ReconnectGrace };
        _orchestrator = new UpdateOrchestrator(Registry, Store, config.StepTimeout, log, config.CrashAt, ResultJson);
    }

    public UmRegistry Registry { get; }
    public CmStateStore Store { get; }
    public CmConfig Config => _config;
    public ComponentDownloader Downloader => _downloader;

    /// <summary>After a start: finishes a persisted update from what the UMs report, and delivers an unsent result.</summary>
    public async Task<UpdateOutcome?> ResumeAsync(CancellationToken ct)
    {
        await _busy.WaitAsync(ct);
        try
        {
            await FlushPendingResultAsync(ct);
            if (Store.InProgress is null) return null;
            _log?.LogInformation("resuming the update of image {Version} in phase {Phase}", Store.InProgress.Value.Plan.ImageVersion, Store.InProgress.Value.Phase);
            var outcome = await _orchestrator.RunAsync(ct);
            await FinishAsync(outcome, recorded: true, ct);
            return outcome;
        }
        finally { _busy.Release(); }
    }

    /// <summary>One check-in: asks the cloud, and runs the offered update to its end.</summary>
    public async Task<CheckInResult> CheckInAsync(CancellationToken ct)
    {
        await _busy.WaitAsync(ct);
        try
        {
            await FlushPendingResultAsync(ct);
            if (Store.InProgress is not null)
            {
                var resumed = await _orchestrator.RunAsync(ct);
                await FinishAsync(resumed, recorded: true, ct);
                return new CheckInResult(false, "finished the update in progress first", resumed);
            }
            var nonce = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            var response = await _cloud.CheckInAsync(new CheckInRequest(_config.UnitId, _config.PlatformId, Store.InstalledImageVersion, nonce), ct);
            if (response.Action != CheckInResponse.Update) return new CheckInResult(false, response.Reason);

            UpdatePlan plan;
            try
            {
                plan = await PrepareImageAsync(response, nonce, ct);
            }
            catch (BundleRejectedException e)
            {
                _log?.LogWarning("update refused: {Reason}", e.Message);
                var refused = new UpdateOutcome(response.ImageVersion ?? 0, false, BundleRejectedException.ToWire(e.Reason), e.Detail);
                await FinishAsync(refused, recorded: false, ct);
                return new CheckInResult(true, response.Reason, refused);
            }
            catch (UmsNotConnectedException e)
            {
                _log?.LogWarning("update not started: {Error}", e.Message);
                var timedOut = new UpdateOutcome(e.ImageVersion, false, UpdateOutcome.UmTimeout, e.Message);
                await FinishAsync(timedOut, recorded: false, ct);
                return new CheckInResult(true, response.Reason, timedOut);
            }
            UpdateOutcome outcome;
            if (plan.Nodes.Count == 0)
            {
                outcome = UpdateOutcome.Installed((long)plan.ImageVersion);
                Store.Finish(installed: (long)plan.ImageVersion, ResultJson(outcome), plan.Downgrade);
            }
            else
            {
                Store.Begin(plan);
                outcome = await _orchestrator.RunAsync(ct);
            }
            await FinishAsync(outcome, recorded: true, ct);
            return new CheckInResult(true, response.Reason, outcome);
        }
        finally { _busy.Release(); }
    }

    private async Task<UpdatePlan> PrepareImageAsync(CheckInResponse response, string nonce, CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        if (response.Offer is not { } offerJson || response.MetadataUrl is null)
            throw new BundleRejectedException(BundleRejection.InvalidOffer, "the cloud offered an update without a signed offer or metadata URL");
        var offer = UpdateOffer.ReadVerified(JsonSerializer.SerializeToUtf8Bytes(offerJson, CloudJson.Default.JsonElement), _trust, now, _config.UnitId, nonce, Store.InstalledImageVersion);

        var metadataUrl = new Uri(_config.CloudUrl, response.MetadataUrl);
        var metadataBytes = await _cloud.GetAsync(metadataUrl, ct);
        var metadata = MetadataDocument.ReadVerified(metadataBytes, metadataUrl.AbsolutePath, _trust, now);
        // Only the CM marks a downgrade, and only for the cloud's signed word (the offer above): a bundle that claims one
        // itself would skip every UM's version check.
        foreach (var c in metadata.Components)
            if (c.AnnotationsJson is { } annotations && ClaimsDowngrade(annotations))
                throw new BundleRejectedException(BundleRejection.ForbiddenAnnotation,
                    $"component '{c.Id}' carries the annotation '{DowngradeAnnotation}', which only the CM may set");

        IReadOnlyDictionary<string, UpdateStatus> statuses;
        try
        {
            statuses = await Registry.WaitAsync(s => _config.ExpectedNodes.All(s.ContainsKey), _config.StepTimeout,
                $"UMs {string.Join(", ", _config.ExpectedNodes)} to connect", ct);
        }
        catch (TimeoutException e)
        {
            // A UM that is offline is an expected failure of an update, not of the CM: it ends as um-timeout.
            throw new UmsNotConnectedException(metadata.ImageVersion, e.Message);
        }
        UmsConnected?.Invoke();
        // From the same snapshot as the statuses: a UM connecting meanwhile is not half in it.
        var owners = UmRegistry.OwnersIn(statuses);
        new UpdatePolicy(Store.InstalledImageVersion, offer.ImageVersion, owners.Keys.ToHashSet()).Check(metadata);
        var digest = Convert.ToHexStringLower(SHA256.HashData(metadataBytes));
        if (digest != offer.MetadataSha256)
            throw new BundleRejectedException(BundleRejection.InvalidOffer, $"metadata at {metadataUrl} has sha256 {digest}, the offer names {offer.MetadataSha256}");

        var version = metadata.ImageVersion;
        var downloads = Path.Combine(_config.DownloadDirectory, version.ToString());
        var images = Path.Combine(_config.ImageDirectory, version.ToString());
        Directory.CreateDirectory(downloads);
        Directory.CreateDirectory(images);
        try
        {
            foreach (var c in metadata.Components)
                await _downloader.DownloadAsync(c, metadataUrl, Path.Combine(downloads, c.Id + ".enc"), ct);

            var bundleKey = KeyWrap.Unwrap(metadata.DecryptionInfo, _unitKey);
            var nodes = new Dictionary<string, List<PrepareComponentInfo>>();
            try
            {
                foreach (var c in metadata.Components)
                {
                    var node = owners[c.Id];
                    var installed = statuses[node].Components.FirstOrDefault(s => s.ComponentId == c.Id && s.State == ComponentState.Installed);
                    if (installed?.Version == c.Version) continue; // already there: nothing for its UM to do
                    var image = Path.Combine(images, c.Id);
                    // On disk before the plan that points at it is persisted: a restarted CM sends the UMs there. Hashed
                    // as it is decrypted, for the UM to check what it fetches.
                    ComponentHashes hashes = null!;
                    await using (var cipher = File.OpenRead(Path.Combine(downloads, c.Id + ".enc")))
                        await DurableFile.WriteAsync(image, async (plain, token) =>
                        {
                            await using var hashing = new HashingStream(plain);
                            await ComponentCipher.DecryptAsync(cipher, hashing, bundleKey, c.Id, metadata.DecryptionInfo.ChunkSize, token);
                            hashes = hashing.Hashes();
                        }, ct);
                    if (!nodes.TryGetValue(node, out var list)) nodes[node] = list = new();
                    list.Add(new PrepareComponentInfo
                    {
                        ComponentId = c.Id,
                        ComponentType = installed?.ComponentType ?? "",
                        Version = c.Version,
                        Annotations = Annotations(c.AnnotationsJson, offer.Direction == UpdateOffer.Previous),
                        Url = ImageUrl(version, c.Id, image),
                        Sha256 = ByteString.CopyFrom(hashes.Sha256),
                        Size = (ulong)hashes.Size,
                    });
                }
            }
            finally { CryptographicOperations.ZeroMemory(bundleKey); }
            return new UpdatePlan((ulong)version, nodes.ToDictionary(n => n.Key, n => (IReadOnlyList<PrepareComponentInfo>)n.Value), offer.Direction == UpdateOffer.Previous);
        }
        catch
        {
            // No plan points at these images: whatever ended the preparation, they are of no further use.
            if (Directory.Exists(images)) Directory.Delete(images, recursive: true);
            throw;
        }
        finally
        {
            if (Directory.Exists(downloads)) Directory.Delete(downloads, recursive: true);
        }
    }

    private string ImageUrl(long version, string componentId, string path) => _config.Deployment switch
    {
        ImageDeployment.HttpFileServer => new Uri(_config.FileServerUrl ?? throw new InvalidOperationException("HttpFileServer deployment needs FileServerUrl"),
            $"images/{version}/{Uri.EscapeDataString(componentId)}").AbsoluteUri,
        _ => new Uri(Path.GetFullPath(path)).AbsoluteUri,
    };

    private static bool ClaimsDowngrade(string annotations)
    {
        try { return JsonNode.Parse(annotations) is JsonObject o && o.ContainsKey(DowngradeAnnotation); }
        catch (JsonException) { return false; } // not JSON: the UM reads no annotation from it either
    }

    private static string Annotations(string? json, bool downgrade)
    {
        if (!downgrade) return json ?? "";
        var node = json is null ? new JsonObject() : JsonNode.Parse(json)!.AsObject();
        node[DowngradeAnnotation] = true;
        return node.ToJsonString();
    }

    /// <summary>Test seam: runs right after the CM has seen every expected UM connected, before it uses what it saw.</summary>
    internal Action? UmsConnected { get; set; }

    /// <summary>
    /// Reports an update's end. <paramref name="recorded"/>: the update's last transaction already holds the result
    /// (<see cref="CmStateStore.Finish"/>); otherwise (a bundle refused before any update began) it is recorded here.
    /// </summary>
    private async Task FinishAsync(UpdateOutcome outcome, bool recorded, CancellationToken ct)
    {
        if (!recorded) Store.PendingResult = ResultJson(outcome);
        if (_config.CrashAt == "before-report") throw new CmCrashedException("before-report");
        var images = Path.Combine(_config.ImageDirectory, outcome.ImageVersion.ToString());
        if (Directory.Exists(images)) Directory.Delete(images, recursive: true);
        await FlushPendingResultAsync(ct);
    }

    private string ResultJson(UpdateOutcome outcome) =>
        JsonSerializer.Serialize(new ResultReport(_config.UnitId, outcome.ImageVersion, outcome.Success, outcome.Reason, outcome.Detail), CloudJson.Default.ResultReport);

    private async Task FlushPendingResultAsync(CancellationToken ct)
    {
        if (Store.PendingResult is not { } json) return;
        try
        {
            await _cloud.ReportAsync(JsonSerializer.Deserialize(json, CloudJson.Default.ResultReport)!, ct);
            Store.PendingResult = null;
        }
        catch (HttpRequestException e)
        {
            _log?.LogWarning("result not delivered, kept for the next check-in: {Error}", e.Message);
        }
    }

    public void Dispose() => Store.Dispose();

    private sealed class UmsNotConnectedException(long imageVersion, string message) : Exception(message)
    {
        public long ImageVersion { get; } = imageVersion;
    }
}
