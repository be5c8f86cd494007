using NUnit.Framework;
using Reqnroll;

namespace HilRig.Cli.Tests;

/// <summary>
/// <c>--bindings ASSEMBLY</c> loads a team's own Reqnroll step library next to HilRig's; a binding that cannot work
/// stops the command before anything runs, with exit 2 and the binding, the attribute and what is wrong.
/// </summary>
public class BindingsOptionTests
{
    /// <summary>Loaded only through --bindings (this test assembly): two mistakes a step author makes.</summary>
    [Binding]
    public sealed class BrokenBindings
    {
        [BeforeScenario("@power and not")]
        public void BeforePowerScenarios()
        {
        }

        [Given("board {boardd} is up")]
        public void BoardIsUp(string board)
        {
        }
    }

    private static string ThisAssembly => typeof(BindingsOptionTests).Assembly.Location;

    [TestCase("steps")]
    [TestCase("run", "--dry-run", "fixtures/features/good")]
    public async Task BrokenBindings_Exit2_NamingBindingAttributeAndPosition(params string[] command)
    {
        var args = command.Concat(["--bindings", ThisAssembly]).ToList();
        if (command[0] == "run") args.AddRange(["--results", Hilrig.Results("bindings")]);
        var r = await Hilrig.RunAsync([.. args]);
        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
        Assert.That(r.Stderr, Does.Contain(
            "BrokenBindings.BeforePowerScenarios(): [BeforeScenario(\"@power and not\")]: invalid tag expression \"@power and not\" at position 15"));
        Assert.That(r.Stderr, Does.Contain("BrokenBindings.BoardIsUp(String): [Given(\"board {boardd} is up\")]: undefined parameter type {boardd}"));
        Assert.That(r.Stderr, Does.Contain("known: ").And.Contain("{board}"));
    }

    [Test]
    public async Task Bindings_NotAnAssembly_Exit2()
    {
        var r = await Hilrig.RunAsync("steps", "--bindings", "fixtures/features/good/listing.feature");
        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
        Assert.That(r.Stderr, Does.Contain("--bindings fixtures/features/good/listing.feature: not a .NET assembly"));
    }
}
