using HilRig.Update.Grpc;
using HilRig.Update.Protocol;
using Microsoft.Extensions.Logging;

namespace HilRig.Update.Cm;

/// <summary>
/// <c>UMService.RegisterUM(stream UpdateStatus) returns (stream CMMessages)</c> on the CM: the first status names the
/// node, every later one updates the registry. Garbage from a UM ends only that UM's stream with a gRPC status; the
/// CM and every other UM carry on.
/// </summary>
public static class UmServiceEndpoint
{
    /// <summary>The method's path, for the CM that serves it and the UMs that call it.</summary>
    public const string RegisterUmPath = "/updatemanager.v2.UMService/RegisterUM";

    public static GrpcServerEndpoint Map(this GrpcServerEndpoint endpoint, UmRegistry registry, ILogger? log = null) =>
        endpoint.MapDuplex<UpdateStatus, CMMessages>(RegisterUmPath, UpdateStatus.Parser, call => ServeAsync(call, registry, log));

    private static async Task ServeAsync(GrpcServerCall<UpdateStatus, CMMessages> call, UmRegistry registry, ILogger? log)
    {
        var first = await call.ReadAsync(call.CallAborted);
        if (first is null) return;
        if (string.IsNullOrWhiteSpace(first.NodeId))
            throw new GrpcStatusException(GrpcStatusCode.InvalidArgument, "the first UpdateStatus must carry node_id");
        var nodeId = first.NodeId;
        // Headers now, so the UM sees the stream accepted even before the CM has a command for it.
        await call.StartAsync(call.CallAborted);
        var token = registry.Attach(nodeId, first, call.WriteAsync);
        log?.LogInformation("UM {Node} registered from {Peer} in state {State}", nodeId, call.Peer, first.UpdateState);
        try
        {
            while (await call.ReadAsync(call.CallAborted) is { } status)
            {
                if (status.NodeId != nodeId)
                    throw new GrpcStatusException(GrpcStatusCode.InvalidArgument, $"stream registered as '{nodeId}' sent a status for '{status.NodeId}'");
                registry.Report(nodeId, token, status);
            }
        }
        finally
        {
            registry.Detach(nodeId, token);
            log?.LogInformation("UM {Node} disconnected", nodeId);
        }
    }
}
