using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using HilRig.Engine.Gherkin;
using HilRig.Engine.Runtime;

namespace HilRig.Engine.Reports;

/// <summary>
/// Writes Allure 2 results as scenarios finish: a result file per scenario (steps, timings, attachments,
/// parameters, labels), a container per scenario holding its hooks as fixtures, and at the end
/// <c>categories.json</c>, <c>environment.properties</c> and <c>executor.json</c>.
/// <c>testCaseId</c>, <c>historyId</c> and <c>fullName</c> depend only on the feature path, the scenario and its
/// example values, so they are stable across runs; the seed is a parameter marked excluded.
/// </summary>
public sealed class AllureResultsWriter(string resultsDirectory, string? rigName = null) : IRunListener
{
    private readonly object _gate = new();

    public string Directory { get; } = resultsDirectory;

    public void RunStarted(RunContext run, IReadOnlyList<Pickle> pickles)
    {
        // A run's results replace the previous run's; history/ (trend data copied from a report) is kept.
        System.IO.Directory.CreateDirectory(Directory);
        foreach (var file in System.IO.Directory.EnumerateFiles(Directory))
            File.Delete(file);
    }

    /// <summary>
    /// Each attempt of a retried scenario is a result of its own with the same historyId, as Allure expects retries; the
    /// last one of a scenario that passed only on a retry is marked flaky (and falls into the "Flaky scenarios" category).
    /// </summary>
    public void ScenarioFinished(ScenarioResult result)
    {
        lock (_gate)
        {
            foreach (var attempt in result.EarlierAttempts) Write(attempt, result);
            Write(result, null);
        }
    }

    public void RunFinished(RunContext run, RunResult result)
    {
        lock (_gate)
        {
            File.WriteAllText(Path.Combine(Directory, "categories.json"), JsonSerializer.Serialize(Categories, AllureJson.Default.ListAllureCategory));
            File.WriteAllText(Path.Combine(Directory, "environment.properties"), EnvironmentProperties(run));
            File.WriteAllText(Path.Combine(Directory, "executor.json"), JsonSerializer.Serialize(Executor(run), AllureJson.Default.AllureExecutor));
        }
    }

    private void Write(ScenarioResult result, ScenarioResult? retriedAs)
    {
        var pickle = result.Pickle;
        var uuid = Guid.NewGuid().ToString();
        var fullName = FullName(pickle);
        var parameters = new List<AllureParameter>();
        if (pickle.Example is { } example)
            parameters.AddRange(example.Values.Select(v => new AllureParameter(v.Key, v.Value)));
        parameters.Add(new AllureParameter("seed", result.Seed.ToString(), Excluded: true));
        if (result.Attempt > 1 || retriedAs is not null) parameters.Add(new AllureParameter("attempt", result.Attempt.ToString(), Excluded: true));
        if (rigName is not null) parameters.Add(new AllureParameter("rig", rigName, Excluded: true));
        var identity = string.Join("\n", parameters.Where(p => !p.Excluded).Select(p => $"{p.Name}={p.Value}"));

        var allure = new AllureResult
        {
            Uuid = uuid,
            FullName = fullName,
            TestCaseId = Md5(fullName),
            HistoryId = Md5(fullName + "\n" + identity),
            Name = pickle.DisplayName,
            Description = $"{pickle.Location}\n\nReplay: {result.ReplayCommand}" +
                (retriedAs is null ? "" : $"\n\nAttempt {result.Attempt}; the scenario was run again (--retry)."),
            Status = Status(result.Outcome),
            StatusDetails = Details(result),
            Start = result.Start.ToUnixTimeMilliseconds(),
            Stop = (result.Start + result.Duration).ToUnixTimeMilliseconds(),
            Steps = result.Steps.Select(s => Step(uuid, s)).ToList(),
            Attachments = result.Attachments.Select(a => Attach(uuid, a)).Where(a => a is not null).ToList()!,
            Parameters = parameters,
            Labels = Labels(pickle),
        };
        if (result.Log.Count > 0)
            allure.Attachments.Add(AttachText(uuid, "scenario log", string.Join('\n', result.Log)));
        File.WriteAllText(Path.Combine(Directory, $"{uuid}-result.json"), JsonSerializer.Serialize(allure, AllureJson.Default.AllureResult));

        if (result.Hooks.Count > 0)
        {
            var container = new AllureContainer
            {
                Uuid = Guid.NewGuid().ToString(),
                Name = pickle.DisplayName,
                Children = [uuid],
                Befores = result.Hooks.Where(h => h.Hook.Kind.ToString().StartsWith("Before")).Select(Fixture).ToList(),
                Afters = result.Hooks.Where(h => h.Hook.Kind.ToString().StartsWith("After")).Select(Fixture).ToList(),
                Start = allure.Start,
                Stop = allure.Stop,
            };
            File.WriteAllText(Path.Combine(Directory, $"{container.Uuid}-container.json"), JsonSerializer.Serialize(container, AllureJson.Default.AllureContainer));
        }
    }

