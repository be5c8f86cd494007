using HilRig.Update.Cm;
using HilRig.Update.Grpc;
using HilRig.Update.Protocol;
using Microsoft.Extensions.Logging;

namespace HilRig.Update.Um;

/// <summary>
/// The UM's side of <c>UMService.RegisterUM</c> (aos umclient): opens the stream, sends its status, runs each CM
/// command through the update handler and answers with the resulting status. Reconnects with doubling back-off
/// when the CM goes away; a CM restart is just a reconnect.
/// </summary>
public sealed class UmClient(UpdateHandler handler, GrpcClient grpc, TimeProvider time, ILogger? log = null)
{
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(2);

    /// <summary>How the last stream to the CM ended (its gRPC status), if it did.</summary>
    public GrpcStatusException? LastStreamEnd { get; private set; }

    /// <summary>Number of streams opened so far; tests wait on it instead of sleeping.</summary>
    public int Connections => _connections;
    private int _connections;

    public async Task RunAsync(CancellationToken ct)
    {
        var backoff = FirstBackoff;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await RunOnceAsync(ct);
                backoff = FirstBackoff;
            }
            catch (Exception e) when (ct.IsCancellationRequested && e is not SystemRebootException)
            {
                // Being stopped is the normal end of a UM, whatever the stream was doing at that moment: a reset or
                // a broken connection read just before the stop is not an error of the stop.
                return;
            }
            catch (GrpcStatusException e)
            {
                LastStreamEnd = e;
                log?.LogInformation("UM {Node}: stream to the CM ended: {Status}", handler.Status().NodeId, e.Message);
            }
            catch (Exception e) when (e is IOException or HttpRequestException)
            {
                log?.LogInformation("UM {Node}: CM unreachable: {Error}", handler.Status().NodeId, e.Message);
            }
            try { await Task.Delay(backoff, time, ct); }
            catch (OperationCanceledException) { return; }
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
        }
    }

    private async Task RunOnceAsync(CancellationToken ct)
    {
        await using var call = grpc.StartDuplex<UpdateStatus, CMMessages>(UmServiceEndpoint.RegisterUmPath, CMMessages.Parser, ct);
        await call.WriteAsync(handler.Status(), ct);
        Interlocked.Increment(ref _connections);
        while (await call.ReadAsync(ct) is { } command)
        {
            var status = await handler.HandleAsync(command, ct);
            await call.WriteAsync(status, ct);
        }
    }
}
