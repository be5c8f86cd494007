using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml.Linq;

namespace HilRig.Engine.Reports;

/// <summary>Results that cannot be merged (not hilrig results, different versions, shards that planned differently).</summary>
public sealed class ResultsMergeException(string message) : Exception(message);

/// <summary>What a merge put together; <see cref="Warnings"/> name shards that are missing.</summary>
public sealed record MergeSummary(int Scenarios, int Inputs, IReadOnlyList<string> Warnings);

/// <summary>
/// <c>hilrig results merge DIR… --out DIR</c>: the results of several runs of one suite — the shards of a CI pipeline —
/// as one run's: Allure results side by side, one JUnit XML, one Cucumber Messages stream (one testRunStarted and
/// testRunFinished, definitions once, test cases in the whole run's pickle order) and the HTML report made from it, the
/// artifacts the reports link to, and a merged manifest. Inputs must come from the same hilrig version, and shards of one
/// run must have planned the same split (a scenario in two shards means they saw different durations or features).
/// </summary>
public static class ResultsMerger
{
    private static readonly string[] RunFiles = ["categories.json", "environment.properties", "executor.json"];

    public static MergeSummary Merge(IReadOnlyList<string> inputs, string output)
    {
        if (inputs.Count == 0) throw new ResultsMergeException("name at least one results directory to merge");
        var runs = inputs.Select(Load).ToList();
        var outFull = Path.GetFullPath(output).TrimEnd('/');
        foreach (var (dir, _) in runs)
            if (Path.GetFullPath(dir).TrimEnd('/') == outFull) throw new ResultsMergeException($"--out {output} is one of the inputs; merge into another directory");
        var warnings = Check(runs);
        var order = runs.SelectMany(r => r.Manifest.Scenarios).ToDictionary(s => s.Id, s => s.Order);
        var orderByLocation = runs.SelectMany(r => r.Manifest.Scenarios).GroupBy(s => s.Location).ToDictionary(g => g.Key, g => g.First().Order);

        Prepare(output);
        MergeAllure(runs, output);
        MergeJUnit(runs, output, orderByLocation);
        MergeMessages(runs, output, order);
        foreach (var (dir, _) in runs) CopyTree(Path.Combine(dir, "artifacts"), Path.Combine(output, "artifacts"));
        var first = runs[0].Manifest;
        new RunManifest
        {
            Hilrig = first.Hilrig,
            RunId = "merged-" + first.RunId,
            Seed = first.Seed,
            Rig = first.Rig,
            Plan = first.Plan,
            Selected = runs.Max(r => r.Manifest.Selected),
            Workers = runs.Sum(r => r.Manifest.Workers),
            Started = runs.Min(r => r.Manifest.Started),
            Seconds = runs.Max(r => r.Manifest.Seconds),
            Interrupted = runs.Select(r => r.Manifest.Interrupted).FirstOrDefault(i => i is not null),
            MergedFrom = runs.Select(r => r.Directory).ToList(),
            Scenarios = runs.SelectMany(r => r.Manifest.Scenarios).OrderBy(s => s.Order).ToList(),
        }.Write(output);
        return new MergeSummary(order.Count, runs.Count, warnings);
    }

    private static (string Directory, RunManifest Manifest) Load(string directory)
    {
        if (!Directory.Exists(directory)) throw new ResultsMergeException($"{directory}: no such directory");
        RunManifest? manifest;
        try
        {
            manifest = RunManifest.Read(directory);
        }
        catch (FormatException e)
        {
            throw new ResultsMergeException(e.Message);
        }
        if (manifest is null)
            throw new ResultsMergeException($"{directory}: no {RunManifest.FileName}; not the results of a hilrig run (or of a hilrig too old to merge)");
        foreach (var needed in new[] { "junit.xml", "cucumber-messages.ndjson", "allure-results" })
            if (!File.Exists(Path.Combine(directory, needed)) && !Directory.Exists(Path.Combine(directory, needed)))
                throw new ResultsMergeException($"{directory}: {needed} is missing; was the run killed before it wrote its reports?");
        return (directory, manifest);
    }

