using System.Diagnostics;
using System.Text.RegularExpressions;
using HilRig.Engine.Runtime;
using HilRig.Rig.Boards;
using HilRig.Rig.Drivers.ProcessBoard;
using HilRig.Rig.Protocols;
using HilRig.Rig.Model;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.Rig.Tests.Drivers;

/// <summary>
/// Real HilRig.Device processes on real ptys: what a scenario relies on, one level down. The same tests run against the
/// JIT build process boards use and against the NativeAOT agent of the board image (QEMU and container boards run it).
/// </summary>
[NonParallelizable]
[TestFixture("jit")]
[TestFixture("aot")]
public class ProcessBoardTests(string build)
{
    private static readonly TimeSpan Boot = TimeSpan.FromSeconds(20);

    /// <summary>The agent the image build published with NativeAOT (./hilrig test builds the image first).</summary>
    private static string AotAgent => Path.Combine(HilRig.Rig.Images.BoardImage.DefaultDirectory(), ".agent", "HilRig.Device");

    [OneTimeSetUp]
    public void RequireBuild()
    {
        if (build == "aot") RequiredTool.RequireFile(AotAgent, "the NativeAOT agent; `./hilrig image build` publishes it");
    }

    private Board NewBoard(string firmware = "1.2.3")
    {
        var device = build == "aot" ? $", device: {AotAgent}" : "";
        var rig = RigLoader.Parse($"boards:\n  dut:\n    kind: process\n    roles: [main]\n    drivers:\n      process: {{firmware: {firmware}{device}}}\n", "test-rig.yaml");
        var dir = RepoPaths.NewTempDirectory("board");
        return BoardFactory.Create(rig.Boards[0], dir, c => new Random(c.Length), 1);
    }

    private static async Task BootedAsync(Board board)
    {
        await board.Console.ExpectAsync(new Regex("boot complete"), Boot);
        await board.Shell.WaitReadyAsync(Boot);
    }

    [Test]
    public async Task PowerOn_BootLogAppearsOnThePtyConsole()
    {
        await using var board = NewBoard();
        Assert.That(board.Power.State, Is.EqualTo(PowerState.Off));
        await board.Power.OnAsync();
        Assert.That(board.Power.State, Is.EqualTo(PowerState.On));
        var banner = await board.Console.ExpectAsync(new Regex(@"HilRig Device firmware (\S+) \(board (\w+)\)"), Boot);
        Assert.That(banner.Match.Groups[1].Value, Is.EqualTo("1.2.3"));
        Assert.That(banner.Match.Groups[2].Value, Is.EqualTo("dut"));
        await board.Console.ExpectAsync(new Regex(@"boot #1, reason: power-on"), Boot);
        await board.Console.ExpectAsync(new Regex(@"root@dut:~# "), Boot);
        Assert.That(File.ReadAllText(board.Console.Log.FilePath!), Does.Match(@"\[\d{4}\.\d{3}\] HilRig Device firmware"), "the log file carries time stamps");
    }

    [Test]
    public async Task Shell_ReturnsOutputAndExitCode()
    {
        await using var board = NewBoard();
        await board.Power.OnAsync();
        await BootedAsync(board);
        var status = await board.Shell.RunAsync("status", TimeSpan.FromSeconds(10));
        Assert.That(status.ExitCode, Is.EqualTo(0));
        Assert.That(status.Lines, Does.Contain("board: dut").And.Contain("firmware: 1.2.3").And.Contain("state: running"));
        var missing = await board.Shell.RunAsync("frobnicate --now", TimeSpan.FromSeconds(10));
        Assert.That(missing.ExitCode, Is.EqualTo(127));
        Assert.That(missing.Output, Is.EqualTo("sh: frobnicate: not found"));
        var falsy = await board.Shell.RunAsync("false", TimeSpan.FromSeconds(10));
        Assert.That(falsy.ExitCode, Is.EqualTo(1));
        Assert.That(falsy.Output, Is.Empty);
        var quoted = await board.Shell.RunAsync("echo 'a  b' \"c;d\" e\\ f", TimeSpan.FromSeconds(10));
        Assert.That(quoted.Output, Is.EqualTo("a  b c;d e f"));
    }

