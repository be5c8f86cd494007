using System.CommandLine;

namespace HilRig.Cli.Commands;

/// <summary>
/// <c>hilrig bench AREA [--json]</c>: performance figures measured against a baseline in the same run. Each
/// product area adds its subcommand to <see cref="Areas"/>; targets live in benchmarks, never in timed tests.
/// </summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var bench = new Command("bench", "Measure performance against baselines run on the same machine, in the same run");
        foreach (var area in Areas()) bench.Subcommands.Add(area);
        return bench;
    }

    private static IEnumerable<Command> Areas() => [BenchSimnet.Create(), BenchUpdate.Create(), BenchUpdate.EchoServer(), BenchAb.Create(), BenchSoftbus.Create(), BenchRun.Create(), BenchBoards.Create()];
}
