using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace HilRig.SoftBus.Auth;

/// <summary>
/// One TCP connection of the auth channel, framed: sends plaintext JSON frames (modules 1–4, 8–9) and encrypted ones
/// (5–7), reads frames and refuses anything malformed. Sockets get keep-alive (2 s idle, 1 s interval, 3 probes) and a
/// 10 s TCP user timeout, as dsoftbus sets them, so a peer that vanishes is noticed.
/// </summary>
public sealed class AuthConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly SemaphoreSlim _send = new(1, 1);
    private long _seq;

    public AuthConnection(Socket socket)
    {
        _socket = socket;
        ConfigureKeepAlive(socket);
        _stream = new NetworkStream(socket, ownsSocket: true);
        Remote = (IPEndPoint)socket.RemoteEndPoint!;
    }

    public IPEndPoint Remote { get; }

    public static void ConfigureKeepAlive(Socket socket)
    {
        socket.NoDelay = true;
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, 2);
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, 1);
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, 3);
        // TCP_USER_TIMEOUT (18): unacknowledged data for 10 s ends the connection.
        if (OperatingSystem.IsLinux()) socket.SetRawSocketOption(6, 18, BitConverter.GetBytes(10_000));
    }

    public long NextSeq() => Interlocked.Increment(ref _seq);

    public Task<AuthFrame?> ReceiveAsync(CancellationToken cancellation) => AuthFrame.ReadAsync(_stream, cancellation);

    public Task SendJsonAsync(AuthModule module, long seq, int flag, JsonNode json, CancellationToken cancellation) =>
        SendAsync(new AuthFrame(new AuthFrameHeader(module, seq, flag, 0), Encoding.UTF8.GetBytes(json.ToJsonString())), cancellation);

    public Task SendEncryptedAsync(FrameCipher cipher, AuthModule module, long seq, int flag, ReadOnlySpan<byte> plaintext, CancellationToken cancellation)
    {
        var header = new AuthFrameHeader(module, seq, flag, (uint)(plaintext.Length + FrameCipher.Overhead));
        return SendAsync(new AuthFrame(header, cipher.Seal(plaintext, header)), cancellation);
    }

    public async Task SendAsync(AuthFrame frame, CancellationToken cancellation)
    {
        var bytes = frame with { Header = frame.Header with { Length = (uint)frame.Body.Length } };
        await _send.WaitAsync(cancellation);
        try
        {
            await _stream.WriteAsync(bytes.ToBytes(), cancellation);
        }
        finally
        {
            _send.Release();
        }
    }

    /// <summary>Raw bytes, for tests that send what no honest peer would.</summary>
    internal Task SendRawAsync(byte[] bytes, CancellationToken cancellation) => _stream.WriteAsync(bytes, cancellation).AsTask();

    public async ValueTask DisposeAsync()
    {
        try { _socket.Shutdown(SocketShutdown.Both); }
        catch (SocketException) { }
        catch (ObjectDisposedException) { }
        await _stream.DisposeAsync();
        _send.Dispose();
    }
}

/// <summary>
/// The HiChain-style envelope of auth JSON: <c>{"message": code, "payload": {…}}</c> with the codes of
/// security_deviceauth: PAKE_REQUEST 0x0001 → 0x8001, CLIENT_CONFIRM 0x0002 → 0x8002, EXCHANGE 0x0003 → 0x8003, and
/// for later logins AUTH_START 0x0011 → 0x8011, AUTH_ACK 0x0012 → 0x8012; INFORM 0x8080 carries an error.
/// </summary>
public static class HiChain
{
    public const int PakeRequest = 0x0001, PakeResponse = 0x8001, ClientConfirm = 0x0002, ServerConfirm = 0x8002;
    public const int ExchangeRequest = 0x0003, ExchangeResponse = 0x8003, AuthStart = 0x0011, AuthStartResponse = 0x8011;
    public const int AuthAck = 0x0012, AuthAckResponse = 0x8012, Inform = 0x8080;

    public static JsonObject Message(int code, JsonObject payload) => new() { ["message"] = code, ["payload"] = payload };

    /// <summary>Reads an envelope; throws <see cref="AuthFrameException"/> if the body is not one.</summary>
    public static (int Code, JsonObject Payload) Read(AuthFrame frame)
    {
        try
        {
            if (JsonNode.Parse(frame.Body) is JsonObject o && o["message"] is JsonValue m && m.TryGetValue<int>(out var code) && o["payload"] is JsonObject p)
                return (code, p);
        }
        catch (System.Text.Json.JsonException)
        {
        }
        throw new AuthFrameException("the body is not a {\"message\":…,\"payload\":{…}} envelope", AuthFrameHeader.Size);
    }

    public static string Text(JsonObject payload, string key) =>
        payload[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw new AuthFrameException($"payload field '{key}' is missing or not a string", AuthFrameHeader.Size);

    public static byte[] Hex(JsonObject payload, string key)
    {
        try { return Convert.FromHexString(Text(payload, key)); }
        catch (FormatException) { throw new AuthFrameException($"payload field '{key}' is not hex", AuthFrameHeader.Size); }
    }
}

/// <summary>The peer refused (wrong PIN, locked, unknown device) or broke the protocol.</summary>
public sealed class AuthException(string message) : Exception(message);
