using System.Formats.Tar;
using System.Text;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.Cli.Tests;

/// <summary>
/// <c>hilrig bundle create|verify|inspect</c> end to end: a bundle made by the command verifies (exit 0), and every
/// tampered bundle of issue 4's "Bad input" is refused with exit 1 and its reason.
/// </summary>
public class BundleCommandTests
{
    private static readonly string Keys = Path.Combine("fixtures", "update");
    private string _dir = null!;
    private string _bundle = null!;

    [OneTimeSetUp]
    public async Task CreateBundle()
    {
        _dir = RepoPaths.NewTempDirectory("cli-bundle");
        var rootfs = Path.Combine(_dir, "rootfs.img");
        await File.WriteAllBytesAsync(rootfs, Enumerable.Range(0, 150_000).Select(i => (byte)(i * 7)).ToArray());
        await File.WriteAllTextAsync(Path.Combine(_dir, "boot.img"), "boot 2.0");
        _bundle = Path.Combine(_dir, "good.tar");
        var r = await Hilrig.RunAsync("bundle", "create", "--key", Path.Combine(Keys, "test-only-cloud-signing.pem"), "--out", _bundle,
            "--image-version", "4", $"rootfs@2.0={rootfs}", $"boot@2.0={Path.Combine(_dir, "boot.img")}");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
    }

    private static Task<Hilrig.Result> Verify(string bundle, params string[] extra) =>
        Hilrig.RunAsync(["bundle", "verify", bundle, "--trust", Path.Combine(Keys, "test-only-trust.json"), .. extra]);

