namespace HilRig.AbUpdate;

/// <summary>
/// Deliberate bugs, for tests only: they prove the power-cut sweep's oracle catches a broken updater (a sweep that
/// passes a known-broken design proves nothing). Thread-static, so one test's fault never leaks into another.
/// </summary>
internal static class AbFaults
{
    /// <summary>Every boot-control commit overwrites copy 0 in place (no redundancy).</summary>
    [ThreadStatic] public static bool SingleCopyBootControl;

    /// <summary>Boot-control commits skip the flush that makes earlier writes (slot data, Merkle tree) durable first.</summary>
    [ThreadStatic] public static bool NoBarrier;
}