    private static List<string> Check(List<(string Directory, RunManifest Manifest)> runs)
    {
        var versions = runs.GroupBy(r => r.Manifest.Hilrig).ToList();
        if (versions.Count > 1)
            throw new ResultsMergeException("results of different hilrig versions do not merge: " +
                string.Join("; ", versions.Select(v => $"{string.Join(", ", v.Select(r => r.Directory))} from {v.Key}")));
        var seen = new Dictionary<string, string>();
        foreach (var (dir, manifest) in runs)
        foreach (var scenario in manifest.Scenarios)
        {
            if (seen.TryAdd(scenario.Id, dir)) continue;
            throw new ResultsMergeException(
                $"{scenario.Location} ({scenario.Name}) is in both {seen[scenario.Id]} and {dir}: shards must split one run " +
                "(did they load different features, or balance by different durations?)");
        }
        var shards = runs.Where(r => r.Manifest.Shard is not null).ToList();
        var warnings = new List<string>();
        if (shards.Count == 0) return warnings;
        var plans = shards.GroupBy(r => r.Manifest.Plan).ToList();
        if (plans.Count > 1)
            throw new ResultsMergeException("the shards planned different splits: " +
                string.Join("; ", plans.Select(p => $"{string.Join(", ", p.Select(r => $"{r.Directory} ({r.Manifest.Shard})"))} planned {p.Key}")) +
                "; every shard must see the same features, tags and durations");
        var specs = shards.Select(r => Runtime.ShardSpec.Parse(r.Manifest.Shard!)).ToList();
        var count = specs[0].Count;
        var missing = Enumerable.Range(1, count).Except(specs.Select(s => s.Index)).ToList();
        if (missing.Count > 0) warnings.Add($"shard(s) {string.Join(", ", missing.Select(i => $"{i}/{count}"))} missing: their scenarios are not in the merged report");
        return warnings;
    }

    private static void Prepare(string output)
    {
        Directory.CreateDirectory(output);
        foreach (var dir in new[] { "allure-results", "artifacts" })
            if (Directory.Exists(Path.Combine(output, dir))) Directory.Delete(Path.Combine(output, dir), recursive: true);
        foreach (var file in new[] { "junit.xml", "cucumber-messages.ndjson", "cucumber-report.html", RunManifest.FileName })
            File.Delete(Path.Combine(output, file));
    }

    private static void MergeAllure(List<(string Directory, RunManifest Manifest)> runs, string output)
    {
        var target = Path.Combine(output, "allure-results");
        Directory.CreateDirectory(target);
        foreach (var (dir, _) in runs)
        foreach (var file in Directory.EnumerateFiles(Path.Combine(dir, "allure-results")))
        {
            var name = Path.GetFileName(file);
            if (RunFiles.Contains(name) && File.Exists(Path.Combine(target, name))) continue;
            File.Copy(file, Path.Combine(target, name), overwrite: false);
        }
        var environment = Path.Combine(target, "environment.properties");
        if (File.Exists(environment))
            File.AppendAllText(environment, $"merged.from={string.Join(" ", runs.Select(r => r.Directory.Replace(":", "\\:").Replace("=", "\\=")))}\n");
    }

