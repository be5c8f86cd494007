using System.CommandLine;
using HilRig.Cli.Output;
using HilRig.Engine.Reports;
using HilRig.Engine.Runtime;
using HilRig.Rig.Boards;
using HilRig.Rig.Model;
using HilRig.Steps.Hosting;
using Spectre.Console;

namespace HilRig.Cli.Commands;

/// <summary>
/// <c>hilrig run</c>: runs scenarios on a rig — side by side with <c>--workers</c>, one shard of them with <c>--shard</c>,
/// retried, filtered — and writes Allure results, JUnit XML, Cucumber Messages and HTML, the run manifest and a summary.
/// Ctrl-C/SIGTERM end it cleanly (<see cref="RunInterrupts"/>): exit 130 with every report written.
/// </summary>
public static class RunCommand
{
    public static Command Create()
    {
        var selection = new PickleSelection.Options();
        var rig = CommonOptions.Rig();
        var results = CommonOptions.Results();
        var seed = new Option<int?>("--seed") { Description = "run seed; every random choice derives from it (default: a new one, printed)" };
        var dryRun = new Option<bool>("--dry-run") { Description = "bind every step without running any" };
        var stepTimeout = new Option<string?>("--step-timeout") { Description = "longest a single step may take (default 5min)" };
        var follow = new Option<bool>("--follow", "-f") { Description = "print every board's console as it arrives" };
        var plan = new Option<string?>("--plan") { Description = "a fault plan (YAML) that starts with every scenario; replay lines include it" };
        var workers = new Option<int?>("--workers", "-j")
        {
            Description = "scenarios run side by side (default: twice the cores; one per core on a rig with QEMU boards; one per physical board on a rig of physical boards; 1 = serial)",
        };
        var retry = new Option<int>("--retry") { Description = "run a failed or broken scenario up to N more times; one that then passes is reported flaky" };
        var failFast = new Option<bool>("--fail-fast") { Description = "start no more scenarios after the first one fails" };
        var grace = new Option<string?>("--grace-period") { Description = "after Ctrl-C, how long running scenarios get to tear down (default 30s)" };
        var bindings = CommonOptions.Bindings();
        var lockTimeout = RigCommand.LockTimeoutOption();
        var command = new Command("run", "Run scenarios on a rig") { rig, results, seed, dryRun, stepTimeout, follow, plan, workers, retry, failFast, grace, bindings, lockTimeout };
        selection.AddTo(command);
        command.SetAction((parse, _) => Loading.GuardAsync(async () =>
        {
            var resultsDirectory = parse.GetValue(results)!;
            var workerCount = parse.GetValue(workers);
            if (workerCount is < 1) throw new Loading.UsageException($"--workers {workerCount}: at least 1 (1 runs scenarios one after another)");
            var retries = parse.GetValue(retry);
            if (retries < 0) throw new Loading.UsageException($"--retry {retries}: the number of extra attempts is 0 or more");
            var timeout = Loading.Duration(parse.GetValue(stepTimeout), "--step-timeout", TimeSpan.FromMinutes(5));
            var gracePeriod = Loading.Duration(parse.GetValue(grace), "--grace-period", TimeSpan.FromSeconds(30));
            var rigFile = parse.GetValue(rig);
            var rigPath = rigFile ?? ScenarioHost.DefaultRigFile();
            var rigDefinition = Loading.Rig(rigPath);
            var picked = PickleSelection.Load(parse, selection, resultsDirectory);
            var planFile = parse.GetValue(plan);
            if (planFile is not null) Loading.FaultPlan(planFile, rigDefinition);
            // Last of the checks (after features and rig parse, so a bad feature leaves no directory behind), first of the writes.
            Loading.WritableDirectory(resultsDirectory, "--results");
            var workerTotal = workerCount ?? DefaultWorkers(rigDefinition);
            var options = new RunOptions
            {
                Seed = parse.GetValue(seed) ?? RunOptions.NewSeed(),
                ResultsDirectory = resultsDirectory,
                RigFile = rigPath,
                RigIsDefault = rigFile is null,
                DryRun = parse.GetValue(dryRun),
                StepTimeout = timeout,
                Retries = retries,
                ReplayDirectory = HilRig.Rig.Drivers.ProcessBoard.DeviceLocator.RepositoryRoot(),
                TagFilter = parse.GetValue(selection.Tags),
                FaultPlan = planFile is null ? null : Path.GetFullPath(planFile),
                ReplayArguments = planFile is null ? [] : ["--plan", planFile],
            };
            using var reporter = new ConsoleReporter(resultsDirectory) { Plan = Describe(picked, workerTotal, retries, parse.GetValue(failFast)) };
            var manifest = new RunManifestWriter(resultsDirectory, rigDefinition.Name, workerTotal, picked.Shard?.ToString(), picked.Split?.Digest,
                picked.Whole.Count, picked.OrderOf);
            var listeners = ScenarioHost.ReportWriters(resultsDirectory, rigDefinition).Append(manifest).Append(reporter);
            var extraBindings = Loading.BindingAssemblies(parse.GetValue(bindings));
            if (extraBindings.Length > 0)
                options = options with { ReplayArguments = [.. options.ReplayArguments, .. parse.GetValue(bindings)!.SelectMany(b => new[] { "--bindings", b })] };
            await using var run = ScenarioHost.CreateRun(options, rigDefinition, listeners, extraBindings);
            run.Services.Get<HilRig.Rig.Locking.RigRunSettings>().LockTimeout = RigCommand.LockTimeout(parse.GetValue(lockTimeout));
            if (parse.GetValue(follow))
                run.Context.ConsoleFollower = (board, line) => Terminal.Line($"  {board} | {line}", $"  [grey]{Terminal.Escape(board)} |[/] {Terminal.Escape(line)}");
            using var interrupts = new RunInterrupts(run, gracePeriod);
            var scheduler = new ScenarioScheduler(run, new ScheduleOptions
            {
                Workers = workerTotal,
                FailFast = parse.GetValue(failFast),
                ExpectedDuration = picked.Durations,
                ResourcesOf = ScenarioHost.ExclusiveResourcesOf(rigDefinition, planFile),
            });
            if (Terminal.Interactive)
                await AnsiConsole.Status().StartAsync("starting", async ctx =>
                {
                    reporter.Status = ctx;
                    await scheduler.RunAsync(picked.Pickles, interrupts.Abandon);
                    reporter.Status = null;
                });
            else
                await scheduler.RunAsync(picked.Pickles, interrupts.Abandon);
            // Past the grace period, what the stuck scenarios started is killed before the reports are written.
            if (interrupts.Abandon.IsCancellationRequested) CleanUpLeftovers();
            var result = await run.FinishAsync(interrupts.Abandon);
            if (!interrupts.Interrupted) return ExitCodeFor(result, options.DryRun);
            CleanUpLeftovers();
            return RunInterrupts.ExitCode;
        }));
        return command;
    }

