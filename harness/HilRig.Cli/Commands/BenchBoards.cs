using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using HilRig.Cli.Output;
using HilRig.Engine.Runtime;
using HilRig.Rig.Boards;
using HilRig.Rig.Model;

namespace HilRig.Cli.Commands;

/// <summary>
/// <c>hilrig bench boards [--runs N] [--json]</c>: power-on to the agent's shell prompt on each board kind, measured in
/// the same run: a process board (the baseline: the JIT agent as a host process) and a QEMU board booting the board image
/// under TCG, and a container board. Prints <c>process_boot_s</c>, <c>qemu_boot_s</c> and <c>container_boot_s</c> (medians).
/// A container board is created at its first power-on and started again at every later one: <c>container_boot_s</c> is
/// a power-on of an existing board (off, then on: <c>docker start</c> to the prompt), <c>container_first_boot_s</c> the
/// first power-on of a fresh board (Testcontainers creates the container, then starts it). A warm-up boot before them
/// starts dockerd when none runs and imports the image, neither of which is counted.
/// </summary>
public static class BenchBoards
{
    public static Command Create()
    {
        var json = CommonOptions.Json();
        var runs = new Option<int>("--runs") { Description = "boots per board kind (the median is reported)", DefaultValueFactory = _ => 3 };
        var c = new Command("boards", "Power-on to shell prompt: process board (baseline), QEMU board (TCG) and container board, same run") { runs, json };
        c.SetAction((p, ct) => Loading.GuardAsync(async () =>
        {
            var asJson = p.GetValue(json);
            void Log(string line)
            {
                if (asJson) Console.Error.WriteLine(line);
                else Terminal.Line(line);
            }
            var count = Math.Max(1, p.GetValue(runs));
            var work = Path.Combine(Path.GetTempPath(), $"hilrig-bench-boards-{Environment.ProcessId}");
            try
            {
                var process = await MedianAsync("process", "process: {firmware: 1.0.0}", count, work, Log, ct);
                var qemu = await MedianAsync("qemu", "qemu: {accel: tcg}", count, work, Log, ct);
                var (containerFirst, container) = await ContainerMediansAsync(count, work, Log, ct);
                var result = new Dictionary<string, object?>
                {
                    ["process_boot_s"] = Math.Round(process, 3),
                    ["qemu_boot_s"] = Math.Round(qemu, 3),
                    ["qemu_accel"] = "tcg",
                    ["qemu_vs_process"] = Math.Round(qemu / process, 2),
                    ["container_boot_s"] = Math.Round(container, 3),
                    ["container_first_boot_s"] = Math.Round(containerFirst, 3),
                    ["container_vs_process"] = Math.Round(container / process, 2),
                    ["container_target_s"] = 0.5,
                    ["runs"] = count,
                    ["load_average_1m"] = LoadAverage(),
                };
                if (asJson) Console.Out.WriteLine(JsonSerializer.Serialize(result));
                else
                {
                    Terminal.Line($"process board (baseline): {process:0.000} s   QEMU board (TCG): {qemu:0.000} s ({qemu / process:0.0}× the baseline)");
                    Terminal.Line($"container board: {container:0.000} s power-on of an existing board ({container / process:0.0}× the baseline; target 0.5 s), " +
                                  $"{containerFirst:0.000} s first power-on (container created); load average {LoadAverage()}");
                }
                return ExitCodes.Passed;
            }
            catch (RigFaultException e)
            {
                Terminal.Error($"hilrig: bench boards: {e.Message}");
                return ExitCodes.RigFault;
            }
            finally
            {
                if (Directory.Exists(work)) Directory.Delete(work, recursive: true);
            }
        }));
        return c;
    }

    private static async Task<double> MedianAsync(string kind, string driver, int runs, string work, Action<string> log, CancellationToken ct)
    {
        var times = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            await using var board = CreateBoard(kind, driver, work, i);
            times.Add(await BootAsync(board, ct));
            log($"{kind} boot {i + 1}/{runs}: {times[^1]:0.000} s");
        }
        return Median(times);
    }

    /// <summary>First power-ons (container created) and power-ons of the same board after an orderly off (started again).</summary>
    private static async Task<(double First, double Again)> ContainerMediansAsync(int runs, string work, Action<string> log, CancellationToken ct)
    {
        const string driver = "container: {firmware: 1.0.0}";
        await using (var warmUp = CreateBoard("container", driver, work, -1))
            log($"container warm-up (dockerd, image import): {await BootAsync(warmUp, ct):0.000} s");
        var first = new List<double>();
        var again = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            await using var board = CreateBoard("container", driver, work, i);
            first.Add(await BootAsync(board, ct));
            await board.Power.OffAsync(ct);
            again.Add(await BootAsync(board, ct));
            log($"container boot {i + 1}/{runs}: first {first[^1]:0.000} s, again {again[^1]:0.000} s");
        }
        return (Median(first), Median(again));
    }

    private static Board CreateBoard(string kind, string driver, string work, int i)
    {
        var rig = RigLoader.Parse($"boards:\n  bench:\n    kind: {kind}\n    drivers:\n      {driver}\n", "bench-boards.yaml");
        return BoardFactory.Create(rig.Boards[0], Path.Combine(work, $"{kind}-{i}"), s => new Random(s.Length), i);
    }

    /// <summary>Power-on to the agent's "boot complete" and its shell answering.</summary>
    private static async Task<double> BootAsync(Board board, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        await board.Power.OnAsync(ct);
        await board.Console.ExpectAsync(new Regex(Regex.Escape("boot complete")), TimeSpan.FromMinutes(5), ct);
        await board.Shell.WaitReadyAsync(TimeSpan.FromMinutes(5), ct);
        return watch.Elapsed.TotalSeconds;
    }

    private static double Median(List<double> times)
    {
        times.Sort();
        return times[times.Count / 2];
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";
}
