using System.Text.RegularExpressions;
using HilRig.Rig.Boards;
using HilRig.Rig.Model;
using HilRig.Rig.Protocols;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.Rig.Tests.Device;

/// <summary>A unit's CM trusts only the keys and credentials it was provisioned with; it has no fallback to anyone's.</summary>
[NonParallelizable]
public class UpdateProvisioningTests
{
    [Test]
    public async Task CmWithoutATrustStore_DoesNotStart_AndTheBootLogSaysWhy()
    {
        var rig = RigLoader.Parse("""
            boards:
              main:
                kind: process
                drivers:
                  process:
                    settings: {update.cm: "on", update.unit: unit-1, update.platform: p, update.cloud: "http://127.0.0.1:9/", update.expected: main}
            """, "provisioning.yaml");
        await using var board = BoardFactory.Create(rig.Boards[0], RepoPaths.NewTempDirectory("cm-trust"), _ => new Random(1), 1);
        await board.Power.OnAsync();
        await board.Console.ExpectAsync(new Regex(@"FAILED to start communication-manager: update\.trust is not set: the CM needs the trust store"), TimeSpan.FromSeconds(30));
        await board.Console.ExpectAsync(new Regex("boot complete"), TimeSpan.FromSeconds(30));
    }

    private static (HilRig.Rig.Boards.Board Board, string Provisioned) CmBoard(string name, Func<IProvisioningProtocol, string>? provision)
    {
        var trust = RepoPaths.Fixtures("update", "test-only-trust.json");
        var key = RepoPaths.Fixtures("update", "test-only-unit.pem");
        var rig = RigLoader.Parse($$"""
            boards:
              main:
                kind: process
                drivers:
                  process:
                    settings: {update.cm: "on", update.unit: unit-1, update.platform: p, update.cloud: "https://127.0.0.1:9/", update.expected: main, update.grpc_tls: "off",
                               update.trust: "{{trust}}", update.unit_key: "{{key}}"}
            """, "provisioning.yaml");
        var board = BoardFactory.Create(rig.Boards[0], RepoPaths.NewTempDirectory(name), _ => new Random(1), 1);
        return (board, provision?.Invoke(board.Get<IProvisioningProtocol>()) ?? "");
    }

    [Test]
    public async Task CmWithoutCloudCredentials_DoesNotStart_AndTheBootLogSaysWhy()
    {
        var (board, _) = CmBoard("cm-creds", null);
        await using var _b = board;
        await board.Power.OnAsync();
        await board.Console.ExpectAsync(new Regex(@"FAILED to start communication-manager: update\.cloud_credentials is not set: the CM needs the unit's certificate"), TimeSpan.FromSeconds(30));
    }

    [Test]
    public async Task CmWithAGarbledProvisionedCertificate_DoesNotStart_NamingTheFile()
    {
        var (board, dir) = CmBoard("cm-garbled", p =>
        {
            p.Provision("cloud/unit.key", "not a key"u8, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            p.Provision("cloud/ca.crt", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"u8, UnixFileMode.UserRead);
            return Path.GetDirectoryName(p.Provision("cloud/unit.crt", "garbage"u8, UnixFileMode.UserRead))!;
        });
        await using var _b = board;
        board.Get<ISettingsProtocol>().Configure("update.cloud_credentials", dir);
        await board.Power.OnAsync();
        await board.Console.ExpectAsync(new Regex($@"FAILED to start communication-manager: {Regex.Escape(dir)}/ca\.crt: not a PEM certificate"), TimeSpan.FromSeconds(30));
    }

    [Test]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task Provision_WritesTheFileSetWithItsModes_AndRefusesPathsOutOfIt()
    {
        var (board, _) = CmBoard("provision", null);
        await using var _b = board;
        var provisioning = board.Get<IProvisioningProtocol>();
        var key = provisioning.Provision("cloud/unit.key", "secret"u8, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Assert.That(File.ReadAllText(key), Is.EqualTo("secret"));
        Assert.That(File.GetUnixFileMode(key), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
        Assert.That(provisioning.Provision("cloud/unit.key", "again"u8, UnixFileMode.UserRead), Is.EqualTo(key));
        Assert.That(File.ReadAllText(key), Is.EqualTo("again"), "provisioning a path again replaces the file");
        foreach (var bad in new[] { "../escape", "/etc/passwd", "cloud//x", "cloud/./x", "" })
            Assert.That(() => provisioning.Provision(bad, "x"u8, UnixFileMode.UserRead), Throws.ArgumentException.With.Message.Contains("must be a relative path"), bad);
    }

    [Test]
    public async Task CmWithoutNodeCredentials_DoesNotStart_AndTheBootLogSaysWhy()
    {
        // Issue 13: the CM↔UM channel is mutual TLS; a node without its certificate has nothing to prove who it is with.
        var fixtures = RepoPaths.Fixtures("update");
        var rig = RigLoader.Parse($$"""
            boards:
              main:
                kind: process
                drivers:
                  process:
                    settings: {update.cm: "on", update.unit: unit-1, update.platform: p, update.cloud: "http://127.0.0.1:9/", update.expected: main,
                               update.trust: "{{fixtures}}/test-only-trust.json", update.unit_key: "{{fixtures}}/test-only-unit.pem"}
            """, "provisioning.yaml");
        await using var board = BoardFactory.Create(rig.Boards[0], RepoPaths.NewTempDirectory("cm-credentials"), _ => new Random(1), 1);
        await board.Power.OnAsync();
        await board.Console.ExpectAsync(new Regex(@"FAILED to start communication-manager: update\.node_credentials is not set: the CM needs the node's certificate, key and node CA"), TimeSpan.FromSeconds(30));
        await board.Console.ExpectAsync(new Regex("boot complete"), TimeSpan.FromSeconds(30));
    }
}