    private static void MergeJUnit(List<(string Directory, RunManifest Manifest)> runs, string output, Dictionary<string, int> orderByLocation)
    {
        var cases = new List<(int Order, XElement Suite, XElement Case)>();
        var roots = new List<XElement>();
        foreach (var (dir, _) in runs)
        {
            var root = XDocument.Load(Path.Combine(dir, "junit.xml")).Root!;
            roots.Add(root);
            foreach (var suite in root.Elements("testsuite"))
            foreach (var testCase in suite.Elements("testcase"))
            {
                var location = $"{testCase.Attribute("file")?.Value}:{testCase.Attribute("line")?.Value}";
                cases.Add((orderByLocation.GetValueOrDefault(location, int.MaxValue), suite, testCase));
            }
        }
        var suites = cases.OrderBy(c => c.Order).GroupBy(c => c.Suite.Attribute("file")?.Value ?? c.Suite.Attribute("name")?.Value ?? "").Select(group =>
        {
            var list = group.Select(c => c.Case).ToList();
            var template = group.First().Suite;
            return new XElement("testsuite",
                new XAttribute("name", template.Attribute("name")?.Value ?? ""),
                new XAttribute("file", group.Key),
                Counts(list),
                new XAttribute("time", Seconds(list.Sum(c => Time(c)))),
                new XAttribute("timestamp", group.Select(c => c.Suite.Attribute("timestamp")?.Value ?? "").Min(StringComparer.Ordinal) ?? ""),
                new XAttribute("hostname", string.Join(",", group.Select(c => c.Suite.Attribute("hostname")?.Value).Distinct())),
                new XElement("properties", group.Select(c => c.Suite).Distinct().SelectMany(s => s.Element("properties")?.Elements() ?? [])
                    .DistinctBy(p => (p.Attribute("name")?.Value, p.Attribute("value")?.Value)).Where(p => p.Attribute("name")?.Value == "seed")),
                list.Select(c => new XElement(c)));
        }).ToList();
        var all = cases.Select(c => c.Case).ToList();
        var merged = new XElement("testsuites", new XAttribute("name", "hilrig"), Counts(all),
            new XAttribute("time", Seconds(roots.Max(r => double.TryParse(r.Attribute("time")?.Value, CultureInfo.InvariantCulture, out var t) ? t : 0))), suites);
        var path = Path.Combine(output, "junit.xml");
        new XDocument(new XDeclaration("1.0", "utf-8", null), merged).Save(path + ".tmp");
        File.Move(path + ".tmp", path, overwrite: true);
    }

    private static object[] Counts(List<XElement> cases) =>
    [
        new XAttribute("tests", cases.Count),
        new XAttribute("failures", cases.Count(c => c.Element("failure") is not null)),
        new XAttribute("errors", cases.Count(c => c.Element("error") is not null)),
        new XAttribute("skipped", cases.Count(c => c.Element("skipped") is not null)),
    ];

    private static double Time(XElement testCase) =>
        double.TryParse(testCase.Attribute("time")?.Value, CultureInfo.InvariantCulture, out var t) ? t : 0;

    private static string Seconds(double seconds) => seconds.ToString("0.000", CultureInfo.InvariantCulture);

