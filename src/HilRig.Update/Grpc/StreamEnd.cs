using Grpc.Core;

namespace HilRig.Update.Grpc;

/// <summary>
/// How a RegisterUM stream ended, as the UM saw it, and what that means for the link (grpc/doc/statuscodes.md):
/// <code>
/// OK, Unavailable, Cancelled, Aborted, Internal, Unknown  → Reconnecting   the CM or the path went away; back off and retry
/// DeadlineExceeded                                         → Reconnecting   the stream's lease ran out; open the next one at once
/// AlreadyExists                                            → Reconnecting   the CM still holds this node's previous stream (it may be our own, dead one)
/// Unauthenticated, PermissionDenied                        → Refused        the CM does not accept this node's identity
/// InvalidArgument, FailedPrecondition, ResourceExhausted,
/// Unimplemented, OutOfRange, NotFound, DataLoss             → Refused        the CM refused what this UM sent, or does not speak UMService
/// </code>
/// </summary>
public sealed record StreamEnd(StatusCode Code, string Detail)
{
    public CmLinkState Then => Code switch
    {
        StatusCode.Unauthenticated or StatusCode.PermissionDenied or StatusCode.InvalidArgument or StatusCode.FailedPrecondition or
            StatusCode.ResourceExhausted or StatusCode.Unimplemented or StatusCode.OutOfRange or StatusCode.NotFound or StatusCode.DataLoss => CmLinkState.Refused,
        _ => CmLinkState.Reconnecting,
    };

    /// <summary>The lease ran out: not a failure, the next stream opens without back-off.</summary>
    public bool IsLeaseEnd => Code == StatusCode.DeadlineExceeded;

    public static StreamEnd From(RpcException e) => new(e.StatusCode, e.Status.Detail);

    public override string ToString() => $"{Code}: {Detail}";
}
