using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using Cucumber.HtmlFormatter;
using HilRig.Engine.Bindings;
using HilRig.Engine.Gherkin;
using HilRig.Engine.Runtime;
using Io.Cucumber.Messages.Types;
using Attachment = HilRig.Engine.Runtime.Attachment;
using MessagesAttachment = Io.Cucumber.Messages.Types.Attachment;
using MessagesException = Io.Cucumber.Messages.Types.Exception;
using MessagesParameterType = Io.Cucumber.Messages.Types.ParameterType;
using MessagesStepDefinition = Io.Cucumber.Messages.Types.StepDefinition;
using Pickle = HilRig.Engine.Gherkin.Pickle;
using PickleStep = HilRig.Engine.Gherkin.PickleStep;

namespace HilRig.Engine.Reports;

/// <summary>
/// Writes a run as Cucumber Messages, <c>DIR/cucumber-messages.ndjson</c> (meta, source, gherkinDocument, pickle,
/// stepDefinition, hook, testRunStarted, testCase … testRunFinished), and the same stream through Cucumber.HtmlFormatter
/// as <c>DIR/cucumber-report.html</c>: one self-contained file (scripts and styles inline) that opens offline.
/// The ndjson grows as scenarios finish; the HTML is written beside it under a temporary name and renamed when the run
/// ends, so a report under the real name is always whole.
/// </summary>
/// <remarks>
/// A scenario's test case is its before-scenario hooks, its steps, its after-scenario hooks and a last step for
/// HilRig's cleanup (boards powered off, evidence collected): that is where console logs, captures and the scenario log
/// are attached, because the HTML report shows attachments only under a test step. Attachments up to
/// <see cref="EmbedLimit"/> are embedded; larger ones are linked by their path relative to the results directory.
/// </remarks>
public sealed class CucumberMessagesWriter(string resultsDirectory) : IRunListener
{
    /// <summary>The largest attachment embedded in the report; larger ones (long captures) are linked instead.</summary>
    public const long EmbedLimit = 1024 * 1024;

    private const string LogMediaType = "text/x.cucumber.log+plain";

    /// <summary>The id of the hook that stands for HilRig's scenario cleanup in every run.</summary>
    public const string CleanupHookId = "hilrig-scenario-cleanup";
    private readonly object _gate = new();
    private readonly HashSet<FeatureDocument> _documents = new();
    private readonly HashSet<string> _pickles = new();
    private StreamWriter? _ndjson;
    private MessagesToHtmlWriter? _html;
    private string _runStartedId = "";
    private string _cleanupHookId = "";

    public string Directory { get; } = resultsDirectory;

    public string NdjsonPath => Path.Combine(Directory, "cucumber-messages.ndjson");

    public string HtmlPath => Path.Combine(Directory, "cucumber-report.html");

    private string PartialHtmlPath => HtmlPath + ".partial";

    public void RunStarted(RunContext run, IReadOnlyList<Pickle> pickles)
    {
        lock (_gate)
        {
            System.IO.Directory.CreateDirectory(Directory);
            foreach (var stale in new[] { NdjsonPath, HtmlPath, PartialHtmlPath }) File.Delete(stale);
            _ndjson = new StreamWriter(NdjsonPath, append: false, new UTF8Encoding(false));
            _html = new MessagesToHtmlWriter(new FileStream(PartialHtmlPath, FileMode.Create), WriteEnvelopeAsync,
                new HtmlReportSettings { Title = $"HilRig run {run.RunId}" });
            _runStartedId = NewId();
            Emit(Envelope.Create(Meta()));
            if (run.Bindings is { } bindings) EmitBindings(bindings);
            Emit(Envelope.Create(new TestRunStarted(Timestamp(DateTimeOffset.Now), _runStartedId)));
            foreach (var pickle in pickles) EnsurePickle(pickle);
        }
    }

    public void ScenarioFinished(ScenarioResult result)
    {
        lock (_gate)
        {
            if (_ndjson is null) return;
            EnsurePickle(result.Pickle);
            EmitTestCase(result);
        }
    }

