using System.CommandLine;
using HilRig.Cli.Commands;

namespace HilRig.Cli;

/// <summary>The whole <c>hilrig</c> command line; tests parse with it to check that what documents name exists.</summary>
public static class HilRigCommand
{
    public static RootCommand Create()
    {
        var root = new RootCommand("HilRig: Gherkin scenarios that drive simulated and real boards")
        {
            RunCommand.Create(),
            ListCommand.Create(),
            StepsCommand.Create(),
            RigCommand.Create(),
            ReportCommand.Create(),
            TestCommand.Create(),
            ResultsCommand.Create(),
            BenchBoardCommands.Console(),
            BenchBoardCommands.Power(),
        };
        foreach (var command in CommandAreas.All()) root.Subcommands.Add(command);
        return root;
    }

    /// <summary>Tags start with '@', which System.CommandLine would otherwise read as a response file ("@smoke" → file "smoke").</summary>
    public static ParserConfiguration Parsing { get; } = new() { ResponseFileTokenReplacer = null };
}
