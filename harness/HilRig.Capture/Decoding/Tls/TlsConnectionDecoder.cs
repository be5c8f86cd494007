using System.Buffers.Binary;
using System.Text;
using HilRig.Capture.Events;

namespace HilRig.Capture.Decoding.Tls;

/// <summary>What a TLS connection carries once decrypted: application bytes of one direction, in order.</summary>
internal delegate void TlsPlaintextSink(bool fromClient, ReadOnlySpan<byte> bytes);

/// <summary>
/// Both directions of one TLS connection, from reassembled TCP bytes: the records are split out, the hellos read
/// (client random, server name, ALPN; version and cipher suite) and, for TLS 1.3 with the connection's secrets in the
/// key log, every record decrypted — handshake records under the handshake secrets, then application data under the
/// traffic secrets — and the application bytes handed on, so HTTP/1.x, HTTP/2 and gRPC inside TLS decode as in the
/// clear. Without the secrets (or for TLS 1.2) the hellos are reported with the reason, and nothing more.
/// </summary>
internal sealed class TlsConnectionDecoder(TlsKeyLog keys, TlsPlaintextSink sink)
{
    private const int HeaderLength = 5;

    /// <summary>RFC 8446 §5.1: a record's ciphertext is at most 2^14 + 256 bytes.</summary>
    private const int MaxRecord = (1 << 14) + 256;

    /// <summary>The ServerHello random that means HelloRetryRequest (RFC 8446 §4.1.3).</summary>
    private static readonly byte[] RetryRandom = Convert.FromHexString("CF21AD74E59A6111BE1D8C021E65B891C2A211167ABB8C5E079E09E2C8A8339C");

    private readonly Side _client = new();
    private readonly Side _server = new();
    private byte[]? _clientRandom;
    private ushort? _suite;
    private bool _keysLooked;

    private sealed class Side : IDisposable
    {
        public ByteQueue Buffer { get; } = new();
        public TlsCipher? Handshake;
        public TlsCipher? Application;
        public bool InApplication;
        public bool Stopped;

        public void Dispose()
        {
            Handshake?.Dispose();
            Application?.Dispose();
        }
    }

    /// <summary>True when a client's first bytes start like a TLS handshake record (a ClientHello).</summary>
    public static bool LooksLikeClientHello(ReadOnlySpan<byte> first) =>
        first.Length >= 1 && first[0] == 22 && (first.Length < 2 || first[1] == 3) && (first.Length < 6 || first[5] == 1);

    public void OnBytes(bool fromClient, ReadOnlySpan<byte> bytes, in FrameContext context, List<DecodedEvent> output)
    {
        var side = fromClient ? _client : _server;
        if (side.Stopped) return;
        side.Buffer.Append(bytes);
        while (side.Buffer.Length >= HeaderLength)
        {
            var span = side.Buffer.Span;
            var type = span[0];
            var length = BinaryPrimitives.ReadUInt16BigEndian(span[3..]);
            if (type is < 20 or > 24 || span[1] != 3 || length > MaxRecord)
            {
                Stop(side, context, output, $"not a TLS record at stream offset {side.Buffer.Offset} (type {type}, length {length})");
                return;
            }
            if (side.Buffer.Length < HeaderLength + length) return;
            var header = span[..HeaderLength];
            var body = span[HeaderLength..(HeaderLength + length)];
            switch (type)
            {
                case 22 when !side.InApplication && side.Handshake is null:
                    OnHello(fromClient, body, context, output);
                    break;
                case 23:
                    Decrypt(fromClient, side, header, body, context, output);
                    break;
            }
            if (side.Stopped) return;
            side.Buffer.Consume(HeaderLength + length);
        }
    }

    public void OnGap(bool fromClient)
    {
        // A record's bytes are missing: its boundaries and every later nonce are lost.
        var side = fromClient ? _client : _server;
        side.Stopped = true;
        side.Buffer.Clear();
    }

    private void OnHello(bool fromClient, ReadOnlySpan<byte> body, in FrameContext context, List<DecodedEvent> output)
    {
        // A plaintext handshake record: ClientHello or ServerHello (possibly a HelloRetryRequest), read from the front.
        if (body.Length < 4 + 2 + 32) return;
        var messageType = body[0];
        var random = body.Slice(4 + 2, 32);
        var rest = body[(4 + 2 + 32)..];
        if (fromClient && messageType == 1)
        {
            _clientRandom = random.ToArray();
            var (sni, alpn) = ClientExtensions(rest);
            output.Add(new TlsEvent(context, "client-hello", $"client hello{(sni is null ? "" : $", server name {sni}")}{(alpn is null ? "" : $", ALPN {alpn}")}", sni, alpn));
        }
        else if (!fromClient && messageType == 2)
        {
            var retry = random.SequenceEqual(RetryRandom);
            if (rest.Length < 1 || rest.Length < 1 + rest[0] + 3) return;
            var afterSession = rest[(1 + rest[0])..];
            var suite = BinaryPrimitives.ReadUInt16BigEndian(afterSession);
            var tls13 = SelectedVersion(afterSession[2..]) == 0x0304;
            output.Add(new TlsEvent(context, retry ? "hello-retry-request" : "server-hello",
                $"{(retry ? "hello retry request" : "server hello")}, {(tls13 ? "TLS 1.3" : "TLS 1.2 or older")}, suite 0x{suite:x4}", null, null));
            if (retry) return;
            _suite = suite;
            if (!tls13) Stop(context, output, "TLS 1.2 or older: not decrypted (only TLS 1.3 traffic secrets are read)");
            else LookUpKeys(context, output);
        }
    }

