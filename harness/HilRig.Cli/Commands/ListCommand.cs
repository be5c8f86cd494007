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
        var selection = new PickleSelection.Options();
        var results = CommonOptions.Results();
        var json = CommonOptions.Json();
        var command = new Command("list", "List the scenarios that would run (with the same selection options as run)") { results, json };
        selection.AddTo(command);
        command.SetAction((parse, _) => Loading.GuardAsync(() =>
        {
            var set = PickleSelection.Load(parse, selection, parse.GetValue(results)!);
            if (parse.GetValue(json))
            {
                var items = set.Pickles.Select(p => new PickleJson(
                    p.Name, p.FeatureName, p.Uri, p.Line, p.Tags, p.Steps.Select(s => $"{s.Keyword.Trim()} {s.Text}").ToList(), p.Id,
                    p.Example is { } e ? new ExamplesJson(e.ExamplesName, e.Index) : null)).ToList();
                Console.Out.WriteLine(JsonSerializer.Serialize(items, Readable));
            }
            else
            {
                foreach (var p in set.Pickles)
                    Terminal.Line($"{p.Location}  {p.DisplayName}{(p.Tags.Count > 0 ? "  " + string.Join(' ', p.Tags) : "")}",
                        $"[grey]{Terminal.Escape(p.Location)}[/]  {Terminal.Escape(p.DisplayName)}  [blue]{Terminal.Escape(string.Join(' ', p.Tags))}[/]");
                Terminal.Line($"{set.Pickles.Count} scenario(s)");
                if (set.Shard is not null) Terminal.Line(set.Describe());
            }
            return Task.FromResult(ExitCodes.Passed);
        }));
        return command;
    }

    private static readonly JsonSerializerOptions Readable = JsonText.Readable(ListJson.Default);
}

/// <summary>
/// One pickle as <c>hilrig list --json</c> prints it (DESIGN.md "Contracts"): <c>name</c> is Cucumber's pickle name (an
/// outline row's placeholders filled in, no row marker), <c>id</c> the pickle id of a run's cucumber-messages.ndjson,
/// <c>examples</c> the Examples table and row an outline pickle came from (null for a plain scenario).
/// </summary>
public sealed record PickleJson(string Name, string Feature, string Uri, int Line, IReadOnlyList<string> Tags, IReadOnlyList<string> Steps,
    string Id, ExamplesJson? Examples);

/// <summary>The Examples table (its name, null when it has none) and the row's index in it, counted from 1.</summary>
public sealed record ExamplesJson(string? Name, int Index);

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(List<PickleJson>))]
internal sealed partial class ListJson : JsonSerializerContext;
