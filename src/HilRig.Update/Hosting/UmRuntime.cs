using HilRig.AbUpdate;
using Grpc.Net.Client;
using HilRig.Update.Grpc;
using HilRig.Update.Protocol;
using HilRig.Update.Um;
using Microsoft.Extensions.Logging;

namespace HilRig.Update.Hosting;

/// <summary>
/// A node's Update Manager as a running thing: opens its database, initialises the modules (finishing a step a reboot
/// interrupted), then keeps a RegisterUM stream to the CM until disposed. What HilRig.Device runs on every node.
/// </summary>
public sealed class UmRuntime : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly GrpcChannel _channel;
    private readonly HttpClient _fileHttp;
    private Task _loop = Task.CompletedTask;

    private UmRuntime(UmConfig config, UmStateStore store, UpdateHandler handler, UmClient client, GrpcChannel channel, HttpClient fileHttp)
    {
        Config = config;
        Store = store;
        Handler = handler;
        Client = client;
        _channel = channel;
        _fileHttp = fileHttp;
    }

    public UmConfig Config { get; }
    public UmStateStore Store { get; }
    public UpdateHandler Handler { get; }
    public UmClient Client { get; }

    /// <summary>The loop's end: faulted with <see cref="SystemRebootException"/> when an in-process reboot ended this UM.</summary>
    public Task Loop => _loop;

    /// <param name="disk">The node's A/B disk as this boot found it, for <c>rootfs-ab</c> modules (null: the node has none).</param>
    public static async Task<UmRuntime> StartAsync(UmConfig config, Uri cmAddress, ISystemReboot reboot, TimeProvider time, ILogger? log = null, CancellationToken ct = default,
        BootedDisk? disk = null)
    {
        Directory.CreateDirectory(config.StateDirectory);
        var store = new UmStateStore(config.DatabasePath);
        // Images from the CM's file server: the same mutual TLS as the RegisterUM stream.
        var fileHttp = new HttpClient(UmChannel.Handler(config.Link, config.Credentials));
        UpdateHandler? handler = null;
        try
        {
            handler = new UpdateHandler(config, store, reboot, new ImageFetcher(fileHttp, config.DownloadDirectory), time, log, disk);
            await handler.InitAsync(ct);
        }
        catch
        {
            // A module that cannot be made or initialised must not leave the database open behind it.
            if (handler is not null) await handler.DisposeAsync();
            store.Dispose();
            fileHttp.Dispose();
            throw;
        }
        var channel = UmChannel.Create(cmAddress, config.Link, config.Credentials);
        var client = new UmClient(handler, new UMService.UMServiceClient(channel), config.Link, time, log);
        var runtime = new UmRuntime(config, store, handler, client, channel, fileHttp);
        runtime._loop = Task.Run(() => client.RunAsync(runtime._stop.Token), CancellationToken.None);
        return runtime;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try { await _loop.WaitAsync(TimeSpan.FromSeconds(10)); }
        catch (Exception e) when (e is OperationCanceledException or SystemRebootException or TimeoutException) { }
        await Handler.DisposeAsync();
        Store.Dispose();
        _channel.Dispose();
        _fileHttp.Dispose();
        _stop.Dispose();
    }
}
