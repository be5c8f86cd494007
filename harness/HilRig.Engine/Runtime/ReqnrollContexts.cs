using System.Collections.Specialized;
using System.Globalization;
using System.Reflection;
using HilRig.Engine.Bindings;
using HilRig.Engine.Gherkin;
using Reqnroll;
using Reqnroll.BoDi;
using Reqnroll.Configuration;
using Reqnroll.Infrastructure;

namespace HilRig.Engine.Runtime;

/// <summary>
/// Reqnroll's <c>ScenarioContext</c> and <c>FeatureContext</c> for bindings written against them (context injection,
/// the dictionary, <c>ScenarioInfo.Title/Tags/Arguments</c>, <c>TestError</c> and <c>ScenarioExecutionStatus</c> in after
/// hooks). Reqnroll builds them only inside its own runner (internal constructors), so they are built here by
/// reflection against the pinned Reqnroll version; a version whose constructors moved fails with this message, at the
/// first scenario, and the engine tests catch it when the pin is raised.
/// </summary>
public static class ReqnrollContexts
{
    private const BindingFlags Internal = BindingFlags.NonPublic | BindingFlags.Instance;

    public static ScenarioContext CreateScenarioContext(Pickle pickle)
    {
        var arguments = new OrderedDictionary();
        foreach (var (name, value) in pickle.Example?.Values ?? []) arguments[name] = value;
        var own = pickle.Tags.Except(pickle.InheritedTags).Select(StripAt).ToArray();
        var info = new Reqnroll.ScenarioInfo(pickle.TestCaseName, "", own, arguments, pickle.InheritedTags.Select(StripAt).ToArray(), pickle.Id);
        var rule = pickle.RuleName is null ? null : new RuleInfo(pickle.RuleName, "", []);
        return (ScenarioContext)Construct(typeof(ScenarioContext),
            [typeof(IObjectContainer), typeof(Reqnroll.ScenarioInfo), typeof(RuleInfo), typeof(ITestObjectResolver)],
            [new ObjectContainer(), info, rule, new TestObjectResolver()]);
    }

    public static FeatureContext CreateFeatureContext(Pickle pickle)
    {
        var language = TryCulture(pickle.Language);
        var folder = Path.GetDirectoryName(pickle.Uri) ?? "";
        var info = new FeatureInfo(language, folder, pickle.FeatureName, "", pickle.FeatureTags.Select(StripAt).ToArray());
        return (FeatureContext)Construct(typeof(FeatureContext),
            [typeof(IObjectContainer), typeof(FeatureInfo), typeof(ReqnrollConfiguration)],
            [new ObjectContainer(), info, ConfigurationLoader.GetDefault()]);
    }

    /// <summary>What an after hook reads: the first error of the scenario and Reqnroll's status for it.</summary>
    public static void RecordOutcome(ScenarioContext context, Outcome outcome, Exception? error)
    {
        var status = outcome switch
        {
            Outcome.Passed or Outcome.Skipped => ScenarioExecutionStatus.OK,
            Outcome.Pending => ScenarioExecutionStatus.StepDefinitionPending,
            Outcome.Undefined => ScenarioExecutionStatus.UndefinedStep,
            Outcome.Ambiguous or Outcome.TestDefect => ScenarioExecutionStatus.BindingError,
            _ => ScenarioExecutionStatus.TestError,
        };
        if (context.ScenarioExecutionStatus != ScenarioExecutionStatus.OK) return;
        typeof(ScenarioContext).GetProperty(nameof(ScenarioContext.ScenarioExecutionStatus))!.SetValue(context, status);
        if (error is not null) typeof(ReqnrollContext).GetProperty(nameof(ReqnrollContext.TestError))!.SetValue(context, error);
    }

    private static object Construct(Type type, Type[] parameters, object?[] args)
    {
        var constructor = type.GetConstructor(Internal, parameters)
            ?? throw new StepBindingException(
                $"Reqnroll {type.Assembly.GetName().Version} has no {type.Name}({string.Join(", ", parameters.Select(p => p.Name))}) constructor; " +
                $"HilRig builds {type.Name} with it (HilRig.Engine/Runtime/ReqnrollContexts.cs)");
        return constructor.Invoke(args);
    }

    private static CultureInfo TryCulture(string language)
    {
        try
        {
            return CultureInfo.GetCultureInfo(language);
        }
        catch (CultureNotFoundException)
        {
            return CultureInfo.InvariantCulture;
        }
    }

    private static string StripAt(string tag) => tag.StartsWith('@') ? tag[1..] : tag;
}

/// <summary>Reqnroll's output helper: lines go to the scenario log, attachments to the step running (or the scenario).</summary>
public sealed class ReqnrollOutputHelper(ScenarioOutput output) : IReqnrollOutputHelper
{
    public void WriteLine(string message) => output.WriteLine(message);

    public void WriteLine(string format, params object[] args) => output.WriteLine(string.Format(CultureInfo.InvariantCulture, format, args));

    public void AddAttachment(string filePath) => output.AttachFile(Path.GetFileNameWithoutExtension(filePath), MediaTypes.ForFile(filePath), filePath);
}
