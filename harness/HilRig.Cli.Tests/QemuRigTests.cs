using System.Text.RegularExpressions;
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
