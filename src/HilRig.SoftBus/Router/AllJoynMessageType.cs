namespace HilRig.SoftBus.Router;

/// <summary>The D-Bus message types the router link carries.</summary>
public enum AllJoynMessageType : byte { MethodCall = 1, MethodReturn = 2, Error = 3, Signal = 4 }
