using HilRig.Update.Grpc;

namespace HilRig.Update.Cm;

/// <summary>How the CM hands decrypted images to UMs (seed 001, Image deployment).</summary>
public enum ImageDeployment
{
    /// <summary>Unpacked to storage shared with the UMs; they get <c>file://</c> URLs.</summary>
    SharedStorage,
    /// <summary>Served by the CM's own HTTP file server; UMs get <c>http://</c> URLs and download.</summary>
    HttpFileServer,
}

/// <summary>A CM's configuration: which unit it is, where the cloud is, which UMs must take part, where its state lives.</summary>
public sealed record CmConfig(
    string UnitId,
    string PlatformId,
    Uri CloudUrl,
    string StateDirectory,
    IReadOnlyList<string> ExpectedNodes,
    ImageDeployment Deployment = ImageDeployment.SharedStorage)
{
    /// <summary>Where UMs on other hosts reach the CM's file server (default: its listener, named by <see cref="AdvertisedHost"/>).</summary>
    public Uri? FileServerUrl { get; init; }

    /// <summary>The host name or address other nodes reach this CM at (the host of their <c>update.cm_url</c>); null: loopback.</summary>
    public string? AdvertisedHost { get; init; }

    /// <summary>How long one orchestration step (and UM registration) may take before the update is reverted.</summary>
    public TimeSpan StepTimeout { get; init; } = TimeSpan.FromMinutes(5);

    public DownloadOptions Download { get; init; } = new();

    /// <summary>Limits and timers of the UMs' RegisterUM streams.</summary>
    public GrpcLinkOptions Link { get; init; } = new();

    /// <summary>The main node's certificate, key and node CA: RegisterUM is then mutual TLS. Null: cleartext, any peer may register (tests and benchmarks only).</summary>
    public Security.NodeCredentials? Credentials { get; init; }

    /// <summary>
    /// A named fault-injection point where the CM stops dead, as if killed: <c>before-start</c> (all UMs PREPARED,
    /// phase persisted), <c>before-apply</c> (all UMs UPDATED, phase persisted) or <c>before-report</c> (the update ended,
    /// its result not yet sent to the cloud). Restarting the CM must finish the update and report it.
    /// </summary>
    public string? CrashAt { get; init; }

    public string DatabasePath => Path.Combine(StateDirectory, "cm.db");
    public string DownloadDirectory => Path.Combine(StateDirectory, "download");
    public string ImageDirectory => Path.Combine(StateDirectory, "images");
}
