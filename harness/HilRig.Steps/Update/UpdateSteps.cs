using System.Text.RegularExpressions;
using HilRig.Engine.Bindings;
using HilRig.Rig.Boards;
using HilRig.Rig.Protocols;
using HilRig.Engine.Runtime;
using HilRig.Steps.Boards;
using HilRig.Update.Cloud;
using Reqnroll;

namespace HilRig.Steps.Update;

/// <summary>The update stack of seed 001 on a unit of process boards: cloud, CM, UMs and their modules.</summary>
[Binding]
public sealed class UpdateSteps(UpdateUnit unit, ScenarioOutput output)
{
    private static readonly TimeSpan CheckInTimeout = TimeSpan.FromSeconds(120);

    /// <summary>How long a background check-in may run before its shell command gives up (the waiting step has its own limit).</summary>
    private static readonly TimeSpan BackgroundCheckInTimeout = TimeSpan.FromMinutes(4);

    [Given("the update cloud offers automatic updates at most once every {int} hour(s)")]
    [StepSummary("starts the cloud with this offer throttle (seed 001: \"once per day for example\")")]
    public Task Throttled(int hours)
    {
        unit.Throttle = TimeSpan.FromHours(hours);
        return unit.EnsureCloudAsync();
    }

    [Given("the update cloud offers automatic updates without a throttle")]
    [StepSummary("starts the cloud with no time between automatic offers")]
    public Task Unthrottled()
    {
        unit.Throttle = TimeSpan.Zero;
        return unit.EnsureCloudAsync();
    }

    [Given("board {board} also has the update modules {string}")]
    [StepSummary("adds modules (id:plugin[:key=value;…]) to a node before the unit starts")]
    public void ExtraModules(Board board, string spec) => unit.AddModules(board, spec);

    [Given("the CM crashes {word}")]
    [StepSummary("arms a CM fault point (before-start, before-apply): the main board dies there as if its power was cut")]
    public void CrashAt(string point) => unit.CrashCmAt(point);

    [Given("an update unit of main board {board} and secondary boards {board} and {board}")]
    [StepSummary("boots a unit: CM and UM on the main board, a UM on each secondary, all registered with the CM")]
    public Task Unit(Board main, Board second, Board third, CancellationToken ct) => unit.StartAsync(main, [second, third], ct);

    [Given("an update unit of main board {board} alone")]
    [StepSummary("boots a unit of one node: CM and UM on the board, registered with each other")]
    public Task SingleNodeUnit(Board main, CancellationToken ct) => unit.StartAsync(main, [], ct);

    [Given("the unit's CM and UMs talk without TLS, so the capture shows their gRPC messages")]
    [StepSummary("update.grpc_tls off on every node before the unit starts: cleartext RegisterUM that any peer may use")]
    public void WithoutTls() => unit.GrpcTls = false;

    [Given("board {board} is provisioned with a node certificate of another unit")]
    [StepSummary("a rogue node: its certificate and CA come from another unit's node CA")]
    public void ForeignCertificate(Board board) => unit.ForeignCertificate.Add(board.Name);

    [Given("board {board} registers its UM as node {string}")]
    [StepSummary("a node claiming another node's id with its own certificate (update.node)")]
    public void ClaimsNode(Board board, string node) => unit.ClaimedNodeId[board.Name] = node;

    [When("the update unit of main board {board} and secondary boards {board} and {board} boots without waiting for board {board}")]
    [StepSummary("boots the unit; every UM but that board's must register")]
    public Task UnitWithout(Board main, Board second, Board third, Board rogue, CancellationToken ct) => unit.StartAsync(main, [second, third], ct, [rogue]);

