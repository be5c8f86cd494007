namespace HilRig.Engine.Bindings;

/// <summary>
/// A binding that cannot be used (bad expression, bad signature, an unsupported Reqnroll feature) or a step argument
/// that cannot be converted. Named apart from Reqnroll's <c>BindingException</c> so binding classes can import both namespaces.
/// </summary>
public sealed class StepBindingException(string message, Exception? inner = null) : Exception(message, inner);
