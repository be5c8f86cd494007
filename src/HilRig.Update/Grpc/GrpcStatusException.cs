namespace HilRig.Update.Grpc;

/// <summary>A call that ended with a non-OK gRPC status, on either side.</summary>
public sealed class GrpcStatusException(GrpcStatusCode code, string detail, Exception? inner = null)
    : Exception($"gRPC {code} ({(int)code}): {detail}", inner)
{
    public GrpcStatusCode Code { get; } = code;
    public string Detail { get; } = detail;
}
