using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using HilRig.AbUpdate;
using HilRig.AbUpdate.Delta;
using HilRig.Engine.Bindings;
using HilRig.Rig.Boards;
using HilRig.Rig.Protocols;
using HilRig.Engine.Runtime;
using HilRig.Storage;
using Reqnroll;

namespace HilRig.Steps.Ab;

/// <summary>
/// A/B update steps: give a board a disk with a release, make releases and deltas available to it, tamper with a slot,
/// cut its power at a named point of an update or a boot, and check which release it runs.
/// </summary>
[Binding]
public sealed class AbSteps(AbReleases releases, ScenarioRun scenario, ScenarioOutput output)
{
    private static string DataDirectory(Board board) => board.Get<IStorageProtocol>().DataDirectory;

    private static string DiskPath(Board board) =>
        board.Get<IStorageProtocol>().DiskImage ?? throw new RigFaultException($"board {board.Name} ({board.Kind}) has no disk image the harness can reach");

    [Given("board {board} has an A\\/B disk running release {string}")]
    [StepSummary("before power-on: a GPT disk with the release installed in slot A (its root signed) and confirmed; the board's keyring (release-keys.pem) trusts the scenario's release key")]
    public void HasDisk(Board board, string version)
    {
        if (board.Power.State == PowerState.On)
            throw new RigFaultException($"board {board.Name} is running; its A/B disk is made before power-on");
        var release = releases.Get(version, board);
        // A QEMU board's slots hold its image's root filesystem; a process board's the 2 MiB synthetic releases.
        var layout = AbReleases.RootOf(board) is null
            ? AbLayout.ForSlot(AbReleases.SlotCapacity, 2 << 20)
            : AbLayout.ForSlot(BlockDevice.AlignUp(release.Image.Length, AbLayout.MiB), Rig.Images.ImageBuilder.DataBytes);
        var slot = RunningDisk.Create(DiskPath(board), layout, new MemoryStream(release.Image), version,
            SeededRng.GuidSource((ulong)scenario.SeedFor($"ab-disk/{board.Name}")), releases.Signature(version, board), releases.Signer.Keyring);
        // Provisioning: the release keyring the board's boot verifies slot roots with (public keys only).
        File.WriteAllText(Path.Combine(DataDirectory(board), "release-keys.pem"), releases.KeyringPem);
        output.WriteLine($"{board.Name}: A/B disk {DiskPath(board)} with release {version} (sha256 {release.Sha256.ToHex()}) in slot A ({slot.Label})");
    }

    [Given("release {string} is available on board {board}")]
    [StepSummary("writes release-VERSION.img and its root signature release-VERSION.img.rootsig into the board's data directory")]
    public void ReleaseAvailable(string version, Board board) => WriteRelease(version, board, healthy: true);

    [Given("a release {string} that fails its health check is available on board {board}")]
    [StepSummary("a release whose boots never pass the health check")]
    public void BadReleaseAvailable(string version, Board board) => WriteRelease(version, board, healthy: false);

    private void WriteRelease(string version, Board board, bool healthy)
    {
        var r = releases.Get(version, board, healthy);
        var path = Path.Combine(DataDirectory(board), $"release-{version}.img");
        File.WriteAllBytes(path, r.Image);
        File.WriteAllText(path + ".rootsig", releases.Signature(version, board, healthy).ToText());
        output.WriteLine($"release {version}{(healthy ? "" : " (fails its health check)")}: {path}, sha256 {r.Sha256.ToHex()}");
    }

    [Given("a delta from release {string} to {string} is available on board {board}")]
    [StepSummary("writes FROM-to-TO.delta (a format-2 delta, as `hilrig delta create` makes) and the target's root signature FROM-to-TO.delta.rootsig into the board's data directory")]
    public void DeltaAvailable(string from, string to, Board board)
    {
        var a = releases.Get(from, board);
        var b = releases.Get(to, board);
        var path = Path.Combine(DataDirectory(board), $"{from}-to-{to}.delta");
        using var output1 = new FileStream(path, FileMode.Create, FileAccess.ReadWrite);
        var stats = FileDelta.Create(new MemoryStream(a.Image), new MemoryStream(b.Image), output1, new FileDeltaOptions { Version = to });
        File.WriteAllText(path + ".rootsig", releases.Signature(to, board).ToText());
        output.WriteLine($"delta {from} → {to}: {path}, {stats}");
    }

