using System.Diagnostics;
using System.Text.RegularExpressions;
using HilRig.Rig.Boards;
using HilRig.Rig.Drivers.ProcessBoard;
using HilRig.Rig.Drivers.Serial;
using HilRig.Rig.Model;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.Rig.Tests.Drivers;

/// <summary>
/// A "physical" board on a rig: the serial driver (termios) reads one end of a socat pty pair, the device runs
/// on the other end, and external power commands start and kill it — the same code path a USB-serial
/// adapter and a PDU take, exercised without hardware.
/// </summary>
[NonParallelizable]
public class PhysicalBoardTests
{
    [Test]
    public async Task SerialConsoleAndExternalPower_BootAndRunCommands()
    {
        var socat = RequiredTool.Require("socat", "makes the pty pair standing in for a USB-serial cable");
        var dir = RepoPaths.NewTempDirectory("physical");
        var host = Path.Combine(dir, "ttyHost");
        var target = Path.Combine(dir, "ttyTarget");
        using var cable = Process.Start(new ProcessStartInfo(socat, $"pty,raw,echo=0,link={host} pty,raw,echo=0,link={target}") { UseShellExecute = false })!;
        try
        {
            await Eventually.TrueAsync(() => File.Exists(host) && File.Exists(target), TimeSpan.FromSeconds(10), "socat created the pty pair");
            var config = Path.Combine(dir, "board.json");
            File.WriteAllText(config, $$"""{"name":"bench","firmware":"9.9.9","dataDirectory":"{{dir}}/data"}""");
            var pidFile = Path.Combine(dir, "pid");
            var on = $"dotnet {DeviceLocator.Find()} --console {target} --config {config} </dev/null >/dev/null 2>&1 & echo $! > {pidFile}";
            var off = $"kill -9 $(cat {pidFile})";
            var rig = RigLoader.Parse($"""
                boards:
                  bench:
                    kind: physical
                    drivers:
                      serial: {"{"}port: {host}, baud: 115200{"}"}
                      external_power: {"{"}on: "{on}", off: "{off}"{"}"}
                """, "physical.yaml");
            await using var board = BoardFactory.Create(rig.Boards[0], dir, _ => new Random(5), 5);
            Assert.That(board.Drivers.OfType<SerialPort>().Single().ReadBackBaud(), Is.EqualTo(115200));
            await board.Power.OnAsync();
            await board.Console.ExpectAsync(new Regex(@"HilRig Device firmware 9\.9\.9 \(board bench\)"), TimeSpan.FromSeconds(20));
            await board.Shell.WaitReadyAsync(TimeSpan.FromSeconds(20));
            var version = await board.Shell.RunAsync("version", TimeSpan.FromSeconds(10));
            Assert.That((version.ExitCode, version.Output), Is.EqualTo((0, "9.9.9")));
            await board.Power.CutAsync();
            Assert.That(board.Power.History.Select(h => h.Kind.ToString()), Is.EqualTo(new[] { "On", "Cut" }));
        }
        finally
        {
            cable.Kill();
        }
    }

    [Test]
    public async Task FailingPowerCommand_IsARigFault()
    {
        var dir = RepoPaths.NewTempDirectory("physical-bad");
        var socat = RequiredTool.Require("socat", "makes the pty pair standing in for a USB-serial cable");
        var host = Path.Combine(dir, "tty");
        using var cable = Process.Start(new ProcessStartInfo(socat, $"pty,raw,echo=0,link={host} pty,raw,echo=0") { UseShellExecute = false })!;
        try
        {
            await Eventually.TrueAsync(() => File.Exists(host), TimeSpan.FromSeconds(10), "socat created the pty");
            var rig = RigLoader.Parse($"boards:\n  b:\n    kind: physical\n    drivers:\n      serial: {{port: {host}}}\n      external_power: {{on: 'echo relay not found >&2; exit 3', off: 'true'}}\n", "r.yaml");
            await using var board = BoardFactory.Create(rig.Boards[0], dir, _ => new Random(1), 1);
            var e = Assert.ThrowsAsync<HilRig.Engine.Runtime.RigFaultException>(() => board.Power.OnAsync())!;
            Assert.That(e.Message, Does.StartWith("[rig]").And.Contain("exit 3").And.Contain("relay not found"));
        }
        finally
        {
            cable.Kill();
        }
    }

    [Test]
    public void MissingSerialPort_IsARigFaultNamingTheRigFileLocation()
    {
        var rig = RigLoader.Parse("boards:\n  b:\n    kind: physical\n    drivers:\n      serial: {port: /dev/ttyNOPE9}\n      external_power: {on: 'true', off: 'true'}\n", "r.yaml");
        var e = Assert.Throws<HilRig.Engine.Runtime.RigFaultException>(() => BoardFactory.Create(rig.Boards[0], RepoPaths.NewTempDirectory("nope"), _ => new Random(1), 1))!;
        Assert.That(e.Message, Does.Contain("/dev/ttyNOPE9").And.Contain("r.yaml:5"));
    }
}
