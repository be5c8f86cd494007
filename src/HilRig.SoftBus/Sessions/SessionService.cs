using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using HilRig.SoftBus.Auth;
using HilRig.SoftBus.Coap;

namespace HilRig.SoftBus.Sessions;

/// <summary>What a session server's owner is told (softbus's ISessionListener). Callbacks run on the session's receive loop.</summary>
public sealed record SessionListener
{
    /// <summary>Return 0 to accept a session, anything else to refuse it.</summary>
    public Func<Session, int> OnSessionOpened { get; init; } = _ => 0;

    public Action<Session>? OnSessionClosed { get; init; }

    /// <summary>The bytes are valid only during the call.</summary>
    public Action<Session, ReadOnlyMemory<byte>>? OnBytesReceived { get; init; }
}

/// <summary>One open session: a TCP connection carrying AES-256-GCM frames under the session key.</summary>
public sealed class Session
{
    private readonly Socket _socket;
    private readonly SessionCipher _cipher;
    private readonly SemaphoreSlim _send = new(1, 1);
    private byte[] _lastSent = [];

    internal Session(int id, string mySessionName, string peerSessionName, AuthSession peer, Socket socket, SessionCipher cipher, bool opener)
    {
        Id = id;
        MySessionName = mySessionName;
        PeerSessionName = peerSessionName;
        Peer = peer;
        _socket = socket;
        _cipher = cipher;
        IsOpener = opener;
    }

    public int Id { get; }
    public string MySessionName { get; }
    public string PeerSessionName { get; }
    public AuthSession Peer { get; }
    public bool IsOpener { get; }
    public long BytesSent { get; private set; }
    public long BytesReceived { get; internal set; }
    public long FramesRejected { get; internal set; }
    public string? CloseReason { get; internal set; }

    /// <summary>The open request as sent (opener side): what an attacker who captured it would replay.</summary>
    public byte[]? OpenRequest { get; internal init; }

    public TaskCompletionSource Closed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal Socket Socket => _socket;
    internal SessionCipher Cipher => _cipher;

    /// <summary>SendBytes: one encrypted frame with the next seq.</summary>
    public async Task SendBytesAsync(ReadOnlyMemory<byte> data, CancellationToken cancellation = default)
    {
        if (data.Length > SessionFrameHeader.MaxPayload) throw new ArgumentException($"at most {SessionFrameHeader.MaxPayload} bytes per SendBytes");
        var frame = ArrayPool<byte>.Shared.Rent(SessionFrameHeader.Size + SessionFrameHeader.Overhead + data.Length);
        await _send.WaitAsync(cancellation);
        try
        {
            var length = _cipher.Seal(data.Span, SessionFrameHeader.FlagBytes, frame);
            var sent = 0;
            while (sent < length) sent += await _socket.SendAsync(frame.AsMemory(sent, length - sent), SocketFlags.None, cancellation);
            BytesSent += data.Length;
            if (length <= 4096) _lastSent = frame[..length];
        }
        finally
        {
            _send.Release();
            ArrayPool<byte>.Shared.Return(frame);
        }
    }

    /// <summary>Sends the last frame again, byte for byte: what an attacker replaying a captured frame does. For tests and the device's fault commands.</summary>
    public async Task ReplayLastFrameAsync(CancellationToken cancellation = default)
    {
        if (_lastSent.Length == 0) throw new InvalidOperationException("nothing sent yet (or the last frame was over 4 KiB)");
        await _send.WaitAsync(cancellation);
        try { await _socket.SendAsync(_lastSent, SocketFlags.None, cancellation); }
        finally { _send.Release(); }
    }

    public override string ToString() => $"session {Id} {MySessionName}↔{PeerSessionName} with {Peer.PeerName}";
}

/// <summary>
/// Sessions over TCP (softbus trans_service): <see cref="CreateSessionServer"/> registers a name; a peer's
/// <see cref="OpenSessionAsync"/> connects to our session port and sends an auth-framed, module-6 open request encrypted
/// under the auth key it names by key index, carrying the session name and a fresh 32-byte session key; we answer with
/// module 6, flag 1, seq 100, or close for an unknown name. Then both sides exchange 16-byte-header frames under
/// AES-256-GCM. Many sessions per server; a peer that vanishes is noticed by keep-alive and the TCP user timeout.
/// </summary>
public sealed class SessionService : IAsyncDisposable
{
    public const long OpenReplySeq = 100;

