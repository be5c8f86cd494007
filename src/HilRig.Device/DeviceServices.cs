namespace HilRig.Device;

/// <summary>
/// The services a board runs, in start order. Each product area adds its service here
/// (A/B boot selection first, then the Update Manager, the CM on main nodes, the soft bus).
/// </summary>
public static class DeviceServices
{
    public static IReadOnlyList<IDeviceService> For(BoardConfig config) => [new Ab.AbBootService()];
}
