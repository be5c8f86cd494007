using System.Net;
using System.Security.Cryptography.X509Certificates;
using HilRig.Cloud;
using HilRig.Engine.Runtime;
using HilRig.Simulators.Update;
using HilRig.Steps.Cloud;
using HilRig.Steps.Update;
using HilRig.Update.Bundles;
using HilRig.Update.Cloud;

namespace HilRig.Steps.Security;

/// <summary>
/// The scenario's man in the middle of the unit's check-ins (<see cref="CheckInMitm"/>): on the cloud's host, on a port
/// of its own, answering with the cloud's TLS server certificate and key, and speaking to the cloud as the unit with a
/// certificate from the cloud's CA — an attacker who holds the cloud's TLS and CA keys. The cloud's offer-signing key it
/// gets only when a step says so. Its log of every request and what it did is the scenario's artifact.
/// </summary>
public sealed class CloudMitm(UpdateUnit unit, ScenarioOutput output) : IAsyncDisposable
{
    private CheckInMitm? _mitm;
    private UnitCredentials? _credentials;

    private string LogPath => Path.Combine(output.Directory, "man-in-the-middle.log");

    public OfferForgery Forgery => (_mitm ?? throw new InvalidOperationException("no man in the middle; use \"Given the unit's CM reaches the cloud through a man in the middle …\"")).Forgery;

    /// <summary>Starts it and points the unit's CM at it (before the unit boots: the CM reads <c>update.cloud</c> at start).</summary>
    public async Task StartAsync(CancellationToken ct)
    {
        if (unit.Main is not null) throw new InvalidOperationException("the man in the middle must be in place before the unit boots; put this step before \"an update unit of …\"");
        if (_mitm is not null) throw new InvalidOperationException("the man in the middle is already in place");
        var cloud = await unit.EnsureCloudAsync(ct);
        var issued = (await CloudEnrollment.IssueAsync(cloud.Data, [UpdateUnit.UnitId], DateTimeOffset.UtcNow))[0];
        var upstream = cloud.OperatorHandler();
        _credentials = UnitCredentials.FromPem(issued.CertificatePem, issued.KeyPem, await File.ReadAllTextAsync(cloud.Data.CaCertificate, ct));
        _credentials.ConfigureTls(upstream);
        var certificate = X509Certificate2.CreateFromPemFile(cloud.Data.ServerCertificate, cloud.Data.ServerKey);
        var host = IPAddress.Parse(cloud.UnitUrl.Host);
        _mitm = await CheckInMitm.StartAsync(new IPEndPoint(host, 0), cloud.BindOnHost, certificate, cloud.UnitUrl, upstream, new OfferForgery(),
            new StreamWriter(LogPath) { AutoFlush = true }, TimeProvider.System, ct);
        unit.CmCloudUrl = new UriBuilder(cloud.UnitUrl) { Port = _mitm.Port }.Uri;
        output.WriteLine($"man in the middle on the cloud's host at {unit.CmCloudUrl} with the cloud's server certificate ({certificate.Subject}), " +
                         $"speaking to the cloud as unit '{UpdateUnit.UnitId}' with certificate {issued.Record.Serial}; the unit's CM is pointed at it");
    }

    /// <summary>Hands the attacker the cloud's offer-signing key (the test-only key the scenario's cloud signs with).</summary>
    public void HoldCloudSigningKey()
    {
        Forgery.CloudKey ??= SigningKey.Load(CloudSettings.TestSigningKeyPath);
        output.WriteLine("the man in the middle now holds the cloud's offer-signing key");
    }

    public async ValueTask DisposeAsync()
    {
        if (_mitm is null) return;
        await _mitm.DisposeAsync();
        _credentials?.Dispose();
        if (File.Exists(LogPath)) output.AttachFile("man in the middle log", MediaTypes.Text, LogPath);
    }
}
