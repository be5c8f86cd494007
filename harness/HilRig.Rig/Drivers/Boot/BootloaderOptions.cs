namespace HilRig.Rig.Drivers.Boot;

/// <summary>The <c>bootloader</c> driver's options: texts as the bootloader prints them, not patterns.</summary>
public sealed record BootloaderOptions(string Autoboot, string Prompt, string BootCommand, TimeSpan Timeout);
