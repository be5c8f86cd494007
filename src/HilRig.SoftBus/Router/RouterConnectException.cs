namespace HilRig.SoftBus.Router;

/// <summary>A failed connect: what kind, and the words for the log.</summary>
public sealed class RouterConnectException(RouterConnectFailure failure, string message, Exception? inner = null) : Exception(message, inner)
{
    public RouterConnectFailure Failure { get; } = failure;

    /// <summary>ajtcl blacklists a router that refuses the client or is too old; one that is merely silent may be tried again.</summary>
    public bool Blacklists => Failure is RouterConnectFailure.AuthRejected or RouterConnectFailure.TooOld;
}