    [Then("the CM refuses board {board} because {string}")]
    [StepSummary("`cm status` on the main board lists a refused registration from the board's address with that reason")]
    public async Task Refuses(Board board, string reason, CancellationToken ct)
    {
        var address = board.Get<INetworkProtocol>().Addresses[0].ToString();
        var status = await unit.WaitForCmStatusAsync(
            s => s.Lines.Any(l => l.StartsWith("refused: ", StringComparison.Ordinal) && l.Contains(address + ":", StringComparison.Ordinal) && l.Contains(reason, StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30), s => $"the CM did not refuse {board.Name} ({address}) because \"{reason}\":\n{s.Output}", ct);
        output.WriteLine(string.Join("\n", status.Lines.Where(l => l.StartsWith("refused: ", StringComparison.Ordinal))));
        if (UpdateUnit.ConnectedUms(status).ContainsKey(board.Name)) throw new AssertionFailedException($"{board.Name} was refused and is registered all the same:\n{status.Output}");
    }

    [When("board {board} is provisioned with its own node certificate and restarted")]
    [StepSummary("gives a rogue board its unit's credentials and node id, powers it off and on, waits for every UM")]
    public Task ProvisionOwn(Board board, CancellationToken ct) => unit.ProvisionOwnAsync(board, ct);

    [Given("the test module of board {board} fails at {word}")]
    [StepSummary("arms the node's <node>-fw test module to fail at that step")]
    public async Task FailAt(Board board, string step, CancellationToken ct)
    {
        var result = await board.Shell.RunAsync($"um fail-at {board.Name}-fw {step}", TimeSpan.FromSeconds(30), ct);
        if (!result.Succeeded) throw new RigFaultException($"cannot arm the test module on {board.Name}: {result.Output}");
    }

    [When("the OEM uploads version {string} of every node's components")]
    [StepSummary("builds a signed, encrypted bundle of every node's app and fw components and uploads it")]
    public Task Upload(string version) => unit.UploadAsync(version, []);

    [When("the OEM uploads version {string} of every node's components and of {string}")]
    [StepSummary("the same bundle with more component ids (comma-separated)")]
    public Task UploadWith(string version, string extra) =>
        unit.UploadAsync(version, extra.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));

    [When("the OEM uploads version {string} of every node's components, each annotated {string}")]
    [StepSummary("the same bundle with these annotations (JSON) on every component, e.g. one only the CM may set")]
    public Task UploadAnnotated(string version, string annotations) => unit.UploadAsync(version, [], annotations);

    [Then("the cloud assigned image version {int}")]
    [StepSummary("the image version the last upload got")]
    public void Assigned(int version)
    {
        if (unit.LastAssigned != version) throw new AssertionFailedException($"the cloud assigned image version {unit.LastAssigned}, expected {version}");
    }

    [When("the OEM deletes image version {int}")]
    [StepSummary("deletes an image from the cloud (only the last uploaded may go)")]
    public Task Delete(int version) => unit.Cloud.Api.DeleteAsync(UpdateUnit.Platform, version);

    [Then("the cloud refuses to delete image version {int}")]
    [StepSummary("the cloud's version rules forbid deleting it")]
    public async Task DeleteRefused(int version)
    {
        try
        {
            await unit.Cloud.Api.DeleteAsync(UpdateUnit.Platform, version);
        }
        catch (HilRig.Cloud.CloudRequestException e)
        {
            output.WriteLine($"delete {version} refused: {e.Message}");
            return;
        }
        throw new AssertionFailedException($"the cloud deleted image version {version}");
    }

    [When("the cloud operator triggers an update of the unit")]
    [StepSummary("the manual trigger of seed 001: the next check-in is not throttled")]
    public Task Trigger() => unit.Cloud.Api.TriggerAsync(UpdateUnit.UnitId);

    [When("the unit checks in")]
    [StepSummary("runs `cm checkin` on the main board: the CM asks the cloud and runs an offered update to its end")]
    public async Task CheckIn(CancellationToken ct)
    {
        var result = await unit.Main!.Shell.RunAsync("cm checkin", CheckInTimeout, ct);
        unit.LastCheckIn = result;
        output.WriteLine($"{unit.Main.Name}$ cm checkin\n{result.Output}");
        if (!result.Succeeded) throw new AssertionFailedException($"`cm checkin` failed (exit {result.ExitCode}):\n{result.Output}");
    }

    [When("the unit starts checking in")]
    [StepSummary("runs `cm checkin` on the main board without waiting for it; \"the check-in finishes within\" waits")]
    public void StartCheckIn() =>
        unit.PendingCheckIn = unit.Main!.Shell.RunAsync("cm checkin", BackgroundCheckInTimeout, CancellationToken.None);

    [Then("the check-in finishes within {int} seconds")]
    [StepSummary("waits for the background `cm checkin` and fails if it did")]
    public async Task CheckInFinishes(int seconds, CancellationToken ct)
    {
        var pending = unit.PendingCheckIn ?? throw new InvalidOperationException("no check-in was started; use \"When the unit starts checking in\"");
        ShellResult result;
        try
        {
            result = await pending.WaitAsync(TimeSpan.FromSeconds(seconds), ct);
        }
        catch (TimeoutException)
        {
            throw new AssertionFailedException($"`cm checkin` did not finish within {seconds} s");
        }
        unit.LastCheckIn = result;
        output.WriteLine($"{unit.Main!.Name}$ cm checkin\n{result.Output}");
        if (!result.Succeeded) throw new AssertionFailedException($"`cm checkin` failed (exit {result.ExitCode}):\n{result.Output}");
    }

    [Given("the OEM's component {string} is {int} MiB")]
    [StepSummary("the next uploads carry that component with a payload of this size (default 4 KiB)")]
    public void ComponentSize(string id, int mib) => unit.ComponentSizes[id] = mib << 20;

