namespace HilRig.Engine.Bindings;

/// <summary>
/// Marks a context type that only the host (the <c>hilrig</c> command or the NUnit bridge) can supply, such as
/// the loaded rig file; if it is missing, building a binding that needs it fails with <see cref="Hint"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class ProvidedByHostAttribute(string hint) : Attribute
{
    public string Hint { get; } = hint;
}