    [Test]
    public async Task Reboot_DeviceExitsAndTheDriverBootsItAgain()
    {
        await using var board = NewBoard();
        await board.Power.OnAsync();
        await BootedAsync(board);
        await board.Console.SendAsync("reboot\n");
        await board.Console.ExpectAsync(new Regex("reboot: Restarting system"), Boot);
        await board.Console.ExpectAsync(new Regex(@"boot #2, reason: reboot"), Boot);
        await BootedAsync(board);
        Assert.That(board.Power.State, Is.EqualTo(PowerState.On));
        Assert.That(board.Power.History.Select(h => h.Kind), Is.EqualTo(new[] { PowerEventKind.On, PowerEventKind.Reboot }));
    }

    [Test]
    public async Task Cut_KillsAtOnce_NextBootReportsPowerLoss_DataSurvives()
    {
        await using var board = NewBoard();
        var driver = board.Drivers.OfType<ProcessBoardDriver>().Single();
        await board.Power.OnAsync();
        await BootedAsync(board);
        var pid = driver.ProcessId!.Value;
        await board.Power.CutAsync();
        Assert.That(board.Power.State, Is.EqualTo(PowerState.Off));
        Assert.That(ProcessExists(pid), Is.False, "SIGKILL leaves no process");
        Assert.That(board.Console.Log.Text, Does.Not.Contain("Power down"), "a cut gives the device no chance to say goodbye");
        await board.Power.OnAsync();
        await board.Console.ExpectAsync(new Regex(@"boot #2, reason: power-loss"), Boot);
    }

    [Test]
    public async Task Off_IsOrderly_NextBootIsAPlainPowerOn()
    {
        await using var board = NewBoard();
        await board.Power.OnAsync();
        await BootedAsync(board);
        await board.Power.OffAsync();
        Assert.That(board.Console.Log.Text, Does.Contain("reboot: Power down"));
        await board.Power.OnAsync();
        await board.Console.ExpectAsync(new Regex(@"boot #2, reason: power-on"), Boot);
    }

    [Test]
    public async Task PoweroffCommand_LeavesTheBoardOff()
    {
        await using var board = NewBoard();
        var driver = board.Drivers.OfType<ProcessBoardDriver>().Single();
        await board.Power.OnAsync();
        await BootedAsync(board);
        var exited = driver.NextExit;
        await board.Console.SendAsync("poweroff\n");
        Assert.That(await exited.WaitAsync(Boot), Is.EqualTo(0));
        Assert.That(board.Power.State, Is.EqualTo(PowerState.Off));
    }

    [Test]
    public async Task SelfReboot_TheBoardIsOnThroughTheGapBetweenExitAndRestart()
    {
        await using var board = NewBoard();
        var driver = board.Drivers.OfType<ProcessBoardDriver>().Single();
        await board.Power.OnAsync();
        await BootedAsync(board);
        PowerState? inGap = null;
        driver.RebootGap = () =>
        {
            inGap = board.Power.State;
            return Task.CompletedTask;
        };
        await board.Console.SendAsync("reboot\n");
        await board.Console.ExpectAsync(new Regex(@"boot #2, reason: reboot"), Boot);
        Assert.That(inGap, Is.EqualTo(PowerState.On), "a reboot is no power-off: a boot wait must not end there");
    }

    [Test]
    public async Task CutBetweenASelfRebootsExitAndItsRestart_LeavesTheBoardOff()
    {
        await using var board = NewBoard();
        var driver = board.Drivers.OfType<ProcessBoardDriver>().Single();
        await board.Power.OnAsync();
        await BootedAsync(board);
        var gap = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var afterCut = PowerState.On;
        driver.RebootGap = async () =>
        {
            await board.Power.CutAsync();
            afterCut = board.Power.State;
            gap.TrySetResult();
        };
        await board.Console.SendAsync("reboot\n");
        await gap.Task.WaitAsync(Boot);
        var cameBack = await HilRig.Engine.Runtime.Poll.UntilAsync(() => board.Power.State == PowerState.On,
            TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(20), CancellationToken.None);
        Assert.That(afterCut, Is.EqualTo(PowerState.Off), "off as soon as the cut returns, before the pending restart gives up");
        Assert.That(cameBack, Is.False, "a cut while the board reboots must keep it off");
        Assert.That(board.Power.History.Select(h => h.Kind), Is.EqualTo(new[] { PowerEventKind.On, PowerEventKind.Reboot, PowerEventKind.Cut }));
        Assert.That(board.Console.Log.Text, Does.Not.Contain("boot #2"));
    }

