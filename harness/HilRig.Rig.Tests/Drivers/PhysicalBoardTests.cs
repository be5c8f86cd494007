using System.Text.RegularExpressions;
using HilRig.Engine.Runtime;
using HilRig.Rig.Boards;
using HilRig.Rig.Drivers.Boot;
using HilRig.Rig.Drivers.Console;
using HilRig.Rig.Model;
using HilRig.Rig.Protocols;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.Rig.Tests.Drivers;

/// <summary>
/// A physical board as a bench has it — a relay, a serial console, U-Boot, a login — built from rig-file keys and driven
/// against the simulated bench (simulators/HilRig.BenchSim), whose own account says what the relay and bootloader saw.
/// </summary>
[NonParallelizable]
public class PhysicalBoardTests
{
    private static Board Build(BenchSimulator bench, string extraDrivers = "", string shell = "{login_prompt: \"login: \", username: root, password: hilrig, boot_timeout: 30s}",
        string relay = "protocol: lcus, channel: 1")
    {
        var rig = RigLoader.Parse($"""
            boards:
              bench-1:
                kind: physical
                drivers:
                  serial: {"{"}port: {bench.Console}, baud: 115200{"}"}
                  relay_power: {"{"}port: {(relay.Contains("modbus") ? bench.ModbusRelay : bench.LcusRelay)}, {relay}, cycle_delay: 100ms{"}"}
                  shell: {shell}
            {extraDrivers}
            """, "bench.yaml");
        return BoardFactory.Create(rig.Boards[0], RepoPaths.NewTempDirectory("bench-board"), _ => new Random(3), 3);
    }

    private const string Bootloader = "      bootloader: {autoboot: \"Hit any key to stop autoboot\", prompt: \"=> \", boot: boot}";

    [Test]
    public async Task WithoutABootloaderDriver_NothingIsTypedIntoTheAutoboot_AndTheBoardBootsToItsShell()
    {
        // Before this change the shell nudged the console with a newline after 2 s of silence: into U-Boot's countdown.
        using var bench = BenchSimulator.Start(RepoPaths.NewTempDirectory("bench"), "--uboot", "--autoboot-delay", "3", "--login", "root:hilrig");
        await using var board = Build(bench);
        await board.Power.OnAsync();
        await board.Shell.WaitReadyAsync(TimeSpan.FromSeconds(30));
        Assert.That((bench.Count("autobootInterrupts"), bench.Count("autobootExpired")), Is.EqualTo((0, 1)), "the countdown ran out untouched");
        var version = await board.Shell.RunAsync("version", TimeSpan.FromSeconds(10));
        Assert.That((version.ExitCode, version.Output), Is.EqualTo((0, "1.0.0")));
        await board.Power.CutAsync();
        await Eventually.TrueAsync(() => !bench.Powered, TimeSpan.FromSeconds(10), "the relay removed the board's supply");
    }

    [Test]
    public async Task WithABootloaderDriver_AutobootIsStopped_CommandsRunAtThePrompt_ThenItBoots()
    {
        using var bench = BenchSimulator.Start(RepoPaths.NewTempDirectory("bench"), "--uboot", "--autoboot-delay", "5", "--login", "root:hilrig");
        await using var board = Build(bench, Bootloader, relay: "protocol: modbus-rtu, unit: 1, coil: 0");
        await board.Power.OnAsync();
        var bootloader = board.Get<IBootloaderProtocol>();
        await bootloader.StopAutobootAsync();
        Assert.That(await bootloader.RunAsync("version", TimeSpan.FromSeconds(5)), Is.EqualTo("U-Boot 2024.01 (Jan 08 2024 - 12:00:00 +0000)"));
        Assert.That(await bootloader.RunAsync("printenv", TimeSpan.FromSeconds(5)), Does.Contain("bootdelay=2"));
        await board.Shell.WaitReadyAsync(TimeSpan.FromSeconds(30));
        Assert.That(bench.Count("autobootInterrupts"), Is.EqualTo(1));
        Assert.That((await board.Shell.RunAsync("echo booted", TimeSpan.FromSeconds(10))).Output, Is.EqualTo("booted"));
    }

    [Test]
    public async Task WrongPassword_IsARigFaultSayingLoginIncorrect()
    {
        using var bench = BenchSimulator.Start(RepoPaths.NewTempDirectory("bench"), "--login", "root:hilrig");
        await using var board = Build(bench, shell: "{login_prompt: \"login: \", username: root, password: wrong}");
        await board.Power.OnAsync();
        var e = Assert.ThrowsAsync<RigFaultException>(() => board.Shell.WaitReadyAsync(TimeSpan.FromSeconds(30)))!;
        Assert.That(e.Message, Does.Contain("board bench-1: shell login as root was refused: the board printed \"Login incorrect\""));
    }

    [Test]
    public async Task KernelPanic_IsTheBoardsStopReason()
    {
        using var bench = BenchSimulator.Start(RepoPaths.NewTempDirectory("bench"), "--fault", "panic-after-boot");
        await using var board = Build(bench, shell: "{boot_timeout: 30s}");
        await board.Power.OnAsync();
        var health = board.Get<IBoardHealth>();
        await Eventually.TrueAsync(() => health.StopReason is not null, TimeSpan.FromSeconds(30), "the panic was noticed");
        Assert.That(health.StopReason, Does.StartWith("kernel panic: [    2.718281] Kernel panic - not syncing: Attempted to kill init!"));
        Assert.That(board.Power.State, Is.EqualTo(PowerState.On), "the supply is still on: only the kernel died");
    }

