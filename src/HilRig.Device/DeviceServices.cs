namespace HilRig.Device;

/// <summary>
/// The services a board runs, in start order. Each product area adds its service here
/// (A/B boot selection first, then the Update Manager, the CM on main nodes, the soft bus).
/// </summary>
public static class DeviceServices
{
    public static IReadOnlyList<IDeviceService> For(BoardConfig config) =>
    [
        // A/B boot selection first: it picks the root the rest runs from (it stays off without an A/B disk).
        new Ab.AbBootService(),
        // The CM first on a main node, so the local UM finds its endpoint at once.
        new Update.CommunicationManagerService(),
        new Update.UpdateManagerService(),
        new SoftBus.SoftBusService(),
    ];
}