    private static AllureStatusDetails? Details(ScenarioResult result)
    {
        if (result.Flaky)
        {
            var first = result.EarlierAttempts[0];
            return new AllureStatusDetails(
                $"flaky: passed on attempt {result.Attempt} after {result.EarlierAttempts.Count} failed attempt(s); attempt 1: " +
                $"{first.FailureMessage}\n\nReplay: {result.ReplayCommand}", Trace(first), Flaky: true);
        }
        return result.FailureMessage is null ? null : new AllureStatusDetails(result.FailureMessage + "\n\nReplay: " + result.ReplayCommand, Trace(result));
    }

    private AllureStep Step(string uuid, StepResult step)
    {
        var parameters = new List<AllureParameter>();
        var attachments = step.Attachments.Select(a => Attach(uuid, a)).Where(a => a is not null).ToList();
        switch (step.Step.Argument)
        {
            case StepTable table:
                attachments.Add(AttachText(uuid, "data table", table.ToString()));
                break;
            case DocString doc:
                attachments.Add(AttachText(uuid, "doc string" + (doc.MediaType is null ? "" : $" ({doc.MediaType})"), doc.Content));
                break;
        }
        if (step.Snippet is not null) attachments.Add(AttachText(uuid, "step definition snippet", step.Snippet));
        return new AllureStep
        {
            Name = $"{step.Step.Keyword.Trim()} {step.Step.Text}",
            Status = Status(step.Outcome),
            StatusDetails = step.Message is null ? null : new AllureStatusDetails(step.Message, step.Error?.ToString()),
            Start = step.Start.ToUnixTimeMilliseconds(),
            Stop = (step.Start + step.Duration).ToUnixTimeMilliseconds(),
            Attachments = attachments!,
            Parameters = parameters,
        };
    }

    private static AllureStep Fixture(HookResult hook) => new()
    {
        Name = $"{hook.Hook.Kind}: {hook.Hook.Method.DeclaringType?.Name}.{hook.Hook.Method.Name}",
        Status = Status(hook.Outcome),
        StatusDetails = hook.Error is null ? null : new AllureStatusDetails(hook.Error.Message, hook.Error.ToString()),
        Start = hook.Start.ToUnixTimeMilliseconds(),
        Stop = (hook.Start + hook.Duration).ToUnixTimeMilliseconds(),
    };

    private AllureAttachment? Attach(string uuid, Attachment attachment)
    {
        if (!File.Exists(attachment.FilePath)) return null;
        var source = $"{uuid}-{Guid.NewGuid():N}-attachment{attachment.FileExtension}";
        File.Copy(attachment.FilePath, Path.Combine(Directory, source), overwrite: true);
        return new AllureAttachment(attachment.Name, source, attachment.MediaType);
    }

    private AllureAttachment AttachText(string uuid, string name, string text)
    {
        var source = $"{uuid}-{Guid.NewGuid():N}-attachment.txt";
        File.WriteAllText(Path.Combine(Directory, source), text);
        return new AllureAttachment(name, source, MediaTypes.Text);
    }

    private static List<AllureLabel> Labels(Pickle pickle)
    {
        var labels = new List<AllureLabel>
        {
            new("feature", pickle.FeatureName),
            new("suite", SuiteOf(pickle.Uri)),
            new("host", Environment.MachineName),
            new("framework", "hilrig"),
            new("language", "gherkin"),
        };
        if (pickle.RuleName is { } rule) labels.Add(new AllureLabel("story", rule));
        labels.Add(new AllureLabel("subSuite", pickle.FeatureName));
        foreach (var tag in pickle.Tags)
        {
            var name = tag.TrimStart('@');
            labels.Add(new AllureLabel("tag", name));
            if (name is "blocker" or "critical" or "normal" or "minor" or "trivial") labels.Add(new AllureLabel("severity", name));
        }
        return labels;
    }

