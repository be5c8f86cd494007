using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using HilRig.Cli.Output;

namespace HilRig.Cli.Commands;

/// <summary><c>hilrig list</c>: the scenarios (pickles) a run with the same arguments would run.</summary>
public static class ListCommand
{
    public static Command Create()
    {
        var features = CommonOptions.Features();
        var tags = CommonOptions.Tags();
        var json = CommonOptions.Json();
        var command = new Command("list", "List the scenarios that would run") { features, tags, json };
        command.SetAction((parse, _) => Loading.GuardAsync(() =>
        {
            var set = Loading.Features(CommonOptions.FeaturesOrDefault(parse.GetValue(features)), Loading.Tags(parse.GetValue(tags)));
            if (parse.GetValue(json))
            {
                var items = set.Pickles.Select(p => new PickleJson(
                    p.DisplayName, p.FeatureName, p.Uri, p.Line, p.Tags, p.Steps.Select(s => $"{s.Keyword.Trim()} {s.Text}").ToList())).ToList();
                Console.Out.WriteLine(JsonSerializer.Serialize(items, ListJson.Default.ListPickleJson));
            }
            else
            {
                foreach (var p in set.Pickles)
                    Terminal.Line($"{p.Location}  {p.DisplayName}{(p.Tags.Count > 0 ? "  " + string.Join(' ', p.Tags) : "")}",
                        $"[grey]{Terminal.Escape(p.Location)}[/]  {Terminal.Escape(p.DisplayName)}  [blue]{Terminal.Escape(string.Join(' ', p.Tags))}[/]");
                Terminal.Line($"{set.Pickles.Count} scenario(s)");
            }
            return Task.FromResult(ExitCodes.Passed);
        }));
        return command;
    }
}

/// <summary>One pickle as <c>hilrig list --json</c> prints it (DESIGN.md "Contracts").</summary>
public sealed record PickleJson(string Name, string Feature, string Uri, int Line, IReadOnlyList<string> Tags, IReadOnlyList<string> Steps);

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(List<PickleJson>))]
internal sealed partial class ListJson : JsonSerializerContext;
