namespace HilRig.Device;

/// <summary>
/// How the device process tells its board driver what happened. The process-board driver in
/// harness/HilRig.Rig/Drivers/ProcessBoard relies on these values: reboot means "start me again".
/// </summary>
public static class DeviceExitCode
{
    public const int PowerOff = 0;
    public const int Usage = 2;
    public const int Reboot = 82;
    public const int Panic = 70;
    public const int ConsoleLost = 74;
}