    /// <summary>The folder under scenarios/ a feature lives in (<c>harness</c>, <c>ab</c>, …): the area it tests.</summary>
    private static string SuiteOf(string uri)
    {
        var parts = StableSeed.NormalizeUri(uri).Split('/');
        var index = Array.IndexOf(parts, "scenarios");
        return index >= 0 && index + 2 < parts.Length ? parts[index + 1] : parts.Length > 1 ? parts[^2] : "features";
    }

    public static string FullName(Pickle pickle) =>
        $"{StableSeed.NormalizeUri(pickle.Uri)}#{(pickle.RuleName is null ? "" : pickle.RuleName + "/")}{pickle.TestCaseName}";

    private static string? Trace(ScenarioResult result) =>
        result.Steps.FirstOrDefault(s => s.Error is not null)?.Error?.ToString()
        ?? result.Hooks.FirstOrDefault(h => h.Error is not null)?.Error?.ToString();

    public static string Status(Outcome outcome) => outcome switch
    {
        Outcome.Passed => "passed",
        Outcome.Failed => "failed",
        Outcome.Broken or Outcome.Undefined or Outcome.Ambiguous or Outcome.TestDefect => "broken",
        Outcome.Pending or Outcome.Skipped => "skipped",
        _ => "unknown",
    };

    private static string Md5(string text) => Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>Order matters: Allure puts a result in the first category that matches.</summary>
    internal static readonly List<AllureCategory> Categories =
    [
        new("Rig / infrastructure faults", @"(?s).*\[rig\].*", null, ["broken"]),
        new("Undefined or ambiguous steps", @"(?s)^(Undefined|Ambiguous) step.*", null, ["broken"]),
        new("Pending steps", @"(?s)^Pending step.*", null, ["skipped"]),
        new("Flaky scenarios (passed on a retry)", @"(?s)^flaky: .*", null, ["passed"], Flaky: true),
        new("Interrupted or not run", @"(?s).*(interrupted|not run: ).*", null, ["skipped"]),
        new("Product failures", null, null, ["failed"]),
        new("Test defects (the scenario or its bindings: arguments, boards the rig lacks)", null, null, ["broken"]),
    ];

    private string EnvironmentProperties(RunContext run)
    {
        var lines = new List<(string, string)>
        {
            ("rig", rigName ?? "(none)"),
            ("rig.file", run.Options.RigFile ?? "(none)"),
            ("seed", run.Seed.ToString()),
            ("tags", run.Options.TagFilter ?? "(all)"),
            ("host", Environment.MachineName),
            ("os", System.Runtime.InteropServices.RuntimeInformation.OSDescription),
            ("dotnet", Environment.Version.ToString()),
            ("hilrig.commit", GitCommit() ?? "unknown"),
        };
        return string.Join('\n', lines.Select(l => $"{l.Item1}={Escape(l.Item2)}")) + "\n";
    }

    private static AllureExecutor Executor(RunContext run)
    {
        var ci = Environment.GetEnvironmentVariable("CI") == "true";
        return new AllureExecutor
        {
            Name = ci ? "HilRig CI" : "HilRig",
            Type = ci ? "ci" : "local",
            BuildName = $"hilrig run {run.RunId}",
            BuildOrder = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ReportName = "HilRig scenarios",
        };
    }

    private static string Escape(string value) => value.Replace("\\", "\\\\").Replace("\n", "\\n").Replace("=", "\\=").Replace(":", "\\:");

    private static string? GitCommit()
    {
        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
        {
            var head = Path.Combine(dir.FullName, ".git", "HEAD");
            if (!File.Exists(head)) continue;
            var text = File.ReadAllText(head).Trim();
            if (!text.StartsWith("ref: ")) return text;
            var refFile = Path.Combine(dir.FullName, ".git", text[5..]);
            return File.Exists(refFile) ? File.ReadAllText(refFile).Trim() : null;
        }
        return null;
    }
}
