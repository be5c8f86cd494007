using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using HilRig.Cloud.Security;
using HilRig.Update.Bundles;
using HilRig.Update.Cloud;

namespace HilRig.Cloud;

/// <summary>
/// The cloud's operations over the pure version rules (HilRig.Update.Cloud) and the SQLite store: upload (verify the
/// OEM signature, assign the next version, point URLs at the file server, re-sign with the cloud key), delete,
/// check-in with signed offers, manual trigger, groups, results and the dashboard.
/// </summary>
public sealed class VersionService(CloudOptions options, CloudStore store, SigningKey cloudKey, TrustStore uploadTrust, TimeProvider time)
{
    /// <summary>An upload's <c>metadata.json</c> may be at most this large; it is checked before the metadata is read or parsed.</summary>
    public const long MaxMetadataSize = 1024 * 1024;

    private readonly OfferThrottle _throttle = new(options.ThrottlePeriod);

    /// <summary>SHA-256 of each image's signed metadata, which never changes once stored: hashed once, not per offer.</summary>
    private readonly ConcurrentDictionary<(string Platform, long Version), string> _metadataDigests = new();

    /// <summary>Set once the listener is bound, when no public URL was configured.</summary>
    public Uri PublicUrl { get; set; } = options.PublicUrl ?? new Uri("http://127.0.0.1/");

    public static string MetadataPath(string platformId, long version) => $"/api/platforms/{Uri.EscapeDataString(platformId)}/images/{version}/metadata";

    public async Task<(long Version, string MetadataUrl)> UploadAsync(string platformId, string bundlePath, CancellationToken ct)
    {
        ValidateId(platformId, "platform id");
        var work = Path.Combine(options.DataDirectory, "upload", Guid.NewGuid().ToString("N"));
        try
        {
            byte[] signed;
            BundleMetadata metadata;
            try
            {
                signed = await BundleArchive.ExtractAsync(bundlePath, work, ct, MaxMetadataSize);
                metadata = MetadataDocument.ReadVerified(signed, BundleArchive.MetadataEntry, uploadTrust, time.GetUtcNow());
                foreach (var c in metadata.Components)
                {
                    var payload = Path.Combine(work, "components", c.Id + ".enc");
                    if (!File.Exists(payload)) throw new BundleRejectedException(BundleRejection.Truncated, $"component '{c.Id}': not in the bundle");
                    await ComponentIntegrity.VerifyFileAsync(payload, c, ct);
                }
            }
            catch (BundleRejectedException e) when (e.Reason == BundleRejection.TooLarge)
            {
                throw new CloudRequestException(413, $"bundle refused: {e.Message}");
            }
            catch (BundleRejectedException e)
            {
                throw new CloudRequestException(422, $"bundle refused: {e.Message}");
            }
            Directory.CreateDirectory(options.FilesDirectory);
            foreach (var c in metadata.Components)
            {
                var stored = Path.Combine(options.FilesDirectory, c.Sha256Hex);
                if (!File.Exists(stored)) File.Move(Path.Combine(work, "components", c.Id + ".enc"), stored);
            }
            var bases = new[] { PublicUrl }.Concat(options.Mirrors).ToList();
            var components = metadata.Components.Select(c => c with { Urls = bases.Select(b => new Uri(b, $"files/{c.Sha256Hex}").AbsoluteUri).ToList() }).ToList();
            return await store.InTransactionAsync(s =>
            {
                s.Platform(platformId).Upload(out var version);
                var bytes = MetadataDocument.Sign(metadata with { ImageVersion = version, Components = components }, cloudKey);
                s.AddImage(platformId, version, bytes, metadata.Components.Select(c => c.Sha256Hex), time.GetUtcNow());
                return (version, MetadataPath(platformId, version));
            });
        }
        finally
        {
            if (Directory.Exists(work)) Directory.Delete(work, recursive: true);
        }
    }

    public Task DeleteAsync(string platformId, long version) => store.InTransactionAsync(s =>
    {
        try { s.Platform(platformId).Delete(version); }
        catch (VersionRuleException e) { throw new CloudRequestException(e.Message.Contains("has no image") ? 404 : 409, e.Message); }
        s.MarkDeleted(platformId, version);
        return true;
    });

    public Task<PlatformVersions> VersionsAsync(string platformId) => store.ReadAsync(s => s.Platform(platformId));

    public Task<byte[]?> MetadataAsync(string platformId, long version) => store.ReadAsync(s => s.Metadata(platformId, version));

