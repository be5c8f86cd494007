namespace HilRig.Engine.Runtime;

/// <summary>
/// The rig or the harness could not do its job (a board's driver failed to start, a tool is missing, a pty
/// could not be opened). Reported as a rig/infrastructure fault, not a product failure, and the run exits 3.
/// </summary>
public class RigFaultException(string message, Exception? inner = null) : Exception("[rig] " + message, inner);

/// <summary>
/// The scenario or its bindings are wrong, not the product and not the rig: it names a board the rig does not have, a
/// step argument does not convert, a binding class cannot be built. Reported as a test defect (JUnit &lt;error&gt;, Allure
/// "broken" under "Test defects"), so it is never counted as a product failure.
/// </summary>
public class TestDefectException(string message, Exception? inner = null) : Exception(message, inner);
