using System.Text.RegularExpressions;
using HilRig.Rig.Boards;
using HilRig.Rig.Model;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.Rig.Tests.Device;

/// <summary>A unit's CM trusts only the keys it was provisioned with; it has no fallback to anyone's keys.</summary>
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
