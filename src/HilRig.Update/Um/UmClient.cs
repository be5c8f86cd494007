using Grpc.Core;
using HilRig.Update.Cm;
using HilRig.Update.Grpc;
using HilRig.Update.Protocol;
using Microsoft.Extensions.Logging;

namespace HilRig.Update.Um;

/// <summary>
/// The UM's side of <c>UMService.RegisterUM</c> (aos umclient) on the generated client: opens the stream with a deadline
/// (<see cref="GrpcLinkOptions.StreamLifetime"/>), sends its status, runs each CM command through the update handler and
/// answers with the resulting status. How a stream ended decides what comes next (<see cref="StreamEnd"/>): a CM restart
/// or a broken path is a reconnect with doubling back-off, the end of the lease an immediate one, a refusal a slow retry.
/// </summary>
public sealed class UmClient(UpdateHandler handler, UMService.UMServiceClient cm, GrpcLinkOptions options, TimeProvider time, ILogger? log = null)
{
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(2);

    /// <summary>How the last stream to the CM ended, if one did.</summary>
    public StreamEnd? LastStreamEnd { get; private set; }

    public CmLinkState State { get; private set; } = CmLinkState.Connecting;

    /// <summary>Number of streams the CM accepted so far; tests wait on it instead of sleeping.</summary>
    public int Connections => _connections;
    private int _connections;

    public async Task RunAsync(CancellationToken ct)
    {
        var backoff = FirstBackoff;
        while (!ct.IsCancellationRequested)
        {
            TimeSpan delay;
            try
            {
                await RunOnceAsync(ct);
                Ended(new StreamEnd(StatusCode.OK, "the CM ended the stream"));
                delay = backoff = FirstBackoff;
            }
            catch (Exception e) when (ct.IsCancellationRequested && e is not SystemRebootException)
            {
                // Being stopped is the normal end of a UM, whatever the stream was doing at that moment: a reset or
                // a broken connection read just before the stop is not an error of the stop.
                return;
            }
            catch (RpcException e)
            {
                var end = Ended(StreamEnd.From(e));
                if (end.IsLeaseEnd) delay = backoff = TimeSpan.Zero;
                else if (end.Then == CmLinkState.Refused) delay = options.RefusedRetryDelay;
                else
                {
                    delay = backoff;
                    backoff = TimeSpan.FromTicks(Math.Clamp(backoff.Ticks * 2, FirstBackoff.Ticks, MaxBackoff.Ticks));
                }
            }
            if (delay <= TimeSpan.Zero) continue;
            try { await Task.Delay(delay, time, ct); }
            catch (OperationCanceledException) { return; }
        }
    }

    private StreamEnd Ended(StreamEnd end)
    {
        LastStreamEnd = end;
        State = end.Then;
        var node = handler.Status().NodeId;
        if (end.Then == CmLinkState.Refused) log?.LogWarning("UM {Node}: the CM refused the stream: {Status}", node, end);
        else log?.LogInformation("UM {Node}: stream to the CM ended: {Status}", node, end);
        return end;
    }

    private async Task RunOnceAsync(CancellationToken ct)
    {
        State = CmLinkState.Connecting;
        using var call = cm.RegisterUM(deadline: time.GetUtcNow().UtcDateTime + options.StreamLifetime, cancellationToken: ct);
        await WriteAsync(call, handler.Status(), ct);
        // Our CM says in its headers that it accepted the node (a refusal is trailers-only, which Grpc.Net.Client also
        // hands out as headers); another CM's acceptance shows with its first command.
        var headers = await call.ResponseHeadersAsync;
        if (headers.GetValue(UmService.RegisteredHeader) is not null) Registered();
        while (await call.ResponseStream.MoveNext(ct))
        {
            if (State != CmLinkState.Registered) Registered();
            var status = await handler.HandleAsync(call.ResponseStream.Current, ct);
            await WriteAsync(call, status, ct);
        }
    }

    private void Registered()
    {
        State = CmLinkState.Registered;
        Interlocked.Increment(ref _connections);
    }

    /// <summary>One status write, bounded in time; a write to a call the CM already ended surfaces the CM's status.</summary>
    private async Task WriteAsync(AsyncDuplexStreamingCall<UpdateStatus, CMMessages> call, UpdateStatus status, CancellationToken ct)
    {
        using var timeout = new CancellationTokenSource(options.WriteTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        try
        {
            await call.RequestStream.WriteAsync(status, linked.Token);
        }
        catch (Exception e) when (timeout.IsCancellationRequested && !ct.IsCancellationRequested && e is OperationCanceledException or RpcException)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, $"writing a status took over {options.WriteTimeout.TotalSeconds:0.#} s"));
        }
        catch (Exception e) when (e is InvalidOperationException or IOException)
        {
            // The call is complete (the CM ended it while we worked) or its stream was reset: the CM's status, if it
            // sent one, says why; otherwise the path broke.
            throw await StatusAfterBrokenWriteAsync(call, e);
        }
    }

    private static async Task<RpcException> StatusAfterBrokenWriteAsync(AsyncDuplexStreamingCall<UpdateStatus, CMMessages> call, Exception e)
    {
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            while (await call.ResponseStream.MoveNext(wait.Token)) { }
            return new RpcException(call.GetStatus());
        }
        catch (RpcException status) when (status.StatusCode != StatusCode.Cancelled || !wait.IsCancellationRequested) { return status; }
        catch (Exception) { return new RpcException(new Status(StatusCode.Unavailable, $"the stream broke ({e.Message})")); }
    }
}