    public void RunFinished(RunContext run, RunResult result)
    {
        lock (_gate)
        {
            if (_ndjson is null) return;
            foreach (var hook in result.RunHooks.Where(h => h.Hook.Id.Length > 0 && h.Hook.Kind is HookKind.BeforeRun or HookKind.AfterRun))
            {
                var startedId = NewId();
                Emit(Envelope.Create(new TestRunHookStarted(startedId, _runStartedId, hook.Hook.Id, null, Timestamp(hook.Start))));
                Emit(Envelope.Create(new TestRunHookFinished(startedId, StepResult(hook.Outcome, hook.Duration, hook.Error?.Message, hook.Error),
                    Timestamp(hook.Start + hook.Duration))));
            }
            var failedHook = result.RunHooks.FirstOrDefault(h => h.Outcome != Outcome.Passed);
            var success = result.Interruption is null && result.HarnessErrors.Count == 0
                && (result.AllPassed || (run.Options.DryRun && result.Scenarios.All(s => s.Outcome == Outcome.Skipped)));
            var message = result.Interruption ?? failedHook?.Error?.Message ?? result.HarnessErrors.FirstOrDefault();
            Emit(Envelope.Create(new TestRunFinished(message, success, Timestamp(result.Start + result.Duration),
                failedHook?.Error is { } e ? Exception(e) : null, _runStartedId)));
            _ndjson.Dispose();
            _ndjson = null;
            _html!.Dispose();
            _html = null;
            File.Move(PartialHtmlPath, HtmlPath, overwrite: true);
        }
    }

    private void EmitBindings(BindingRegistry bindings)
    {
        foreach (var type in bindings.ParameterTypes.Custom.OrderBy(t => t.Name, StringComparer.Ordinal))
            Emit(Envelope.Create(new MessagesParameterType(type.Name, type.RegexStrings.ToList(), false, type.UseForSnippets, $"parameter-type-{type.Name}", null)));
        foreach (var step in bindings.Steps)
        {
            var pattern = new StepDefinitionPattern(step.Expression.Source,
                step.Expression is CucumberStepExpression ? StepDefinitionPatternType.CUCUMBER_EXPRESSION : StepDefinitionPatternType.REGULAR_EXPRESSION);
            Emit(Envelope.Create(new MessagesStepDefinition(step.Id, pattern, SourceOf(step.Method))));
        }
        foreach (var hook in bindings.Hooks)
        {
            if (HookType(hook.Kind) is not { } type) continue; // feature hooks have no place in the schema
            Emit(Envelope.Create(new Hook(hook.Id, $"{hook.Method.DeclaringType?.Name}.{hook.Method.Name}", SourceOf(hook.Method), hook.TagText, type)));
        }
        // Fixed, like the step definitions' ids: shards of one run describe the same hook, so their messages merge.
        _cleanupHookId = CleanupHookId;
        Emit(Envelope.Create(new Hook(_cleanupHookId, "HilRig: scenario cleanup (boards off, evidence collected)",
            SourceOf(typeof(ScenarioServices).GetMethod(nameof(ScenarioServices.DisposeAsync))!), null,
            Io.Cucumber.Messages.Types.HookType.AFTER_TEST_CASE)));
    }

    private void EnsurePickle(Pickle pickle)
    {
        if (pickle.Document is { } document && _documents.Add(document))
        {
            Emit(Envelope.Create(new Source(document.Uri, document.Source, SourceMediaType.TEXT_X_CUCUMBER_GHERKIN_PLAIN)));
            Emit(Envelope.Create(document.Document));
        }
        if (pickle.Message is { } message && _pickles.Add(pickle.Id)) Emit(Envelope.Create(message));
    }

