using System.CommandLine;

namespace HilRig.Cli.Commands;

/// <summary>Options several commands share, defined once so they read the same everywhere.</summary>
public static class CommonOptions
{
    public static Option<string?> Rig() => new("--rig", "-r") { Description = "the rig file (default: rig.yaml, or $HILRIG_RIG)" };

    public static Option<string?> Tags() => new("--tags", "-t") { Description = "a Cucumber tag expression, e.g. \"@smoke and not @slow\"" };

    public static Option<string[]> Bindings() => new("--bindings")
    {
        Description = "an assembly (.dll) with more Reqnroll [Binding] classes, besides HilRig's step library (repeatable)",
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    public static Option<string> Results() =>
        new("--results") { Description = "directory for the reports (allure-results/, junit.xml, Cucumber messages and HTML, hilrig-run.json) and artifacts", DefaultValueFactory = _ => "reports" };

    public static Option<bool> Json() => new("--json") { Description = "print JSON instead of text" };

    public static Argument<string[]> Features() => new("FEATURE")
    {
        Description = "feature files or directories, optionally FILE:LINE (default: scenarios/)",
        Arity = ArgumentArity.ZeroOrMore,
    };

    /// <summary>The feature arguments, or the scenarios directory when none are given.</summary>
    public static IReadOnlyList<string> FeaturesOrDefault(string[]? given)
    {
        if (given is { Length: > 0 }) return given;
        if (Directory.Exists("scenarios")) return ["scenarios"];
        var root = HilRig.Rig.Drivers.ProcessBoard.DeviceLocator.RepositoryRoot();
        return [root is null ? "scenarios" : Path.GetRelativePath(Environment.CurrentDirectory, Path.Combine(root, "scenarios"))];
    }
}
