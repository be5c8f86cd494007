using System.CommandLine;
using HilRig.Cli;
using HilRig.Cli.Commands;
using HilRig.Cli.Output;

var root = new RootCommand("HilRig: Gherkin scenarios that drive simulated and real boards")
{
    RunCommand.Create(),
    ListCommand.Create(),
    StepsCommand.Create(),
    RigCommand.Create(),
    ReportCommand.Create(),
    TestCommand.Create(),
    BenchBoardCommands.Console(),
    BenchBoardCommands.Power(),
};
foreach (var command in CommandAreas.All()) root.Subcommands.Add(command);

// Tags start with '@', which System.CommandLine would otherwise read as a response file ("@smoke" → file "smoke").
var parse = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
// System.CommandLine exits 1 on a parse error; our contract reserves 1 for failed scenarios.
if (parse.Errors.Count > 0 && !args.Contains("--help") && !args.Contains("-h"))
{
    foreach (var error in parse.Errors) Terminal.Error($"hilrig: {error.Message}");
    Terminal.Error("run `hilrig --help` for usage");
    return ExitCodes.Usage;
}
return await parse.InvokeAsync();
