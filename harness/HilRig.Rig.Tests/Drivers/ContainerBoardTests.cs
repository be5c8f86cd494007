using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using HilRig.Engine.Runtime;
using HilRig.Rig.Boards;
using HilRig.Rig.Drivers.Container;
using HilRig.Rig.Images;
using HilRig.Rig.Model;
using HilRig.Rig.Protocols;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.Rig.Tests.Drivers;

/// <summary>
/// Real Docker containers of the real board image (<c>./hilrig image build</c>'s rootfs.tar, which ./hilrig test builds):
/// the NativeAOT agent under docker-init, its console on a pty of the harness. As root, the harness starts a dockerd of
/// its own when none answers (docker.io from scripts/ensure-tools).
/// </summary>
[NonParallelizable]
public class ContainerBoardTests
{
    /// <summary>A warm start takes ~0.2 s; the first one starts dockerd and imports the image on a loaded machine.</summary>
    private static readonly TimeSpan Boot = TimeSpan.FromSeconds(120);

    private static void RequireDocker()
    {
        RequiredTool.RequireRoot("container boards need a Docker daemon the harness can start (root)");
        RequiredTool.Require("dockerd", "container boards run on Docker (docker.io)");
        RequiredTool.Require("docker", "the container reaper removes a killed harness's containers with the docker CLI");
        RequiredTool.RequireFile(Path.Combine(BoardImage.DefaultDirectory(), BoardImage.ManifestFile),
            "the board image; `./hilrig image build` makes it (./hilrig test does)");
    }

    private static Board NewBoard(string options = "", string? directory = null)
    {
        var rig = RigLoader.Parse($"boards:\n  dut:\n    kind: container\n    roles: [main]\n    drivers:\n      container: {{firmware: 2.3.4{options}}}\n", "test-rig.yaml");
        return BoardFactory.Create(rig.Boards[0], directory ?? RepoPaths.NewTempDirectory("container-board"), c => new Random(c.Length), 1);
    }

    private static async Task BootedAsync(Board board)
    {
        await board.Console.ExpectAsync(new Regex("boot complete"), Boot);
        await board.Shell.WaitReadyAsync(Boot);
    }

    [Test]
    public async Task PowerOn_AgentAnswersOnThePty_CutKills_DataSurvives_RebootRestarts()
    {
        RequireDocker();
        await using var board = NewBoard();
        var driver = board.Drivers.OfType<ContainerBoardDriver>().Single();
        await board.Power.OnAsync();
        await board.Console.ExpectAsync(new Regex(@"HilRig Device firmware 2\.3\.4 \(board dut\)"), Boot);
        await board.Console.ExpectAsync(new Regex(@"boot #1, reason: power-on"), Boot);
        await BootedAsync(board);
        var version = await board.Shell.RunAsync("version", TimeSpan.FromSeconds(30));
        Assert.That(version.Output, Does.Contain("2.3.4"));
        Assert.That(Docker("inspect", "-f", "{{.Config.Image}} {{index .Config.Labels \"hilrig.board\"}}", driver.ContainerId!).Trim(),
            Does.StartWith(ContainerImage.Repository + ":").And.EndWith(" dut"), "the image is the imported rootfs.tar, tagged by its SHA-256");

        // A cut: SIGKILL, no clean shutdown; the data volume keeps what the agent wrote, so the next boot knows it lost power.
        await board.Power.CutAsync();
        Assert.That(board.Power.State, Is.EqualTo(PowerState.Off));
        Assert.That(Docker("inspect", "-f", "{{.State.Running}}", driver.ContainerId!).Trim(), Is.EqualTo("false"));
        await board.Power.OnAsync();
        await board.Console.ExpectAsync(new Regex(@"boot #2, reason: power-loss"), Boot);
        await BootedAsync(board);

        // The agent's own reboot (its exit code 82) starts the same container again, as the process board's reset circuit does.
        await board.Console.SendAsync("reboot\n");
        await board.Console.ExpectAsync(new Regex(@"boot #3, reason: reboot"), Boot);
        await BootedAsync(board);
        Assert.That(string.Join(", ", board.Power.History.Select(h => h.Kind)), Is.EqualTo("On, Cut, On, Reboot"));
        Assert.That(board.Get<IBoardHealth>().StopReason, Is.Null);

        // Orderly off: docker stop's SIGTERM reaches the agent through docker-init, and it shuts down cleanly.
        await board.Power.OffAsync();
        await board.Power.OnAsync();
        await board.Console.ExpectAsync(new Regex(@"boot #4, reason: power-on"), Boot);
        var id = driver.ContainerId!;
        await board.DisposeAsync();
        Assert.That(Docker("ps", "-aq", "--filter", $"id={id}").Trim(), Is.Empty, "the container is removed with the board");
    }

