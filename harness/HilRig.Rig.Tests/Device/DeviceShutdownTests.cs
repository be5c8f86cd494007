using System.Text;
using HilRig.Device;
using HilRig.Device.Console;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.Rig.Tests.Device;

/// <summary>A device shuts down once, however many parts of it ask at the same time.</summary>
public class DeviceShutdownTests
{
    /// <summary>Counts its stops; a stop takes a while, as flushing a disk does.</summary>
    private sealed class SlowService : IDeviceService
    {
        public int Stops;
        public string Name => "slow";
        public Task StartAsync(DeviceHost device, CancellationToken cancellation) => Task.CompletedTask;

        public async Task StopAsync()
        {
            Interlocked.Increment(ref Stops);
            await Task.Delay(200);
        }
    }

    /// <summary>
    /// A console whose first line arrives just as a service reboots the board from a background task (the UM asking
    /// for a system reboot): the shell then sees the stop request and ends the boot too.
    /// </summary>
    private sealed class RebootingConsole : IDeviceConsole
    {
        private readonly StringBuilder _text = new();
        public DeviceHost? Device { get; set; }
        public Task<int>? BackgroundShutdown { get; private set; }

        public string Text
        {
            get { lock (_text) return _text.ToString(); }
        }

        public void Write(string text)
        {
            lock (_text) _text.Append(text);
        }

        public string? ReadLine()
        {
            if (BackgroundShutdown is not null) return null;
            Device!.RequestStop(DeviceExitCode.Reboot);
            BackgroundShutdown = Task.Run(() => Device.ShutdownAsync(DeviceExitCode.Reboot));
            return "echo rebooting";
        }

        public void Dispose()
        {
        }
    }

    [Test]
    public async Task ShutdownAskedByAServiceAndByTheShellAtOnce_StopsEveryServiceOnce_AndBothSeeTheRebootCode()
    {
        var service = new SlowService();
        var console = new RebootingConsole();
        var config = new BoardConfig { Name = "dut", DataDirectory = RepoPaths.NewTempDirectory("shutdown-once") };
        var device = new DeviceHost(config, console, [service]);
        console.Device = device;

        var code = await device.RunAsync(CancellationToken.None);
        var background = await console.BackgroundShutdown!;

        Assert.That((code, background), Is.EqualTo((DeviceExitCode.Reboot, DeviceExitCode.Reboot)));
        Assert.That(service.Stops, Is.EqualTo(1), "every service is stopped once");
        Assert.That(console.Text.Split("reboot: Restarting system").Length - 1, Is.EqualTo(1), console.Text);
        // The clean mark records how the board went down, so a board that reboots in place (QEMU) knows at its next boot.
        Assert.That(File.ReadAllText(Path.Combine(config.DataDirectory, "clean-shutdown")), Is.EqualTo("reboot"));
    }

    [Test]
    public async Task ShutdownAskedTwice_TheSecondGetsTheFirstOnesCode()
    {
        var service = new SlowService();
        var device = new DeviceHost(new BoardConfig { Name = "dut", DataDirectory = RepoPaths.NewTempDirectory("shutdown-twice") },
            new RebootingConsole(), [service]);
        var first = device.ShutdownAsync(DeviceExitCode.Reboot);
        var second = device.ShutdownAsync(DeviceExitCode.PowerOff);
        Assert.That(await Task.WhenAll(first, second), Is.EqualTo(new[] { DeviceExitCode.Reboot, DeviceExitCode.Reboot }));
    }
}