    private readonly DeviceIdentity _identity;
    private readonly AuthSessions _auth;
    private readonly Func<AddressFamily, Socket>? _socketFactory;
    private readonly Action<string>? _log;
    private readonly Dictionary<string, SessionListener> _servers = new(StringComparer.Ordinal);
    private readonly Dictionary<int, Session> _sessions = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = new();
    private Socket? _listener;
    private Task? _acceptLoop;
    private int _nextId;

    public SessionService(DeviceIdentity identity, AuthSessions auth, Func<AddressFamily, Socket>? socketFactory = null, Action<string>? log = null)
    {
        _identity = identity;
        _auth = auth;
        _socketFactory = socketFactory;
        _log = log;
    }

    public int Port { get; private set; }

    public CoapCounters Counters { get; } = new();

    public IReadOnlyList<Session> Sessions
    {
        get { lock (_sessions) return _sessions.Values.OrderBy(s => s.Id).ToList(); }
    }

    private Socket NewSocket(AddressFamily family) => _socketFactory?.Invoke(family) ?? new Socket(family, SocketType.Stream, ProtocolType.Tcp);

    public void Start(IPEndPoint bind)
    {
        _listener = NewSocket(bind.AddressFamily);
        _listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Bind(bind);
        _listener.Listen(64);
        Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
        _acceptLoop = AcceptLoopAsync();
    }

    /// <summary>CreateSessionServer: sessions opened to <paramref name="sessionName"/> go to <paramref name="listener"/>.</summary>
    public void CreateSessionServer(string sessionName, SessionListener listener)
    {
        if (sessionName.Length is 0 or > 255) throw new ArgumentException("a session name is 1–255 characters");
        lock (_servers) _servers[sessionName] = listener;
    }

    public bool RemoveSessionServer(string sessionName)
    {
        lock (_servers) return _servers.Remove(sessionName);
    }

