using System.Globalization;
using System.Xml.Linq;
using HilRig.Engine.Runtime;

namespace HilRig.Engine.Reports;

/// <summary>
/// Writes JUnit XML (the Ant/Surefire dialect CI servers read): one testsuite per feature file, one testcase
/// per scenario. Product failures are &lt;failure&gt;, rig faults, test defects and undefined/ambiguous steps
/// &lt;error&gt;, pending and skipped &lt;skipped&gt; (with the reason: an interrupted run, <c>--fail-fast</c>); the step
/// log and replay line go to &lt;system-out&gt;. With <c>--retry</c>, earlier attempts are Surefire's
/// &lt;flakyFailure&gt;/&lt;flakyError&gt; in a scenario that then passed (Jenkins and GitLab show it flaky, not passed)
/// and &lt;rerunFailure&gt;/&lt;rerunError&gt; in one that kept failing.
/// </summary>
public sealed class JUnitWriter(string path) : IRunListener
{
    public void RunFinished(RunContext run, RunResult result)
    {
        var suites = result.Scenarios.GroupBy(s => s.Pickle.Uri).Select(feature =>
        {
            var cases = feature.Select(TestCase).ToList();
            return new XElement("testsuite",
                new XAttribute("name", feature.First().Pickle.FeatureName),
                new XAttribute("file", feature.Key),
                new XAttribute("tests", cases.Count),
                new XAttribute("failures", feature.Count(s => s.Outcome == Outcome.Failed)),
                new XAttribute("errors", feature.Count(s => IsError(s.Outcome))),
                new XAttribute("skipped", feature.Count(s => s.Outcome is Outcome.Pending or Outcome.Skipped)),
                new XAttribute("time", Seconds(feature.Aggregate(TimeSpan.Zero, (t, s) => t + s.Duration))),
                new XAttribute("timestamp", feature.Min(s => s.Start).ToString("s", CultureInfo.InvariantCulture)),
                new XAttribute("hostname", Environment.MachineName),
                new XElement("properties",
                    new XElement("property", new XAttribute("name", "seed"), new XAttribute("value", run.Seed)),
                    new XElement("property", new XAttribute("name", "flaky"), new XAttribute("value", feature.Count(s => s.Flaky)))),
                cases);
        });
        var root = new XElement("testsuites",
            new XAttribute("name", "hilrig"),
            new XAttribute("tests", result.Scenarios.Count),
            new XAttribute("failures", result.Count(Outcome.Failed)),
            new XAttribute("errors", result.Scenarios.Count(s => IsError(s.Outcome))),
            new XAttribute("skipped", result.Count(Outcome.Pending) + result.Count(Outcome.Skipped)),
            new XAttribute("time", Seconds(result.Duration)),
            suites);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temp = path + ".tmp";
        // Messages quote console output, which carries control characters (U-Boot's countdown backspaces) XML 1.0 forbids.
        foreach (var text in root.DescendantNodes().OfType<XText>()) text.Value = XmlSafe(text.Value);
        foreach (var attribute in root.Descendants().Attributes()) attribute.Value = XmlSafe(attribute.Value);
        new XDocument(new XDeclaration("1.0", "utf-8", null), root).Save(temp);
        File.Move(temp, path, overwrite: true);
    }

    private static XElement TestCase(ScenarioResult s)
    {
        var element = new XElement("testcase",
            new XAttribute("classname", s.Pickle.FeatureName),
            new XAttribute("name", s.Pickle.DisplayName),
            new XAttribute("file", s.Pickle.Uri),
            new XAttribute("line", s.Pickle.Line),
            new XAttribute("time", Seconds(s.Duration)));
        var message = s.FailureMessage ?? "";
        switch (s.Outcome)
        {
            case Outcome.Failed:
                element.Add(new XElement("failure", new XAttribute("message", FirstLine(message)), new XAttribute("type", Type(s.Outcome)), message));
                break;
            case var o when IsError(o):
                element.Add(new XElement("error", new XAttribute("message", FirstLine(message)), new XAttribute("type", Type(s.Outcome)), message));
                break;
            case Outcome.Pending:
            case Outcome.Skipped:
                element.Add(new XElement("skipped", new XAttribute("message", s.FailureMessage is { } reason ? FirstLine(reason) : s.Outcome.Word())));
                break;
        }
        // Surefire's rerun elements: flaky… for the failed attempts of a scenario that passed, rerun… for one that did not.
        var prefix = s.Outcome == Outcome.Passed ? "flaky" : "rerun";
        foreach (var attempt in s.EarlierAttempts)
        {
            var text = attempt.FailureMessage ?? attempt.Outcome.Word();
            element.Add(new XElement(prefix + (attempt.Outcome == Outcome.Failed ? "Failure" : "Error"),
                new XAttribute("message", $"attempt {attempt.Attempt}: {Summary(text)}"), new XAttribute("type", Type(attempt.Outcome)),
                new XElement("stackTrace", text), new XElement("system-out", Output(attempt))));
        }
        element.Add(new XElement("system-out", Output(s)));
        return element;
    }

    private static string Output(ScenarioResult s) =>
        string.Join('\n', s.Steps.Select(step => $"{step.Outcome.Symbol()} {step.Step} ({Seconds(step.Duration)} s)"))
        + (s.Log.Count > 0 ? "\n\n" + string.Join('\n', s.Log) : "")
        + (s.Flaky ? $"\n\nflaky: passed on attempt {s.Attempt} of {s.Attempt}" : "")
        + $"\n\nreplay: {s.ReplayCommand}";

    private static bool IsError(Outcome outcome) => outcome is Outcome.Broken or Outcome.Undefined or Outcome.Ambiguous or Outcome.TestDefect;

    private static string Type(Outcome outcome) => outcome switch
    {
        Outcome.Failed => "product",
        Outcome.Broken => "rig",
        Outcome.TestDefect => "test-defect",
        _ => outcome.Word(),
    };

    private static string FirstLine(string text) => text.Split('\n')[0];

    /// <summary>Characters XML 1.0 cannot carry are written as <c>\uXXXX</c>, so the report still says what was there.</summary>
    internal static string XmlSafe(string text) =>
        text.Any(c => !System.Xml.XmlConvert.IsXmlChar(c) && !char.IsSurrogate(c))
            ? string.Concat(text.Select(c => System.Xml.XmlConvert.IsXmlChar(c) || char.IsSurrogate(c) ? c.ToString() : $"\\u{(int)c:x4}"))
            : text;

    /// <summary>Where it failed and why, on one line: a failure message's first two lines.</summary>
    private static string Summary(string text) => string.Join(" — ", text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).Take(2));

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture);
}
