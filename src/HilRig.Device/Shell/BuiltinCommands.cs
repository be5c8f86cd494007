using System.Reflection;

namespace HilRig.Device.Shell;

/// <summary>The commands every device has.</summary>
public static class BuiltinCommands
{
    public static IEnumerable<IShellCommand> All(DeviceHost device)
    {
        yield return new DelegateCommand("echo", "print the arguments", (ctx, args) =>
        {
            ctx.WriteLine(string.Join(' ', args));
            return Task.FromResult(0);
        });
        yield return new DelegateCommand("true", "succeed", (_, _) => Task.FromResult(0));
        yield return new DelegateCommand("false", "fail", (_, _) => Task.FromResult(1));
        yield return new DelegateCommand("version", "print the firmware version", (ctx, _) =>
        {
            ctx.WriteLine(device.Config.Firmware);
            return Task.FromResult(0);
        });
        yield return new DelegateCommand("status", "print the board's state", (ctx, _) =>
        {
            ctx.WriteLine($"board: {device.Config.Name}");
            ctx.WriteLine($"firmware: {device.Config.Firmware}");
            ctx.WriteLine($"agent: {typeof(DeviceHost).Assembly.GetName().Version}");
            ctx.WriteLine($"boot: {device.Boot.BootNumber}");
            ctx.WriteLine($"boot-reason: {device.Boot.Reason}");
            ctx.WriteLine($"uptime: {device.Uptime.TotalSeconds:0.0} s");
            ctx.WriteLine($"services: {(device.RunningServices.Count == 0 ? "none" : string.Join(", ", device.RunningServices.Select(s => s.Name)))}");
            ctx.WriteLine("state: running");
            return Task.FromResult(0);
        });
        yield return new DelegateCommand("uptime", "seconds since boot", (ctx, _) =>
        {
            ctx.WriteLine($"{device.Uptime.TotalSeconds:0.00}");
            return Task.FromResult(0);
        });
        yield return new DelegateCommand("sleep", "wait N seconds (a command that takes its time, as on any shell)", async (ctx, args) =>
        {
            if (args.Count != 1 || !double.TryParse(args[0], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var seconds) || seconds < 0)
            {
                ctx.WriteLine("usage: sleep SECONDS");
                return 1;
            }
            await Task.Delay(TimeSpan.FromSeconds(seconds));
            return 0;
        });
        yield return new DelegateCommand("reboot", "restart the board", (ctx, _) =>
        {
            device.RequestStop(DeviceExitCode.Reboot);
            return Task.FromResult(0);
        });
        yield return new DelegateCommand("poweroff", "power the board off", (ctx, _) =>
        {
            device.RequestStop(DeviceExitCode.PowerOff);
            return Task.FromResult(0);
        });
        yield return new DelegateCommand("exit", "sh compatibility: exit with a code (the console shell stays)", (_, args) =>
            Task.FromResult(args.Count > 0 && int.TryParse(args[0], out var code) ? code : 0));
        yield return new DelegateCommand("help", "list the commands", (ctx, _) =>
        {
            foreach (var c in All(device).Concat(device.RunningServices.SelectMany(s => s.Commands)).OrderBy(c => c.Name, StringComparer.Ordinal))
                ctx.WriteLine($"{c.Name,-16} {c.Summary}");
            return Task.FromResult(0);
        });
    }
}
