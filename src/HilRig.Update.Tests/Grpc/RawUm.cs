using Grpc.Core;
using Grpc.Net.Client;
using HilRig.Update.Cm;
using HilRig.Update.Grpc;
using HilRig.Update.Security;

namespace HilRig.Update.Tests.Grpc;

/// <summary>
/// A gRPC client of RegisterUM whose messages are raw bytes (identity marshallers, as grpc-js's garbage peer does):
/// for what the CM does with bytes that are not an UpdateStatus, or with more of them than the limit. No send limit.
/// </summary>
internal sealed class RawUm : IDisposable
{
    private static readonly Marshaller<byte[]> Bytes = Marshallers.Create(b => b, b => b);
    private static readonly Method<byte[], byte[]> RegisterUm =
        new(MethodType.DuplexStreaming, "updatemanager.v2.UMService", "RegisterUM", Bytes, Bytes);

    private readonly GrpcChannel _channel;

    /// <param name="credentials">A node's certificate for a CM on mutual TLS; the bytes are then sent as that node.</param>
    public RawUm(Uri cm, NodeCredentials? credentials = null) => _channel = GrpcChannel.ForAddress(cm, new GrpcChannelOptions
    {
        HttpHandler = UmChannel.Handler(new GrpcLinkOptions(), credentials),
        MaxSendMessageSize = null,
        MaxReceiveMessageSize = null,
    });

    public AsyncDuplexStreamingCall<byte[], byte[]> Open(TimeSpan? deadline = null) =>
        _channel.CreateCallInvoker().AsyncDuplexStreamingCall(RegisterUm, null,
            new CallOptions(deadline: DateTime.UtcNow + (deadline ?? TimeSpan.FromSeconds(30))));

    /// <summary>Reads until the CM ends the call; the status it ended with.</summary>
    public static async Task<Status> EndOf(AsyncDuplexStreamingCall<byte[], byte[]> call)
    {
        try
        {
            while (await call.ResponseStream.MoveNext()) { }
            return call.GetStatus();
        }
        catch (RpcException e) { return e.Status; }
    }

    public static string Path => UmService.RegisterUmPath;

    public void Dispose() => _channel.Dispose();
}
