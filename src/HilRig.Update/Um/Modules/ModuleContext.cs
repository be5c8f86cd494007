namespace HilRig.Update.Um.Modules;

/// <summary>What a module gets from its UM: its configuration, its persistent keys, the node's reboot and a work directory.</summary>
public sealed record ModuleContext(ModuleConfig Config, ModuleStorage Storage, ISystemReboot Reboot, string WorkDirectory);
