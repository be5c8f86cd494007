using HilRig.AbUpdate.Sweep;
using HilRig.Storage.PowerLoss;
using NUnit.Framework;

namespace HilRig.AbUpdate.Tests;

public class SweepTests
{
    private const long MiB = 1 << 20;

    private static SweepReport RunAndPrint(SweepOptions o)
    {
        var report = new PowerCutSweep(o).Run(TestContext.Out.WriteLine);
        TestContext.Out.WriteLine($"{o.Prefix}: ops={report.TotalOps} restarts={report.RestartChecks} hash-checks={report.HashChecks} {report.Summary}");
        return report;
    }

    [TestCase(UpdateKind.Full)]
    [TestCase(UpdateKind.Patch)]
    public void Sampled_sweep_finds_no_failure(UpdateKind kind)
    {
        var r = RunAndPrint(new SweepOptions(kind, 2 * MiB, Seed: 11, Sample: 300, RestartEvery: 16, HashCheckEvery: 8));
        Assert.That(r.Failures, Is.Empty, string.Join("\n", r.Failures));
        Assert.That(r.Cuts, Is.GreaterThanOrEqualTo(300));
        Assert.That(r.TotalOps, Is.GreaterThan(500), "4 KiB requests: a 2 MiB update has hundreds of cut points");
    }

    [TestCase(UpdateKind.Full)]
    [TestCase(UpdateKind.Patch)]
    public void Sampled_sweep_with_a_cache_that_writes_back_in_any_order_finds_no_failure(UpdateKind kind)
    {
        var r = RunAndPrint(new SweepOptions(kind, MiB, Seed: 5, Sample: 200, Policy: CutPolicy.ScrambleUnflushed, RestartEvery: 20));
        Assert.That(r.Failures, Is.Empty, string.Join("\n", r.Failures));
    }

    [Test]
    public void Every_cut_of_a_small_update_on_a_4k_sector_disk_passes()
    {
        var r = RunAndPrint(new SweepOptions(UpdateKind.Full, 256 * 1024, Seed: 3, SectorSize: 4096, RequestBytes: 8192));
        Assert.That(r.Failures, Is.Empty, string.Join("\n", r.Failures));
        Assert.That(r.Cuts, Is.EqualTo(r.TotalOps), "no sampling: every operation was cut");
    }

    [Test]
    public void A_replayed_id_leaves_exactly_the_disk_the_sweep_judged()
    {
        var o = new SweepOptions(UpdateKind.Patch, MiB, Seed: 9, Sample: 60, RestartEvery: 0);
        var sweep = new PowerCutSweep(o);
        var picks = new long[] { 0, 3, 100, 180, 257, 262, 265, 270 };
        sweep.DigestOps = picks.ToHashSet();
        var report = sweep.Run();
        Assert.That(report.Failures, Is.Empty);
        var judged = sweep.Digests;
        Assert.That(judged.Keys, Is.Not.Empty);
        foreach (var (op, digest) in judged)
        {
            var outcome = PowerCutSweep.Replay($"{o.Prefix}/w{op}");
            Assert.That(outcome.DiskDigest, Is.EqualTo(digest), $"w{op}: {outcome.Message}");
            Assert.That(outcome.Ok, outcome.Message);
        }
    }

    [TestCase("@slot-write#1")]
    [TestCase("@bootctl-write#2")]
    [TestCase("@mark-primary-done#1")]
    [TestCase("@boot-select#1")]
    [TestCase("@mark-good#1")]
    public void Named_cuts_replay_and_pass(string at)
    {
        var outcome = PowerCutSweep.Replay($"full/1MiB/s4/{at}");
        TestContext.Out.WriteLine(outcome.Message);
        Assert.That(outcome.Ok, outcome.Message);
        Assert.That(outcome.Release, Is.EqualTo(at is "@slot-write#1" ? "v1" : at is "@bootctl-write#2" ? outcome.Release : "v2"));
    }

    [Test]
    public void Replay_ids_parse_and_bad_ones_say_what_is_wrong()
    {
        var (o, at) = SweepOptions.ParseId("patch/16MiB/s42/rq8192/any/w137");
        Assert.That(o.Kind, Is.EqualTo(UpdateKind.Patch));
        Assert.That(o.ImageSize, Is.EqualTo(16 * MiB));
        Assert.That(o.Seed, Is.EqualTo(42));
        Assert.That(o.RequestBytes, Is.EqualTo(8192));
        Assert.That(o.Policy, Is.EqualTo(CutPolicy.ScrambleUnflushed));
        Assert.That(at, Is.EqualTo(new OpCut(137)));
        Assert.That(o.IdFor(at), Is.EqualTo("patch/16MiB/s42/rq8192/any/w137"));
        Assert.That(Assert.Throws<FormatException>(() => SweepOptions.ParseId("full/16MiB/42/w1"))!.Message, Does.Contain("'42' is not sSEED"));
        Assert.That(Assert.Throws<FormatException>(() => SweepOptions.ParseId("half/16MiB/s1/w1"))!.Message, Does.Contain("unknown update kind 'half'"));
        Assert.That(PowerCutSweep.Replay("full/64KiB/s1/w999999").Message, Does.Contain("never reached"));
    }

    // ---- the oracle catches broken designs ----

    [Test]
    public void A_single_copy_boot_control_fails_the_sweep()
    {
        AbFaults.SingleCopyBootControl = true;
        try
        {
            var r = RunAndPrint(new SweepOptions(UpdateKind.Full, 256 * 1024, Seed: 2, RestartEvery: 0));
            Assert.That(r.Failures, Is.Not.Empty, "tearing the only copy must lose the boot state");
            Assert.That(r.Failures.Select(f => f.Message), Has.Some.Contains("no boot after the cut"));
            Assert.That(r.Failures.Select(f => f.Alias), Has.Some.StartsWith("@bootctl-write"));
        }
        finally
        {
            AbFaults.SingleCopyBootControl = false;
        }
    }

    [Test]
    public void A_commit_without_a_barrier_fails_the_sweep()
    {
        AbFaults.NoBarrier = true;
        try
        {
            var r = RunAndPrint(new SweepOptions(UpdateKind.Full, 256 * 1024, Seed: 2, RestartEvery: 0));
            Assert.That(r.Failures, Is.Not.Empty, "a primary slot whose data never reached the media must be caught");
            TestContext.Out.WriteLine(r.Failures[0].ToString());
        }
        finally
        {
            AbFaults.NoBarrier = false;
        }
    }

    // ---- the full sweeps of a 16 MiB update (every device operation) ----

    [Category("sweep")]
    [TestCase(UpdateKind.Full)]
    [TestCase(UpdateKind.Patch)]
    public void Full_sweep_of_a_16MiB_update(UpdateKind kind)
    {
        var r = RunAndPrint(new SweepOptions(kind, 16 * MiB, Seed: 1));
        Assert.That(r.Failures, Is.Empty, string.Join("\n", r.Failures));
        Assert.That(r.Cuts, Is.EqualTo(r.TotalOps));
    }
}