    [Test]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task SettingsNamingHostFiles_AndProvisionedFiles_ReachTheAgentInsideTheVolume()
    {
        RequireDocker();
        var host = RepoPaths.NewTempDirectory("container-host-files");
        var credentials = Path.Combine(host, "credentials");
        Directory.CreateDirectory(credentials);
        File.WriteAllText(Path.Combine(credentials, "node.crt"), "certificate");
        File.WriteAllText(Path.Combine(host, "trust.json"), "{}");
        await using var board = NewBoard();
        var driver = board.Drivers.OfType<ContainerBoardDriver>().Single();
        var settings = board.Get<ISettingsProtocol>();
        settings.Configure("update.node_credentials", credentials);
        settings.Configure("update.trust", Path.Combine(host, "trust.json"));
        settings.Configure("update.cm_url", "https://10.77.0.2:7000/");
        var provisioned = board.Get<IProvisioningProtocol>().Provision("cloud/unit.key", "secret"u8, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Assert.That(provisioned, Is.EqualTo("/data/provisioned/cloud/unit.key"), "the path the agent reads, inside its volume");
        await board.Power.OnAsync();
        await BootedAsync(board);

        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(driver.DataDirectory, ContainerBoardDriver.ConfigFileName)));
        var given = config.RootElement.GetProperty("settings");
        var credentialsInside = given.GetProperty("update.node_credentials").GetString()!;
        Assert.That(credentialsInside, Does.StartWith("/data/host/").And.EndWith("/credentials"));
        Assert.That(given.GetProperty("update.cm_url").GetString(), Is.EqualTo("https://10.77.0.2:7000/"), "values that are not host paths pass unchanged");
        // The agent's own view: the files are there, inside the container.
        foreach (var path in new[] { credentialsInside + "/node.crt", given.GetProperty("update.trust").GetString()!, provisioned })
            Assert.That(Docker("exec", driver.ContainerId!, "/bin/cat", path), Is.Not.Empty, path);
        Assert.That(File.GetUnixFileMode(Path.Combine(driver.DataDirectory, "provisioned", "cloud", "unit.key")),
            Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
    }

    [Test]
    public async Task ContainerRemovedBehindTheHarnessesBack_IsARigFaultWithItsLog()
    {
        RequireDocker();
        await using var board = NewBoard();
        var driver = board.Drivers.OfType<ContainerBoardDriver>().Single();
        await board.Power.OnAsync();
        await BootedAsync(board);
        Docker("rm", "-f", driver.ContainerId!);
        var health = board.Get<IBoardHealth>();
        Assert.That(await Poll.UntilAsync(_ => Task.FromResult(health.StopReason is not null), TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(100), CancellationToken.None),
            Is.True, "the driver notices");
        Assert.That(health.StopWasRigFault, Is.True, health.StopReason);
        // `docker rm -f` kills first: the driver may still see the container (a kill it did not ask for) or find it gone.
        Assert.That(health.StopReason, Does.Contain("container of board dut exited")
            .And.Match("removed by someone other than the harness|Docker killed it \\(signal 9\\) at a request that was not the harness's"));
        Assert.That(board.Power.State, Is.EqualTo(PowerState.Off));
        Assert.That(board.Power.History.Last().Kind, Is.EqualTo(PowerEventKind.UnexpectedExit));
    }

