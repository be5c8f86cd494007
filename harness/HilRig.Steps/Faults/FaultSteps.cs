using HilRig.Engine.Bindings;
using HilRig.Rig.Boards;
using HilRig.Engine.Gherkin;
using HilRig.Engine.Runtime;
using HilRig.Simulators.Faults;
using HilRig.Simulators.SimNet;
using HilRig.Steps.Network;
using Reqnroll;

namespace HilRig.Steps.Faults;

/// <summary>
/// Faults as steps: a fault plan written in the scenario (or in a file), and single faults — impairments, partitions,
/// power cuts, process kills. Each goes through the scenario's <see cref="ScenarioFaults"/>, so it is recorded and the
/// applied timeline is attached to the report.
/// </summary>
[Binding]
public sealed class FaultSteps(ScenarioFaults faults, ScenarioRig rig, ScenarioRun scenario, CurrentStep current)
{
    private string Where(string what) => $"{current.Location} ({what})";

    [Given("the fault plan:")]
    [StepSummary("starts a fault plan written as YAML in a doc string (keys as in a --plan file); its clock starts now")]
    public void PlanInline(DocString yaml)
    {
        // Blank lines in front make the YAML reader's line numbers the feature file's.
        var text = new string('\n', yaml.Line) + yaml.Content;
        faults.Start(Parse(() => FaultPlanParser.Parse(text, scenario.Pickle.Uri)));
    }

    [When("the fault plan {string} starts")]
    [StepSummary("starts the fault plan in that YAML file (relative to the repository or the feature)")]
    public void PlanFile(string path)
    {
        var candidates = new[]
        {
            path,
            Path.Combine(Path.GetDirectoryName(scenario.Pickle.Uri) ?? ".", path),
            Path.Combine(Rig.Drivers.ProcessBoard.DeviceLocator.RepositoryRoot() ?? ".", path),
        };
        var file = candidates.FirstOrDefault(File.Exists) ?? throw new ArgumentException($"fault plan file '{path}' not found (looked in {string.Join(", ", candidates)})");
        faults.Start(Parse(() => FaultPlanParser.ParseFile(file)));
    }

    [When("the fault plan has played out")]
    [StepSummary("waits (up to 10 minutes) until every running fault plan has applied its last fault")]
    public Task PlayedOut(CancellationToken ct) => faults.WaitForPlansAsync(TimeSpan.FromMinutes(10), ct);

    [Then("every fault of the plan was applied")]
    [StepSummary("no fault of any plan failed to apply (the timeline report names each)")]
    public void AllApplied()
    {
        var failed = faults.Plans.SelectMany(p => p.Applied).Where(a => a.Error is not null).ToList();
        if (failed.Count > 0) throw new RigFaultException($"{failed.Count} fault(s) could not be applied:\n{string.Join('\n', failed)}");
    }

    [When("the link of {host} loses {int}% of packets")]
    [StepSummary("random loss on every link of the host, both directions")]
    public Task HostLoss(NetworkHost host, int percent, CancellationToken ct) =>
        Impair(host, new LinkImpairment { Loss = percent / 100.0 }, ct);

    [When("the link between {host} and {host} loses {int}% of packets")]
    [StepSummary("random loss on that link, both directions")]
    public Task LinkLoss(NetworkHost a, NetworkHost b, int percent, CancellationToken ct) =>
        faults.ApplyAsync(new ImpairFault(new LinkImpairment { Loss = percent / 100.0 }.Validated("loss"), a.Name, b.Name, true, null, PartitionDirection.Both),
            Where($"{a} <-> {b} loss {percent}%"), ct);

    [When("the link of {host} duplicates {int}% and reorders {int}% of packets")]
    [StepSummary("duplication and reordering (held back 5 ms) on every link of the host, both directions")]
    public Task DuplicateReorder(NetworkHost host, int duplicate, int reorder, CancellationToken ct) =>
        Impair(host, new LinkImpairment { Duplicate = duplicate / 100.0, Reorder = reorder / 100.0 }, ct);

    [When("the link of {host} corrupts {int}% of packets")]
    [StepSummary("flips one bit past the Ethernet header of that share of frames on every link of the host, both directions; receivers' checksums catch it")]
    public Task Corrupt(NetworkHost host, int percent, CancellationToken ct) =>
        Impair(host, new LinkImpairment { Corrupt = percent / 100.0 }, ct);

