using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using HilRig.SoftBus.Coap;
using Org.BouncyCastle.Crypto.Agreement;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;

namespace HilRig.SoftBus.Auth;

/// <summary>Settings of a device's auth channel.</summary>
public sealed record AuthOptions
{
    public required string DeviceName { get; init; }

    /// <summary>The PIN this device shows for binding; null: it does not accept new bindings.</summary>
    public string? Pin { get; init; }

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>An authentication not finished in this time is torn down (dsoftbus: 10 s).</summary>
    public TimeSpan AuthTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The session port this device advertises in VerifyIp (0 until a session server listens).</summary>
    public Func<int> SessionPort { get; init; } = () => 0;

    /// <summary>Makes sockets (e.g. inside a network namespace); plain ones by default.</summary>
    public Func<AddressFamily, Socket>? SocketFactory { get; init; }

    public Action<string>? Log { get; init; }
}

/// <summary>
/// Device authentication on the auth channel (TCP, 24-byte auth frames), both roles:
/// <list type="bullet">
/// <item><b>binding</b> with a PIN: SPAKE2 (RFC 9382, see <see cref="Spake2"/>) in HiChain's PAKE messages, the
/// device showing the PIN as party A; key confirmation both ways, so a wrong PIN is refused before any key is used;
/// then each side's Ed25519 identity key is exchanged AES-GCM-wrapped under a key from the PAKE, signed over the
/// transcript, and stored as a trusted peer. Wrong PINs are throttled (<see cref="PinThrottle"/>).</item>
/// <item><b>login</b> of a bound peer: ephemeral X25519 keys, each side signing both with its identity key (STS).</item>
/// <item>then the channel: encrypted CONNECTION frames (VerifyIp: names, auth and session ports); a frame that does not
/// decrypt, replays, or breaks the framing ends the connection.</item>
/// </list>
/// </summary>
public sealed class DeviceAuth : IAsyncDisposable
{
    private const string AuthChannelInfo = "hilrig softbus auth channel";
    private const string ExchangeInfo = "hilrig softbus exchange";
    private const string StsInfo = "hilrig softbus sts";

    private readonly DeviceIdentity _identity;
    private readonly TrustStore _trust;
    private readonly AuthOptions _options;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _connections = new();
    private Socket? _listener;
    private Task? _acceptLoop;

    public DeviceAuth(DeviceIdentity identity, TrustStore trust, AuthSessions sessions, AuthOptions options)
    {
        _identity = identity;
        _trust = trust;
        Sessions = sessions;
        _options = options;
        Throttle = new PinThrottle(options.Time);
    }

    public AuthSessions Sessions { get; }

    public PinThrottle Throttle { get; }

    public TrustStore Trust => _trust;

    /// <summary>Bindings, logins, refusals and dropped connections by reason.</summary>
    public CoapCounters Counters { get; } = new();

    public int Port { get; private set; }

    /// <summary>The connections this device opened, by session: tests send from them what no honest peer would.</summary>
    internal Dictionary<AuthSession, AuthConnection> ClientConnections { get; } = new();

    public event Action<AuthSession>? PeerAuthenticated;

    public event Action<AuthSession>? PeerLeft;

    private void Log(string line) => _options.Log?.Invoke(line);

    private Socket NewSocket(AddressFamily family) =>
        _options.SocketFactory?.Invoke(family) ?? new Socket(family, SocketType.Stream, ProtocolType.Tcp);