    [Test]
    public async Task PowerCycles_NeverRecordAnExitOfAnEarlierLaunch()
    {
        await using var board = NewBoard();
        var health = board.Get<IBoardHealth>();
        for (var i = 0; i < 3; i++)
        {
            await board.Power.OnAsync();
            await board.Power.CycleAsync();
            await board.Power.CutAsync();
        }
        Assert.That(health.StopReason, Is.Null);
        Assert.That(board.Power.History.Select(h => h.Kind), Is.EqualTo(Enumerable.Repeat(new[] { PowerEventKind.On, PowerEventKind.Off, PowerEventKind.On, PowerEventKind.Cut }, 3).SelectMany(x => x)));
        Assert.That(board.Power.State, Is.EqualTo(PowerState.Off));
    }

    [Test]
    public async Task Lifeline_DeviceExitsWhenItsHarnessGoesAway()
    {
        // Start the device as the driver does, then drop our end of its stdin as a killed harness would.
        var dir = RepoPaths.NewTempDirectory("lifeline");
        using var pty = HilRig.Rig.Native.Pty.Open();
        var config = Path.Combine(dir, "board.json");
        File.WriteAllText(config, $$"""{"name":"orphan","dataDirectory":"{{dir}}/data"}""");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in new[] { DeviceLocator.Find(), "--console", pty.SlavePath, "--config", config, "--lifeline" }) info.ArgumentList.Add(a);
        using var device = Process.Start(info)!;
        using var wait = new CancellationTokenSource(Boot);
        device.StandardInput.Close();
        await device.WaitForExitAsync(wait.Token);
        Assert.That(device.ExitCode, Is.EqualTo(74), "the lifeline's exit code");
    }

    /// <summary>
    /// A step that outlived its scenario (it ignored its token past the stop grace) must not power on a board its
    /// scenario already released: no device process may start after teardown (found by reading; this failed before).
    /// </summary>
    [Test]
    public async Task PowerOn_AfterTheBoardWasReleased_IsRefused_NoProcessStarts()
    {
        var board = NewBoard();
        var driver = board.Drivers.OfType<ProcessBoardDriver>().Single();
        await board.DisposeAsync();
        var before = ChildProcesses.Count;
        var e = Assert.ThrowsAsync<HilRig.Engine.Runtime.TestDefectException>(() => driver.OnAsync())!;
        Assert.That(e.Message, Does.Contain("board dut was released at the end of its scenario"));
        Assert.That(driver.ProcessId, Is.Null);
        Assert.That(ChildProcesses.Count, Is.EqualTo(before), "no device process was started");
    }

    /// <summary>
    /// A new power-on starts from a clean bill of health: after the device refused how it was started (exit 2, a rig
    /// fault), a good start must not still be reported as the harness's fault (found by reading; this failed before:
    /// power-on cleared the reason but not the rig-fault flag).
    /// </summary>
    [Test]
    public async Task PowerOn_AfterARigFaultStop_ClearsTheFault()
    {
        await using var board = NewBoard();
        var driver = board.Drivers.OfType<ProcessBoardDriver>().Single();
        var health = board.Get<IBoardHealth>();
        driver.LaunchPrefix = ["sh", "-c", $"exit {ProcessBoardDriver.UsageExitCode}", "refusing-launcher"];
        await board.Power.OnAsync();
        Assert.That(await Poll.UntilAsync(_ => Task.FromResult(health.StopReason is not null), Boot, TimeSpan.FromMilliseconds(50), CancellationToken.None),
            Is.True, "the driver notices the refused start");
        Assert.That(health.StopWasRigFault, Is.True, health.StopReason);
        driver.LaunchPrefix = [];
        await board.Power.OnAsync();
        Assert.That((health.StopReason, health.StopWasRigFault), Is.EqualTo(((string?)null, false)));
        await BootedAsync(board);
    }

    private static bool ProcessExists(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
