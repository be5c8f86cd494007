namespace HilRig.Engine.Bindings;

/// <summary>A step-binding declaration that cannot be used (bad expression, bad signature, duplicate type).</summary>
public sealed class BindingException(string message, Exception? inner = null) : Exception(message, inner);
