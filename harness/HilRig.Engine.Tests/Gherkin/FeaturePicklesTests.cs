using HilRig.Engine.Gherkin;
using NUnit.Framework;

namespace HilRig.Engine.Tests.Gherkin;

/// <summary>Pickles from Gherkin 43's own compiler, with what our selection and reports add to them.</summary>
public class FeaturePicklesTests
{
    private static IReadOnlyList<Pickle> Compile(string text, string uri = "t.feature") =>
        FeaturePickles.Compile(FeatureParser.ParseText(text, uri));

    [Test]
    public void Compile_FeatureAndRuleBackgrounds_PrependedInOrder()
    {
        var pickles = Compile("""
            Feature: F
              Background:
                Given feature background
              Scenario: outside
                When outside step
              Rule: R
                Background:
                  Given rule background
                Scenario: inside
                  When inside step
            """);
        Assert.That(pickles.Select(p => p.Name), Is.EqualTo(new[] { "outside", "inside" }));
        Assert.That(pickles[0].Steps.Select(s => s.Text), Is.EqualTo(new[] { "feature background", "outside step" }));
        Assert.That(pickles[1].Steps.Select(s => s.Text), Is.EqualTo(new[] { "feature background", "rule background", "inside step" }));
        Assert.That(pickles[1].RuleName, Is.EqualTo("R"));
        Assert.That(pickles[1].Steps[0].FromBackground && pickles[1].Steps[1].FromBackground && !pickles[1].Steps[2].FromBackground);
    }

