namespace HilRig.Cloud;

/// <summary>How a cloud instance runs: where it keeps data, which keys it signs with and trusts on upload, how it throttles.</summary>
public sealed record CloudOptions
{
    /// <summary>Everything the cloud keeps (<see cref="CloudDataDirectory"/>); what it lacks is made at start.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>PEM private key that signs metadata and offers (the units' trust store holds its public key); default <c>DATA/signing.pem</c>, made if missing.</summary>
    public string? SigningKeyPath { get; init; }

    /// <summary>Trust store of the keys OEM bundles must be signed with to be uploaded; default <c>DATA/upload-trust.json</c>, made empty if missing.</summary>
    public string? UploadTrustPath { get; init; }

    /// <summary>Listen address, always HTTPS, e.g. <c>https://127.0.0.1:0</c>.</summary>
    public string Listen { get; init; } = "https://127.0.0.1:8480";

    /// <summary>The URL units reach this cloud at; component URLs in metadata are made from it. Defaults to the bound address.</summary>
    public Uri? PublicUrl { get; init; }

    /// <summary>Further base URLs that serve the same <c>/files/</c> (mirrors), listed after the cloud's own in every component.</summary>
    public IReadOnlyList<Uri> Mirrors { get; init; } = [];

    /// <summary>Automatic offers to a unit at most once per this period (seed 001: "once per day for example").</summary>
    public TimeSpan ThrottlePeriod { get; init; } = TimeSpan.FromDays(1);

    /// <summary>A unit seen within this window counts as online on the dashboard.</summary>
    public TimeSpan OnlineWindow { get; init; } = TimeSpan.FromMinutes(5);

    public CloudDataDirectory Data => new(DataDirectory);

    public string DatabasePath => Data.Database;
    public string FilesDirectory => Data.Files;
}
