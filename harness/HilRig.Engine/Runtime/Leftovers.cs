namespace HilRig.Engine.Runtime;

/// <summary>
/// What a run starts outside its own process — board processes, the cloud, network namespaces, containers — and must
/// never leave behind. Each area registers once how to end everything of its own that still exists; a host calls
/// <see cref="CleanUp"/> when it gives up waiting for scenarios to tear themselves down (the grace period after Ctrl-C
/// ran out, a second Ctrl-C) and before it exits. Lower <c>order</c> first: processes (0) before what they ran in
/// (namespaces, 1).
/// </summary>
public static class Leftovers
{
    private static readonly List<(string What, Action CleanUp, int Order)> Registered = new();

    /// <summary>Registers <paramref name="cleanUp"/> under <paramref name="what"/>; a second registration of the same name is ignored.</summary>
    public static void Register(string what, Action cleanUp, int order = 0)
    {
        lock (Registered)
            if (Registered.All(r => r.What != what)) Registered.Add((what, cleanUp, order));
    }

    /// <summary>Runs every registered clean-up; one that fails does not stop the others. Returns what failed.</summary>
    public static IReadOnlyList<string> CleanUp()
    {
        List<(string What, Action CleanUp, int Order)> all;
        lock (Registered) all = Registered.OrderBy(r => r.Order).ToList();
        var errors = new List<string>();
        foreach (var (what, cleanUp, _) in all)
        {
            try
            {
                cleanUp();
            }
            catch (Exception e)
            {
                errors.Add($"cleaning up {what} failed: {e.Message}");
            }
        }
        return errors;
    }
}