    /// <summary>Listens on <paramref name="bind"/> (port 0: an ephemeral one, advertised in discovery's serviceData).</summary>
    public void Start(IPEndPoint bind)
    {
        _listener = NewSocket(bind.AddressFamily);
        _listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Bind(bind);
        _listener.Listen(64);
        Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
        _acceptLoop = AcceptLoopAsync();
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
            catch (SocketException e)
            {
                if (_stop.IsCancellationRequested) return;
                Log($"auth: accept failed: {e.Message}");
                continue;
            }
            AuthConnection connection;
            try
            {
                connection = new AuthConnection(socket);
            }
            catch (SocketException e)
            {
                // Gone before we could set it up (closed at once): nothing to serve.
                Log($"auth: a connection closed before it was set up: {e.Message}");
                socket.Dispose();
                continue;
            }
            lock (_connections)
            {
                _connections.RemoveAll(t => t.IsCompleted);
                _connections.Add(ServeAsync(connection));
            }
        }
    }

    // ------------------------------------------------------------------ server side

    private async Task ServeAsync(AuthConnection connection)
    {
        AuthSession? session = null;
        try
        {
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token))
            {
                timeout.CancelAfter(_options.AuthTimeout);
                try
                {
                    session = await AuthenticateAsServerAsync(connection, timeout.Token);
                }
                catch (OperationCanceledException) when (!_stop.IsCancellationRequested)
                {
                    Counters.Add("auth-timeout");
                    Log($"auth: {connection.Remote} did not finish authenticating within {_options.AuthTimeout.TotalSeconds:0} s; closing");
                    return;
                }
            }
            if (session is null) return;
            await RunChannelAsync(connection, session, isServer: true, _stop.Token);
        }
        catch (Exception e) when (e is AuthFrameException or IOException or SocketException or EndOfStreamException or CryptographicException)
        {
            Counters.Add("dropped");
            Log($"auth: dropping {connection.Remote}: {e.Message}");
            if (session is not null) session.CloseReason = e.Message;
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or System.Text.Json.JsonException or ArgumentException)
        {
            // A JSON field of the wrong type and the like: a protocol violation by this peer, which must not reach the others.
            Counters.Add("dropped");
            Log($"auth: dropping {connection.Remote}: malformed message: {e.Message}");
            if (session is not null) session.CloseReason = e.Message;
        }
        finally
        {
            await connection.DisposeAsync();
            if (session is not null) Leave(session);
        }
    }

    private async Task<AuthSession?> AuthenticateAsServerAsync(AuthConnection connection, CancellationToken ct)
    {
        var first = await connection.ReceiveAsync(ct);
        if (first is null) return null;
        RequirePlain(first);
        var (code, payload) = HiChain.Read(first);
        return code switch
        {
            HiChain.PakeRequest => await BindAsServerAsync(connection, first.Header.Seq, payload, ct),
            HiChain.AuthStart => await LoginAsServerAsync(connection, first.Header.Seq, payload, ct),
            _ => throw new AuthFrameException($"message 0x{code:X4} cannot start an authentication", AuthFrameHeader.Size),
        };
    }

    private static void RequirePlain(AuthFrame frame)
    {
        if (frame.Header.Module != AuthModule.AuthSdk) throw new AuthFrameException($"module {(int)frame.Header.Module} before authentication (expected AUTH_SDK 3)", 4);
    }

    private Task InformAsync(AuthConnection connection, long seq, int error, string reason, CancellationToken ct)
    {
        Counters.Add("refused");
        Log($"auth: refusing {connection.Remote}: {reason}");
        return connection.SendJsonAsync(AuthModule.AuthSdk, seq, AuthFrameHeader.FlagReply,
            HiChain.Message(HiChain.Inform, new JsonObject { ["errorCode"] = error, ["reason"] = reason }), ct);
    }

    private async Task<AuthSession?> BindAsServerAsync(AuthConnection connection, long seq, JsonObject request, CancellationToken ct)
    {
        var peerUdid = HiChain.Text(request, "udid");
        var peerName = request["deviceName"]?.GetValue<string>() ?? peerUdid[..Math.Min(8, peerUdid.Length)];
        if (_options.Pin is null)
        {
            await InformAsync(connection, seq, 3, "this device accepts no binding (no PIN)", ct);
            return null;
        }
        if (Throttle.LockedFor() is { } locked)
        {
            Counters.Add("throttled");
            await InformAsync(connection, seq, 2, $"locked after {Throttle.ConsecutiveFailures} wrong PINs; retry in {Math.Ceiling(locked.TotalSeconds)} s", ct);
            return null;
        }
        var salt = RandomNumberGenerator.GetBytes(16);
        var spake = Spake2.ForA(Spake2.PasswordScalar(_options.Pin, salt), Encoding.UTF8.GetBytes(_identity.Udid), Encoding.UTF8.GetBytes(peerUdid));
        await connection.SendJsonAsync(AuthModule.AuthSdk, seq, AuthFrameHeader.FlagReply, HiChain.Message(HiChain.PakeResponse, new JsonObject
        {
            ["udid"] = _identity.Udid, ["deviceName"] = _options.DeviceName, ["salt"] = Convert.ToHexString(salt), ["epk"] = Convert.ToHexString(spake.Share),
        }), ct);
        var (confirm, confirmSeq) = await ExpectAsync(connection, HiChain.ClientConfirm, ct);
        Spake2Result result;
        try
        {
            result = spake.Finish(HiChain.Hex(confirm, "epk"));
        }
        catch (CryptographicException e)
        {
            throw new AuthFrameException(e.Message, AuthFrameHeader.Size);
        }
        if (!result.Confirms(HiChain.Hex(confirm, "kcfData")))
        {
            Throttle.Failed();
            Counters.Add("wrong-pin");
            await InformAsync(connection, confirmSeq, 1, "wrong PIN", ct);
            return null;
        }
        Throttle.Succeeded();
        await connection.SendJsonAsync(AuthModule.AuthSdk, confirmSeq, AuthFrameHeader.FlagReply,
            HiChain.Message(HiChain.ServerConfirm, new JsonObject { ["kcfData"] = Convert.ToHexString(result.OurConfirmation) }), ct);
        var exchangeKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, result.SharedKey, 16, [], Encoding.ASCII.GetBytes(ExchangeInfo));
        var (exchange, exchangeSeq) = await ExpectAsync(connection, HiChain.ExchangeRequest, ct);
        var peerKey = OpenExchange(exchangeKey, HiChain.Hex(exchange, "exAuthInfo"), result.Transcript, peerUdid, "client");
        var keyIndex = Sessions.NextKeyIndex();
        await connection.SendJsonAsync(AuthModule.AuthSdk, exchangeSeq, AuthFrameHeader.FlagReply, HiChain.Message(HiChain.ExchangeResponse, new JsonObject
        {
            ["exAuthInfo"] = Convert.ToHexString(SealExchange(exchangeKey, result.Transcript, "server")), ["keyIndex"] = keyIndex,
        }), ct);
        _trust.Add(new TrustedPeer(peerUdid, peerName, peerKey));
        Counters.Add("bound");
        var key = HKDF.DeriveKey(HashAlgorithmName.SHA256, result.SharedKey, 16, [], Encoding.ASCII.GetBytes(AuthChannelInfo));
        return Admit(new AuthSession(new FrameCipher(keyIndex, key, Direction.ServerToClient), peerUdid, peerName, connection.Remote.Address, bound: true));
    }

    private async Task<AuthSession?> LoginAsServerAsync(AuthConnection connection, long seq, JsonObject request, CancellationToken ct)
    {
        var peerUdid = HiChain.Text(request, "udid");
        if (!_trust.TryGet(peerUdid, out var peer))
        {
            await InformAsync(connection, seq, 4, $"device {peerUdid} is not bound to this one", ct);
            return null;
        }
        var peerEphemeral = HiChain.Hex(request, "epk");
        var ours = new X25519PrivateKeyParameters(new SecureRandom());
        var ourPublic = ours.GeneratePublicKey().GetEncoded();
        var shared = Agree(ours, peerEphemeral);
        var transcript = StsTranscript(peerUdid, _identity.Udid, peerEphemeral, ourPublic);
        await connection.SendJsonAsync(AuthModule.AuthSdk, seq, AuthFrameHeader.FlagReply, HiChain.Message(HiChain.AuthStartResponse, new JsonObject
        {
            ["udid"] = _identity.Udid, ["deviceName"] = _options.DeviceName, ["epk"] = Convert.ToHexString(ourPublic),
            ["signature"] = Convert.ToHexString(_identity.Sign([.. "server"u8, .. transcript])),
        }), ct);
        var (ack, ackSeq) = await ExpectAsync(connection, HiChain.AuthAck, ct);
        if (!DeviceIdentity.Verify(peer!.PublicKey, [.. "client"u8, .. transcript], HiChain.Hex(ack, "signature")))
        {
            await InformAsync(connection, ackSeq, 5, "the login signature does not verify with the bound key", ct);
            return null;
        }
        var keyIndex = Sessions.NextKeyIndex();
        await connection.SendJsonAsync(AuthModule.AuthSdk, ackSeq, AuthFrameHeader.FlagReply, HiChain.Message(HiChain.AuthAckResponse, new JsonObject { ["result"] = 0, ["keyIndex"] = keyIndex }), ct);
        Counters.Add("login");
        var key = HKDF.DeriveKey(HashAlgorithmName.SHA256, shared, 16, SHA256.HashData(transcript), Encoding.ASCII.GetBytes(StsInfo));
        return Admit(new AuthSession(new FrameCipher(keyIndex, key, Direction.ServerToClient), peerUdid, peer.Name, connection.Remote.Address, bound: false));
    }

    private AuthSession Admit(AuthSession session)
    {
        Sessions.Add(session);
        Log($"auth: {(session.Bound ? "bound" : "logged in")} {session}");
        PeerAuthenticated?.Invoke(session);
        return session;
    }

    private void Leave(AuthSession session)
    {
        Sessions.Remove(session);
        if (session.Closed.TrySetResult()) PeerLeft?.Invoke(session);
    }

    private static async Task<(JsonObject Payload, long Seq)> ExpectAsync(AuthConnection connection, int code, CancellationToken ct)
    {
        var frame = await connection.ReceiveAsync(ct) ?? throw new EndOfStreamException("the peer closed the connection mid-authentication");
        RequirePlain(frame);
        var (got, payload) = HiChain.Read(frame);
        if (got == HiChain.Inform)
            throw new AuthException($"refused: {payload["reason"]?.ToString() ?? "no reason"} (error {payload["errorCode"]})");
        if (got != code) throw new AuthFrameException($"expected message 0x{code:X4}, got 0x{got:X4}", AuthFrameHeader.Size);
        return (payload, frame.Header.Seq);
    }

    private byte[] SealExchange(byte[] key, byte[] transcript, string role)
    {
        var info = JsonSerializerHelpers.Bytes(new JsonObject
        {
            ["udid"] = _identity.Udid, ["publicKey"] = Convert.ToHexString(_identity.PublicKey),
            ["signature"] = Convert.ToHexString(_identity.Sign([.. SHA256.HashData(transcript), .. Encoding.ASCII.GetBytes(role)])),
        });
        var sealedBox = new byte[12 + info.Length + 16];
        RandomNumberGenerator.Fill(sealedBox.AsSpan(0, 12));
        using var gcm = new AesGcm(key, 16);
        gcm.Encrypt(sealedBox.AsSpan(0, 12), info, sealedBox.AsSpan(12, info.Length), sealedBox.AsSpan(12 + info.Length), Encoding.ASCII.GetBytes(role));
        return sealedBox;
    }

    /// <summary>Opens the peer's wrapped identity and checks it: the UDID it bound with, a signature over the transcript.</summary>
    private static byte[] OpenExchange(byte[] key, byte[] box, byte[] transcript, string peerUdid, string role)
    {
        if (box.Length < 28) throw new AuthFrameException("exAuthInfo is too short", AuthFrameHeader.Size);
        var plain = new byte[box.Length - 28];
        try
        {
            using var gcm = new AesGcm(key, 16);
            gcm.Decrypt(box.AsSpan(0, 12), box.AsSpan(12, plain.Length), box.AsSpan(12 + plain.Length), plain, Encoding.ASCII.GetBytes(role));
        }
        catch (AuthenticationTagMismatchException)
        {
            throw new AuthFrameException("exAuthInfo does not decrypt under the PAKE key", AuthFrameHeader.Size);
        }
        var info = JsonNode.Parse(plain) as JsonObject ?? throw new AuthFrameException("exAuthInfo is not a JSON object", AuthFrameHeader.Size);
        if (HiChain.Text(info, "udid") != peerUdid) throw new AuthFrameException("exAuthInfo names another device than the PAKE", AuthFrameHeader.Size);
        var publicKey = HiChain.Hex(info, "publicKey");
        if (!DeviceIdentity.Verify(publicKey, [.. SHA256.HashData(transcript), .. Encoding.ASCII.GetBytes(role)], HiChain.Hex(info, "signature")))
            throw new AuthFrameException("the identity signature over the PAKE transcript does not verify", AuthFrameHeader.Size);
        return publicKey;
    }

    private static byte[] StsTranscript(string clientUdid, string serverUdid, byte[] clientEphemeral, byte[] serverEphemeral) =>
        Spake2.Transcript(Encoding.UTF8.GetBytes(clientUdid), Encoding.UTF8.GetBytes(serverUdid), clientEphemeral, serverEphemeral);

    private static byte[] Agree(X25519PrivateKeyParameters ours, byte[] peerPublic)
    {
        if (peerPublic.Length != 32) throw new AuthFrameException("an X25519 key is 32 bytes", AuthFrameHeader.Size);
        var agreement = new X25519Agreement();
        agreement.Init(ours);
        var shared = new byte[agreement.AgreementSize];
        try
        {
            agreement.CalculateAgreement(new X25519PublicKeyParameters(peerPublic, 0), shared, 0);
        }
        catch (InvalidOperationException)
        {
            throw new AuthFrameException("the peer's X25519 key is of low order", AuthFrameHeader.Size);
        }
        return shared;
    }

    // ------------------------------------------------------------------ client side

    /// <summary>Binds with the device at <paramref name="peer"/> using the PIN it shows. Throws <see cref="AuthException"/> for a wrong PIN or a locked device.</summary>
    public Task<AuthSession> PairAsync(IPEndPoint peer, string pin, CancellationToken cancellation = default) =>
        ConnectAsync(peer, (c, ct) => BindAsClientAsync(c, pin, ct), cancellation);

    /// <summary>Logs in to a device bound before, proving both identities with the stored keys.</summary>
    public Task<AuthSession> LoginAsync(IPEndPoint peer, CancellationToken cancellation = default) =>
        ConnectAsync(peer, LoginAsClientAsync, cancellation);

    private async Task<AuthSession> ConnectAsync(IPEndPoint peer, Func<AuthConnection, CancellationToken, Task<AuthSession>> authenticate, CancellationToken cancellation)
    {
        var socket = NewSocket(peer.AddressFamily);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation, _stop.Token);
        timeout.CancelAfter(_options.AuthTimeout);
        AuthConnection? connection = null;
        try
        {
            await socket.ConnectAsync(peer, timeout.Token);
            connection = new AuthConnection(socket);
            var session = await authenticate(connection, timeout.Token);
            // VerifyIp: tell each other names and ports over the now-encrypted channel.
            await connection.SendEncryptedAsync(session.Cipher, AuthModule.Connection, connection.NextSeq(), 0, VerifyIp(), timeout.Token);
            var reply = await connection.ReceiveAsync(timeout.Token) ?? throw new EndOfStreamException("the peer closed the connection after authenticating");
            ApplyVerifyIp(session, reply);
            Sessions.Add(session);
            var owned = connection;
            connection = null;
            lock (ClientConnections) ClientConnections[session] = owned;
            lock (_connections) _connections.Add(RunClientChannelAsync(owned, session));
            Log($"auth: {(session.Bound ? "bound with" : "logged in to")} {session}, session port {session.PeerSessionPort}");
            PeerAuthenticated?.Invoke(session);
            return session;
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            throw new AuthException($"{peer} did not finish authenticating within {_options.AuthTimeout.TotalSeconds:0} s");
        }
        catch (AuthFrameException e)
        {
            throw new AuthException($"{peer} broke the auth protocol: {e.Reason}");
        }
        finally
        {
            if (connection is not null) await connection.DisposeAsync();
            else if (socket.Connected == false) socket.Dispose();
        }
    }

    private async Task RunClientChannelAsync(AuthConnection connection, AuthSession session)
    {
        try
        {
            await RunChannelAsync(connection, session, isServer: false, _stop.Token);
        }
        catch (Exception e) when (e is AuthFrameException or IOException or SocketException or EndOfStreamException)
        {
            Counters.Add("dropped");
            session.CloseReason = e.Message;
            Log($"auth: dropping {connection.Remote}: {e.Message}");
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            await connection.DisposeAsync();
            Leave(session);
        }
    }

    private async Task<AuthSession> BindAsClientAsync(AuthConnection connection, string pin, CancellationToken ct)
    {
        await connection.SendJsonAsync(AuthModule.AuthSdk, connection.NextSeq(), 0, HiChain.Message(HiChain.PakeRequest, new JsonObject
        {
            ["udid"] = _identity.Udid, ["deviceName"] = _options.DeviceName, ["version"] = 1, ["operationCode"] = 1,
        }), ct);
        var (response, _) = await ExpectAsync(connection, HiChain.PakeResponse, ct);
        var peerUdid = HiChain.Text(response, "udid");
        var peerName = response["deviceName"]?.GetValue<string>() ?? peerUdid;
        var spake = Spake2.ForB(Spake2.PasswordScalar(pin, HiChain.Hex(response, "salt")), Encoding.UTF8.GetBytes(peerUdid), Encoding.UTF8.GetBytes(_identity.Udid));
        Spake2Result result;
        try
        {
            result = spake.Finish(HiChain.Hex(response, "epk"));
        }
        catch (CryptographicException e)
        {
            throw new AuthFrameException(e.Message, AuthFrameHeader.Size);
        }
        await connection.SendJsonAsync(AuthModule.AuthSdk, connection.NextSeq(), 0, HiChain.Message(HiChain.ClientConfirm, new JsonObject
        {
            ["epk"] = Convert.ToHexString(spake.Share), ["kcfData"] = Convert.ToHexString(result.OurConfirmation),
        }), ct);
        var (confirm, _) = await ExpectAsync(connection, HiChain.ServerConfirm, ct);
        if (!result.Confirms(HiChain.Hex(confirm, "kcfData"))) throw new AuthException("the device's key confirmation is wrong: it does not know the PIN");
        var exchangeKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, result.SharedKey, 16, [], Encoding.ASCII.GetBytes(ExchangeInfo));
        await connection.SendJsonAsync(AuthModule.AuthSdk, connection.NextSeq(), 0,
            HiChain.Message(HiChain.ExchangeRequest, new JsonObject { ["exAuthInfo"] = Convert.ToHexString(SealExchange(exchangeKey, result.Transcript, "client")) }), ct);
        var (exchange, _) = await ExpectAsync(connection, HiChain.ExchangeResponse, ct);
        var peerKey = OpenExchange(exchangeKey, HiChain.Hex(exchange, "exAuthInfo"), result.Transcript, peerUdid, "server");
        _trust.Add(new TrustedPeer(peerUdid, peerName, peerKey));
        Counters.Add("bound");
        var key = HKDF.DeriveKey(HashAlgorithmName.SHA256, result.SharedKey, 16, [], Encoding.ASCII.GetBytes(AuthChannelInfo));
        return new AuthSession(new FrameCipher(KeyIndexOf(exchange), key, Direction.ClientToServer), peerUdid, peerName, connection.Remote.Address, bound: true);
    }

    private async Task<AuthSession> LoginAsClientAsync(AuthConnection connection, CancellationToken ct)
    {
        var ours = new X25519PrivateKeyParameters(new SecureRandom());
        var ourPublic = ours.GeneratePublicKey().GetEncoded();
        await connection.SendJsonAsync(AuthModule.AuthSdk, connection.NextSeq(), 0, HiChain.Message(HiChain.AuthStart, new JsonObject
        {
            ["udid"] = _identity.Udid, ["epk"] = Convert.ToHexString(ourPublic),
        }), ct);
        var (response, _) = await ExpectAsync(connection, HiChain.AuthStartResponse, ct);
        var peerUdid = HiChain.Text(response, "udid");
        if (!_trust.TryGet(peerUdid, out var peer)) throw new AuthException($"{connection.Remote} is device {peerUdid}, which is not bound to this one");
        var peerEphemeral = HiChain.Hex(response, "epk");
        var transcript = StsTranscript(_identity.Udid, peerUdid, ourPublic, peerEphemeral);
        if (!DeviceIdentity.Verify(peer!.PublicKey, [.. "server"u8, .. transcript], HiChain.Hex(response, "signature")))
            throw new AuthException($"{peer.Name}'s login signature does not verify with its bound key");
        var shared = Agree(ours, peerEphemeral);
        await connection.SendJsonAsync(AuthModule.AuthSdk, connection.NextSeq(), 0, HiChain.Message(HiChain.AuthAck, new JsonObject
        {
            ["signature"] = Convert.ToHexString(_identity.Sign([.. "client"u8, .. transcript])),
        }), ct);
        var (done, _) = await ExpectAsync(connection, HiChain.AuthAckResponse, ct);
        Counters.Add("login");
        var key = HKDF.DeriveKey(HashAlgorithmName.SHA256, shared, 16, SHA256.HashData(transcript), Encoding.ASCII.GetBytes(StsInfo));
        return new AuthSession(new FrameCipher(KeyIndexOf(done), key, Direction.ClientToServer), peerUdid, peer.Name, connection.Remote.Address, bound: false);
    }

    // ------------------------------------------------------------------ the authenticated channel

    private byte[] VerifyIp() => JsonSerializerHelpers.Bytes(new JsonObject
    {
        ["CODE"] = 1, ["BUS_MAX_VERSION"] = 2, ["BUS_MIN_VERSION"] = 1, ["AUTH_PORT"] = Port, ["SESSION_PORT"] = _options.SessionPort(),
        ["CONN_CAP"] = 0x1f, ["DEVICE_NAME"] = _options.DeviceName, ["DEVICE_TYPE"] = "DEV_L1", ["DEVICE_ID"] = _identity.Udid,
    });

    private static void ApplyVerifyIp(AuthSession session, AuthFrame frame)
    {
        if (frame.Header.Module != AuthModule.Connection) throw new AuthFrameException($"expected an encrypted CONNECTION frame, got module {(int)frame.Header.Module}", 4);
        var cipher = session.Cipher;
        var info = JsonNode.Parse(cipher.Open(frame.Body, frame.Header)) as JsonObject ?? throw new AuthFrameException("VerifyIp is not a JSON object", AuthFrameHeader.Size);
        session.PeerAuthPort = info["AUTH_PORT"]?.GetValue<int>() ?? 0;
        session.PeerSessionPort = info["SESSION_PORT"]?.GetValue<int>() ?? 0;
        if (info["DEVICE_NAME"]?.GetValue<string>() is { } name) session.PeerName = name;
    }

    /// <summary>The key index the server filed the session under, sent in its last auth message.</summary>
    private static uint KeyIndexOf(JsonObject payload) =>
        payload["keyIndex"] is JsonValue v && v.TryGetValue<uint>(out var index) ? index : throw new AuthFrameException("the last auth message carries no keyIndex", AuthFrameHeader.Size);

    private async Task RunChannelAsync(AuthConnection connection, AuthSession session, bool isServer, CancellationToken ct)
    {
        while (await connection.ReceiveAsync(ct) is { } frame)
        {
            if (frame.Header.Module != AuthModule.Connection)
                throw new AuthFrameException($"module {(int)frame.Header.Module} on an authenticated channel (only encrypted CONNECTION frames)", 4);
            var plain = session.Cipher.Open(frame.Body, frame.Header);
            if (frame.Header.IsReply) continue;
            var request = JsonNode.Parse(plain) as JsonObject ?? throw new AuthFrameException("CONNECTION body is not a JSON object", AuthFrameHeader.Size);
            if (request["CODE"]?.GetValue<int>() == 1)
            {
                ApplyInfo(session, request);
                await connection.SendEncryptedAsync(session.Cipher, AuthModule.Connection, frame.Header.Seq, AuthFrameHeader.FlagReply, VerifyIp(), ct);
            }
        }
        session.CloseReason ??= "the peer closed the auth connection";
        Log($"auth: {session} closed the connection");
        _ = isServer;
    }

    private static void ApplyInfo(AuthSession session, JsonObject info)
    {
        session.PeerAuthPort = info["AUTH_PORT"]?.GetValue<int>() ?? session.PeerAuthPort;
        session.PeerSessionPort = info["SESSION_PORT"]?.GetValue<int>() ?? session.PeerSessionPort;
        if (info["DEVICE_NAME"]?.GetValue<string>() is { } name) session.PeerName = name;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener?.Dispose();
        if (_acceptLoop is not null) await _acceptLoop;
        Task[] open;
        lock (_connections) open = _connections.ToArray();
        await Task.WhenAll(open.Select(t => t.ContinueWith(_ => { })));
        _stop.Dispose();
    }
}

internal static class JsonSerializerHelpers
{
    public static byte[] Bytes(JsonNode node) => Encoding.UTF8.GetBytes(node.ToJsonString());
}