    [Test]
    public async Task ContainerKilledThroughDocker_MidScenario_IsARigFaultWithItsLog()
    {
        RequireDocker();
        await using var board = NewBoard();
        var driver = board.Drivers.OfType<ContainerBoardDriver>().Single();
        await board.Power.OnAsync();
        await BootedAsync(board);
        Docker("kill", driver.ContainerId!);
        var health = board.Get<IBoardHealth>();
        Assert.That(await Poll.UntilAsync(_ => Task.FromResult(health.StopReason is not null), TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(100), CancellationToken.None),
            Is.True, "the driver notices");
        Assert.That(health.StopWasRigFault, Is.True, health.StopReason);
        Assert.That(health.StopReason, Does.Contain("exited with code 137: Docker killed it").And.Contain("its log"));
        Assert.That(board.Evidence().Select(e => e.Name), Does.Contain("dut container log"), "the log is the scenario's evidence");
        // The board is off, not gone: the next power-on starts the same container and the agent knows it lost power.
        await board.Power.OnAsync();
        await board.Console.ExpectAsync(new Regex(@"boot #2, reason: power-loss"), Boot);
    }

    [Test]
    public async Task KilledDeviceProcess_IsAnUnexpectedExit_NotARigFault()
    {
        RequireDocker();
        await using var board = NewBoard();
        await board.Power.OnAsync();
        await BootedAsync(board);
        await board.Get<IDeviceProcessProtocol>().KillDeviceProcessAsync(CancellationToken.None);
        var health = board.Get<IBoardHealth>();
        Assert.That(board.Power.State, Is.EqualTo(PowerState.Off));
        Assert.That(health.StopWasRigFault, Is.False, health.StopReason);
        Assert.That(health.StopReason, Does.Contain("killed by a fault"));
    }

    [Test]
    public async Task MissingRootfs_IsARigFaultNamingTheFile()
    {
        var missing = Path.Combine(RepoPaths.NewTempDirectory("container-missing"), "rootfs.tar");
        await using var board = NewBoard($", rootfs: {missing}");
        var e = Assert.ThrowsAsync<RigFaultException>(() => board.Power.OnAsync());
        Assert.That(e!.Message, Does.Contain(missing).And.Contain("missing"));
    }

    [Test]
    public async Task CorruptRootfs_ItsSha256DoesNotMatchTheImage_IsARigFaultNamingTheFile()
    {
        RequiredTool.RequireFile(Path.Combine(BoardImage.DefaultDirectory(), BoardImage.ManifestFile), "the board image; `./hilrig image build` makes it");
        // A copy of the image's manifest next to a rootfs.tar of the same size with other bytes.
        var image = RepoPaths.NewTempDirectory("container-corrupt");
        File.Copy(Path.Combine(BoardImage.DefaultDirectory(), BoardImage.ManifestFile), Path.Combine(image, BoardImage.ManifestFile));
        var size = new FileInfo(Path.Combine(BoardImage.DefaultDirectory(), BoardImage.ContainerRootfs)).Length;
        using (var file = File.Create(Path.Combine(image, BoardImage.ContainerRootfs))) file.SetLength(size);
        await using var board = NewBoard($", image: {image}");
        var e = Assert.ThrowsAsync<RigFaultException>(() => board.Power.OnAsync());
        Assert.That(e!.Message, Does.Contain(Path.Combine(image, BoardImage.ContainerRootfs)).And.Contain("corrupt"));
    }

    internal static string Docker(params string[] arguments)
    {
        var info = new ProcessStartInfo("docker") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        info.Environment["DOCKER_API_VERSION"] = DockerEngine.ApiVersion;
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0 && arguments[0] != "rm") Assert.Fail($"docker {string.Join(' ', arguments)}: {error}");
        return output;
    }
}
