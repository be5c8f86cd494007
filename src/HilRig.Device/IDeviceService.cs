using HilRig.Device.Shell;

namespace HilRig.Device;

/// <summary>
/// A piece of device software started at boot (boot selection, Update Manager, CM, soft bus node).
/// Services start in the order they are registered, print their boot-log lines, and may add shell commands.
/// </summary>
public interface IDeviceService
{
    string Name { get; }

    /// <summary>Whether this board runs the service, decided from its config (roles, settings).</summary>
    bool IsEnabled(BoardConfig config) => true;

    Task StartAsync(DeviceHost device, CancellationToken cancellation);

    IEnumerable<IShellCommand> Commands => [];

    /// <summary>Orderly stop before poweroff or reboot.</summary>
    Task StopAsync() => Task.CompletedTask;
}
