namespace HilRig.Simulators.Faults;

/// <summary>A fault plan that cannot be used, with where: "plan.yaml:12:7: partition.pick: 3 is more than the 2 hosts listed".</summary>
public sealed class FaultPlanException(string location, string message, Exception? inner = null)
    : Exception($"{location}: {message}", inner)
{
    public string Location { get; } = location;
    public string Reason { get; } = message;
}