    [Given("board {board} checks the whole slot at every boot")]
    [StepSummary("full Merkle check at boot instead of sampled blocks (setting ab.check=full)")]
    public void FullCheck(Board board) => board.Get<ISettingsProtocol>().Configure("ab.check", "full");

    [When("I corrupt boot-control copy {int} on board {board}")]
    [StepSummary("overwrites one copy (0 or 1) of the boot-control record in the board's disk image")]
    public void CorruptBootControl(int copy, Board board)
    {
        if (copy is not (0 or 1)) throw new ArgumentException($"boot control has copies 0 and 1, not {copy}");
        using var dev = FileBlockDevice.Open(DiskPath(board));
        var disk = AbDisk.Open(dev);
        var offset = disk.BootControlPartition.Offset + copy * (long)BootControlStore.CopyStride;
        var record = dev.ReadBytes(offset, 1024);
        record[40] ^= 0xFF;
        dev.Write(offset, record);
        dev.Flush();
        output.WriteLine($"{board.Name}: corrupted boot-control copy {copy} at byte {offset + 40}");
    }

    [When("I change block {int} of slot {word} on board {board}")]
    [StepSummary("flips a byte of a 4 KiB block of a slot in the board's disk image, as an attacker or bit rot would")]
    public void Tamper(int block, string slot, Board board)
    {
        using var dev = FileBlockDevice.Open(DiskPath(board));
        var disk = AbDisk.Open(dev);
        var s = disk[SlotNames.Parse(slot)];
        var offset = s.Partition.Offset + block * (long)AbLayout.BlockSize;
        var sector = dev.ReadBytes(offset, 512);
        sector[100] ^= 0x20;
        dev.Write(offset, sector);
        dev.Flush();
        output.WriteLine($"{board.Name}: changed byte {offset + 100} (slot {slot}, block {block})");
    }

    [When("board {board} loses power at {string} while running {string}")]
    [StepSummary("arms a power cut at a named point (@bootctl-write#2, @slot-write#1, @mark-primary-done#1) or device operation (w17), runs the command and cuts the power when the point is reached")]
    public async Task LosesPowerWhileRunning(Board board, string point, string command, CancellationToken cancellation)
    {
        var arm = await board.Shell.RunAsync($"ab cut {point} {CutSeed(board)}", TimeSpan.FromSeconds(30), cancellation);
        if (arm.ExitCode != 0) throw new AssertionFailedException($"board {board.Name} could not arm the cut: {arm.Output}");
        await board.Console.SendAsync(command + "\n", cancellation);
        await PowerLostAsync(board, point, cancellation);
    }

    [When("board {board} loses power at {string} during its next boot")]
    [StepSummary("arms a power cut for the next boot (e.g. @boot-select#1), reboots, and cuts the power there")]
    public async Task LosesPowerDuringBoot(Board board, string point, CancellationToken cancellation)
    {
        var settings = board.Get<ISettingsProtocol>();
        settings.Configure("ab.cut", point);
        settings.Configure("ab.cut_seed", CutSeed(board).ToString(CultureInfo.InvariantCulture));
        await board.Console.SendAsync("reboot\n", cancellation);
        await PowerLostAsync(board, point, cancellation);
    }

    /// <summary>The seed that tears the in-flight write of this board's cut (a non-negative 31-bit value).</summary>
    private ulong CutSeed(Board board) => (ulong)scenario.SeedFor($"ab-cut/{board.Name}");

    private async Task PowerLostAsync(Board board, string point, CancellationToken cancellation)
    {
        var lost = await board.Console.ExpectAsync(new Regex(@"\[power\] lost: .*"), TimeSpan.FromSeconds(60), cancellation);
        output.WriteLine($"{board.Name}: {lost.Match.Value.Trim()}");
        await board.Power.CutAsync(cancellation);
        output.WriteLine($"{board.Name}: power cut at {point}");
    }

