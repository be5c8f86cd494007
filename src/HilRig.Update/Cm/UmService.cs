using Google.Protobuf;
using Grpc.Core;
using HilRig.Update.Grpc;
using HilRig.Update.Protocol;
using HilRig.Update.Security;
using Microsoft.Extensions.Logging;

namespace HilRig.Update.Cm;

/// <summary>
/// <c>UMService.RegisterUM(stream UpdateStatus) returns (stream CMMessages)</c> on the CM, on Grpc.AspNetCore: the first
/// status names the node, every later one updates the registry. A stream that says nothing within the registration
/// timeout, sends garbage or a message above the size limit ends with a status that says so (DeadlineExceeded,
/// Internal, ResourceExhausted); the CM and every other UM carry on.
/// </summary>
public sealed class UmService(UmRegistry registry, GrpcLinkOptions options, TimeProvider time, ILogger? log = null) : UMService.UMServiceBase
{
    /// <summary>The method's path, for raw peers in tests and the capture decoder's registry.</summary>
    public const string RegisterUmPath = "/updatemanager.v2.UMService/RegisterUM";

    /// <summary>Response header naming the node the CM registered the stream as (sent once it is accepted).</summary>
    public const string RegisteredHeader = "hilrig-registered-node";

    /// <summary>Ends every stream when the host stops, so a stop does not wait for UMs that never hang up.</summary>
    internal CancellationToken Stopping { get; init; }

    /// <summary>
    /// The channel is mutual TLS: every stream's peer presented a node certificate of this unit (checked in the
    /// handshake), and the node it registers as must be the one that certificate names.
    /// </summary>
    internal bool RequireNodeIdentity { get; init; }

    public override async Task RegisterUM(IAsyncStreamReader<UpdateStatus> requestStream, IServerStreamWriter<CMMessages> responseStream, ServerCallContext context)
    {
        using var call = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, Stopping);
        var reader = new StatusReader(requestStream);
        UpdateStatus? first;
        using (var registration = new CancellationTokenSource(options.RegistrationTimeout, time))
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(call.Token, registration.Token))
        {
            try { first = await reader.ReadAsync(linked.Token); }
            catch (OperationCanceledException) when (registration.IsCancellationRequested && !call.IsCancellationRequested)
            {
                throw Refuse(context, StatusCode.DeadlineExceeded, $"no UpdateStatus within {options.RegistrationTimeout.TotalSeconds:0.#} s of opening the stream");
            }
        }
        if (first is null) return;
        if (string.IsNullOrWhiteSpace(first.NodeId)) throw Refuse(context, StatusCode.InvalidArgument, "the first UpdateStatus must carry node_id");
        var nodeId = first.NodeId;
        if (RequireNodeIdentity)
        {
            var certificate = context.GetHttpContext().Connection.ClientCertificate;
            var certified = certificate is null ? null : NodeCertificates.NodeIdOf(certificate);
            if (certified is null) throw Refuse(context, StatusCode.Unauthenticated, "no certificate presented", nodeId);
            if (certified != nodeId)
                throw Refuse(context, StatusCode.PermissionDenied, $"the certificate is for node '{certified}', the stream registers as '{nodeId}'", nodeId);
        }

        var writeLock = new SemaphoreSlim(1, 1);
        var token = registry.Attach(nodeId, first, async (message, ct) =>
        {
            using var timeout = new CancellationTokenSource(options.WriteTimeout, time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token, call.Token);
            await writeLock.WaitAsync(linked.Token);
            try { await responseStream.WriteAsync(message, linked.Token); }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !ct.IsCancellationRequested)
            {
                throw new TimeoutException($"writing a command to '{nodeId}' took over {options.WriteTimeout.TotalSeconds:0.#} s");
            }
            finally { writeLock.Release(); }
        }, context.Peer);
        if (token is null)
            throw Refuse(context, StatusCode.AlreadyExists, $"node '{nodeId}' is already registered ({registry.Holder(nodeId)}); a second registration is refused", nodeId);
        try
        {
            // Headers now, so the UM sees the stream accepted even before the CM has a command for it.
            await context.WriteResponseHeadersAsync(new Metadata { { RegisteredHeader, nodeId } });
        }
        catch
        {
            registry.Detach(nodeId, token);
            throw;
        }
        log?.LogInformation("UM {Node} registered from {Peer} in state {State}", nodeId, context.Peer, first.UpdateState);
        try
        {
            while (await reader.ReadAsync(call.Token) is { } status)
            {
                if (status.NodeId != nodeId)
                    throw Refuse(context, StatusCode.InvalidArgument, $"stream registered as '{nodeId}' sent a status for '{status.NodeId}'");
                registry.Report(nodeId, token, status);
            }
        }
        catch (OperationCanceledException) when (Stopping.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "the CM is shutting down"));
        }
        finally
        {
            registry.Detach(nodeId, token);
            log?.LogInformation("UM {Node} disconnected", nodeId);
        }
    }

    private RpcException Refuse(ServerCallContext context, StatusCode code, string detail, string? node = null)
    {
        log?.LogWarning("RegisterUM from {Peer} refused: {Code}: {Detail}", context.Peer, code, detail);
        registry.Refused(context.Peer, node, $"{code}: {detail}");
        return new RpcException(new Status(code, detail));
    }

    /// <summary>
    /// Reads UpdateStatus messages, turning what a peer can get wrong into a status that names the message: bytes that do
    /// not parse are Internal (as grpc-js and grpc-go answer them); a message over the limit is Grpc.AspNetCore's own
    /// ResourceExhausted.
    /// </summary>
    private sealed class StatusReader(IAsyncStreamReader<UpdateStatus> stream)
    {
        private long _count;

        public async Task<UpdateStatus?> ReadAsync(CancellationToken ct)
        {
            _count++;
            try
            {
                return await stream.MoveNext(ct) ? stream.Current : null;
            }
            catch (InvalidProtocolBufferException e)
            {
                throw new RpcException(new Status(StatusCode.Internal, $"message {_count} is not a valid UpdateStatus ({e.Message})"));
            }
        }
    }
}