    /// <summary>
    /// One test case per pickle; with <c>--retry</c> each attempt is a testCaseStarted of it (attempt 0, 1, …) and every
    /// attempt but the last finishes with willBeRetried, as Cucumber reports retries. A hook that did not run in an
    /// attempt (a before hook after one that failed) is reported skipped there.
    /// </summary>
    private void EmitTestCase(ScenarioResult result)
    {
        var pickle = result.Pickle;
        var testCaseId = NewId();
        var attempts = result.EarlierAttempts.Append(result).ToList();
        var hooks = attempts.SelectMany(a => a.Hooks).Select(h => h.Hook).DistinctBy(h => h.Id).ToList();
        var steps = new List<(TestStep Step, Action<string, ScenarioResult> Report)>();
        foreach (var hook in hooks.Where(h => !h.IsAfter))
            steps.Add(HookStep(hook));
        var definitions = result.Steps.Select(s => s.Candidates ?? (s.Definition is { } d ? [d] : [])).ToList();
        for (var i = 0; i < pickle.Steps.Count; i++)
            steps.Add(PickleStepOf(pickle.Steps[i], i, i < definitions.Count ? definitions[i] : []));
        foreach (var hook in hooks.Where(h => h.IsAfter))
            steps.Add(HookStep(hook));
        if (_cleanupHookId.Length > 0) steps.Add(CleanupStep());

        Emit(Envelope.Create(new TestCase(testCaseId, pickle.Id, steps.Select(s => s.Step).ToList(), _runStartedId)));
        foreach (var attempt in attempts)
        {
            var startedId = NewId();
            Emit(Envelope.Create(new TestCaseStarted(attempt.Attempt - 1, startedId, testCaseId, null, Timestamp(attempt.Start))));
            foreach (var (_, report) in steps) report(startedId, attempt);
            Emit(Envelope.Create(new TestCaseFinished(startedId, Timestamp(attempt.Start + attempt.Duration), !ReferenceEquals(attempt, result))));
        }
    }

    private (TestStep, Action<string, ScenarioResult>) HookStep(HookDefinition definition)
    {
        var step = new TestStep(definition.Id, NewId(), null, null, null);
        return (step, (startedId, attempt) =>
        {
            var hook = attempt.Hooks.FirstOrDefault(h => h.Hook.Id == definition.Id);
            if (hook is null)
            {
                Run(startedId, step.Id, attempt.Start, TimeSpan.Zero, StepResult(Outcome.Skipped, TimeSpan.Zero, null, null));
                return;
            }
            Run(startedId, step.Id, hook.Start, hook.Duration,
                StepResult(hook.Outcome, hook.Duration, hook.Error is null ? null : $"{hook.Hook.Kind} hook failed: {hook.Error.Message}", hook.Error));
        });
    }

    private (TestStep, Action<string, ScenarioResult>) PickleStepOf(PickleStep pickleStep, int index, IReadOnlyList<Bindings.StepDefinition> definitions)
    {
        var arguments = definitions.Select(d => new StepMatchArgumentsList(
            (d.Expression.Match(pickleStep.Text) ?? []).Select(a => new StepMatchArgument(
                new Group([], a.Index < 0 ? null : a.Index, a.Index < 0 ? null : a.Text), a.Type?.Name)).ToList())).ToList();
        var testStep = new TestStep(null, NewId(), pickleStep.Id, definitions.Select(x => x.Id).ToList(), arguments);
        return (testStep, (startedId, scenario) =>
        {
            var step = index < scenario.Steps.Count ? scenario.Steps[index] : null;
            var start = step?.Start ?? scenario.Start;
            var duration = step?.Duration ?? TimeSpan.Zero;
            var outcome = step?.Outcome ?? Outcome.Skipped;
            // A scenario that never ran (interrupted run, --fail-fast) says why on its first step.
            var message = step?.Message ?? (index == 0 && scenario.Steps.Count == 0 ? scenario.FailureMessage : null);
            if (step?.Snippet is { } snippet)
                Emit(Envelope.Create(new Suggestion(NewId(), pickleStep.Id, [new Snippet("csharp", snippet)])));
            Run(startedId, testStep.Id, start, duration, StepResult(outcome, duration, message, step?.Error),
                step?.Attachments ?? []);
        });
    }