    [Then("board {board} runs release {string}")]
    [StepSummary("the booted slot records that version and holds exactly its SHA-256")]
    public async Task RunsRelease(Board board, string version, CancellationToken cancellation)
    {
        var (slot, status) = await BootedAsync(board, cancellation);
        var want = releases.Get(version, board).Sha256.ToHex();
        if (slot.GetProperty("version").GetString() != version || slot.GetProperty("sha256").GetString() != want)
            throw new AssertionFailedException(
                $"board {board.Name} runs slot {slot.GetProperty("slot").GetString()} version {slot.GetProperty("version").GetString()} sha256 {slot.GetProperty("sha256").GetString()}, expected release {version} ({want})\n{status}");
    }

    [Then("the boot log of board {board} shows slot {word} booting release {string}")]
    [StepSummary("some boot of this scenario printed `ab: boot: slot S version V sha256 H` with the release's own SHA-256")]
    public void BootLogShows(Board board, string slot, string version)
    {
        var line = $"ab: boot: slot {slot.ToUpperInvariant()} version {version} sha256 {releases.Get(version, board).Sha256.ToHex()}";
        var log = board.Console.Log.Text;
        if (!log.Contains(line, StringComparison.Ordinal))
        {
            var boots = Regex.Matches(log, @"ab: boot: .*").Select(m => m.Value.Trim());
            throw new AssertionFailedException($"board {board.Name} never printed \"{line}\"; its boots:\n{string.Join("\n", boots)}");
        }
    }

    [Then("board {board} runs a known release")]
    [StepSummary("the booted slot's SHA-256 is one of the releases of this scenario")]
    public async Task RunsKnownRelease(Board board, CancellationToken cancellation)
    {
        var (slot, status) = await BootedAsync(board, cancellation);
        var sha = slot.GetProperty("sha256").GetString() ?? "";
        if (!releases.IsKnown(sha, out var version))
            throw new AssertionFailedException($"board {board.Name} runs sha256 {sha}, which is none of the releases {string.Join(", ", releases.Versions)}\n{status}");
        output.WriteLine($"{board.Name} runs release {version} (sha256 {sha})");
    }

    [Then("slot {word} of board {board} is {word}")]
    [StepSummary("the slot's state in boot control: empty, pending, good or bad")]
    public async Task SlotIs(string slot, Board board, string state, CancellationToken cancellation)
    {
        var status = await StatusAsync(board, cancellation);
        var s = status.RootElement.GetProperty("slots").EnumerateArray().Single(x => x.GetProperty("slot").GetString() == slot.ToUpperInvariant());
        if (s.GetProperty("state").GetString() != state)
            throw new AssertionFailedException($"slot {slot} of board {board.Name} is {s.GetProperty("state").GetString()}" +
                                               $"{(s.GetProperty("bad_reason").GetString() is { } r ? $" ({r})" : "")}, expected {state}\n{status.RootElement}");
    }

    private static async Task<JsonDocument> StatusAsync(Board board, CancellationToken cancellation)
    {
        var r = await board.Shell.RunAsync("ab status --json", TimeSpan.FromSeconds(30), cancellation);
        if (r.ExitCode != 0) throw new AssertionFailedException($"`ab status --json` on board {board.Name} exited {r.ExitCode}: {r.Output}");
        try
        {
            return JsonDocument.Parse(r.Output);
        }
        catch (JsonException e)
        {
            throw new AssertionFailedException($"`ab status --json` on board {board.Name} printed no JSON ({e.Message}):\n{r.Output}");
        }
    }

    private static async Task<(JsonElement Slot, string Status)> BootedAsync(Board board, CancellationToken cancellation)
    {
        var status = await StatusAsync(board, cancellation);
        var booted = status.RootElement.GetProperty("booted").GetString()
                     ?? throw new AssertionFailedException($"board {board.Name} reports no booted slot\n{status.RootElement}");
        return (status.RootElement.GetProperty("slots").EnumerateArray().Single(x => x.GetProperty("slot").GetString() == booted), status.RootElement.ToString());
    }
}