    private void LookUpKeys(in FrameContext context, List<DecodedEvent> output)
    {
        if (_keysLooked || _clientRandom is null || _suite is not { } suite) return;
        _keysLooked = true;
        if (TlsCipher.Suite(suite) is null)
        {
            Stop(context, output, $"cipher suite 0x{suite:x4} is not one this decoder knows");
            return;
        }
        TlsCipher? Cipher(string label) => keys.Secret(_clientRandom, label) is { } secret ? new TlsCipher(suite, secret) : null;
        _client.Handshake = Cipher(TlsKeyLog.ClientHandshake);
        _server.Handshake = Cipher(TlsKeyLog.ServerHandshake);
        _client.Application = Cipher(TlsKeyLog.ClientTraffic);
        _server.Application = Cipher(TlsKeyLog.ServerTraffic);
        if (_client.Application is null || _server.Application is null)
            Stop(context, output, $"no traffic secrets for client random {Convert.ToHexStringLower(_clientRandom)} in the key log: not decrypted");
    }

    private void Decrypt(bool fromClient, Side side, ReadOnlySpan<byte> header, ReadOnlySpan<byte> body, in FrameContext context, List<DecodedEvent> output)
    {
        if (side.Application is null) return; // before the ServerHello, or no keys: reported once already
        var plain = new byte[body.Length];
        var opened = side.InApplication ? side.Application.Open(header, body, plain) : side.Handshake?.Open(header, body, plain);
        if (opened is null && !side.InApplication)
        {
            // Not (or no longer) the handshake flight: from here on the traffic secret protects this direction. Without
            // the handshake secret, records that do not open under the traffic secret are that flight, skipped unread.
            opened = side.Application.Open(header, body, plain);
            if (opened is null && side.Handshake is null) return;
            side.InApplication = opened is not null || side.Handshake is not null;
        }
        if (opened is not { } record)
        {
            Stop(side, context, output, $"a {(fromClient ? "client" : "server")} record does not decrypt with the logged secrets");
            return;
        }
        if (record.ContentType == 23 && record.Length > 0) sink(fromClient, plain.AsSpan(0, record.Length));
    }

    private void Stop(in FrameContext context, List<DecodedEvent> output, string reason)
    {
        _client.Stopped = _server.Stopped = true;
        output.Add(new TlsEvent(context, "not-decrypted", reason, null, null));
    }

    private static void Stop(Side side, in FrameContext context, List<DecodedEvent> output, string reason)
    {
        side.Stopped = true;
        output.Add(new MalformedEvent(context, "tls", reason, 0));
    }

    /// <summary>server_name and ALPN of a ClientHello, after its random.</summary>
    private static (string? Sni, string? Alpn) ClientExtensions(ReadOnlySpan<byte> rest)
    {
        string? sni = null, alpn = null;
        try
        {
            var at = 1 + rest[0];                                              // legacy session id
            at += 2 + BinaryPrimitives.ReadUInt16BigEndian(rest[at..]);        // cipher suites
            at += 1 + rest[at];                                                // compression methods
            var end = at + 2 + BinaryPrimitives.ReadUInt16BigEndian(rest[at..]);
            at += 2;
            while (at + 4 <= end && end <= rest.Length)
            {
                var type = BinaryPrimitives.ReadUInt16BigEndian(rest[at..]);
                var length = BinaryPrimitives.ReadUInt16BigEndian(rest[(at + 2)..]);
                var data = rest.Slice(at + 4, length);
                if (type == 0 && data.Length >= 5) sni = Encoding.ASCII.GetString(data.Slice(5, BinaryPrimitives.ReadUInt16BigEndian(data[3..])));
                if (type == 16 && data.Length >= 2)
                {
                    var names = new List<string>();
                    for (var i = 2; i < data.Length; i += 1 + data[i]) names.Add(Encoding.ASCII.GetString(data.Slice(i + 1, data[i])));
                    alpn = string.Join(",", names);
                }
                at += 4 + length;
            }
        }
        catch (ArgumentOutOfRangeException)
        {
            // A hello cut short: what was read stands.
        }
        return (sni, alpn);
    }

    /// <summary>supported_versions of a ServerHello (from its compression method on), or 0.</summary>
    private static ushort SelectedVersion(ReadOnlySpan<byte> fromCompression)
    {
        try
        {
            var extensions = fromCompression[1..];
            var end = 2 + BinaryPrimitives.ReadUInt16BigEndian(extensions);
            for (var at = 2; at + 4 <= end;)
            {
                var type = BinaryPrimitives.ReadUInt16BigEndian(extensions[at..]);
                var length = BinaryPrimitives.ReadUInt16BigEndian(extensions[(at + 2)..]);
                if (type == 43 && length == 2) return BinaryPrimitives.ReadUInt16BigEndian(extensions[(at + 4)..]);
                at += 4 + length;
            }
        }
        catch (ArgumentOutOfRangeException)
        {
        }
        return 0;
    }
}
