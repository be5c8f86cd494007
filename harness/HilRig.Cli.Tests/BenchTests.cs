using System.Diagnostics;
using System.Xml.Linq;
using HilRig.Engine.Runtime;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.Cli.Tests;

/// <summary>
/// Physical rigs end to end against the simulated bench (simulators/HilRig.BenchSim): the standard harness scenarios
/// through relay and serial drivers, board locks between concurrent runs, a crashed run, a failing health check, and
/// the console and power commands.
/// </summary>
[NonParallelizable]
public class BenchTests
{
    private static string RigFor(BenchSimulator bench, string extra = "")
    {
        var rig = Path.Combine(bench.Directory, "bench.yaml");
        File.WriteAllText(rig, $"""
            rig: bench-test
            boards:
              dut:
                kind: physical
                drivers:
                  serial: {"{"}port: {bench.Console}{"}"}
                  relay_power: {"{"}port: {bench.ModbusRelay}, protocol: modbus-rtu, unit: 1, coil: 0, cycle_delay: 100ms{"}"}
                  shell: {"{"}boot_timeout: 20s, command_timeout: 20s{"}"}
            {extra}
            """);
        return rig;
    }

    [Test]
    public async Task BenchSimRig_RunsTheHarnessScenarios_ThroughThePhysicalDrivers()
    {
        // rigs/bench-sim.yaml names reports/bench-sim: the bench is started where the rig file expects it.
        using var bench = BenchSimulator.Start(Path.Combine(RepoPaths.Root, "reports", "bench-sim"), "--uboot", "--login", "root:hilrig");
        var results = Hilrig.Results("bench-sim");
        var r = await Hilrig.RunAsync("run", "scenarios/harness", "--rig", "rigs/bench-sim.yaml", "--results", results);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Stdout, Does.Contain("9 scenario(s): 9 passed"));
        Assert.That(bench.Powered, Is.False, "nothing is left powered when the run ends");
        Assert.That(bench.Count("autobootInterrupts"), Is.GreaterThan(0), "the bootloader driver stopped autoboot");
        Assert.That(File.ReadAllText(Directory.GetFiles(Path.Combine(results, "artifacts"), "console.log", SearchOption.AllDirectories)[0]),
            Does.Contain("power on (relay_power (lcus,"));
    }

    [Test]
    public async Task CommandTimeout_FromTheRigFile_LimitsTheCommandStep()
    {
        // Before: the step waited a fixed 60 s, so `sleep 5` passed whatever shell.command_timeout said.
        var r = await Hilrig.RunAsync("run", "fixtures/features/failing/slow-command.feature", "--rig", "fixtures/rigs/short-commands.yaml",
            "--results", Hilrig.Results("slow-command"));
        Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
        Assert.That(r.Stdout, Does.Contain("command `sleep 5` on dut did not finish within 1 s"));
    }

    [Test]
    public async Task TwoRuns_OnOneBoard_NeverBothDriveIt()
    {
        using var bench = BenchSimulator.Start(RepoPaths.NewTempDirectory("bench-lock"));
        var rig = RigFor(bench);
        using var first = Hilrig.Start("run", "fixtures/features/bench/slow.feature", "--rig", rig, "--results", Hilrig.Results("lock-a"));
        var firstOut = first.StandardOutput.ReadToEndAsync();
        await Eventually.TrueAsync(() => bench.Powered, TimeSpan.FromSeconds(60), "the first run powered the board");

        var status = await Hilrig.RunAsync("rig", "status", "--rig", rig);
        Assert.That(status.Stdout, Does.Contain($"dut (").And.Contain($"locked by pid {first.Id} (hilrig run --rig bench.yaml) since"), status.ToString());

        var refused = await Hilrig.RunAsync("run", "fixtures/features/bench/quick.feature", "--rig", rig, "--results", Hilrig.Results("lock-b"));
        Assert.That(refused.ExitCode, Is.EqualTo(3), refused.ToString());
        Assert.That(refused.Stdout, Does.Contain($"board dut is locked by another run: pid {first.Id} (hilrig run --rig bench.yaml) since")
            .And.Contain("waited 0 s (--lock-timeout)"));

        var waiting = Hilrig.RunAsync("run", "fixtures/features/bench/quick.feature", "--rig", rig, "--lock-timeout", "90s", "--results", Hilrig.Results("lock-c"));
        await first.WaitForExitAsync();
        var firstEnded = DateTime.UtcNow;
        Assert.That(first.ExitCode, Is.EqualTo(0), await firstOut);
        var waited = await waiting;
        Assert.That(waited.ExitCode, Is.EqualTo(0), waited.ToString());
        Assert.That(DateTime.UtcNow, Is.GreaterThan(firstEnded), "the waiting run drove the board only after the first let go");
        Assert.That(bench.Powered, Is.False);
    }

    [Test]
    public async Task KilledRun_LeavesTheBoardOff_AndTheLockFree()
    {
        using var bench = BenchSimulator.Start(RepoPaths.NewTempDirectory("bench-crash"));
        var rig = RigFor(bench);
        using var run = Hilrig.Start("run", "fixtures/features/bench/slow.feature", "--rig", rig, "--results", Hilrig.Results("crash"));
        _ = run.StandardOutput.ReadToEndAsync();
        _ = run.StandardError.ReadToEndAsync();
        await Eventually.TrueAsync(() => bench.Powered && bench.Count("systemBoots") >= 2, TimeSpan.FromSeconds(60), "the run booted the board (health check, then the scenario)");
        run.Kill(); // SIGKILL: no cleanup of its own runs
        await run.WaitForExitAsync();
        await Eventually.TrueAsync(() => !bench.Powered, TimeSpan.FromSeconds(30), "the guard switched the board off after the run died");
        var status = await Hilrig.RunAsync("rig", "status", "--rig", rig);
        Assert.That(status.Stdout, Does.Contain(": free"), status.ToString());
    }

    [Test]
    public async Task InterruptedRun_SwitchesTheBoardOff()
    {
        using var bench = BenchSimulator.Start(RepoPaths.NewTempDirectory("bench-int"));
        var rig = RigFor(bench);
        using var run = Hilrig.Start("run", "fixtures/features/bench/slow.feature", "--rig", rig, "--results", Hilrig.Results("interrupt"));
        var output = run.StandardOutput.ReadToEndAsync();
        await Eventually.TrueAsync(() => bench.Powered && bench.Count("systemBoots") >= 2, TimeSpan.FromSeconds(60), "the run booted the board");
        Process.Start("kill", ["-INT", run.Id.ToString()])!.WaitForExit();
        await run.WaitForExitAsync();
        await Eventually.TrueAsync(() => !bench.Powered, TimeSpan.FromSeconds(30), "the board is off after Ctrl-C");
        Assert.That(run.ExitCode, Is.Not.EqualTo(0), await output);
    }

    [Test]
    public async Task FailedHealthCheck_IsARigFault_ItsScenariosBroken_TheRestOfTheRunGoesOn()
    {
        using var bench = BenchSimulator.Start(RepoPaths.NewTempDirectory("bench-health"), "--fault", "console-silent");
        var rig = RigFor(bench, "  helper:\n    kind: process\n");
        var results = Hilrig.Results("health");
        var r = await Hilrig.RunAsync("run", "fixtures/features/bench/health.feature", "--rig", rig, "--results", results);
        Assert.That(r.ExitCode, Is.EqualTo(3), r.ToString());
        Assert.That(r.Stdout, Does.Contain("board dut failed its health check in this run; its scenarios are not run: health check: its console printed nothing"));
        Assert.That(r.Stdout, Does.Contain("3 scenario(s): 1 passed, 2 broken"));
        var junit = XDocument.Load(Path.Combine(results, "junit.xml"));
        Assert.That(junit.Root!.Attribute("failures")!.Value, Is.EqualTo("0"), "a bench fault is no product failure");
        Assert.That(junit.Descendants("error").Select(e => e.Attribute("type")!.Value), Is.EqualTo(new[] { "rig", "rig" }));
        Assert.That(bench.Powered, Is.False);
    }

    [Test]
    public async Task PowerAndConsoleCommands_DriveTheBoard_UnderItsLock()
    {
        using var bench = BenchSimulator.Start(RepoPaths.NewTempDirectory("bench-cmd"));
        var rig = RigFor(bench);
        var on = await Hilrig.RunAsync("power", "dut", "on", "--rig", rig);
        Assert.That((on.ExitCode, on.Stdout.Trim()), Is.EqualTo((0, $"dut: on (relay_power (modbus-rtu, {bench.ModbusRelay} unit 1 coil 0))")), on.ToString());
        await Eventually.TrueAsync(() => bench.Count("systemBoots") >= 1, TimeSpan.FromSeconds(30), "the board booted");

        var info = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Hilrig.Dll, "console", "dut", "--rig", rig }) info.ArgumentList.Add(a);
        using var console = Process.Start(info)!;
        var seen = new System.Text.StringBuilder();
        var attached = console.StandardError.ReadLineAsync();
        var reader = Task.Run(async () =>
        {
            var buffer = new char[256];
            int n;
            while ((n = await console.StandardOutput.ReadAsync(buffer)) > 0) lock (seen) seen.Append(buffer, 0, n);
        });
        // Type only once the console holds the lock and the port: what is typed before is not the board's to read.
        Assert.That(await attached.WaitAsync(TimeSpan.FromSeconds(60)), Does.StartWith("hilrig: attached to dut"));
        // The board may still be booting when the console attaches (slower when the machine is busy), and a line typed
        // before its shell reads is lost, as at a real bench: type it again, as a person would, until the board answers.
        var answered = false;
        for (var attempt = 0; attempt < 20 && !answered; attempt++)
        {
            await console.StandardInput.WriteAsync("echo typed-at-the-bench\n");
            await console.StandardInput.FlushAsync();
            answered = await Poll.UntilAsync(() => { lock (seen) return seen.ToString().Contains("\ntyped-at-the-bench"); },
                TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(50), CancellationToken.None);
        }
        lock (seen) Assert.That(answered, $"the board answered through hilrig console within 60 s; it printed:\n{seen}");
        _ = console.StandardError.ReadToEndAsync();
        await console.StandardInput.WriteAsync("\u001d");
        await console.StandardInput.FlushAsync();
        Assert.That(console.WaitForExit(20_000), "Ctrl-] leaves");
        Assert.That(console.ExitCode, Is.EqualTo(0));

        var status = await Hilrig.RunAsync("power", "dut", "status", "--rig", rig);
        Assert.That(status.Stdout, Does.StartWith("dut: on"));
        var off = await Hilrig.RunAsync("power", "dut", "off", "--rig", rig);
        Assert.That(off.ExitCode, Is.EqualTo(0), off.ToString());
        Assert.That(bench.Powered, Is.False);
    }

    [Test]
    public async Task NicCapture_IsWrittenAsPcapng_AndReadByTheCaptureAssertions()
    {
        RequiredTool.RequireRoot("live capture on the NIC (here: lo) opens a raw socket");
        using var bench = BenchSimulator.Start(RepoPaths.NewTempDirectory("bench-nic"));
        // The "NIC facing the board" is lo here; the board's address names the traffic's end points in the assertions.
        var rig = RigFor(bench, "      capture: {interface: lo, filter: \"udp port 45999\"}\n    network: {address: 127.0.0.1/8}\n");
        var results = Hilrig.Results("nic");
        using var run = Hilrig.Start("run", "fixtures/features/bench/nic.feature", "--rig", rig, "--results", results);
        var output = run.StandardOutput.ReadToEndAsync();
        await Eventually.TrueAsync(() => bench.Count("systemBoots") >= 2, TimeSpan.FromSeconds(60), "the scenario booted the board");
        using (var udp = new System.Net.Sockets.UdpClient())
            for (var i = 0; i < 5; i++) udp.Send([1, 2, 3, (byte)i], new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 45999));
        await run.WaitForExitAsync();
        Assert.That(run.ExitCode, Is.EqualTo(0), await output);
        var pcap = Directory.GetFiles(Path.Combine(results, "artifacts"), "nic.pcapng", SearchOption.AllDirectories).Single();
        var decoded = await Hilrig.RunAsync("pcap", "show", pcap, "--json");
        Assert.That(decoded.ExitCode, Is.EqualTo(0), decoded.ToString());
        Assert.That(decoded.Stdout.Split('\n').Count(l => l.Contains("45999")), Is.GreaterThanOrEqualTo(5));
    }

    [Test]
    public async Task NicCapture_OnAMissingInterface_IsARigFault()
    {
        RequiredTool.RequireRoot("live capture opens a raw socket");
        using var bench = BenchSimulator.Start(RepoPaths.NewTempDirectory("bench-nonic"));
        var rig = RigFor(bench, "      capture: {interface: nosuchnic9}\n");
        var r = await Hilrig.RunAsync("run", "fixtures/features/bench/quick.feature", "--rig", rig, "--results", Hilrig.Results("nonic"));
        Assert.That(r.ExitCode, Is.EqualTo(3), r.ToString());
        Assert.That(r.Stdout, Does.Contain("board dut: capture (").And.Contain("cannot capture on nosuchnic9: no such interface"));
        Assert.That(bench.Powered, Is.False);
    }

    [Test]
    public async Task PowerCommand_OnASilentRelay_Exits3NamingBoardAndDriver()
    {
        using var bench = BenchSimulator.Start(RepoPaths.NewTempDirectory("bench-silent"), "--fault", "relay-silent");
        var r = await Hilrig.RunAsync("power", "dut", "on", "--rig", RigFor(bench));
        Assert.That(r.ExitCode, Is.EqualTo(3), r.ToString());
        Assert.That(r.Stderr, Does.Contain("board dut: relay_power (modbus-rtu,").And.Contain("no answer to function 05 within 1 s"));
    }
}
