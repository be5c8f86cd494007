using HilRig.Engine.Bindings;
using HilRig.Engine.Runtime;
using HilRig.Engine.Tests.Runtime;
using NUnit.Framework;
using Reqnroll;
using Reqnroll.Assist;
using Reqnroll.BoDi;

namespace HilRig.Engine.Tests.Reqnroll;

/// <summary>
/// Binding classes as Reqnroll's documentation writes them (DataTable helpers, step argument conversions, scoped
/// bindings, hooks, context injection) run unchanged on our runtime: nothing in them knows HilRig.
/// </summary>
[NonParallelizable]
public class ReqnrollBindingsTests
{
    private static readonly List<string> Log = new();

    [SetUp]
    public void Clear() => Log.Clear();

    // ---- docs/automation/datatable-helpers.md ----

    public class Account
    {
        public string Name { get; set; } = "";
        public int HeightInInches { get; set; }
        public decimal BankAccountBalance { get; set; }
    }

    [Binding]
    public class AccountSteps
    {
        private Account _account = new();

        [Given(@"I entered the following data into the new account form:")]
        public void GivenIEnteredTheFollowingDataIntoTheNewAccountForm(DataTable table)
        {
            _account = table.CreateInstance<Account>();
        }

        [Then("the account holder is {string} with {decimal} on the account and {int} inches tall")]
        public void ThenTheAccountHolderIs(string name, decimal balance, int height)
        {
            Assert.That((_account.Name, _account.BankAccountBalance, _account.HeightInInches), Is.EqualTo((name, balance, height)));
        }
    }

    // ---- docs/automation/step-argument-conversions.md and context-injection.md ----

    public class Book
    {
        public string Author { get; set; } = "";
        public string Title { get; set; } = "";
    }

    public class Shelf
    {
        public List<Book> Books { get; } = new();
    }

    [Binding]
    public class Transforms
    {
        [StepArgumentTransformation]
        public IEnumerable<Book> BooksTransform(DataTable booksTable)
        {
            return booksTable.CreateSet<Book>();
        }

        [StepArgumentTransformation(@"in (\d+) days?")]
        public DateTime InXDaysTransform(int days)
        {
            return DateTime.Today.AddDays(days);
        }
    }

    [Binding]
    public class BookSteps
    {
        private readonly Shelf _shelf;

        public BookSteps(Shelf shelf)
        {
            _shelf = shelf;
        }

        [Given("the following books")]
        public void GivenTheFollowingBooks(IEnumerable<Book> books)
        {
            _shelf.Books.AddRange(books);
        }

        [Then("the shelf contains")]
        public void ThenTheShelfContains(DataTable table)
        {
            table.CompareToSet(_shelf.Books);
        }

        [Given(@"the meeting is (.*)")]
        public void GivenTheMeetingIs(DateTime when)
        {
            Log.Add($"meeting in {(when - DateTime.Today).TotalDays} days");
        }
    }

    // ---- docs/automation/scoped-bindings.md, hooks.md, scenario-context.md, feature-context.md ----

    [Binding]
    public class SearchSteps
    {
        private readonly ScenarioContext _scenarioContext;
        private readonly IReqnrollOutputHelper _outputHelper;

        public SearchSteps(ScenarioContext scenarioContext, IReqnrollOutputHelper outputHelper)
        {
            _scenarioContext = scenarioContext;
            _outputHelper = outputHelper;
        }

        [When(@"I perform a simple search on '(.*)'"), Scope(Tag = "controller")]
        public void WhenIPerformASimpleSearchOn(string searchTerm)
        {
            _scenarioContext["searched by"] = "controller";
        }

        [When(@"I perform a simple search on '(.*)'"), Scope(Tag = "web")]
        public void PerformSimpleSearch(string title)
        {
            _scenarioContext["searched by"] = "web";
            _outputHelper.WriteLine("searching for {0} in the browser", title);
        }

        [Then("the search used the {word}")]
        public void ThenTheSearchUsed(string way)
        {
            Assert.That(_scenarioContext["searched by"], Is.EqualTo(way), _scenarioContext.ScenarioInfo.Title);
        }
    }

    [Binding]
    public class Hooks
    {
        private readonly ScenarioContext _scenarioContext;

        public Hooks(ScenarioContext scenarioContext)
        {
            _scenarioContext = scenarioContext;
        }

        [BeforeFeature]
        public static void BeforeFeature(FeatureContext featureContext)
        {
            featureContext["opened"] = featureContext.FeatureInfo.Title;
        }

        [BeforeScenario("web")]
        public static void BeforeWebScenario()
        {
            Log.Add("selenium started");
        }

        [BeforeScenario(Order = 0)]
        public void SeesTheFeature(FeatureContext featureContext)
        {
            Log.Add($"feature {featureContext["opened"]}, scenario {_scenarioContext.ScenarioInfo.Title}, tags {string.Join(",", _scenarioContext.ScenarioInfo.CombinedTags)}");
        }