    /// <summary>
    /// One stream from several: definitions and documents once (their ids are stable across processes), the shards'
    /// testRunStarted replaced by one, each test case with its attempts moved as a block into the whole run's pickle order.
    /// </summary>
    private static void MergeMessages(List<(string Directory, RunManifest Manifest)> runs, string output, Dictionary<string, int> order)
    {
        const string runStartedId = "hilrig-merged-run";
        JsonObject? meta = null;
        var documents = new Dictionary<string, (JsonObject Source, JsonObject Document)>();
        var sources = new Dictionary<string, JsonObject>();
        var pickles = new Dictionary<string, JsonObject>();
        var definitions = new List<JsonObject>();
        var definitionIds = new HashSet<string>();
        var testCases = new List<(int Order, List<JsonObject> Envelopes)>();
        var runHooks = new List<JsonObject>();
        JsonObject? earliestStart = null;
        var finishes = new List<JsonObject>();

        foreach (var (dir, _) in runs)
        {
            List<JsonObject>? current = null;
            foreach (var line in File.ReadLines(Path.Combine(dir, "cucumber-messages.ndjson")))
            {
                if (line.Length == 0) continue;
                var envelope = JsonNode.Parse(line)!.AsObject();
                var (kind, body) = (envelope.First().Key, envelope.First().Value!.AsObject());
                switch (kind)
                {
                    case "meta":
                        meta ??= envelope;
                        break;
                    case "source":
                        sources.TryAdd(body["uri"]!.GetValue<string>(), envelope);
                        break;
                    case "gherkinDocument":
                        var uri = body["uri"]!.GetValue<string>();
                        if (sources.TryGetValue(uri, out var source)) documents.TryAdd(uri, (source, envelope));
                        break;
                    case "pickle":
                        pickles.TryAdd(body["id"]!.GetValue<string>(), envelope);
                        break;
                    case "parameterType" or "stepDefinition" or "hook":
                        if (definitionIds.Add($"{kind}:{body["id"]!.GetValue<string>()}")) definitions.Add(envelope);
                        break;
                    case "testRunStarted":
                        if (earliestStart is null || Seconds(body["timestamp"]) < Seconds(earliestStart["testRunStarted"]!["timestamp"])) earliestStart = envelope;
                        break;
                    case "testCase":
                        body["testRunStartedId"] = runStartedId;
                        current = [envelope];
                        testCases.Add((order.GetValueOrDefault(body["pickleId"]!.GetValue<string>(), int.MaxValue), current));
                        break;
                    case "testRunHookStarted" or "testRunHookFinished":
                        if (body.ContainsKey("testRunStartedId")) body["testRunStartedId"] = runStartedId;
                        runHooks.Add(envelope);
                        current = null;
                        break;
                    case "testRunFinished":
                        finishes.Add(body);
                        current = null;
                        break;
                    default:
                        if (current is null)
                            throw new ResultsMergeException($"{dir}/cucumber-messages.ndjson: a {kind} message outside any test case");
                        current.Add(envelope);
                        break;
                }
            }
        }
        if (meta is null || earliestStart is null) throw new ResultsMergeException("the Cucumber Messages of the inputs have no meta or testRunStarted");

        var merged = new List<JsonObject> { meta };
        var emittedDocuments = new HashSet<string>();
        foreach (var pickle in pickles.Values.OrderBy(p => order.GetValueOrDefault(p["pickle"]!["id"]!.GetValue<string>(), int.MaxValue)))
        {
            var uri = pickle["pickle"]!["uri"]!.GetValue<string>();
            if (emittedDocuments.Add(uri) && documents.TryGetValue(uri, out var doc)) merged.AddRange([doc.Source, doc.Document]);
            merged.Add(pickle);
        }
        merged.AddRange(definitions);
        earliestStart["testRunStarted"]!["id"] = runStartedId;
        merged.Add(earliestStart);
        merged.AddRange(testCases.OrderBy(t => t.Order).SelectMany(t => t.Envelopes));
        merged.AddRange(runHooks);
        var last = finishes.OrderBy(f => Seconds(f["timestamp"])).Last();
        var finished = new JsonObject
        {
            ["success"] = finishes.All(f => f["success"]?.GetValue<bool>() == true),
            ["timestamp"] = last["timestamp"]!.DeepClone(),
            ["testRunStartedId"] = runStartedId,
        };
        if (finishes.Select(f => f["message"]).FirstOrDefault(m => m is not null) is { } message) finished["message"] = message.DeepClone();
        if (finishes.Select(f => f["exception"]).FirstOrDefault(e => e is not null) is { } exception) finished["exception"] = exception.DeepClone();
        merged.Add(new JsonObject { ["testRunFinished"] = finished });

        var lines = merged.Select(e => e.ToJsonString()).ToList();
        var path = Path.Combine(output, "cucumber-messages.ndjson");
        File.WriteAllLines(path + ".tmp", lines, new UTF8Encoding(false));
        File.Move(path + ".tmp", path, overwrite: true);
        CucumberMessagesWriter.WriteHtml(Path.Combine(output, "cucumber-report.html"), lines.Select(MessagesJson.Deserialize),
            $"HilRig run (merged from {runs.Count} result directories)");
    }

    private static double Seconds(JsonNode? timestamp) =>
        (timestamp?["seconds"]?.GetValue<long>() ?? 0) + (timestamp?["nanos"]?.GetValue<long>() ?? 0) / 1e9;

    private static void CopyTree(string from, string to)
    {
        if (!Directory.Exists(from)) return;
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: false);
        }
    }
}
