using System.Text.RegularExpressions;
using HilRig.Cli.Commands;
using HilRig.Engine.Runtime;
using HilRig.Rig.Boards;
using HilRig.Rig.Drivers.Qemu;
using HilRig.Rig.Images;
using HilRig.Rig.Model;
using HilRig.Rig.Protocols;
using HilRig.Simulators.SimNet;
using HilRig.Steps.Network;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.Cli.Tests;

/// <summary>
/// `hilrig run` on rigs/qemu.yaml: real QEMU machines booting the board image (./hilrig test builds it first). Kept to a
/// sample: each TCG boot costs seconds of both cores.
/// </summary>
[NonParallelizable]
public class QemuRigTests
{
    private static void RequireQemuAndImage()
    {
        RequiredTool.Require("qemu-system-x86_64", "QEMU boards run it");
        RequiredTool.RequireFile(Path.Combine(BoardImage.DefaultDirectory(), BoardImage.ManifestFile),
            "the board image; `./hilrig image build` makes it (./hilrig test does)");
    }

    /// <summary>
    /// The sample of `hilrig run scenarios/harness --rig rigs/qemu.yaml` and `scenarios/ab` kept in ./hilrig test: the
    /// scenarios exactly as on the process rig — a power cut (QEMU SIGKILLed, the next boot knows it lost power) and a
    /// full A/B update booted for real (the initramfs's boot selection picks slot B, the health check marks it good).
    /// </summary>
    [Test]
    public async Task Run_AHarnessAndAnAbScenario_Unchanged_OnTheQemuRig_Pass()
    {
        RequireQemuAndImage();
        RequiredTool.RequireRoot("rigs/qemu.yaml puts its boards on SimNet");
        var results = Hilrig.Results("qemu-run");
        var r = await Hilrig.RunAsync(TimeSpan.FromMinutes(10), new Dictionary<string, string?>(), "run",
            "scenarios/harness/power.feature:15", "scenarios/ab/update.feature:11", "--rig", "rigs/qemu.yaml", "--results", results);
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(r.Stdout, Does.Contain("2 scenario(s): 2 passed"));
        var console = File.ReadAllText(Directory.GetFiles(Path.Combine(results, "artifacts"), "console.log", SearchOption.AllDirectories)
            .Single(f => f.Contains("update-11", StringComparison.Ordinal)));
        Assert.That(console, Does.Contain("started QEMU"), "the board really was a QEMU machine");
        Assert.That(console, Does.Contain("ab: boot: slot B version 2.0"), "the initramfs booted the new slot");
    }

    [Test]
    public async Task SweepPowerCut_OnQemu_TwoSampledSlotWrites_BootAKnownRelease_PrintReplayAndRate()
    {
        RequireQemuAndImage();
        RequiredTool.RequireRoot("rigs/qemu.yaml puts its boards on SimNet");
        await SweepAsync(["--named-points", "false", "--sample", "2"], cuts: 2);
    }

    /// <summary>The whole sweep: every named point of an update and of the boot after it, and three sampled slot writes.</summary>
    [Test, Category("sweep")]
    public async Task SweepPowerCut_OnQemu_NamedPointsAndSampledWrites()
    {
        RequireQemuAndImage();
        RequiredTool.RequireRoot("rigs/qemu.yaml puts its boards on SimNet");
        await SweepAsync(["--sample", "3"], cuts: QemuPowerCutSweep.InstallPoints.Length + QemuPowerCutSweep.BootPoints.Length + 3);
    }

    private static async Task SweepAsync(string[] options, int cuts)
    {
        var results = Hilrig.Results("qemu-sweep");
        var r = await Hilrig.RunAsync(TimeSpan.FromMinutes(30), new Dictionary<string, string?>(),
            ["sweep", "power-cut", "--board-kind", "qemu", "--seed", "7", "--results", results, .. options]);
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        var feature = Path.Combine(results, "power-cut-qemu.feature");
        Assert.That(Regex.Matches(r.Stdout, $@"cut \d+: @\S+.* · replay: \./hilrig run {Regex.Escape(feature)}:\d+ --seed 7 --rig rigs/qemu.yaml").Count, Is.EqualTo(cuts), r.Stdout);
        Assert.That(r.Stdout, Does.Contain($"{cuts} scenario(s): {cuts} passed"));
        Assert.That(r.Stdout, Does.Match($@"cuts={cuts} exit=0 time=[0-9.]+s rate=[0-9.]+ cuts/s"));
        // Every cut really lost power in the guest and came back on a known release.
        var consoles = Directory.GetFiles(Path.Combine(results, "run", "artifacts"), "console.log", SearchOption.AllDirectories);
        Assert.That(consoles, Has.Length.EqualTo(cuts));
        foreach (var console in consoles)
            Assert.That(File.ReadAllText(console), Does.Contain("[power] lost:").And.Contain("power cut"), console);
    }

