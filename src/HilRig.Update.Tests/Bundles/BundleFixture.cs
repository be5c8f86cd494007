using System.Security.Cryptography;
using HilRig.Update.Bundles;
using HilRig.Testing;

namespace HilRig.Update.Tests.Bundles;

/// <summary>A signed, encrypted two-component bundle in a temp directory, and the keys that go with it.</summary>
internal sealed class BundleFixture : IDisposable
{
    public static readonly DateTimeOffset Now = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);

    private BundleFixture(string dir)
    {
        Directory = dir;
        Signer = SigningKey.Generate();
        UnitKey = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        Trust = new TrustStore([Signer.Trusted("test-signer", Now.AddYears(-1), Now.AddYears(1))]);
    }

    public string Directory { get; }
    public SigningKey Signer { get; }
    public ECDiffieHellman UnitKey { get; }
    public TrustStore Trust { get; }
    public string BundlePath => Path.Combine(Directory, "bundle.tar");
    public BundleMetadata Metadata { get; private set; } = null!;
    public byte[] RootfsPlain { get; private set; } = [];
    public byte[] BootPlain { get; private set; } = [];

    public static async Task<BundleFixture> CreateAsync(string name, long imageVersion = 2, int chunkSize = 1024)
    {
        var f = new BundleFixture(RepoPaths.NewTempDirectory(name));
        var rng = new Random(42);
        f.RootfsPlain = new byte[10_000];
        rng.NextBytes(f.RootfsPlain);
        f.BootPlain = new byte[2048];
        rng.NextBytes(f.BootPlain);
        var rootfs = Path.Combine(f.Directory, "rootfs.img");
        var boot = Path.Combine(f.Directory, "boot.img");
        await File.WriteAllBytesAsync(rootfs, f.RootfsPlain);
        await File.WriteAllBytesAsync(boot, f.BootPlain);
        var builder = new BundleBuilder { ImageVersion = imageVersion, ChunkSize = chunkSize }
            .Add(new ComponentSource("rootfs", "1.0", rootfs, "this is rootfs update", """{"type":"full"}"""))
            .Add(new ComponentSource("boot", "2.0", boot, "this is boot update"))
            .AddRecipient(f.UnitKey);
        f.Metadata = await builder.WriteAsync(f.BundlePath, f.Signer);
        return f;
    }

    public BundleVerifier Verifier(DateTimeOffset? at = null) => new(Trust, new FixedTime(at ?? Now));

    public void Dispose()
    {
        Signer.Dispose();
        UnitKey.Dispose();
        if (System.IO.Directory.Exists(Directory)) System.IO.Directory.Delete(Directory, true);
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
