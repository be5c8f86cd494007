using HilRig.Rig.Drivers.ProcessBoard;
using HilRig.Engine.Runtime;

namespace HilRig.Steps.Cloud;

/// <summary>What a scenario's cloud is started with: its data directory, the test-only keys, the offer throttle and port.</summary>
public sealed record CloudSettings(string DataDirectory, TimeSpan Throttle, int Port)
{
    public static string Fixtures =>
        Path.Combine(DeviceLocator.RepositoryRoot() ?? throw new RigFaultException("cannot find the repository's fixtures/update"), "fixtures", "update");

    /// <summary>The repository's test-only key every scenario's cloud signs metadata and offers with.</summary>
    public static string TestSigningKeyPath => Path.Combine(Fixtures, "test-only-cloud-signing.pem");

    public string SigningKeyPath => TestSigningKeyPath;

    public string UploadTrustPath => Path.Combine(Fixtures, "test-only-oem-trust.json");
}