    [Given("the CM on board {board} abandons a download that stalls for {int} second(s) and tries each URL up to {int} times")]
    [StepSummary("update.download_stall_timeout and update.download_attempts of the main node, before the unit starts")]
    public void DownloadPolicy(Board board, int seconds, int attempts)
    {
        var driver = UpdateUnit.Settings(board);
        driver.Configure("update.download_stall_timeout", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        driver.Configure("update.download_attempts", attempts.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Then("the component {string} installed on board {board} is what the OEM uploaded")]
    [StepSummary("SHA-256 of the file module's installed file (board storage) equals that of the uploaded payload")]
    public async Task Intact(string id, Board board, CancellationToken ct)
    {
        var expected = unit.UploadedHashes.GetValueOrDefault(id) ?? throw new InvalidOperationException($"no component '{id}' was uploaded in this scenario");
        var path = Path.Combine(board.Get<IStorageProtocol>().DataDirectory, "update", "files", id);
        if (!File.Exists(path)) throw new AssertionFailedException($"{board.Name} has no installed file for {id} ({path})");
        await using var file = File.OpenRead(path);
        var actual = Convert.ToHexStringLower(await System.Security.Cryptography.SHA256.HashDataAsync(file, ct));
        if (actual != expected)
            throw new AssertionFailedException($"{id} on {board.Name} has SHA-256 {actual} ({new FileInfo(path).Length} bytes), the OEM uploaded {expected}");
        output.WriteLine($"{id} on {board.Name}: SHA-256 {actual} ({new FileInfo(path).Length} bytes), as uploaded");
    }

    [When("the unit checks in and the CM crashes")]
    [StepSummary("starts `cm checkin` and waits until the main board dies at the armed fault point")]
    public async Task CheckInAndCrash(CancellationToken ct)
    {
        var main = unit.Main!;
        await main.Console.SendAsync("cm checkin\n", ct);
        if (!await Poll.UntilAsync(() => main.Power.State != PowerState.On, CheckInTimeout, TimeSpan.FromMilliseconds(50), ct))
            throw new AssertionFailedException($"board {main.Name} did not crash at the armed CM fault point");
    }

    [When("board {board} restarts without the fault")]
    [StepSummary("disarms the CM fault point, powers the board on and waits for its shell")]
    public async Task Restart(Board board, CancellationToken ct)
    {
        unit.ClearCrash();
        await board.Power.OnAsync(ct);
        await BootWait.UntilShellAsync(board, board.BootTimeout, ct);
    }

    [Then("the unit is not offered an update")]
    [StepSummary("the last check-in got nothing from the cloud")]
    public void NotOffered()
    {
        var c = LastCheckIn();
        if (UpdateUnit.Field(c, "offered") != "no") throw new AssertionFailedException($"expected no offer:\n{c.Output}");
    }

    [Then("the cloud holds the update back until the throttle period ends")]
    [StepSummary("the last check-in got nothing because of the offer throttle")]
    public void HeldBack()
    {
        var c = LastCheckIn();
        if (UpdateUnit.Field(c, "offered") != "no" || UpdateUnit.Field(c, "reason")?.Contains("held back until") != true)
            throw new AssertionFailedException($"expected the throttle to hold the update back:\n{c.Output}");
    }

    [Then("the update failed with reason {string}")]
    [StepSummary("the last check-in's update ended in a revert or refusal for that reason")]
    public void Failed(string reason)
    {
        var c = LastCheckIn();
        var outcome = UpdateUnit.Field(c, "outcome") ?? "";
        if (!Regex.IsMatch(outcome, $@"^failed \d+ {Regex.Escape(reason)}:")) throw new AssertionFailedException($"expected the update to fail with {reason}:\n{c.Output}");
    }

    [Then("the update failed with reason {string} saying {string}")]
    [StepSummary("the same, and the CM's detail of the refusal contains that text")]
    public void FailedSaying(string reason, string detail)
    {
        Failed(reason);
        var outcome = UpdateUnit.Field(LastCheckIn(), "outcome")!;
        if (!outcome.Contains(detail, StringComparison.Ordinal)) throw new AssertionFailedException($"the refusal does not say \"{detail}\": {outcome}");
    }

    [Then("the unit installed image version {int}")]
    [StepSummary("the CM holds that image and every UM is IDLE on it")]
    public Task Installed(int version, CancellationToken ct) => InstalledWithin(version, 30, ct);

    [Then("the unit installs image version {int} within {int} seconds")]
    [StepSummary("waits until the CM holds that image and every UM is IDLE on it")]
    public Task InstalledWithin(int version, int seconds, CancellationToken ct) =>
        unit.WaitForCmStatusAsync(
            status => UpdateUnit.Field(status, "installed") == version.ToString() && UpdateUnit.Field(status, "phase") == "idle" &&
                      unit.Nodes.All(n => UpdateUnit.ConnectedUms(status).GetValueOrDefault(n.Name) == "IDLE"),
            TimeSpan.FromSeconds(seconds),
            status => $"the unit did not install image version {version} within {seconds} s:\n{status.Output}", ct);

    [Then("every node runs version {string} of its components")]
    [StepSummary("`um status` on every node shows its app and fw components installed at that version")]
    public async Task NodesRun(string version, CancellationToken ct)
    {
        foreach (var node in unit.Nodes)
        {
            var status = await node.Shell.RunAsync("um status", TimeSpan.FromSeconds(30), ct);
            foreach (var id in new[] { $"{node.Name}-app", $"{node.Name}-fw" })
                if (!status.Lines.Contains($"component {id} {version} INSTALLED"))
                    throw new AssertionFailedException($"{node.Name}: expected component {id} {version} INSTALLED:\n{status.Output}");
            if (UpdateUnit.Field(status, "state") != "IDLE") throw new AssertionFailedException($"{node.Name}: UM not IDLE:\n{status.Output}");
        }
    }

    [Then("the cloud records a successful update to image version {int}")]
    [StepSummary("the CM's report reached the cloud")]
    public async Task RecordedSuccess(int version, CancellationToken ct)
    {
        var results = await CloudResultsAsync(rs => rs.Any(r => r.Success && r.ImageVersion == version), ct);
        if (!results.Any(r => r.Success && r.ImageVersion == version))
            throw new AssertionFailedException($"the cloud has no successful update to {version} within {ReportDelivery.TotalSeconds:0} s: {Describe(results)}");
        var record = await unit.Cloud.Api.UnitAsync(UpdateUnit.UnitId);
        if (record?.ImageVersion != version) throw new AssertionFailedException($"the cloud thinks the unit runs image {record?.ImageVersion}, expected {version}");
    }

    [Then("the cloud records a failed update of image version {int} with reason {string}")]
    [StepSummary("the CM reported the failure and its reason")]
    public async Task RecordedFailure(int version, string reason, CancellationToken ct)
    {
        var results = await CloudResultsAsync(rs => rs.Any(r => !r.Success && r.ImageVersion == version && r.Reason == reason), ct);
        if (!results.Any(r => !r.Success && r.ImageVersion == version && r.Reason == reason))
            throw new AssertionFailedException($"the cloud has no failed update of {version} with reason {reason} within {ReportDelivery.TotalSeconds:0} s: {Describe(results)}");
    }

    // The CM persists its result and posts it after the update ends, so `cm status` may already read idle while the
    // report is on its way (CI saw 68 ms between the two); the cloud's record is awaited, not sampled once.
    private static readonly TimeSpan ReportDelivery = TimeSpan.FromSeconds(15);

    private async Task<IReadOnlyList<UpdateResult>> CloudResultsAsync(Func<IReadOnlyList<UpdateResult>, bool> recorded, CancellationToken ct)
    {
        IReadOnlyList<UpdateResult> results = [];
        await Poll.UntilAsync(async _ => recorded(results = await unit.Cloud.Api.ResultsAsync(UpdateUnit.UnitId)), ReportDelivery, TimeSpan.FromMilliseconds(100), ct);
        return results;
    }

    [Then("the upgrade dashboard shows {int} failed upgrade(s) in the last 7 days and {int} unit(s) online")]
    [StepSummary("the figures of seed 000's upgrade server")]
    public async Task Dashboard(int failed, int online)
    {
        var d = await unit.Cloud.Api.DashboardAsync();
        if (d.FailedLast7Days != failed || d.CurrentlyOnline != online)
            throw new AssertionFailedException($"dashboard: {d.FailedLast7Days} failed, {d.CurrentlyOnline} online; expected {failed} and {online}");
    }

    [Then("board {board} rebooted exactly {int} time(s)")]
    [StepSummary("counts `reboot: Restarting system` on the board's console")]
    public void Rebooted(Board board, int times)
    {
        var count = Regex.Matches(board.Console.Log.Text, Regex.Escape(UpdateUnit.RebootLine)).Count;
        if (count != times) throw new AssertionFailedException($"board {board.Name} rebooted {count} time(s), expected {times}");
    }

    private ShellResult LastCheckIn() => unit.LastCheckIn ?? throw new InvalidOperationException("no check-in yet; use \"When the unit checks in\"");

    private static string Describe(IReadOnlyList<UpdateResult> results) =>
        results.Count == 0 ? "none recorded" : string.Join("; ", results.Select(r => $"image {r.ImageVersion} {(r.Success ? "ok" : $"failed {r.Reason}")}"));
}
