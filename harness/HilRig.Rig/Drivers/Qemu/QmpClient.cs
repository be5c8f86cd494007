using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace HilRig.Rig.Drivers.Qemu;

/// <summary>An asynchronous QMP event (RESET, SHUTDOWN, POWERDOWN, STOP, GUEST_PANICKED …) with its data.</summary>
public sealed record QmpEvent(string Name, JsonObject? Data, DateTimeOffset At)
{
    /// <summary>True when the guest caused it (a guest reset or power-off), false when the host asked (QMP, a signal).</summary>
    public bool ByGuest => Data?["guest"]?.GetValue<bool>() == true;
}

/// <summary>A QMP command QEMU refused; the message is QEMU's own.</summary>
public sealed class QmpException(string message) : Exception(message);

/// <summary>
/// QEMU's machine protocol over its unix socket: the greeting, <c>qmp_capabilities</c>, then commands answered in order,
/// with events arriving in between. One reader task sorts replies from events.
/// </summary>
public sealed class QmpClient : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly SemaphoreSlim _commandLock = new(1, 1);
    private readonly Task _reader;
    private TaskCompletionSource<JsonObject>? _pending;

    private QmpClient(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _reader = Task.Run(ReadLoopAsync);
    }

    /// <summary>Raised for every event, on the reader task.</summary>
    public event Action<QmpEvent>? EventReceived;

    /// <summary>Connects (retrying until QEMU has created the socket or <paramref name="timeout"/> passes) and negotiates.</summary>
    public static async Task<QmpClient> ConnectAsync(string socketPath, TimeSpan timeout, Func<bool> qemuAlive, CancellationToken cancellation)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (true)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellation);
                var client = new QmpClient(socket);
                await client.ExecuteAsync("qmp_capabilities", null, cancellation);
                return client;
            }
            catch (SocketException) when (DateTimeOffset.UtcNow < deadline && qemuAlive())
            {
                socket.Dispose();
                await Task.Delay(20, cancellation);
            }
        }
    }

    public async Task<JsonNode?> ExecuteAsync(string command, JsonObject? arguments = null, CancellationToken cancellation = default)
    {
        await _commandLock.WaitAsync(cancellation);
        try
        {
            var reply = new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously);
            _pending = reply;
            var request = new JsonObject { ["execute"] = command };
            if (arguments is not null) request["arguments"] = arguments;
            await _stream.WriteAsync(Encoding.UTF8.GetBytes(request.ToJsonString() + "\n"), cancellation);
            var answer = await reply.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellation);
            if (answer["error"] is JsonObject error)
                throw new QmpException($"QMP {command}: {error["class"]}: {error["desc"]}");
            return answer["return"];
        }
        finally
        {
            _pending = null;
            _commandLock.Release();
        }
    }

    private async Task ReadLoopAsync()
    {
        var reader = new StreamReader(_stream, Encoding.UTF8);
        try
        {
            while (await reader.ReadLineAsync() is { } line)
            {
                if (line.Length == 0) continue;
                JsonObject message;
                try
                {
                    message = JsonNode.Parse(line) as JsonObject ?? new JsonObject();
                }
                catch (JsonException)
                {
                    continue;
                }
                if (message["event"] is JsonValue name)
                    EventReceived?.Invoke(new QmpEvent(name.GetValue<string>(), message["data"] as JsonObject, DateTimeOffset.Now));
                else if (message.ContainsKey("return") || message.ContainsKey("error"))
                    _pending?.TrySetResult(message);
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException)
        {
        }
        _pending?.TrySetException(new IOException("QEMU closed its QMP socket"));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
        await _stream.DisposeAsync();
        try
        {
            await _reader;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
        }
        _commandLock.Dispose();
    }
}
