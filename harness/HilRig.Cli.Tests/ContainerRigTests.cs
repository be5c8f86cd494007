using System.Diagnostics;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.Cli.Tests;

/// <summary>
/// <c>hilrig run</c> and <c>rig check</c> on container boards, as a user runs them: a killed harness leaves no container,
/// and a missing image or a dockerd that cannot start ends the run with exit 3 saying why.
/// </summary>
[NonParallelizable]
public class ContainerRigTests
{
    private static string Rig(string name, string containerOptions = "{}")
    {
        var path = Path.Combine(RepoPaths.NewTempDirectory(name), "container-rig.yaml");
        File.WriteAllText(path, $"rig: {name}\nboards:\n  dut:\n    kind: container\n    roles: [main]\n    drivers:\n      container: {containerOptions}\n");
        return path;
    }

    private static void RequireDocker()
    {
        RequiredTool.RequireRoot("container boards need a Docker daemon the harness can start (root)");
        RequiredTool.Require("dockerd", "container boards run on Docker (docker.io)");
        RequiredTool.Require("docker", "the test lists containers with the docker CLI");
        RequiredTool.RequireFile(Path.Combine(RepoPaths.Root, ".tools", "image", "x86_64", "image.json"),
            "the board image; `./hilrig image build` makes it (./hilrig test does)");
    }

    [Test]
    public async Task KilledHarness_LeavesNoContainer()
    {
        RequireDocker();
        using var harness = Hilrig.Start("run", "fixtures/features/failing/hang.feature", "--rig", Rig("container-killed"), "--results", Hilrig.Results("container-killed"));
        // Containers carry hilrig.run=PID-…: this harness's are told apart from any other run's on the machine.
        string[] Containers() => Docker("ps", "-a", "--filter", "label=hilrig.board=dut", "--format", "{{.ID}} {{.Label \"hilrig.run\"}}")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.Split(' ')[^1].StartsWith($"{harness.Id}-", StringComparison.Ordinal)).ToArray();
        await Eventually.TrueAsync(() => Containers().Length > 0, TimeSpan.FromSeconds(120), "the board's container started");
        harness.Kill(); // SIGKILL: nothing of the harness's own runs
        await harness.WaitForExitAsync();
        await Eventually.TrueAsync(() => Containers().Length == 0, TimeSpan.FromSeconds(60), "no container outlives the killed harness (its reaper removes them)");
    }

    [Test]
    public async Task MissingRootfs_RigCheckAndRunExit3_NamingTheFile()
    {
        var missing = Path.Combine(RepoPaths.NewTempDirectory("container-no-rootfs"), "rootfs.tar");
        var rig = Rig("container-no-rootfs", $"{{rootfs: {missing}}}");
        var check = await Hilrig.RunAsync("rig", "check", "--rig", rig);
        Assert.That(check.ExitCode, Is.EqualTo(3), check.ToString());
        Assert.That(check.All, Does.Contain(missing).And.Contain("missing"));
        var run = await Hilrig.RunAsync("run", "scenarios/harness/boot.feature", "--rig", rig, "--results", Hilrig.Results("container-no-rootfs"));
        Assert.That(run.ExitCode, Is.EqualTo(3), run.ToString());
        Assert.That(run.All, Does.Contain(missing));
    }

    [Test]
    public async Task DockerdNotStartable_RunExits3_SayingWhy()
    {
        RequireDocker();
        // A socket nobody answers on, so the harness must start its own daemon: one that is absent, then one that exits at once.
        var socket = Path.Combine(RepoPaths.NewTempDirectory("container-no-dockerd"), "docker.sock");
        var rig = Rig("container-no-dockerd");
        var absent = new Dictionary<string, string?> { ["DOCKER_HOST"] = "unix://" + socket, ["HILRIG_DOCKERD"] = "/nonexistent/dockerd" };
        var check = await Hilrig.RunAsync(absent, "rig", "check", "--rig", rig);
        Assert.That(check.ExitCode, Is.EqualTo(3), check.ToString());
        Assert.That(check.All, Does.Contain($"no Docker daemon answers on {socket}").And.Contain("/nonexistent/dockerd (HILRIG_DOCKERD) is not installed"));
        var run = await Hilrig.RunAsync(absent, "run", "scenarios/harness/boot.feature", "--rig", rig, "--results", Hilrig.Results("container-no-dockerd"));
        Assert.That(run.ExitCode, Is.EqualTo(3), run.ToString());
        Assert.That(run.All, Does.Contain("is not installed"));

        var failing = new Dictionary<string, string?> { ["DOCKER_HOST"] = "unix://" + socket, ["HILRIG_DOCKERD"] = "/bin/false" };
        var exits = await Hilrig.RunAsync(failing, "run", "scenarios/harness/boot.feature", "--rig", rig, "--results", Hilrig.Results("container-false-dockerd"));
        Assert.That(exits.ExitCode, Is.EqualTo(3), exits.ToString());
        Assert.That(exits.All, Does.Contain("/bin/false exited with code 1 before answering on " + socket));
    }

    private static string Docker(params string[] arguments)
    {
        var info = new ProcessStartInfo("docker") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        info.Environment["DOCKER_API_VERSION"] = "1.41";
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd();
        process.StandardError.ReadToEnd();
        process.WaitForExit();
        return output;
    }
}
