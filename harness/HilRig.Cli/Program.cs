using System.CommandLine;
using System.CommandLine.Parsing;
using HilRig.Cli;
using HilRig.Cli.Output;

var parse = HilRigCommand.Create().Parse(args, HilRigCommand.Parsing);
// System.CommandLine exits 1 on a parse error; our contract reserves 1 for failed scenarios.
if (parse.Errors.Count > 0 && !args.Contains("--help") && !args.Contains("-h"))
{
    foreach (var error in parse.Errors) Terminal.Error($"hilrig: {error.Message}");
    Terminal.Error("run `hilrig --help` for usage");
    return ExitCodes.Usage;
}
// `run` handles SIGINT/SIGTERM itself (a grace period for teardown, every report written, exit 130); System.CommandLine's
// own handling would end the process two seconds after the signal, in the middle of that.
var invocation = new InvocationConfiguration();
if (parse.CommandResult.Command.Name == "run" && parse.CommandResult.Parent is not CommandResult { Command.Name: "bench" })
    invocation.ProcessTerminationTimeout = null;
return await parse.InvokeAsync(invocation);