    [Test]
    public void SweepPlan_IsSeeded_NamedPointsFirst_SampledSlotWritesDistinctWithinTheSlot()
    {
        var plan = QemuPowerCutSweep.Plan(5, 42);
        Assert.That(plan, Is.EqualTo(QemuPowerCutSweep.Plan(5, 42)), "the same seed, the same cuts");
        Assert.That(plan.Take(6).Select(c => c.Point), Is.EqualTo(QemuPowerCutSweep.InstallPoints.Concat(QemuPowerCutSweep.BootPoints)));
        var sampled = plan.Skip(6).Select(c => int.Parse(c.Point["@slot-write#".Length..], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.That(sampled, Is.Unique.And.All.InRange(2, QemuPowerCutSweep.SlotWrites));
        Assert.That(sampled, Has.Count.EqualTo(5));
        Assert.That(QemuPowerCutSweep.Plan(5, 43).Skip(6), Is.Not.EqualTo(plan.Skip(6)), "another seed, other writes");
    }

    [Test]
    public async Task SweepPowerCut_BadBoardKindOrSample_Exit2_SayingWhich()
    {
        var kind = await Hilrig.RunAsync("sweep", "power-cut", "--board-kind", "vm");
        Assert.That(kind.ExitCode, Is.EqualTo(2), kind.ToString());
        Assert.That(kind.Stderr, Does.Contain("--board-kind: 'vm' is not none or qemu"));
        var sample = await Hilrig.RunAsync("sweep", "power-cut", "--board-kind", "qemu", "--sample", "0");
        Assert.That(sample.ExitCode, Is.EqualTo(2), sample.ToString());
        Assert.That(sample.Stderr, Does.Contain("--sample: must be positive"));
    }

    /// <summary>Refused when the rig file is read, before any board is made (it was a rig fault at board creation).</summary>
    [Test]
    public async Task Run_TimeScaleBelowOne_IsARigFileError_NamingTheOptionAndWhere()
    {
        var rig = Path.Combine(RepoPaths.NewTempDirectory("qemu-time-scale"), "rig.yaml");
        File.WriteAllText(rig, "boards:\n  dut:\n    kind: qemu\n    drivers:\n      qemu: {time_scale: 0}\n");
        var r = await Hilrig.RunAsync("run", "scenarios/harness/boot.feature", "--rig", rig, "--results", Hilrig.Results("qemu-time-scale"));
        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
        Assert.That(r.Stderr, Does.Contain("rig.yaml:5:26: boards.dut.drivers.qemu.time_scale: 0 is below the smallest value, 1"));
    }

    [Test]
    public async Task KilledHarness_OnTheQemuRig_LeavesNoQemu_AndTheNextRunSweepsItsSocketDirectory()
    {
        RequireQemuAndImage();
        var results = Hilrig.Results("qemu-killed");
        using var harness = Hilrig.Start("run", "fixtures/features/failing/hang.feature", "--rig", "rigs/qemu.yaml", "--results", results);
        var marker = Path.GetFullPath(results);
        // This run's QEMUs: their disk and data directory live under its results directory.
        int[] Machines() => ProcessTable.Matching(cmd => cmd.Contains("qemu-system") && cmd.Contains(marker) && !cmd.StartsWith("/bin/sh", StringComparison.Ordinal));
        await Eventually.TrueAsync(() => Machines().Length > 0, TimeSpan.FromSeconds(120), "QEMU started");
        var runtimeDirectory = ProcessTable.Cmdline(Machines()[0])!.Split(' ')
            .Single(a => a.StartsWith("unix:", StringComparison.Ordinal) && a.Contains("qmp.sock"))["unix:".Length..].Split(',')[0];
        runtimeDirectory = Path.GetDirectoryName(runtimeDirectory)!;
        Assert.That(Directory.Exists(runtimeDirectory), Is.True, runtimeDirectory);

        harness.Kill();
        await harness.WaitForExitAsync();
        // QEMU's lifeline (a pipe from the harness) closed with the harness: the wrapper kills QEMU.
        await Eventually.TrueAsync(() => Machines().Length == 0, TimeSpan.FromSeconds(15), "no QEMU outlives the SIGKILLed harness");
        // Nothing could delete the socket directory of a SIGKILLed run; the next run that starts a QEMU sweeps it.
        Assert.That(QemuRuntimeDirectories.SweepStale(), Does.Contain(runtimeDirectory));
        Assert.That(Directory.Exists(runtimeDirectory), Is.False);
    }
}

/// <summary>A QEMU board on SimNet: its guest kernel's own network stack on a stream port, impaired and captured by the switch.</summary>
[NonParallelizable]
public class QemuOnSimNetTests
{
    private static readonly TimeSpan Boot = TimeSpan.FromSeconds(180);

    [Test]
    public async Task GuestEth0_HasTheBoardsAddress_AnswersPingThroughTheSwitch_PartitionAndLossStopIt_CaptureShowsItsReplies()
    {
        RequiredTool.Require("qemu-system-x86_64", "QEMU boards run it");
        RequiredTool.RequireFile(Path.Combine(BoardImage.DefaultDirectory(), BoardImage.ManifestFile),
            "the board image; `./hilrig image build` makes it (./hilrig test does)");
        RequiredTool.RequireRoot("the probe host is a SimNet network namespace");
        var ping = RequiredTool.Require("ping", "the probe pings the guest from its namespace");
        var tshark = RequiredTool.Require("tshark", "an independent reading of the board's port capture");
        var work = RepoPaths.NewTempDirectory("qemu-simnet");
        var rig = RigLoader.Parse("""
            boards:
              dut:
                kind: qemu
                drivers:
                  qemu: {boot_timeout: 180s}
            network:
              type: simnet
              subnet: 10.78.0.0/24
              capture: false
            """, Path.Combine(work, "rig.yaml"));
        await using var services = ScenarioServices.CreateRunScope();
        services.Add(rig);
        await using var network = new SimNetRigNetwork(rig.Network, services);
        await using var board = BoardFactory.Create(rig.Boards[0], Path.Combine(work, "dut"), s => new Random(s.Length), 1);
        network.Attach(board);
        var capture = await board.Get<ICaptureProtocol>().StartAsync($"qemu-simnet-test-{Guid.NewGuid():N}");
        await board.Power.OnAsync();
        await board.Console.ExpectAsync(new Regex("boot complete"), Boot);
        await board.Shell.WaitReadyAsync(Boot);

        Assert.That(board.Get<INetworkProtocol>().Addresses.Single().ToString(), Is.EqualTo("10.78.0.2"), "board 1 of the rig: .2");
        Assert.That(board.Get<INetworkProtocol>().Namespace, Is.Null, "a guest runs its own kernel, in no namespace of the harness");
        var probe = network.AddServiceHost("probe", null);
        async Task<bool> Pings(int count)
        {
            var info = probe.StartInfo(ping, "-q", "-c", $"{count}", "-W", "3", "-i", "0.3", "10.78.0.2");
            info.RedirectStandardOutput = true;
            using var p = System.Diagnostics.Process.Start(info)!;
            await p.StandardOutput.ReadToEndAsync();
            await p.WaitForExitAsync();
            return p.ExitCode == 0;
        }
        // The first pings wait for ARP; a slow TCG guest may miss one, so ask until it answers (bounded).
        var answered = false;
        for (var deadline = DateTimeOffset.UtcNow.AddSeconds(60); !answered && DateTimeOffset.UtcNow < deadline;) answered = await Pings(2);
        Assert.That(answered, Is.True, "the guest answers ping at 10.78.0.2 within 60 s of its prompt");

        network.Switch.Partition(["dut"]);
        Assert.That(await Pings(3), Is.False, "partitioned: no reply");
        network.Switch.HealAll();
        network.Switch.ImpairHost("dut", new LinkImpairment { Loss = 1.0 });
        Assert.That(await Pings(3), Is.False, "100 % loss: no reply");
        network.Switch.RestoreHost("dut");
        Assert.That(await Pings(3), Is.True, "restored: replies again");

        await capture.StopAsync();
        var mac = SimNetSwitch.MacFor("dut").ToString();
        var tsharkRun = new System.Diagnostics.ProcessStartInfo(tshark) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-r", capture.PcapPath, "-Y", $"icmp.type == 0 && eth.src == {mac} && ip.src == 10.78.0.2", "-T", "fields", "-e", "frame.number" })
            tsharkRun.ArgumentList.Add(a);
        using var reader = System.Diagnostics.Process.Start(tsharkRun)!;
        var replies = (await reader.StandardOutput.ReadToEndAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        await reader.WaitForExitAsync();
        File.Delete(capture.PcapPath);
        Assert.That(replies.Length, Is.GreaterThanOrEqualTo(3), "echo replies from the guest's MAC and address on its port");
    }
}