    /// <summary>
    /// One check-in: the decision and the unit's new record in one transaction, then the offer signed outside it (an
    /// ECDSA signature need not hold the database while other check-ins wait).
    /// </summary>
    public async Task<CheckInResponse> CheckInAsync(CheckInRequest request)
    {
        ValidateId(request.UnitId, "unit id");
        ValidateId(request.PlatformId, "platform id");
        if (request.ImageVersion < 0) throw new CloudRequestException(400, $"imageVersion {request.ImageVersion} is negative");
        if (string.IsNullOrWhiteSpace(request.Nonce) || request.Nonce.Length > 128) throw new CloudRequestException(400, "nonce: 1 to 128 characters");
        var (decision, digest) = await store.InTransactionAsync(s =>
        {
            var known = s.Unit(request.UnitId);
            var versions = s.Platform(request.PlatformId);
            var groupTarget = known?.Group is { } g ? s.Group(g)?.TargetVersion : null;
            var (unit, decision) = CheckInPolicy.Evaluate(known, request.UnitId, request.PlatformId, request.ImageVersion, versions, groupTarget, _throttle, time.GetUtcNow());
            s.SaveUnit(unit);
            return (decision, decision.Offers ? MetadataDigest(s, request.PlatformId, decision.ImageVersion!.Value) : null);
        });
        if (!decision.Offers) return new CheckInResponse(CheckInResponse.None, decision.Reason);
        var version = decision.ImageVersion!.Value;
        var direction = decision.Direction == UpdateDirection.Next ? UpdateOffer.Next : UpdateOffer.Previous;
        // The reported version is signed too: the unit checks that the direction was decided from what it said it runs.
        var offer = new UpdateOffer(request.UnitId, request.Nonce, version, direction, decision.Manual, digest!, request.ImageVersion);
        return new CheckInResponse(CheckInResponse.Update, decision.Reason, version, direction, decision.Manual,
            MetadataPath(request.PlatformId, version), JsonElement.Parse(offer.Sign(cloudKey)));
    }

    private string MetadataDigest(CloudStore.Session s, string platformId, long version) =>
        _metadataDigests.GetOrAdd((platformId, version), _ => Convert.ToHexStringLower(SHA256.HashData(s.Metadata(platformId, version)!)));

    /// <summary>A unit may read only its own platform's metadata: the platform it last checked in with.</summary>
    public async Task RequirePlatformAsync(string unitId, string platformId)
    {
        var unit = await store.ReadAsync(s => s.Unit(unitId));
        if (unit is null)
            throw new CloudRequestException(403, $"unit '{unitId}' has not checked in yet: its platform is unknown, so it may read no image metadata");
        if (unit.PlatformId != platformId)
            throw new CloudRequestException(403, $"unit '{unitId}' is a '{unit.PlatformId}' unit; the metadata of platform '{platformId}' is not its to read");
    }

    /// <summary>A unit may download only files of its own platform's images.</summary>
    public async Task RequireFileOfPlatformAsync(string unitId, string sha256)
    {
        var (unit, belongs) = await store.ReadAsync(s => s.Unit(unitId) is { } u ? (u, s.IsFileOf(sha256, u.PlatformId)) : (null, false));
        if (unit is null)
            throw new CloudRequestException(403, $"unit '{unitId}' has not checked in yet: its platform is unknown, so it may download no file");
        if (!belongs)
            throw new CloudRequestException(403, $"file {sha256} is not part of any image of platform '{unit.PlatformId}', the platform of unit '{unitId}'");
    }

    public Task TriggerAsync(string unitId) => store.InTransactionAsync(s =>
    {
        var unit = s.Unit(unitId) ?? throw new CloudRequestException(404, $"unit '{unitId}' has never checked in");
        s.SaveUnit(unit with { ManualTriggerPending = true });
        return true;
    });

    public Task SetGroupAsync(string name, string platformId, long? target) => store.InTransactionAsync(s =>
    {
        ValidateId(name, "group name");
        if (target is { } t && !s.Platform(platformId).Available.Contains(t))
            throw new CloudRequestException(409, $"platform '{platformId}' has no image version {t} to target");
        s.SaveGroup(new GroupRecord(name, platformId, target));
        return true;
    });

    public Task AssignAsync(string unitId, string? group) => store.InTransactionAsync(s =>
    {
        var unit = s.Unit(unitId) ?? throw new CloudRequestException(404, $"unit '{unitId}' has never checked in");
        if (group is not null && s.Group(group) is null) throw new CloudRequestException(404, $"group '{group}' does not exist");
        s.SaveUnit(unit with { Group = group });
        return true;
    });

    public Task ReportAsync(ResultReport report) => store.InTransactionAsync(s =>
    {
        ValidateId(report.UnitId, "unit id");
        s.AddResult(new UpdateResult(report.UnitId, report.ImageVersion, report.Success, report.Reason, report.Detail, time.GetUtcNow()));
        if (s.Unit(report.UnitId) is { } unit && unit.OfferedVersion == report.ImageVersion)
            s.SaveUnit(unit with { OfferedVersion = null, OfferedAt = null, ImageVersion = report.Success ? report.ImageVersion : unit.ImageVersion });
        return true;
    });

    public Task<IReadOnlyList<UpdateResult>> ResultsAsync(string? unitId) => store.ReadAsync(s => s.Results(unitId));

    public Task<UnitRecord?> UnitAsync(string unitId) => store.ReadAsync(s => s.Unit(unitId));

    public Task<DashboardFigures> DashboardAsync() => store.ReadAsync(s =>
        DashboardFigures.Compute(s.Units(), s.Groups(), s.Platforms(), s.Results(), time.GetUtcNow(), options.OnlineWindow));

    private static void ValidateId(string? value, string what)
    {
        if (UnitIds.Problem(value) is { } problem) throw new CloudRequestException(400, $"{what} {problem}");
    }
}