    [When("the link of {host} uses the profile {string}")]
    [StepSummary("applies one of the rig's impairment profiles (network.profiles) to every link of the host")]
    public Task Profile(NetworkHost host, string profile, CancellationToken ct)
    {
        var simnet = rig.Network as SimNetRigNetwork ?? throw new RigFaultException($"impairment profiles need SimNet; the rig's network is '{rig.Definition.Network.Type}'");
        var profiles = simnet.Profiles ?? throw new RigFaultException("the rig has no impairment profiles");
        return Impair(host, profiles[profile], ct);
    }

    [When("the link of {host} is impaired with {string}")]
    [StepSummary("any impairment in plan syntax, e.g. \"{delay: 40ms, jitter: 10ms, loss: 5%}\"")]
    public Task ImpairWith(NetworkHost host, string yaml, CancellationToken ct) =>
        Impair(host, Parse(() => FaultPlanParser.ParseImpairment(yaml, "impairment", Where(yaml))), ct);

    [When("the network is clean again")]
    [StepSummary("heals every partition and puts every link back on the rig's profile (clean unless the rig names one)")]
    public Task Clean(CancellationToken ct) => faults.ApplyAsync(new HealFault(null), Where("heal all"), ct);

    [When("{host} is partitioned from the network")]
    [StepSummary("cuts the host off from every other host, both directions, until healed")]
    public Task Partition(NetworkHost host, CancellationToken ct) =>
        faults.ApplyAsync(new PartitionFault(new HostSelection([host.Name]), PartitionDirection.Both), Where($"partition {host}"), ct);

    [When("{host} is partitioned from the network for {int} second(s)")]
    [StepSummary("partitions the host, keeps it cut off that long, then heals it")]
    public async Task PartitionFor(NetworkHost host, int seconds, CancellationToken ct)
    {
        await Partition(host, ct);
        await Task.Delay(TimeSpan.FromSeconds(seconds), ct);
        await Heal(host, ct);
    }

    [When("{host} can send but not receive")]
    [StepSummary("an inbound-only partition of the host")]
    public Task Inbound(NetworkHost host, CancellationToken ct) =>
        faults.ApplyAsync(new PartitionFault(new HostSelection([host.Name]), PartitionDirection.Inbound), Where($"partition {host} inbound"), ct);

    [When("the partition of {host} heals")]
    [StepSummary("heals every partition touching the host")]
    public Task Heal(NetworkHost host, CancellationToken ct) =>
        faults.ApplyAsync(new HealFault(new HostSelection([host.Name])), Where($"heal {host}"), ct);

    [When("a fault cuts the power of board {board}")]
    [StepSummary("a power cut through the board's Power protocol, recorded in the fault timeline")]
    public Task Cut(Board board, CancellationToken ct) =>
        faults.ApplyAsync(new PowerCutFault(new HostSelection([board.Name]), null), Where($"power cut {board.Name}"), ct);

    [When("a fault cuts the power of board {board} for {int} second(s)")]
    [StepSummary("a power cut; power comes back on after that long while the scenario goes on")]
    public Task CutFor(Board board, int seconds, CancellationToken ct) =>
        faults.ApplyAsync(new PowerCutFault(new HostSelection([board.Name]), TimeSpan.FromSeconds(seconds)), Where($"power cut {board.Name} {seconds}s"), ct);

    [When("the device process of board {board} is killed")]
    [StepSummary("SIGKILL of the board's main process: no shutdown, no power event; the board reports an unexpected exit")]
    public Task Kill(Board board, CancellationToken ct) =>
        faults.ApplyAsync(new KillFault(new HostSelection([board.Name]), null), Where($"kill {board.Name}"), ct);

    private Task Impair(NetworkHost host, LinkImpairment impairment, CancellationToken ct) =>
        faults.ApplyAsync(new ImpairFault(impairment.Validated($"impairment of {host}"), null, null, false, new HostSelection([host.Name]), PartitionDirection.Both),
            Where($"impair {host}: {impairment}"), ct);

    /// <summary>A plan that does not parse is the scenario's mistake: an error naming file:line:column and the key.</summary>
    private static T Parse<T>(Func<T> parse)
    {
        try
        {
            return parse();
        }
        catch (FaultPlanException e)
        {
            throw new ArgumentException($"fault plan error: {e.Message}", e);
        }
    }
}