        [AfterScenario]
        public void AfterScenario()
        {
            if (_scenarioContext.TestError != null)
                Log.Add($"after {_scenarioContext.ScenarioInfo.Title}: {_scenarioContext.ScenarioExecutionStatus}, {_scenarioContext.TestError.GetType().Name}");
        }
    }

    private const string Feature = """
        @bank
        Feature: Documentation bindings

          Scenario: Open an account
            Given I entered the following data into the new account form:
              | Field                | Value     |
              | Name                 | John Galt |
              | Height In Inches     | 72        |
              | Bank Account Balance | 1234.56   |
            Then the account holder is "John Galt" with 1234.56 on the account and 72 inches tall

          Scenario: The shelf holds the books
            Given the following books
              | Author        | Title                |
              | Martin Fowler | Analysis Patterns    |
              | Eric Evans    | Domain Driven Design |
            Then the shelf contains
              | Title                | Author        |
              | Analysis Patterns    | Martin Fowler |
              | Domain Driven Design | Eric Evans    |

          Scenario: A wrong expectation shows the difference
            Given the following books
              | Author        | Title             |
              | Martin Fowler | Analysis Patterns |
            Then the shelf contains
              | Title       | Author        |
              | Refactoring | Martin Fowler |

          Scenario: A meeting in three days
            Given the meeting is in 3 days

          @web
          Scenario: Searching in the browser
            When I perform a simple search on 'Domain'
            Then the search used the web

          @controller
          Scenario: Searching through the controller
            When I perform a simple search on 'Domain'
            Then the search used the controller
        """;

    [Test]
    public async Task DocumentationBindings_RunUnchanged()
    {
        var results = await RunnerTestKit.RunAsync(Feature,
            [typeof(AccountSteps), typeof(Transforms), typeof(BookSteps), typeof(SearchSteps), typeof(Hooks)]);
        var outcomes = results.ToDictionary(r => r.Pickle.Name, r => r.Outcome);
        Assert.That(outcomes, Is.EqualTo(new Dictionary<string, Outcome>
        {
            ["Open an account"] = Outcome.Passed,
            ["The shelf holds the books"] = Outcome.Passed,
            ["A wrong expectation shows the difference"] = Outcome.Failed,
            ["A meeting in three days"] = Outcome.Passed,
            ["Searching in the browser"] = Outcome.Passed,
            ["Searching through the controller"] = Outcome.Passed,
        }), string.Join("\n", results.Select(r => r.FailureMessage)));

        var wrong = results.Single(r => r.Outcome == Outcome.Failed);
        Assert.That(wrong.FailureMessage, Does.Contain("ComparisonException").And.Contain("Refactoring").And.Contain("Analysis Patterns"),
            "CompareToSet's difference table is the failure message");
        Assert.That(Log, Does.Contain("after A wrong expectation shows the difference: TestError, ComparisonException"));
        Assert.That(Log.Count(l => l == "selenium started"), Is.EqualTo(1), "the hook scoped to 'web' ran for the @web scenario only");
        Assert.That(Log, Does.Contain("meeting in 3 days"));
        Assert.That(Log, Does.Contain("feature Documentation bindings, scenario Searching in the browser, tags web,bank"));
        var browser = results.Single(r => r.Pickle.Name == "Searching in the browser");
        Assert.That(browser.Log, Does.Contain("searching for Domain in the browser"), "IReqnrollOutputHelper writes to the scenario log");
    }

    // ---- what our runtime does not run says so at load time ----

    [Binding]
    public class UsesTheContainer(IObjectContainer container)
    {
        [Given("a thing")]
        public void Thing() => container.Resolve<Shelf>();
    }

    [Binding]
    public class UsesBlockHooks
    {
        [BeforeScenarioBlock]
        public void Block()
        {
        }
    }

    [Binding]
    public class UsesMethodNames
    {
        [Given]
        public void Given_I_have_entered_P0_into_the_calculator(int p0)
        {
        }
    }

    [TestCase(typeof(UsesTheContainer), "UsesTheContainer: its constructor asks for Reqnroll's IObjectContainer: not supported")]
    [TestCase(typeof(UsesBlockHooks), "UsesBlockHooks.Block(): [BeforeScenarioBlock]: scenario-block hooks: not supported")]
    [TestCase(typeof(UsesMethodNames), "UsesMethodNames.Given_I_have_entered_P0_into_the_calculator(Int32): [Given]: a step definition without an expression")]
    public void UnsupportedReqnrollFeature_IsALoadTimeErrorNamingBindingAndFeature(Type binding, string expected)
    {
        var e = Assert.Throws<StepBindingException>(() => BindingRegistry.Build([binding]))!;
        Assert.That(e.Message, Does.Contain(expected));
    }
}
