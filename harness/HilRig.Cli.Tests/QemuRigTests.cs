using HilRig.Rig.Drivers.Qemu;
using HilRig.Rig.Images;
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
