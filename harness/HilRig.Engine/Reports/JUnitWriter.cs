using System.Globalization;
using System.Xml.Linq;
using HilRig.Engine.Runtime;

namespace HilRig.Engine.Reports;

/// <summary>
/// Writes JUnit XML (the Ant/Surefire dialect CI servers read): one testsuite per feature file, one testcase
/// per scenario. Product failures are &lt;failure&gt;, rig faults and undefined/ambiguous steps &lt;error&gt;,
/// pending and skipped &lt;skipped&gt;; the step log and replay line go to &lt;system-out&gt;.
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
                new XAttribute("errors", feature.Count(s => s.Outcome is Outcome.Broken or Outcome.Undefined or Outcome.Ambiguous)),
                new XAttribute("skipped", feature.Count(s => s.Outcome is Outcome.Pending or Outcome.Skipped)),
                new XAttribute("time", Seconds(feature.Aggregate(TimeSpan.Zero, (t, s) => t + s.Duration))),
                new XAttribute("timestamp", feature.Min(s => s.Start).ToString("s", CultureInfo.InvariantCulture)),
                new XAttribute("hostname", Environment.MachineName),
                new XElement("properties",
                    new XElement("property", new XAttribute("name", "seed"), new XAttribute("value", run.Seed))),
                cases);
        });
        var root = new XElement("testsuites",
            new XAttribute("name", "hilrig"),
            new XAttribute("tests", result.Scenarios.Count),
            new XAttribute("failures", result.Count(Outcome.Failed)),
            new XAttribute("errors", result.Count(Outcome.Broken) + result.Count(Outcome.Undefined) + result.Count(Outcome.Ambiguous)),
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
                element.Add(new XElement("failure", new XAttribute("message", FirstLine(message)), new XAttribute("type", "product"), message));
                break;
            case Outcome.Broken:
            case Outcome.Undefined:
            case Outcome.Ambiguous:
                element.Add(new XElement("error", new XAttribute("message", FirstLine(message)),
                    new XAttribute("type", s.Outcome == Outcome.Broken ? "rig" : s.Outcome.Word()), message));
                break;
            case Outcome.Pending:
            case Outcome.Skipped:
                element.Add(new XElement("skipped", new XAttribute("message", s.Outcome.Word())));
                break;
        }
        var output = string.Join('\n', s.Steps.Select(step => $"{step.Outcome.Symbol()} {step.Step} ({Seconds(step.Duration)} s)"))
            + (s.Log.Count > 0 ? "\n\n" + string.Join('\n', s.Log) : "")
            + $"\n\nreplay: {s.ReplayCommand}";
        element.Add(new XElement("system-out", output));
        return element;
    }

    private static string FirstLine(string text) => text.Split('\n')[0];

    /// <summary>Characters XML 1.0 cannot carry are written as <c>\uXXXX</c>, so the report still says what was there.</summary>
    internal static string XmlSafe(string text) =>
        text.Any(c => !System.Xml.XmlConvert.IsXmlChar(c) && !char.IsSurrogate(c))
            ? string.Concat(text.Select(c => System.Xml.XmlConvert.IsXmlChar(c) || char.IsSurrogate(c) ? c.ToString() : $"\\u{(int)c:x4}"))
            : text;

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture);
}
