using System.CommandLine;
using HilRig.AbUpdate.Sweep;
using HilRig.Cli.Output;
using HilRig.Storage.PowerLoss;

namespace HilRig.Cli.Commands;

/// <summary>
/// <c>hilrig sweep power-cut --update full|patch --size SIZE [--seed N] [--sample K]</c>: cuts the power at every device
/// operation of an A/B update (or K sampled ones), reboots after each and checks the oracle; ends with
/// <c>cuts=N failures=F rate=R/s</c> and exits 0 only with no failure. <c>--replay ID</c> reruns one printed cut.
/// </summary>
public static class SweepCommand
{
    public static Command Create()
    {
        var update = new Option<string>("--update") { Description = "full (image) or patch (block delta)", DefaultValueFactory = _ => "full" };
        var size = new Option<string>("--size") { Description = "image (slot) size, e.g. 16MiB", DefaultValueFactory = _ => "16MiB" };
        var seed = new Option<ulong>("--seed") { Description = "seeds the images, the tears and the sample", DefaultValueFactory = _ => 1 };
        var sample = new Option<int?>("--sample") { Description = "cut at K sampled operations (plus every boot-control point) instead of all" };
        var policy = new Option<string>("--unflushed") { Description = "what a cut does to unflushed writes: lose, or any (each sector may have reached the media)", DefaultValueFactory = _ => "lose" };
        var request = new Option<int>("--request-size") { Description = "bytes per device request (each request is a cut point)", DefaultValueFactory = _ => SweepOptions.DefaultRequestBytes };
        var sector = new Option<int>("--sector-size") { Description = "512 or 4096", DefaultValueFactory = _ => 512 };
        var replay = new Option<string?>("--replay") { Description = "rerun one cut by the id a failure printed, e.g. full/16MiB/s1/w137" };
        var boardKind = new Option<string>("--board-kind")
        {
            Description = "none: the update code on an in-memory disk (every operation); qemu: QEMU boards of --rig, at the named points and --sample K (default 3) sampled slot writes",
            DefaultValueFactory = _ => "none",
        };
        var rig = new Option<string>("--rig") { Description = "--board-kind qemu: the rig whose board \"dut\" is cut", DefaultValueFactory = _ => "rigs/qemu.yaml" };
        var results = new Option<string>("--results") { Description = "--board-kind qemu: the generated feature and the run's reports", DefaultValueFactory = _ => "reports/sweep-qemu" };
        var workers = new Option<int?>("--workers") { Description = "--board-kind qemu: cuts run side by side (default: one per core)" };
        var namedPoints = new Option<bool>("--named-points") { Description = "--board-kind qemu: cut at the named points of the update and boot too", DefaultValueFactory = _ => true };
        var powerCut = new Command("power-cut", "Cut power at every write of an A/B update, reboot after each, check that a known release boots")
            { update, size, seed, sample, policy, request, sector, replay, boardKind, rig, results, workers, namedPoints };
        powerCut.SetAction((p, _) => p.GetValue(boardKind) switch
        {
            "none" => InMemory(p),
            "qemu" => Loading.GuardAsync(() => OnQemu(p)),
            var other => AbCli.Guard(() => throw new Loading.UsageException($"--board-kind: '{other}' is not none or qemu")),
        });
        return new Command("sweep", "Fault sweeps") { powerCut };

        Task<int> OnQemu(ParseResult p)
        {
            if (p.GetValue(sample) is <= 0) throw new Loading.UsageException("--sample: must be positive");
            var cuts = QemuPowerCutSweep.Plan(p.GetValue(sample) ?? 3, p.GetValue(seed), p.GetValue(namedPoints));
            return QemuPowerCutSweep.RunAsync(cuts, p.GetValue(seed), p.GetValue(rig)!, p.GetValue(results)!, p.GetValue(workers));
        }

        Task<int> InMemory(ParseResult p) => AbCli.Guard(() =>
        {
            if (p.GetValue(replay) is { } id)
            {
                CutOutcome outcome;
                try
                {
                    outcome = PowerCutSweep.Replay(id);
                }
                catch (FormatException e)
                {
                    throw new Loading.UsageException(e.Message);
                }
                Terminal.Line($"{outcome.Id}: {(outcome.Ok ? "ok" : "FAIL")}: {outcome.Message}");
                if (outcome.DiskDigest is { } d) Terminal.Line($"disk after the cut: sha256 {d.ToHex()}");
                return outcome.Ok ? ExitCodes.Passed : ExitCodes.Failed;
            }
            var kind = p.GetValue(update) switch
            {
                "full" => UpdateKind.Full,
                "patch" => UpdateKind.Patch,
                var other => throw new Loading.UsageException($"--update: '{other}' is not full or patch"),
            };
            var cutPolicy = p.GetValue(policy) switch
            {
                "lose" => CutPolicy.LoseUnflushed,
                "any" => CutPolicy.ScrambleUnflushed,
                var other => throw new Loading.UsageException($"--unflushed: '{other}' is not lose or any"),
            };
            var bytes = AbCli.Size(p.GetValue(size)!, "--size");
            if (bytes % 4096 != 0 || bytes <= 0) throw new Loading.UsageException($"--size: {bytes} is not a positive multiple of 4 KiB");
            if (p.GetValue(sample) is <= 0) throw new Loading.UsageException("--sample: must be positive");
            var options = new SweepOptions(kind, bytes, p.GetValue(seed), p.GetValue(sample), cutPolicy, p.GetValue(request), p.GetValue(sector));
            Terminal.Line($"sweep {options.Prefix}: {(options.Sample is { } k ? $"{k} sampled cuts" : "a cut at every device operation")} of install → reboot → mark-good, " +
                          $"{options.RequestBytes}-byte requests, {options.SectorSize}-byte sectors, unflushed writes {(cutPolicy == CutPolicy.LoseUnflushed ? "lost" : "kept at random")}");
            var report = new PowerCutSweep(options).Run(line => Terminal.Line(line));
            Terminal.Line($"operations={report.TotalOps} restart-checks={report.RestartChecks} hash-checks={report.HashChecks}");
            Terminal.Line(report.Summary);
            return report.Failures.Count == 0 ? ExitCodes.Passed : ExitCodes.Failed;
        });
    }
}
