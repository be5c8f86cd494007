namespace HilRig.Engine.Runtime;

/// <summary>
/// The rig or the harness could not do its job (a board's driver failed to start, a tool is missing, a pty
/// could not be opened). Reported as a rig/infrastructure fault, not a product failure, and the run exits 3.
/// </summary>
public class RigFaultException(string message, Exception? inner = null) : Exception("[rig] " + message, inner);
