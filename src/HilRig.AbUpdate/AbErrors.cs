namespace HilRig.AbUpdate;

/// <summary>
/// Every refusal of the A/B updater. The message names what was wrong and where (disk, partition, offset, block, file);
/// whenever one is thrown, the active slot has not been written.
/// </summary>
public class AbException(string message) : Exception(message);

/// <summary>The disk has no valid GPT, or not the bootctl/rootfs_a/rootfs_b/data layout.</summary>
public sealed class NotOurDiskException(string message) : AbException(message);

/// <summary>Both boot-control copies are unreadable: no boot, no write.</summary>
public sealed class BootControlCorruptException(string message) : AbException(message);

/// <summary>An image or delta that cannot be installed: truncated, too large, wrong hash, wrong format, made for another source.</summary>
public sealed class InstallRefusedException(string message) : AbException(message);

/// <summary>A request that makes no sense in the current state (mark-good on a slot that is not booted, rollback with no good slot).</summary>
public sealed class AbStateException(string message) : AbException(message);

/// <summary>A delta file that is not one, or is damaged.</summary>
public sealed class DeltaFormatException(string message) : AbException(message);
