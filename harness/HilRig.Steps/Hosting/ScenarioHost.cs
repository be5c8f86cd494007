using System.Reflection;
using HilRig.Engine.Bindings;
using HilRig.Engine.Reports;
using HilRig.Rig.Model;
using HilRig.Engine.Runtime;

namespace HilRig.Steps.Hosting;

/// <summary>
/// What every host of scenarios (the <c>hilrig</c> command, the NUnit bridge) sets up the same way: the binding
/// assemblies, the rig in the run scope, extension registration, and the standard report writers.
/// </summary>
public static class ScenarioHost
{
    private static int _extensionsRegistered;

    /// <summary>Assemblies whose [Binding] classes are loaded: the step library, plus any the host adds.</summary>
    public static IReadOnlyList<Assembly> BindingAssemblies(params Assembly[] extra) =>
        new[] { typeof(ScenarioHost).Assembly }.Concat(extra).Distinct().ToList();

    /// <summary>Registers rig extensions (network types, …) once per process.</summary>
    public static void RegisterExtensions()
    {
        if (Interlocked.Exchange(ref _extensionsRegistered, 1) != 0) return;
        foreach (var register in Extensions) register();
    }

    /// <summary>Product areas add their registration here, e.g. <c>() => RigNetworks.Register("simnet", …)</c>.</summary>
    private static readonly List<Action> Extensions =
    [
        () => HilRig.Rig.Boards.RigNetworks.Register("simnet", (definition, services) => new Network.SimNetRigNetwork(definition, services),
            rig => Network.SimNetProfiles.Read(rig)),
        () => HilRig.Rig.Boards.BoardExtensions.Register(Network.NicCapture.AttachTo),
        // After the processes (order 0): a namespace is empty once they are gone.
        () => Leftovers.Register("SimNet network namespaces", () => Simulators.SimNet.NetworkNamespaces.DeleteOwned(), order: 1),
    ];

    /// <summary>Loads a rig file with every registered network type's checks (profiles and the like) in force.</summary>
    public static RigDefinition LoadRig(string path)
    {
        RegisterExtensions();
        return RigLoader.Load(path);
    }

    /// <summary>
    /// The standard listeners: Allure results under DIR/allure-results, JUnit XML at DIR/junit.xml, Cucumber Messages at
    /// DIR/cucumber-messages.ndjson and the Cucumber HTML report at DIR/cucumber-report.html.
    /// </summary>
    public static IReadOnlyList<IRunListener> ReportWriters(string resultsDirectory, RigDefinition? rig) =>
    [
        new AllureResultsWriter(Path.Combine(resultsDirectory, "allure-results"), rig?.Name),
        new JUnitWriter(Path.Combine(resultsDirectory, "junit.xml")),
        new CucumberMessagesWriter(resultsDirectory),
    ];

    public static TestRun CreateRun(RunOptions options, RigDefinition? rig, IEnumerable<IRunListener> listeners, params Assembly[] extraBindings)
    {
        RegisterExtensions();
        return TestRun.Create(BindingAssemblies(extraBindings), options, listeners, services =>
        {
            if (rig is not null) services.Add(rig);
        });
    }

    /// <summary>
    /// The boards that only one scenario may use at a time (physical ones) that a pickle is known to need before it starts:
    /// those its steps name (<c>board "bench-1"</c>, in the step text, a table or a doc string such as an inline fault plan),
    /// those with a role its steps mention, and every one a run-wide fault plan names. What this misses, the rig locks
    /// when a step first uses the board (<see cref="ScenarioRig"/>), so it only has to be good, not complete.
    /// </summary>
    public static Func<Engine.Gherkin.Pickle, IEnumerable<string>>? ExclusiveResourcesOf(RigDefinition rig, string? faultPlan)
    {
        var exclusive = rig.Boards.Select(b => (Board: b, Key: Rig.Boards.ScenarioRig.ExclusiveKey(b))).Where(x => x.Key is not null).ToList();
        if (exclusive.Count == 0) return null;
        var planText = faultPlan is not null && File.Exists(faultPlan) ? File.ReadAllText(faultPlan) : "";
        return pickle =>
        {
            var text = string.Join("\n", pickle.Steps.Select(s => s.Text + "\n" + s.Argument)) + "\n" + planText;
            return exclusive.Where(x => text.Contains($"\"{x.Board.Name}\"") || planText.Contains(x.Board.Name)
                                        || x.Board.Roles.Any(r => text.Contains(r, StringComparison.OrdinalIgnoreCase)))
                .Select(x => x.Key!);
        };
    }

    /// <summary>Finds the rig file a host should use when none is named: $HILRIG_RIG, else rig.yaml here or at the repository root.</summary>
    public static string DefaultRigFile()
    {
        if (Environment.GetEnvironmentVariable("HILRIG_RIG") is { Length: > 0 } fromEnv) return fromEnv;
        if (File.Exists("rig.yaml")) return "rig.yaml";
        return Rig.Drivers.ProcessBoard.DeviceLocator.RepositoryRoot() is { } root ? Path.Combine(root, "rig.yaml") : "rig.yaml";
    }
}