    /// <summary>
    /// Scenarios mostly wait — on boots, timers, retransmissions — so twice the cores keeps the CPUs busy without
    /// starving the devices (<c>hilrig bench run</c> measures it). A rig of physical boards only runs one scenario per
    /// board at a time anyway. A QEMU machine does not wait: under TCG its virtual CPU is a host thread that is busy
    /// whenever the guest is (booting, hashing a slot), so a rig with QEMU boards runs one scenario per core.
    /// </summary>
    public static int DefaultWorkers(RigDefinition rig)
    {
        var physical = rig.Boards.Count(b => ScenarioRig.ExclusiveKey(b) is not null);
        if (rig.Boards.Count > 0 && physical == rig.Boards.Count) return physical;
        if (rig.Boards.Any(b => b.Kind == BoardKind.Qemu)) return Math.Max(1, Environment.ProcessorCount);
        return Math.Max(2, 2 * Environment.ProcessorCount);
    }

    private static string Describe(PickleSelection picked, int workers, int retries, bool failFast)
    {
        var parts = new List<string> { workers == 1 ? "1 worker (serial)" : $"{workers} workers" };
        if (picked.Shard is not null) parts.Add(picked.Describe());
        if (retries > 0) parts.Add($"--retry {retries}");
        if (failFast) parts.Add("--fail-fast");
        return string.Join(" · ", parts);
    }

    private static void CleanUpLeftovers()
    {
        foreach (var error in Leftovers.CleanUp()) Terminal.Error("hilrig: " + error);
    }

    public static int ExitCodeFor(RunResult result, bool dryRun)
    {
        if (result.HasRigFault) return ExitCodes.RigFault;
        if (dryRun) return result.Scenarios.Any(s => s.Outcome is Outcome.Undefined or Outcome.Ambiguous) ? ExitCodes.Failed : ExitCodes.Passed;
        return result.AllPassed ? ExitCodes.Passed : ExitCodes.Failed;
    }
}
