using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using HilRig.Cli.Output;
using HilRig.Steps.Fleet;

namespace HilRig.Cli.Commands;

/// <summary>
/// <c>hilrig fleet --units N [--json]</c>: N simulated units (the CM and UM HilRig.Device runs, in this process) update
/// through a real cloud on loopback at once; prints how many updated, how long it took, and the cloud's check-ins/s
/// from a second round of check-ins by the same units. Exit 1 when a unit did not update.
/// </summary>
public static class FleetCommand
{
    public static Command Create()
    {
        var units = new Option<int>("--units") { Description = "how many units", DefaultValueFactory = _ => 100 };
        var size = new Option<int>("--component-size") { Description = "bytes of the component each unit downloads", DefaultValueFactory = _ => 4096 };
        var seed = new Option<int>("--seed") { Description = "seeds the component's bytes", DefaultValueFactory = _ => 1 };
        var dir = new Option<string?>("--dir") { Description = "where the units keep their state (default: a temporary directory, removed at the end)" };
        var json = CommonOptions.Json();
        var command = new Command("fleet", "Update N simulated units through the real cloud and CM/UM protocol at once") { units, size, seed, dir, json };
        command.SetAction((p, ct) => Loading.GuardAsync(async () =>
        {
            var n = p.GetValue(units);
            if (n < 1) throw new Loading.UsageException($"--units: {n} is not a positive number of units");
            var bytes = p.GetValue(size);
            if (bytes < 1) throw new Loading.UsageException($"--component-size: {bytes} is not a positive number of bytes");
            var asJson = p.GetValue(json);
            var given = p.GetValue(dir);
            var directory = given ?? Path.Combine(Path.GetTempPath(), $"hilrig-fleet-{Environment.ProcessId}");
            if (given is not null && Directory.Exists(given) && Directory.EnumerateFileSystemEntries(given).Any())
                throw new Loading.UsageException($"--dir: {given} is not empty; a fleet starts from fresh units");
            try
            {
                if (!asJson) Terminal.Line($"starting {n} units in {directory} …");
                FleetReport report;
                await using (var fleet = await Fleet.StartAsync(n, directory, ct: ct))
                {
                    if (!asJson) Terminal.Line($"{n} units up in {fleet.StartSeconds:0.0} s, cloud on {fleet.Cloud.UnitUrl}");
                    var version = await fleet.UploadAsync("2.0", bytes, new Random(p.GetValue(seed)), ct);
                    report = await fleet.UpdateAsync(version, ct);
                }
                if (asJson)
                    Console.Out.WriteLine(JsonSerializer.Serialize(new FleetJson(report.Units, report.Updated, report.Failed, report.Seconds, report.CheckInsPerSecond,
                        report.StartSeconds, report.WorkingSetMiB,
                        report.CloudUnits, report.CloudOnTargetPercent, report.CloudFailed, report.Failures.Take(20).ToList()), FleetJsonContext.Default.FleetJson));
                else
                {
                    foreach (var f in report.Failures.Take(20)) Terminal.Line($"not updated: {f}");
                    if (report.Failures.Count > 20) Terminal.Line($"… and {report.Failures.Count - 20} more");
                    Terminal.Line($"units={report.Units} updated={report.Updated} failed={report.Failed} seconds={report.Seconds:0.00} " +
                                  $"checkins_per_s={report.CheckInsPerSecond:0} (start {report.StartSeconds:0.0} s, working set {report.WorkingSetMiB} MiB)");
                    Terminal.Line($"cloud: {report.CloudUnits} units, {report.CloudOnTargetPercent:0.#} % on target, {report.CloudFailed} failed upgrades");
                }
                return report.Failed == 0 && report.CloudUnits == n && report.CloudOnTargetPercent >= 100 ? ExitCodes.Passed : ExitCodes.Failed;
            }
            finally
            {
                if (given is null && Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
            }
        }));
        return command;
    }
}

/// <summary>The keys of <c>hilrig fleet --json</c>.</summary>
public sealed record FleetJson(
    [property: JsonPropertyName("units")] int Units,
    [property: JsonPropertyName("updated")] int Updated,
    [property: JsonPropertyName("failed")] int Failed,
    [property: JsonPropertyName("seconds")] double Seconds,
    [property: JsonPropertyName("checkins_per_s")] double CheckInsPerSecond,
    [property: JsonPropertyName("start_s")] double StartSeconds,
    [property: JsonPropertyName("working_set_mib")] long WorkingSetMiB,
    [property: JsonPropertyName("cloud_units")] int CloudUnits,
    [property: JsonPropertyName("cloud_on_target_percent")] double CloudOnTargetPercent,
    [property: JsonPropertyName("cloud_failed")] int CloudFailed,
    [property: JsonPropertyName("failures")] IReadOnlyList<string> Failures);

[JsonSerializable(typeof(FleetJson))]
internal sealed partial class FleetJsonContext : JsonSerializerContext;