    private (TestStep, Action<string, ScenarioResult>) CleanupStep()
    {
        var step = new TestStep(_cleanupHookId, NewId(), null, null, null);
        return (step, (startedId, result) =>
        {
            var end = result.Start + result.Duration;
            var lastStep = result.Steps.Select(s => s.Start + s.Duration).Concat(result.Hooks.Select(h => h.Start + h.Duration)).DefaultIfEmpty(result.Start).Max();
            var error = result.CleanupError;
            var log = result.Log.Count == 0 ? [] : new[] { (Name: "scenario log", Text: string.Join('\n', result.Log)) };
            var ran = result.Steps.Count > 0 || result.Hooks.Count > 0;
            Run(startedId, step.Id, lastStep, end - lastStep,
                StepResult(error is not null ? ScenarioRunner.Classify(error) : ran ? Outcome.Passed : Outcome.Skipped, end - lastStep,
                    error is null ? null : $"cleaning up after the scenario failed: {error.Message}", error),
                result.Attachments, log);
        });
    }

    /// <summary>testStepStarted, the step's attachments, testStepFinished.</summary>
    private void Run(string testCaseStartedId, string testStepId, DateTimeOffset start, TimeSpan duration, TestStepResult result,
        IReadOnlyList<Attachment>? attachments = null, IEnumerable<(string Name, string Text)>? logs = null)
    {
        Emit(Envelope.Create(new TestStepStarted(testCaseStartedId, testStepId, Timestamp(start))));
        var at = Timestamp(start + duration);
        foreach (var attachment in attachments ?? [])
            EmitAttachment(attachment, testCaseStartedId, testStepId, at);
        foreach (var (name, text) in logs ?? [])
            Emit(Envelope.Create(new MessagesAttachment(text, AttachmentContentEncoding.IDENTITY, name, LogMediaType, null,
                testCaseStartedId, testStepId, null, null, null, at)));
        Emit(Envelope.Create(new TestStepFinished(testCaseStartedId, testStepId, result, at)));
    }

    private void EmitAttachment(Attachment attachment, string testCaseStartedId, string testStepId, Timestamp at)
    {
        var file = new FileInfo(attachment.FilePath);
        if (!file.Exists) return;
        var fileName = attachment.Name + attachment.FileExtension;
        if (file.Length > EmbedLimit)
        {
            var url = Path.GetRelativePath(Path.GetFullPath(Directory), file.FullName).Replace('\\', '/');
            Emit(Envelope.Create(new ExternalAttachment(url, attachment.MediaType, testCaseStartedId, testStepId, null, at)));
            // The HTML report does not show external attachments: a line there says where the file is.
            Emit(Envelope.Create(new MessagesAttachment($"{fileName}: {file.Length} bytes, too large to embed; it is at {url} (beside this report)",
                AttachmentContentEncoding.IDENTITY, fileName + ".where", MediaTypes.Text, null, testCaseStartedId, testStepId, null, null, null, at)));
            return;
        }
        var bytes = File.ReadAllBytes(file.FullName);
        var text = IsText(attachment.MediaType);
        Emit(Envelope.Create(new MessagesAttachment(text ? Encoding.UTF8.GetString(bytes) : Convert.ToBase64String(bytes),
            text ? AttachmentContentEncoding.IDENTITY : AttachmentContentEncoding.BASE64, fileName, attachment.MediaType, null,
            testCaseStartedId, testStepId, null, null, null, at)));
    }

    private static bool IsText(string mediaType) =>
        mediaType.StartsWith("text/", StringComparison.Ordinal) || mediaType is MediaTypes.Json or MediaTypes.Yaml;

    private static TestStepResult StepResult(Outcome outcome, TimeSpan duration, string? message, System.Exception? error) =>
        new(Duration(duration), message, Status(outcome), error is null ? null : Exception(error));

