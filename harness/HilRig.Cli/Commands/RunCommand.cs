using System.CommandLine;
using HilRig.Cli.Output;
using HilRig.Engine.Runtime;
using HilRig.Steps.Hosting;
using Spectre.Console;

namespace HilRig.Cli.Commands;

/// <summary><c>hilrig run</c>: runs scenarios on a rig and writes Allure results, JUnit XML and a summary.</summary>
public static class RunCommand
{
    public static Command Create()
    {
        var features = CommonOptions.Features();
        var rig = CommonOptions.Rig();
        var tags = CommonOptions.Tags();
        var results = new Option<string>("--results") { Description = "directory for allure-results/, junit.xml and artifacts", DefaultValueFactory = _ => "reports" };
        var seed = new Option<int?>("--seed") { Description = "run seed; every random choice derives from it (default: a new one, printed)" };
        var dryRun = new Option<bool>("--dry-run") { Description = "bind every step without running any" };
        var stepTimeout = new Option<string?>("--step-timeout") { Description = "longest a single step may take (default 5min)" };
        var follow = new Option<bool>("--follow", "-f") { Description = "print every board's console as it arrives" };
        var plan = new Option<string?>("--plan") { Description = "a fault plan (YAML) that starts with every scenario; replay lines include it" };
        var bindings = CommonOptions.Bindings();
        var lockTimeout = RigCommand.LockTimeoutOption();
        var command = new Command("run", "Run scenarios on a rig") { features, rig, tags, results, seed, dryRun, stepTimeout, follow, plan, bindings, lockTimeout };
        command.SetAction((parse, cancellation) => Loading.GuardAsync(async () =>
        {
            var filter = Loading.Tags(parse.GetValue(tags));
            var rigFile = parse.GetValue(rig);
            var rigPath = rigFile ?? ScenarioHost.DefaultRigFile();
            var rigDefinition = Loading.Rig(rigPath);
            var set = Loading.Features(CommonOptions.FeaturesOrDefault(parse.GetValue(features)), filter);
            var timeout = TimeSpan.FromMinutes(5);
            if (parse.GetValue(stepTimeout) is { } t && !DurationParser.TryParse(t, out timeout))
                throw new Loading.UsageException($"--step-timeout: '{t}' is not a duration (e.g. 90s, 5min)");
            var resultsDirectory = parse.GetValue(results)!;
            var planFile = parse.GetValue(plan);
            if (planFile is not null) Loading.FaultPlan(planFile, rigDefinition);
            var options = new RunOptions
            {
                Seed = parse.GetValue(seed) ?? RunOptions.NewSeed(),
                ResultsDirectory = resultsDirectory,
                RigFile = rigPath,
                RigIsDefault = rigFile is null,
                ReplayDirectory = HilRig.Rig.Drivers.ProcessBoard.DeviceLocator.RepositoryRoot(),
                DryRun = parse.GetValue(dryRun),
                StepTimeout = timeout,
                TagFilter = parse.GetValue(tags),
                FaultPlan = planFile is null ? null : Path.GetFullPath(planFile),
                ReplayArguments = planFile is null ? [] : ["--plan", planFile],
            };
            var reporter = new ConsoleReporter(resultsDirectory);
            var listeners = ScenarioHost.ReportWriters(resultsDirectory, rigDefinition).Append(reporter);
            var extraBindings = Loading.BindingAssemblies(parse.GetValue(bindings));
            if (extraBindings.Length > 0)
                options = options with { ReplayArguments = [.. options.ReplayArguments, .. parse.GetValue(bindings)!.SelectMany(b => new[] { "--bindings", b })] };
            var waitForLocks = RigCommand.LockTimeout(parse.GetValue(lockTimeout));
            await using var run = ScenarioHost.CreateRun(options, rigDefinition, listeners, extraBindings);
            run.Services.Get<HilRig.Rig.Locking.RigRunSettings>().LockTimeout = waitForLocks;
            if (parse.GetValue(follow))
                run.Context.ConsoleFollower = (board, line) => Terminal.Line($"  {board} | {line}", $"  [grey]{Terminal.Escape(board)} |[/] {Terminal.Escape(line)}");
            async Task RunAll()
            {
                await run.StartAsync(set.Pickles);
                foreach (var pickle in set.Pickles)
                {
                    if (cancellation.IsCancellationRequested) break;
                    await run.RunAsync(pickle, cancellation);
                }
            }
            if (Terminal.Interactive)
                await AnsiConsole.Status().StartAsync("starting", async ctx =>
                {
                    reporter.Status = ctx;
                    await RunAll();
                    reporter.Status = null;
                });
            else
                await RunAll();
            var result = await run.FinishAsync();
            return ExitCodeFor(result, options.DryRun);
        }));
        return command;
    }

    public static int ExitCodeFor(RunResult result, bool dryRun)
    {
        if (result.HasRigFault) return ExitCodes.RigFault;
        if (dryRun) return result.Scenarios.Any(s => s.Outcome is Outcome.Undefined or Outcome.Ambiguous) ? ExitCodes.Failed : ExitCodes.Passed;
        return result.AllPassed ? ExitCodes.Passed : ExitCodes.Failed;
    }
}