    [Test]
    public void Compile_OutlineWithTwoNamedExamplesTables_OnePicklePerRowWithOwnTags()
    {
        var pickles = Compile(""""
            @feature
            Feature: F
              @outline
              Scenario Outline: boot <board> in <mode>
                Given board <board> boots in <mode> mode
                  | key   | value  |
                  | board | <board>|
                Then it says:
                  """text
                  hello <board>
                  """

                @fast
                Examples: quick ones
                  | board | mode  |
                  | a     | warm  |
                  | b     | cold  |

                @slow
                Examples: slow ones
                  | board | mode |
                  | c     | deep |
            """");
        Assert.That(pickles, Has.Count.EqualTo(3));
        Assert.That(pickles.Select(p => p.Name), Is.EqualTo(new[] { "boot a in warm", "boot b in cold", "boot c in deep" }));
        Assert.That(pickles[0].Tags, Is.EqualTo(new[] { "@feature", "@outline", "@fast" }));
        Assert.That(pickles[2].Tags, Is.EqualTo(new[] { "@feature", "@outline", "@slow" }));
        Assert.That(pickles[0].Example!.ExamplesName, Is.EqualTo("quick ones"));
        Assert.That(pickles[1].Example!.Index, Is.EqualTo(2));
        Assert.That(pickles[2].Example!.ExamplesName, Is.EqualTo("slow ones"));
        Assert.That(pickles[1].DisplayName, Is.EqualTo("boot b in cold [quick ones #2: board=b, mode=cold]"), "the row marker is for display only");
        Assert.That(pickles[1].TestCaseName, Is.EqualTo("boot <board> in <mode>"));
        Assert.That(pickles[0].FeatureTags, Is.EqualTo(new[] { "@feature" }));
        Assert.That(pickles[0].InheritedTags, Is.EqualTo(new[] { "@feature" }));
        Assert.That(pickles[1].Line, Is.EqualTo(17), "an outline pickle's line is its Examples row");
        Assert.That(pickles[1].ScenarioLine, Is.EqualTo(4));
        var table = (StepTable)pickles[1].Steps[0].Argument!;
        Assert.That(table.Rows[1], Is.EqualTo(new[] { "board", "b" }));
        var doc = (DocString)pickles[1].Steps[1].Argument!;
        Assert.That(doc.Content, Is.EqualTo("hello b"));
        Assert.That(doc.MediaType, Is.EqualTo("text"));
    }

    [Test]
    public void Compile_AndAndBut_TakeThePreviousKeywordsKind_StarIsOfNoKind()
    {
        var steps = Compile("""
            Feature: F
              Scenario: S
                Given a
                And b
                When c
                But d
                Then e
                * f
            """)[0].Steps;
        Assert.That(steps.Select(s => s.Kind), Is.EqualTo(new[]
        {
            StepKind.Context, StepKind.Context, StepKind.Action, StepKind.Action, StepKind.Outcome, StepKind.Unknown,
        }), "as Gherkin's compiler has it: '*' is of no kind, so it binds to definitions of any keyword");
    }

    [Test]
    public void Compile_TagsOnRule_AreInheritedByItsScenariosOnly()
    {
        var pickles = Compile("""
            @f
            Feature: F
              @r
              Rule: R
                @s
                Scenario: in rule
                  Given x
              Rule: other
                Scenario: not tagged r
                  Given y
            """);
        Assert.That(pickles[0].Tags, Is.EqualTo(new[] { "@f", "@r", "@s" }));
        Assert.That(pickles[1].Tags, Is.EqualTo(new[] { "@f" }));
    }

    [TestCase("en", "Feature: Strom\n  Background:\n    Given ein\n  Scenario Outline: <x>\n    When a <x>\n    Then b\n  Examples:\n    | x |\n    | 1 |\n")]
    [TestCase("de", "# language: de\nFunktionalität: Strom\n  Hintergrund:\n    Angenommen ein\n  Szenariogrundriss: <x>\n    Wenn a <x>\n    Dann b\n  Beispiele:\n    | x |\n    | 1 |\n")]
    [TestCase("zh-CN", "# language: zh-CN\n功能: 电源\n  背景:\n    假如ein\n  场景大纲: <x>\n    当a <x>\n    那么b\n  例子:\n    | x |\n    | 1 |\n")]
    [TestCase("ru", "# language: ru\nФункция: Питание\n  Предыстория:\n    Допустим ein\n  Структура сценария: <x>\n    Когда a <x>\n    Тогда b\n  Примеры:\n    | x |\n    | 1 |\n")]
    public void Compile_Dialects_ProduceTheSamePickle(string language, string text)
    {
        var pickle = Compile(text).Single();
        Assert.That(pickle.Language, Is.EqualTo(language));
        Assert.That(pickle.Name, Is.EqualTo("1"));
        Assert.That(pickle.Steps.Select(s => (s.Kind, s.Text)), Is.EqualTo(new[]
        {
            (StepKind.Context, "ein"), (StepKind.Action, "a 1"), (StepKind.Outcome, "b"),
        }), "background step first, then the outline's steps with <x> substituted");
    }

    [Test]
    public void Compile_GermanHintergrund_IsABackgroundNotSwallowedIntoTheDescription()
    {
        // Gherkin 5.0.0 only knew "Grundlage" and silently ate "Hintergrund:" (platform-dotnet.md §1).
        var pickle = Compile("# language: de\nFunktionalität: F\n  Hintergrund:\n    Angenommen vorher\n  Szenario: S\n    Dann nachher\n").Single();
        Assert.That(pickle.Steps.Select(s => s.Text), Is.EqualTo(new[] { "vorher", "nachher" }));
    }

    [Test]
    public void Compile_Ids_AreUniqueAndTheSameInEveryProcess()
    {
        const string text = "Feature: F\n  Scenario: a\n    Given x\n  Scenario Outline: o <n>\n    Given y <n>\n    Examples:\n      | n |\n      | 1 |\n      | 2 |\n";
        var first = Compile(text, "scenarios/ids.feature");
        var again = Compile(text, "scenarios/ids.feature");
        var other = Compile(text, "scenarios/other.feature");
        var ids = first.Select(p => p.Id).Concat(first.SelectMany(p => p.Steps).Select(s => s.Id)).ToList();
        Assert.That(ids, Is.Unique.And.All.Not.Empty);
        Assert.That(again.Select(p => p.Id), Is.EqualTo(first.Select(p => p.Id)), "list --json and a later run agree on pickle ids");
        Assert.That(other.Select(p => p.Id), Has.None.AnyOf(first.Select(p => p.Id).ToArray()), "another file has other ids");
        Assert.That(first[0].Message!.AstNodeIds, Has.Count.EqualTo(1));
        Assert.That(first[2].Message!.AstNodeIds, Has.Count.EqualTo(2), "an outline pickle names its scenario and its row");
    }

    [Test]
    public void Compile_RuleTags_AreInheritedButNotFeatureTags()
    {
        var pickle = Compile("@f\nFeature: F\n  @r\n  Rule: R\n    @s\n    Scenario: S\n      Given x\n").Single();
        Assert.That(pickle.FeatureTags, Is.EqualTo(new[] { "@f" }));
        Assert.That(pickle.InheritedTags, Is.EqualTo(new[] { "@f", "@r" }));
        Assert.That(pickle.Tags, Is.EqualTo(new[] { "@f", "@r", "@s" }));
    }
}