    // The stack trace starts with "Type: message", as in Java's printStackTrace: the HTML report shows the trace, so the message must be in it.
    private static MessagesException Exception(System.Exception e) => new(e.GetType().FullName ?? e.GetType().Name, e.Message, e.ToString());

    public static TestStepResultStatus Status(Outcome outcome) => outcome switch
    {
        Outcome.Passed => TestStepResultStatus.PASSED,
        Outcome.Skipped => TestStepResultStatus.SKIPPED,
        Outcome.Pending => TestStepResultStatus.PENDING,
        Outcome.Undefined => TestStepResultStatus.UNDEFINED,
        Outcome.Ambiguous => TestStepResultStatus.AMBIGUOUS,
        Outcome.Failed or Outcome.Broken or Outcome.TestDefect => TestStepResultStatus.FAILED,
        _ => TestStepResultStatus.UNKNOWN,
    };

    private static HookType? HookType(HookKind kind) => kind switch
    {
        HookKind.BeforeRun => Io.Cucumber.Messages.Types.HookType.BEFORE_TEST_RUN,
        HookKind.AfterRun => Io.Cucumber.Messages.Types.HookType.AFTER_TEST_RUN,
        HookKind.BeforeScenario => Io.Cucumber.Messages.Types.HookType.BEFORE_TEST_CASE,
        HookKind.AfterScenario => Io.Cucumber.Messages.Types.HookType.AFTER_TEST_CASE,
        HookKind.BeforeStep => Io.Cucumber.Messages.Types.HookType.BEFORE_TEST_STEP,
        HookKind.AfterStep => Io.Cucumber.Messages.Types.HookType.AFTER_TEST_STEP,
        _ => null,
    };

    private static SourceReference SourceOf(MethodInfo method) =>
        new(null, new JavaMethod(method.DeclaringType?.FullName ?? "", method.Name, method.GetParameters().Select(p => p.ParameterType.Name).ToList()), null, null);

    private static Meta Meta()
    {
        var version = typeof(CucumberMessagesWriter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "dev";
        return new Meta(Cucumber.Messages.ProtocolVersion.Version, new Product("hilrig", version),
            new Product(".NET", Environment.Version.ToString()),
            new Product(RuntimeInformation.IsOSPlatform(OSPlatform.Linux) ? "linux" : RuntimeInformation.OSDescription, Environment.OSVersion.VersionString),
            new Product(RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant(), null), null);
    }

    private static Timestamp Timestamp(DateTimeOffset at)
    {
        var ticks = at.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        return new Timestamp(ticks / TimeSpan.TicksPerSecond, ticks % TimeSpan.TicksPerSecond * 100);
    }

    private static Duration Duration(TimeSpan span)
    {
        var ticks = Math.Max(0, span.Ticks);
        return new Duration(ticks / TimeSpan.TicksPerSecond, ticks % TimeSpan.TicksPerSecond * 100);
    }

    private static string NewId() => Guid.NewGuid().ToString();

    private void Emit(Envelope envelope)
    {
        _ndjson!.WriteLine(MessagesJson.Serialize(envelope));
        _ndjson.Flush();
        _html!.Write(envelope);
    }

    /// <summary>The Cucumber HTML report of a messages stream, written under a temporary name and renamed when whole.</summary>
    public static void WriteHtml(string path, IEnumerable<Envelope> envelopes, string title)
    {
        var partial = path + ".partial";
        using (var html = new MessagesToHtmlWriter(new FileStream(partial, FileMode.Create), WriteEnvelopeAsync, new HtmlReportSettings { Title = title }))
            foreach (var envelope in envelopes) html.Write(envelope);
        File.Move(partial, path, overwrite: true);
    }

    private static Task WriteEnvelopeAsync(StreamWriter writer, Envelope envelope)
    {
        writer.Write(MessagesJson.Serialize(envelope));
        return Task.CompletedTask;
    }
}
