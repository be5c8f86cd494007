using HilRig.Cli.Output;
using HilRig.Engine.Bindings;
using HilRig.Engine.Gherkin;
using HilRig.Rig.Model;
using HilRig.Engine.Tags;

namespace HilRig.Cli.Commands;

/// <summary>
/// Loads what a command needs and turns every input problem into a printed error and exit code 2, so each
/// command's action reads as its happy path.
/// </summary>
public static class Loading
{
    public sealed class UsageException(string message) : Exception(message);

    public static TagExpression Tags(string? expression)
    {
        try
        {
            return TagExpression.Parse(expression ?? "");
        }
        catch (TagExpressionException e)
        {
            throw new UsageException($"--tags: {e.Message}");
        }
    }

    public static FeatureSet Features(IReadOnlyList<string> arguments, TagExpression filter)
    {
        try
        {
            return FeatureSet.Load(arguments, filter);
        }
        catch (FeatureParseException e)
        {
            throw new UsageException($"feature files have errors; nothing was run:\n{string.Join('\n', e.Errors.Select(x => "  " + x))}");
        }
    }

    public static RigDefinition Rig(string path)
    {
        try
        {
            return Steps.Hosting.ScenarioHost.LoadRig(path);
        }
        catch (RigFileException e)
        {
            throw new UsageException($"rig file has errors:\n{string.Join('\n', e.Errors.Select(x => "  " + x))}");
        }
    }

    /// <summary>
    /// Reads a fault plan and checks it against the rig before anything runs: a plan that does not parse, or names a
    /// host or board the rig does not have, is a usage error with file:line:column.
    /// </summary>
    public static Simulators.Faults.FaultPlan FaultPlan(string path, RigDefinition rig)
    {
        try
        {
            var plan = Simulators.Faults.FaultPlanParser.ParseFile(path);
            var boards = rig.Boards.Select(b => b.Name).ToList();
            var hosts = rig.Network.Type == "simnet" ? boards.Append(Steps.Network.SimNetRigNetwork.CloudHost).ToList() : [];
            Simulators.Faults.FaultTimeline.Expand(plan, 0).Validate(hosts, boards);
            return plan;
        }
        catch (Simulators.Faults.FaultPlanException e)
        {
            throw new UsageException($"--plan: {e.Message}");
        }
    }

    /// <summary>The assemblies named by <c>--bindings</c>, loaded; a path that is not a loadable assembly is a usage error.</summary>
    public static System.Reflection.Assembly[] BindingAssemblies(string[]? paths)
    {
        var assemblies = new List<System.Reflection.Assembly>();
        foreach (var path in paths ?? [])
        {
            try
            {
                assemblies.Add(System.Reflection.Assembly.LoadFrom(Path.GetFullPath(path)));
            }
            catch (Exception e) when (e is IOException or BadImageFormatException or ArgumentException)
            {
                throw new UsageException($"--bindings {path}: not a .NET assembly that can be loaded ({e.Message})");
            }
        }
        return assemblies.ToArray();
    }

    /// <summary>A duration option (<c>90s</c>, <c>5min</c>), or its default when not given.</summary>
    public static TimeSpan Duration(string? text, string option, TimeSpan fallback)
    {
        if (text is null) return fallback;
        if (!Engine.Runtime.DurationParser.TryParse(text, out var value) || value <= TimeSpan.Zero)
            throw new UsageException($"{option}: '{text}' is not a duration (e.g. 90s, 5min)");
        return value;
    }

    /// <summary>
    /// The results directory, created if need be and proven writable before anything runs: a run that could not write its
    /// reports would be a run for nothing. (A probe file rather than permission bits: root may write anywhere but a
    /// read-only file system, and the question is whether this process can.)
    /// </summary>
    public static string WritableDirectory(string path, string option)
    {
        try
        {
            Directory.CreateDirectory(path);
            var probe = Path.Combine(path, $".hilrig-write-probe-{Environment.ProcessId}");
            File.WriteAllText(probe, "");
            File.Delete(probe);
            return path;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"{option} {path}: not a writable directory ({e.Message})");
        }
    }

    /// <summary>Runs an action, mapping input problems to exit 2 with a message on stderr.</summary>
    public static async Task<int> GuardAsync(Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (UsageException e)
        {
            Terminal.Error("hilrig: " + e.Message);
            return ExitCodes.Usage;
        }
        catch (StepBindingException e)
        {
            Terminal.Error("hilrig: step bindings have errors:\n" + e.Message);
            return ExitCodes.Usage;
        }
    }
}