    /// <summary>Copies the bundle, changing one entry's bytes on the way.</summary>
    private string Tamper(string name, string entryName, Func<byte[], byte[]> change)
    {
        var output = Path.Combine(_dir, name + ".tar");
        using var reader = new TarReader(File.OpenRead(_bundle));
        using var writer = new TarWriter(File.Create(output), TarEntryFormat.Pax);
        while (reader.GetNextEntry(copyData: true) is { } entry)
        {
            using var data = new MemoryStream();
            entry.DataStream?.CopyTo(data);
            var bytes = entry.Name == entryName ? change(data.ToArray()) : data.ToArray();
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, entry.Name) { DataStream = new MemoryStream(bytes) });
        }
        return output;
    }

    [Test]
    public async Task Verify_BundleMadeByCreate_Exit0AndDecrypts()
    {
        var r = await Verify(_bundle, "--unit-key", Path.Combine(Keys, "test-only-unit.pem"), "--installed-version", "3");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Stdout, Does.Contain("valid — imageVersion 4, components rootfs 2.0, boot 2.0, decrypted"));
    }

    [TestCase("one-byte", "components/rootfs.enc", "sha256-mismatch: component 'rootfs'")]
    [TestCase("longer", "components/boot.enc", "size-mismatch: component 'boot'")]
    [TestCase("truncated", "components/rootfs.enc", "truncated: component 'rootfs'")]
    [TestCase("edited-metadata", "metadata.json", "bad-signature: the signature by key")]
    [TestCase("malformed-json", "metadata.json", "malformed-metadata:")]
    public async Task Verify_TamperedBundle_Exit1WithTheReason(string kind, string entry, string reason)
    {
        var bundle = Tamper(kind, entry, bytes => kind switch
        {
            "one-byte" => Flip(bytes, 5000),
            "longer" => [.. bytes, 0],
            "truncated" => bytes[..70_000],
            "edited-metadata" => Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(bytes).Replace("\"imageVersion\": 4", "\"imageVersion\": 5")),
            _ => Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(bytes).Replace("\"components\":", "\"components\" [")),
        });
        var r = await Verify(bundle);
        Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
        Assert.That(r.Stdout, Does.Contain($"invalid — {reason}"));
    }

    [TestCase("--installed-version", "4", "replayed-image-version: metadata has imageVersion 4, not newer than the installed 4")]
    [TestCase("--components", "rootfs", "unknown-component: component 'boot' is not updated by any UM of this unit")]
    [TestCase("--at", "2036-01-01T00:00:00Z", "expired-key: signed by key")]
    public async Task Verify_PolicyRefusals_Exit1WithTheReason(string option, string value, string reason)
    {
        var r = await Verify(_bundle, option, value);
        Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
        Assert.That(r.Stdout, Does.Contain($"invalid — {reason}"));
    }

    [Test]
    public async Task Verify_SignedByAKeyTheTrustStoreLacks_UnknownKey()
    {
        var r = await Hilrig.RunAsync("bundle", "verify", _bundle, "--trust", Path.Combine(Keys, "test-only-oem-trust.json"));
        Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
        Assert.That(r.Stdout, Does.Contain("invalid — unknown-key: signed by key"));
    }

    [Test]
    public async Task Inspect_Json_ShowsTheSeedFields()
    {
        var r = await Hilrig.RunAsync("bundle", "inspect", _bundle, "--json");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        using var doc = System.Text.Json.JsonDocument.Parse(r.Stdout);
        Assert.That(doc.RootElement.GetProperty("imageVersion").GetInt64(), Is.EqualTo(4));
        var rootfs = doc.RootElement.GetProperty("components")[0];
        Assert.That(rootfs.GetProperty("id").GetString(), Is.EqualTo("rootfs"));
        Assert.That(rootfs.GetProperty("sha512").GetString(), Has.Length.EqualTo(128));
    }

    [Test]
    public async Task Verify_TrustIsOnePemPublicKey_Exit0()
    {
        var r = await Hilrig.RunAsync("bundle", "verify", _bundle, "--trust", Path.Combine(Keys, "test-only-cloud-signing.pub.pem"));
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Stdout, Does.Contain("valid — imageVersion 4"));
    }

    [Test]
    public async Task Verify_TrustIsAPemFileOfSeveralKeys_AnyOfThemSigns()
    {
        // A keyring as openssl leaves it: another key first, text between blocks, the signer as a certificate.
        using var signer = System.Security.Cryptography.ECDsa.Create();
        signer.ImportFromPem(await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, Keys, "test-only-cloud-signing.pem")));
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=cloud 2026", signer, System.Security.Cryptography.HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        var keyring = Path.Combine(_dir, "keyring.pem");
        await File.WriteAllTextAsync(keyring, await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, Keys, "test-only-oem-signing.pub.pem")) +
            "subject=CN = cloud 2026\n" + certificate.ExportCertificatePem() + "\n");

        var r = await Hilrig.RunAsync("bundle", "verify", _bundle, "--trust", keyring);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());

        var onlyOem = await Hilrig.RunAsync("bundle", "verify", _bundle, "--trust", Path.Combine(Keys, "test-only-oem-signing.pub.pem"));
        Assert.That(onlyOem.ExitCode, Is.EqualTo(1), onlyOem.ToString());
        Assert.That(onlyOem.Stdout, Does.Contain("invalid — unknown-key"));
    }

    [TestCase("neither.txt", "just some text\n", "neither a JSON trust store")]
    [TestCase("private.pem", null, "block 1: a private key; a keyring holds public keys only")]
    [TestCase("broken.pem", "-----BEGIN PUBLIC KEY-----\nnot base64!\n-----END PUBLIC KEY-----\n", "broken.pem:1: a PEM block that does not parse")]
    [TestCase("other.pem", "-----BEGIN RSA PUBLIC KEY-----\nAAAA\n-----END RSA PUBLIC KEY-----\n", "'RSA PUBLIC KEY' is neither PUBLIC KEY nor CERTIFICATE")]
    public async Task Verify_TrustFileThatHoldsNoPublicKeys_Exit2SayingWhat(string name, string? content, string message)
    {
        var path = Path.Combine(_dir, name);
        await File.WriteAllTextAsync(path, content ?? await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, Keys, "test-only-unit.pem")));
        var r = await Hilrig.RunAsync("bundle", "verify", _bundle, "--trust", path);
        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
        Assert.That(r.Stderr, Does.Contain(message));
    }

    [Test]
    public async Task Inspect_Json_NonAsciiTextIsWrittenAsUtf8()
    {
        var file = Path.Combine(_dir, "app.bin");
        await File.WriteAllTextAsync(file, "app");
        var bundle = Path.Combine(_dir, "unicode.tar");
        var create = await Hilrig.RunAsync("bundle", "create", "--key", Path.Combine(Keys, "test-only-cloud-signing.pem"), "--out", bundle, $"app@发现-2.0-🚀={file}");
        Assert.That(create.ExitCode, Is.EqualTo(0), create.ToString());

        var r = await Hilrig.RunAsync("bundle", "inspect", bundle, "--json");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Stdout, Does.Contain("\"version\": \"发现-2.0-🚀\"").And.Not.Contain("\\u"));
    }

    [Test]
    public async Task Create_MissingFile_Exit2NamingIt()
    {
        var r = await Hilrig.RunAsync("bundle", "create", "--key", Path.Combine(Keys, "test-only-cloud-signing.pem"), "--out", Path.Combine(_dir, "x.tar"), "no/such.img");
        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
        Assert.That(r.Stderr, Does.Contain("no/such.img: no such file"));
    }

    private static byte[] Flip(byte[] bytes, int at)
    {
        bytes[at] ^= 0x20;
        return bytes;
    }
}
