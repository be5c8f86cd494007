namespace HilRig.SoftBus.Router;

/// <summary>A router-link message that does not parse, with the byte offset.</summary>
public sealed class AllJoynFormatException(string reason, int offset) : Exception($"AllJoyn message error at byte {offset}: {reason}");
