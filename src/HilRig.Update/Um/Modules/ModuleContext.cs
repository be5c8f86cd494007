using HilRig.AbUpdate;

namespace HilRig.Update.Um.Modules;

/// <summary>
/// What a module gets from its UM: its configuration, its persistent keys, the node's reboot, a work directory, and the
/// node's A/B disk as this boot found it (null on a node without one; only <c>rootfs-ab</c> needs it).
/// </summary>
public sealed record ModuleContext(ModuleConfig Config, ModuleStorage Storage, ISystemReboot Reboot, string WorkDirectory, BootedDisk? Disk = null);
