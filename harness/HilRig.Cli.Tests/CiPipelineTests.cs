using System.CommandLine.Parsing;
using System.Text.RegularExpressions;
using HilRig.Testing;
using NUnit.Framework;
using YamlDotNet.RepresentationModel;

namespace HilRig.Cli.Tests;

/// <summary>
/// The pipeline files in docs/ci are YAML their CI engines can read, shard the run and merge it, and every hilrig command
/// they run parses with the real command line (System.CommandLine, as `hilrig` itself parses), so a renamed option
/// breaks this test rather than a team's pipeline.
/// </summary>
public class CiPipelineTests
{
    private static string Ci => Path.Combine(RepoPaths.Root, "docs", "ci");

    public static IEnumerable<string> Files() => ["gitlab-ci.yml", "github-actions.yml", "kubernetes-indexed-job.yaml"];

    [TestCaseSource(nameof(Files))]
    public void PipelineFile_ParsesAsYaml_ShardsAndMerges_WithCommandsThatExist(string file)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(Path.Combine(Ci, file))) stream.Load(reader);
        Assert.That(stream.Documents, Is.Not.Empty);
        var commands = stream.Documents.SelectMany(d => Scalars(d.RootNode)).SelectMany(HilrigCommands).ToList();
        Assert.That(commands.Any(c => c[0] == "run" && c.Contains("--shard")), $"{file} runs shards");
        Assert.That(commands.Any(c => c.Take(2).SequenceEqual(["results", "merge"])), $"{file} merges them");
        foreach (var command in commands)
        {
            var parse = HilRigCommand.Create().Parse(command, HilRigCommand.Parsing);
            Assert.That(parse.Errors.Select(e => e.Message), Is.Empty, $"{file}: hilrig {string.Join(' ', command)}");
            Assert.That(parse.CommandResult.Command.Name, Is.AnyOf("run", "merge"), $"{file}: hilrig {string.Join(' ', command)}");
            // An unknown option would otherwise pass as a FEATURE path (the argument takes any number of them).
            var asArguments = parse.CommandResult.Children.OfType<ArgumentResult>().SelectMany(a => a.Tokens).Select(t => t.Value).Where(v => v.StartsWith('-'));
            Assert.That(asArguments, Is.Empty, $"{file}: options hilrig does not have: hilrig {string.Join(' ', command)}");
        }
    }

    [Test]
    public void PipelineFiles_UseEachEnginesWayToSplit()
    {
        Assert.That(File.ReadAllText(Path.Combine(Ci, "gitlab-ci.yml")), Does.Contain("parallel:").And.Contain("CI_NODE_INDEX"));
        Assert.That(File.ReadAllText(Path.Combine(Ci, "github-actions.yml")), Does.Contain("matrix:").And.Contain("strategy.job-total"));
        Assert.That(File.ReadAllText(Path.Combine(Ci, "kubernetes-indexed-job.yaml")), Does.Contain("completionMode: Indexed").And.Contain("JOB_COMPLETION_INDEX"));
    }

    private static IEnumerable<string> Scalars(YamlNode node) => node switch
    {
        YamlScalarNode s => [s.Value ?? ""],
        YamlSequenceNode seq => seq.Children.SelectMany(Scalars),
        YamlMappingNode map => map.Children.SelectMany(kv => Scalars(kv.Key).Concat(Scalars(kv.Value))),
        _ => [],
    };

    /// <summary>The arguments after each <c>./hilrig</c> in a shell line, CI variables given a sample value (shard 1 of 1).</summary>
    private static IEnumerable<string[]> HilrigCommands(string script)
    {
        foreach (Match m in Regex.Matches(script, @"\./hilrig\s+([^;&|\n]+)"))
        {
            var text = Regex.Replace(m.Groups[1].Value, @"\$\{\{[^}]*\}\}|\$\(\([^)]*\)\)|\$\{[A-Za-z_][A-Za-z0-9_]*\}|\$[A-Za-z_][A-Za-z0-9_]*", "1");
            yield return Words(text).ToArray();
        }
    }

    private static IEnumerable<string> Words(string text)
    {
        foreach (Match m in Regex.Matches(text, "\"([^\"]*)\"|'([^']*)'|(\\S+)"))
            yield return m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Success ? m.Groups[2].Value : m.Groups[3].Value;
    }
}
