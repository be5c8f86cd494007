namespace HilRig.Steps;

/// <summary>A step's check did not hold: the product did not behave as the scenario says.</summary>
public sealed class AssertionFailedException(string message) : Exception(message);