    private SessionListener? ListenerFor(string name)
    {
        lock (_servers) return _servers.GetValueOrDefault(name);
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener!.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }
            Track(AcceptAsync(socket));
        }
    }

    private void Track(Task loop)
    {
        lock (_loops)
        {
            _loops.RemoveAll(t => t.IsCompleted);
            _loops.Add(loop);
        }
    }

    private async Task AcceptAsync(Socket socket)
    {
        var stream = new NetworkStream(socket, ownsSocket: false);
        Session? session = null;
        try
        {
            AuthConnection.ConfigureKeepAlive(socket);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            var frame = await AuthFrame.ReadAsync(stream, timeout.Token) ?? throw new EndOfStreamException("closed before the open request");
            if (frame.Header.Module != AuthModule.Session) throw new AuthFrameException($"module {(int)frame.Header.Module} on the session port (expected SESSION 6)", 4);
            if (!FrameCipher.TryReadKeyIndex(frame.Body, out var index) || !_auth.TryGet(index, out var auth))
                throw new AuthFrameException($"key index {index} names no authenticated peer", AuthFrameHeader.Size);
            var request = JsonNode.Parse(auth!.Cipher.Open(frame.Body, frame.Header)) as JsonObject ?? throw new AuthFrameException("the open request is not a JSON object", AuthFrameHeader.Size);
            var busName = request["BUS_NAME"]?.GetValue<string>() ?? "";
            var listener = ListenerFor(busName);
            var key = Convert.FromBase64String(request["SESSION_KEY"]?.GetValue<string>() ?? "");
            if (listener is null || key.Length != 32)
            {
                Counters.Add("open-refused");
                _log?.Invoke($"session: refusing {auth.PeerName}'s open of '{busName}': {(listener is null ? "no such session server" : "bad session key")}");
                await SendOpenReplyAsync(stream, auth, new JsonObject { ["CODE"] = -1, ["ERR_MSG"] = $"no session server '{busName}'" }, timeout.Token);
                return;
            }
            session = new Session(Interlocked.Increment(ref _nextId), busName, request["CLIENT_BUS_NAME"]?.GetValue<string>() ?? "", auth, socket, new SessionCipher(key, opener: false), opener: false);
            if (listener.OnSessionOpened(session) != 0)
            {
                Counters.Add("open-refused");
                await SendOpenReplyAsync(stream, auth, new JsonObject { ["CODE"] = -1, ["ERR_MSG"] = "refused by the session server" }, timeout.Token);
                session = null;
                return;
            }
            await SendOpenReplyAsync(stream, auth, new JsonObject
            {
                ["CODE"] = 1, ["API_VERSION"] = 2, ["DEVICE_ID"] = _identity.Udid, ["UID"] = -1, ["PID"] = -1, ["PKG_NAME"] = "hilrig",
                ["CLIENT_BUS_NAME"] = busName, ["AUTH_STATE"] = "", ["CHANNEL_TYPE"] = 1,
            }, timeout.Token);
            Register(session);
            Counters.Add("opened");
            _log?.Invoke($"session: {session} opened by the peer");
            await ReceiveLoopAsync(session, stream, listener);
        }
        catch (Exception e) when (e is AuthFrameException or IOException or SocketException or EndOfStreamException or FormatException
                                      or InvalidOperationException or System.Text.Json.JsonException or OperationCanceledException)
        {
            if (session is null)
            {
                Counters.Add("open-rejected");
                _log?.Invoke($"session: rejecting a connection from {Describe(socket)}: {e.Message}");
            }
        }
        finally
        {
            if (session is null) socket.Dispose();
        }
    }

    private static string Describe(Socket socket)
    {
        try { return socket.RemoteEndPoint?.ToString() ?? "?"; }
        catch (ObjectDisposedException) { return "?"; }
    }

    private static Task SendOpenReplyAsync(NetworkStream stream, AuthSession auth, JsonObject reply, CancellationToken ct)
    {
        var plain = Encoding.UTF8.GetBytes(reply.ToJsonString());
        var header = new AuthFrameHeader(AuthModule.Session, OpenReplySeq, AuthFrameHeader.FlagReply, (uint)(plain.Length + FrameCipher.Overhead));
        return stream.WriteAsync(new AuthFrame(header, auth.Cipher.Seal(plain, header)).ToBytes(), ct).AsTask();
    }

    /// <summary>
    /// OpenSession: connects to the peer's session port and asks for <paramref name="peerSessionName"/>. The returned
    /// session is open on both sides; its bytes go to <paramref name="listener"/>.
    /// </summary>
    public async Task<Session> OpenSessionAsync(string mySessionName, string peerSessionName, AuthSession peer, SessionListener listener, CancellationToken cancellation = default)
    {
        if (peer.PeerSessionPort == 0) throw new InvalidOperationException($"{peer.PeerName} advertised no session port");
        var socket = NewSocket(peer.PeerAddress.AddressFamily);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation, _stop.Token);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            await socket.ConnectAsync(new IPEndPoint(peer.PeerAddress, peer.PeerSessionPort), timeout.Token);
            AuthConnection.ConfigureKeepAlive(socket);
            var stream = new NetworkStream(socket, ownsSocket: false);
            var key = RandomNumberGenerator.GetBytes(32);
            var plain = Encoding.UTF8.GetBytes(new JsonObject
            {
                ["CODE"] = 1, ["API_VERSION"] = 2, ["BUS_NAME"] = peerSessionName, ["CLIENT_BUS_NAME"] = mySessionName, ["GROUP_ID"] = "",
                ["DEVICE_ID"] = _identity.Udid, ["SESSION_KEY"] = Convert.ToBase64String(key),
            }.ToJsonString());
            var header = new AuthFrameHeader(AuthModule.Session, 1, 0, (uint)(plain.Length + FrameCipher.Overhead));
            var request = new AuthFrame(header, peer.Cipher.Seal(plain, header)).ToBytes();
            await stream.WriteAsync(request, timeout.Token);
            var reply = await AuthFrame.ReadAsync(stream, timeout.Token) ?? throw new SessionException($"{peer.PeerName} closed the connection: no session server '{peerSessionName}'?");
            if (reply.Header.Module != AuthModule.Session || !reply.Header.IsReply || reply.Header.Seq != OpenReplySeq)
                throw new SessionException($"{peer.PeerName} answered the open with module {(int)reply.Header.Module}, flag {reply.Header.Flag}, seq {reply.Header.Seq}");
            var answer = JsonNode.Parse(peer.Cipher.Open(reply.Body, reply.Header)) as JsonObject;
            if (answer?["CODE"]?.GetValue<int>() != 1)
                throw new SessionException($"{peer.PeerName} refused session '{peerSessionName}': {answer?["ERR_MSG"]}");
            var session = new Session(Interlocked.Increment(ref _nextId), mySessionName, peerSessionName, peer, socket, new SessionCipher(key, opener: true), opener: true)
            {
                OpenRequest = request,
            };
            Register(session);
            Counters.Add("opened");
            listener.OnSessionOpened(session);
            Track(ReceiveLoopAsync(session, stream, listener));
            _log?.Invoke($"session: {session} opened");
            return session;
        }
        catch (AuthFrameException e)
        {
            socket.Dispose();
            throw new SessionException($"{peer.PeerName}: {e.Reason}");
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private void Register(Session session)
    {
        lock (_sessions) _sessions[session.Id] = session;
    }

    public Session? Find(int id)
    {
        lock (_sessions) return _sessions.GetValueOrDefault(id);
    }

    /// <summary>CloseSession: ends the connection; both sides' OnSessionClosed run.</summary>
    public void CloseSession(int id, string reason = "closed locally")
    {
        var session = Find(id);
        if (session is null) return;
        session.CloseReason ??= reason;
        try { session.Socket.Shutdown(SocketShutdown.Both); }
        catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
        session.Socket.Close();
    }

    private async Task ReceiveLoopAsync(Session session, NetworkStream stream, SessionListener listener)
    {
        var header = new byte[SessionFrameHeader.Size];
        var body = ArrayPool<byte>.Shared.Rent(SessionFrameHeader.MaxPayload + SessionFrameHeader.Overhead);
        var plain = ArrayPool<byte>.Shared.Rent(SessionFrameHeader.MaxPayload);
        try
        {
            while (await AuthFrame.FillAsync(stream, header, _stop.Token))
            {
                var h = SessionFrameHeader.Read(header);
                await AuthFrame.FillAsync(stream, body.AsMemory(0, (int)h.DataLength), _stop.Token);
                var length = (int)h.DataLength - SessionFrameHeader.Overhead;
                session.Cipher.Open(header, h, body.AsSpan(0, (int)h.DataLength), plain.AsSpan(0, length));
                session.BytesReceived += length;
                listener.OnBytesReceived?.Invoke(session, plain.AsMemory(0, length));
            }
            session.CloseReason ??= "the peer closed the session";
        }
        catch (AuthFrameException e)
        {
            // Garbage, a replay, a forgery: the session cannot be trusted any more.
            session.FramesRejected++;
            Counters.Add("frame-rejected");
            session.CloseReason ??= $"refused a frame: {e.Reason}";
            _log?.Invoke($"session: {session}: refused a frame ({e.Reason}); closing");
        }
        catch (Exception e) when (e is IOException or SocketException or EndOfStreamException or OperationCanceledException or ObjectDisposedException)
        {
            session.CloseReason ??= e is OperationCanceledException ? "the node stopped" : $"the connection failed: {e.Message}";
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(body);
            ArrayPool<byte>.Shared.Return(plain);
            lock (_sessions) _sessions.Remove(session.Id);
            session.Socket.Dispose();
            session.Cipher.Dispose();
            Counters.Add("closed");
            _log?.Invoke($"session: {session} closed: {session.CloseReason}");
            listener.OnSessionClosed?.Invoke(session);
            session.Closed.TrySetResult();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener?.Dispose();
        if (_acceptLoop is not null) await _acceptLoop;
        foreach (var s in Sessions) CloseSession(s.Id, "the node stopped");
        Task[] loops;
        lock (_loops) loops = _loops.ToArray();
        await Task.WhenAll(loops.Select(t => t.ContinueWith(_ => { })));
        _stop.Dispose();
    }
}

/// <summary>A session could not be opened: refused, or the peer broke the protocol.</summary>
public sealed class SessionException(string message) : Exception(message);