    [Test]
    public async Task CommandTimeout_FromTheRigFile_IsWhatCommandsGet()
    {
        using var bench = BenchSimulator.Start(RepoPaths.NewTempDirectory("bench"));
        await using var board = Build(bench, shell: "{command_timeout: 2s}");
        Assert.That(board.Shell.CommandTimeout, Is.EqualTo(TimeSpan.FromSeconds(2)));
    }

    [Test]
    public async Task OrderlyOff_TypesPoweroff_WaitsForItsLastWords_ThenSwitchesTheRelay()
    {
        using var bench = BenchSimulator.Start(RepoPaths.NewTempDirectory("bench"));
        await using var board = Build(bench, shell: "{boot_timeout: 30s}");
        await board.Power.OnAsync();
        await board.Shell.WaitReadyAsync(TimeSpan.FromSeconds(30));
        await board.Power.OffAsync();
        Assert.That(board.Console.Log.Text, Does.Contain("reboot: Power down"));
        await Eventually.TrueAsync(() => !bench.Powered, TimeSpan.FromSeconds(10), "the relay is off");
        Assert.That(board.Power.History.Select(h => h.Kind), Is.EqualTo(new[] { PowerEventKind.On, PowerEventKind.Off }));
    }

    [Test]
    public void MissingSerialPort_IsARigFaultNamingBoardDriverAndRigFileLocation()
    {
        var rig = RigLoader.Parse("boards:\n  b:\n    kind: physical\n    drivers:\n      serial: {port: /dev/ttyNOPE9}\n      external_power: {on: 'true', off: 'true'}\n", "r.yaml");
        var e = Assert.Throws<RigFaultException>(() => BoardFactory.Create(rig.Boards[0], RepoPaths.NewTempDirectory("nope"), _ => new Random(1), 1))!;
        Assert.That(e.Message, Does.Contain("board b: serial: serial port /dev/ttyNOPE9 does not exist (from r.yaml:5:22)"));
    }

    [Test]
    public async Task BusySerialPort_IsARigFaultNamingTheHolder()
    {
        using var bench = BenchSimulator.Start(RepoPaths.NewTempDirectory("bench"));
        var socat = RequiredTool.Require("socat", "holds the console port open, as a stray terminal program would");
        using var holder = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(socat, $"-u OPEN:{bench.Console} /dev/null") { UseShellExecute = false })!;
        try
        {
            await Eventually.TrueAsync(() => Rig.Drivers.Serial.PortHolders.Of(bench.Console).Count > 0, TimeSpan.FromSeconds(10), "socat holds the port");
            var e = Assert.Throws<RigFaultException>(() => Build(bench))!;
            Assert.That(e.Message, Does.Contain($"is busy: held by pid {holder.Id} (socat)"));
        }
        finally
        {
            holder.Kill();
        }
    }

    [Test]
    public async Task SilentRelay_IsARigFaultNamingBoardAndDriver()
    {
        using var bench = BenchSimulator.Start(RepoPaths.NewTempDirectory("bench"), "--fault", "relay-silent");
        await using var board = Build(bench);
        var e = Assert.ThrowsAsync<RigFaultException>(() => board.Power.OnAsync())!;
        Assert.That(e.Message, Does.Contain("board bench-1: power on failed: relay_power (lcus,").And.Contain("did not answer the status query"));
        Assert.That(board.Power.State, Is.EqualTo(PowerState.Off));
    }

    [Test]
    public void ConsoleFaults_AreRecognisedAsLavaDoes()
    {
        Assert.That(ConsoleFaults.KernelFault("[ 1.2] Kernel panic - not syncing: VFS: Unable to mount root fs"), Is.EqualTo("kernel panic"));
        Assert.That(ConsoleFaults.KernelFault("[ 9.1] Internal error: Oops: 96000005 [#1] PREEMPT SMP"), Is.EqualTo("kernel oops"));
        Assert.That(ConsoleFaults.KernelFault("[ 3.3] BUG: unable to handle page fault for address: 0000"), Is.EqualTo("kernel BUG"));
        Assert.That(ConsoleFaults.KernelFault("[ 0.1] Booting Linux on physical CPU 0x0"), Is.Null);
        Assert.That(ConsoleFaults.IsBootloaderBanner("U-Boot SPL 2023.04 (Apr 01 2023 - 00:00:00 +0000)"));
        Assert.That(ConsoleFaults.IsBootloaderBanner("barebox 2024.02.0 #1"));
    }

    [Test]
    public async Task SerialConsole_ReadsAndWritesAPty_AndStopsOnDispose()
    {
        using var bench = BenchSimulator.Start(RepoPaths.NewTempDirectory("bench"), "--uboot", "--autoboot-delay", "1");
        var log = new ConsoleLog(null);
        var console = SerialConsole.Open(new Rig.Drivers.Serial.SerialSettings { Path = bench.Console }, "bench", log);
        await using (console)
        {
            // Nothing powers the board here; the console opens and waits without error.
            Assert.ThrowsAsync<ConsoleTimeoutException>(() => console.ExpectAsync(new Regex("anything"), TimeSpan.FromMilliseconds(300)));
            Assert.That(console.LostReason, Is.Null);
        }
    }
}
