using HilRig.Engine.Gherkin;

namespace HilRig.Engine.Runtime;

/// <summary>
/// The scenario being run, available to bindings (Reqnroll's <c>ScenarioContext</c> is there too; this is what HilRig
/// adds: the pickle, the run, seeds). Its seed comes from the run seed and the scenario's location only, so running
/// one scenario alone (the replay line) reproduces the same random choices.
/// </summary>
public sealed class ScenarioRun
{
    public ScenarioRun(Pickle pickle, RunContext run, CancellationToken cancellation, int attempt = 1)
    {
        Pickle = pickle;
        Run = run;
        Cancellation = cancellation;
        Attempt = attempt;
        Seed = SeedOf(run, pickle);
    }

    /// <summary>A scenario's seed: the run seed and the scenario's location only, so a replay of it alone draws the same.</summary>
    public static int SeedOf(RunContext run, Pickle pickle) => StableSeed.Derive(run.Seed, StableSeed.NormalizeUri(pickle.Uri), pickle.Line.ToString());

    /// <summary>1, or the retry this is (<c>--retry</c>). A retry has the same seed: it replays the same decisions.</summary>
    public int Attempt { get; }

    public Pickle Pickle { get; }

    public RunContext Run { get; }

    public string Name => Pickle.DisplayName;

    public IReadOnlyList<string> Tags => Pickle.Tags;

    public int Seed { get; }

    /// <summary>Cancelled when the run is interrupted (Ctrl-C, SIGTERM): a step should stop what it waits for.</summary>
    public CancellationToken Cancellation { get; }

    /// <summary>A generator for one component of this scenario (e.g. "simnet", "power-cut").</summary>
    public Random RandomFor(string component) => new(SeedFor(component));

    public int SeedFor(string component) => StableSeed.Derive(Seed, component);

    /// <summary>
    /// A short name, unique within the run, usable in file names and network namespace names; a retry gets its own
    /// (<c>…-try2</c>), so its boards start from fresh data and the first attempt's evidence stays as it was.
    /// </summary>
    public string Slug => StableSeed.Slug(Pickle.Uri, Pickle.Line) + (Attempt > 1 ? $"-try{Attempt}" : "");
}
