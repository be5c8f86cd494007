using System.Buffers.Binary;
using HilRig.Capture.Decoding.Coap;
using HilRig.Capture.Decoding.Dns;
using HilRig.Capture.Decoding.Link;
using HilRig.Capture.Decoding.Network;
using HilRig.Capture.Decoding.Streams;
using HilRig.Capture.Decoding.Transport;
using HilRig.Capture.Events;
using HilRig.Capture.Files;

namespace HilRig.Capture.Decoding;

/// <summary>
/// Turns captured frames into <see cref="DecodedEvent"/>s: link → IP → UDP/TCP → CoAP, DNS/mDNS, HTTP/1.x, HTTP/2
/// and gRPC. Stateful across frames (TCP reassembly, HPACK tables), so feed one capture's frames in order.
/// Never throws for bad bytes: a broken or truncated layer becomes a <see cref="MalformedEvent"/> naming
/// the layer and the offset within the frame.
/// </summary>
public sealed class CaptureDecoder
{
    private readonly DecoderOptions _options;
    private readonly Dictionary<FlowKey, TcpConnection> _connections = new();
    private readonly TcpBufferBudget _budget;
    private readonly Dictionary<(Endpoint Client, Endpoint Server, string Token), string> _coapExchanges = new();
    private FrameContext _current;
    private List<DecodedEvent>? _output;
    private long _frameNumber;

    public CaptureDecoder(DecoderOptions? options = null)
    {
        _options = options ?? new DecoderOptions();
        _budget = new TcpBufferBudget(_options.MaxTcpPendingBytes);
    }

    /// <summary>Out-of-order TCP bytes held now across every connection (bounded by <see cref="DecoderOptions.MaxTcpPendingBytes"/>).</summary>
    public long HeldTcpBytes => _budget.HeldBytes;

    /// <summary>Connections tracked now (bounded by <see cref="DecoderOptions.MaxTcpConnections"/>).</summary>
    public int TrackedTcpConnections => _connections.Count;

    /// <summary>Decodes every frame of a capture file.</summary>
    public static List<DecodedEvent> DecodeFile(string path, DecoderOptions? options = null)
    {
        using var reader = CaptureFile.Open(path);
        return new CaptureDecoder(options).DecodeAll(reader);
    }

    public List<DecodedEvent> DecodeAll(CaptureReader reader)
    {
        var events = new List<DecodedEvent>();
        while (reader.TryReadNext(out var frame)) Decode(frame, events);
        Finish(events);
        return events;
    }

    /// <summary>Counts a frame without decoding it, so later frame numbers still match the file's.</summary>
    public void Skip() => _frameNumber++;

    /// <summary>Decodes the next frame (numbered from 1 in call order), appending its events.</summary>
    public void Decode(in CapturedFrame frame, List<DecodedEvent> events)
    {
        _frameNumber++;
        var before = events.Count;
        _output = events;
        var data = frame.Data.Span;
        _current = new FrameContext(_frameNumber, frame.TimestampNanos, frame.InterfaceId, frame.Direction, default, default);
        var layer = "link";
        var layerOffset = 0;
        try
        {
            if (!LinkLayer.TryRead(frame.LinkType, data, out var etherType, out var offset, out var srcMac, out var dstMac))
            {
                Truncated("link", 0, data.Length);
                return;
            }
            _current = _current with { Source = new Endpoint(srcMac, null, null), Destination = new Endpoint(dstMac, null, null) };
            layerOffset = offset;
            var payload = data[offset..];
            switch ((EtherType)etherType)
            {
                case EtherType.Arp:
                    layer = "arp";
                    if (ArpPacket.TryRead(payload, out var arp))
                    {
                        _current = _current with
                        {
                            Source = new Endpoint(arp.SenderMac, arp.SenderIp, null),
                            Destination = new Endpoint(dstMac, arp.TargetIp, null),
                        };
                        events.Add(new ArpEvent(_current, arp));
                    }
                    else Truncated("arp", offset, payload.Length);
                    break;
                case EtherType.IPv4:
                {
                    layer = "ipv4";
                    if (!IPv4Packet.TryRead(payload, out var ip))
                    {
                        Truncated("ipv4", offset, payload.Length);
                        break;
                    }
                    var header = payload[..ip.HeaderLength];
                    // Before the addresses are taken: a damaged header's may name another host.
                    if (_options.VerifyChecksums && !HeaderChecksumHolds(header, ip.TotalLength, offset)) break;
                    SetAddresses(ip.Source, ip.Destination);
                    var end = Math.Min(payload.Length, ip.TotalLength);
                    var check = _options.VerifyChecksums && !frame.IsTruncated && !ChecksumCheck.IsSourceRouted(header);
                    var scope = new ChecksumScope(check, true, check ? InternetChecksum.AddressSum(header, ipv4: true) : 0, ip.PayloadLength);
                    if (ip.IsFragment) events.Add(new IpEvent(_current, (int)ip.Protocol, ip.PayloadLength, true));
                    else DecodeTransport(ip.Protocol, payload[ip.HeaderLength..end], offset + ip.HeaderLength, scope, ref layer, ref layerOffset);
                    break;
                }
                case EtherType.IPv6:
                {
                    layer = "ipv6";
                    if (!IPv6Packet.TryRead(payload, out var ip))
                    {
                        Truncated("ipv6", offset, payload.Length);
                        break;
                    }
                    SetAddresses(ip.Source, ip.Destination);
                    var end = Math.Min(payload.Length, ip.PayloadOffset + ip.PayloadLength);
                    var check = _options.VerifyChecksums && !frame.IsTruncated && !ip.IsRoutedOnward;
                    var scope = new ChecksumScope(check, false, check ? InternetChecksum.AddressSum(payload, ipv4: false) : 0, ip.PayloadLength);
                    if (ip.IsFragment) events.Add(new IpEvent(_current, (int)ip.Protocol, ip.PayloadLength, true));
                    else DecodeTransport(ip.Protocol, payload[ip.PayloadOffset..end], offset + ip.PayloadOffset, scope, ref layer, ref layerOffset);
                    break;
                }
                default:
                    events.Add(new EthernetEvent(_current, etherType, payload.Length));
                    break;
            }
        }
        catch (ProtocolViolationException e)
        {
            events.Add(new MalformedEvent(_current, e.Protocol, e.Reason, layerOffset + e.Offset));
        }
        finally
        {
            if (events.Count == before) events.Add(new MalformedEvent(_current, layer, "nothing decodable", layerOffset));
            _output = null;
        }
    }

    private void SetAddresses(IpAddress src, IpAddress dst) =>
        _current = _current with { Source = _current.Source with { Ip = src }, Destination = _current.Destination with { Ip = dst } };

    private void DecodeTransport(IpProtocol protocol, ReadOnlySpan<byte> segment, int offset, in ChecksumScope scope, ref string layer, ref int layerOffset)
    {
        var events = _output!;
        layerOffset = offset;
        switch (protocol)
        {
            case IpProtocol.Udp:
            {
                layer = "udp";
                // Checked before the header is read: a damaged length is damage, not a malformed datagram.
                if (scope.Check && segment.Length >= UdpDatagram.HeaderLength && !TransportChecksumHolds(protocol, segment, scope, offset)) return;
                if (!UdpDatagram.TryRead(segment, out var udp))
                {
                    Truncated("udp", offset, segment.Length);
                    return;
                }
                _current = _current.WithPorts(udp.SourcePort, udp.DestinationPort);
                var body = segment[UdpDatagram.HeaderLength..Math.Min(segment.Length, udp.Length)];
                layerOffset = offset + UdpDatagram.HeaderLength;
                if (IsPort(_options.CoapPorts, udp))
                {
                    layer = "coap";
                    if (CoapReader.TryRead(body, out var coap)) events.Add(new CoapEvent(_current, coap!, MatchCoapExchange(coap!)));
                    else Truncated("coap", layerOffset, body.Length);
                }
                else if (IsPort(_options.MdnsPorts, udp) || IsPort(_options.DnsPorts, udp))
                {
                    var mdns = IsPort(_options.MdnsPorts, udp);
                    layer = mdns ? "mdns" : "dns";
                    if (DnsReader.TryRead(body, out var dns)) events.Add(new DnsEvent(_current, dns!, mdns));
                    else Truncated(layer, layerOffset, body.Length);
                }
                else events.Add(new UdpEvent(_current, udp));
                return;
            }
            case IpProtocol.Tcp:
            {
                layer = "tcp";
                // Checked before the header is read: a damaged data offset is damage, not a malformed segment.
                if (scope.Check && segment.Length >= TcpSegment.MinHeaderLength && !TransportChecksumHolds(protocol, segment, scope, offset)) return;
                if (!TcpSegment.TryRead(segment, out var tcp))
                {
                    Truncated("tcp", offset, segment.Length);
                    return;
                }
                _current = _current.WithPorts(tcp.SourcePort, tcp.DestinationPort);
                layerOffset = offset + tcp.HeaderLength;
                DecodeTcp(tcp, segment[tcp.HeaderLength..]);
                return;
            }
            default:
                events.Add(new IpEvent(_current, (int)protocol, segment.Length, false));
                return;
        }
    }

    private bool HeaderChecksumHolds(ReadOnlySpan<byte> header, int totalLength, int offset)
    {
        if (ChecksumCheck.IPv4Header(header, out var field, out var calculated) != ChecksumVerdict.Bad) return true;
        _output!.Add(new BadChecksumEvent(_current, ChecksumLayer.IPv4, field, calculated, totalLength, offset + ChecksumCheck.IPv4ChecksumOffset));
        return false;
    }

    /// <param name="segment">At least the fixed header of TCP or UDP.</param>
    private bool TransportChecksumHolds(IpProtocol protocol, ReadOnlySpan<byte> segment, in ChecksumScope scope, int offset)
    {
        var tcp = protocol == IpProtocol.Tcp;
        // UDP's checksum covers its own length, which may be less than IP's (the receiver trims to it) but not more.
        var length = tcp ? scope.DeclaredLength : BinaryPrimitives.ReadUInt16BigEndian(segment[4..]);
        if (!tcp && length < UdpDatagram.HeaderLength) return true; // malformed, as the header reader reports
        var covered = tcp ? segment : segment[..Math.Min(length, segment.Length)];
        var fieldOffset = tcp ? ChecksumCheck.TcpChecksumOffset : ChecksumCheck.UdpChecksumOffset;
        var verdict = ChecksumCheck.Transport(scope.AddressSum, scope.IsIPv4, protocol, covered, length, fieldOffset, out var field, out var calculated);
        // Shorter than IP says though the capture did not cut it: the receiver drops it whatever its checksum.
        if (verdict != ChecksumVerdict.Bad && segment.Length >= scope.DeclaredLength) return true;
        _current = _current.WithPorts(BinaryPrimitives.ReadUInt16BigEndian(segment), BinaryPrimitives.ReadUInt16BigEndian(segment[2..]));
        _output!.Add(new BadChecksumEvent(_current, tcp ? ChecksumLayer.Tcp : ChecksumLayer.Udp, field, calculated,
            segment.Length, offset + fieldOffset));
        return false;
    }

    /// <summary>What the transport layer needs from the IP layer to check its checksum.</summary>
    /// <param name="Check">Verification is on, the capture holds the whole frame, and no source route hides the final destination.</param>
    /// <param name="DeclaredLength">The upper-layer length the IP header states.</param>
    private readonly record struct ChecksumScope(bool Check, bool IsIPv4, ulong AddressSum, int DeclaredLength);

    private void DecodeTcp(in TcpSegment tcp, ReadOnlySpan<byte> payload)
    {
        var events = _output!;
        var key = new FlowKey(_current.Source.Ip!.Value, tcp.SourcePort, _current.Destination.Ip!.Value, tcp.DestinationPort);
        var reverse = key.Reverse();
        bool fromInitiator;
        var bareSyn = tcp.Has(TcpFlags.Syn) && !tcp.Has(TcpFlags.Ack);
        if (bareSyn && !(_connections.TryGetValue(key, out var open) && open.ClientToServer.InitialSequence == tcp.Sequence))
        {
            // A new connection, possibly reusing the ports of an old one: start from scratch. (The same ISN again is
            // a retransmitted or duplicated SYN of the connection already open.)
            Forget(key);
            Forget(reverse);
        }
        if (_connections.TryGetValue(key, out var connection)) fromInitiator = true;
        else if (_connections.TryGetValue(reverse, out connection)) fromInitiator = false;
        else if (!tcp.Has(TcpFlags.Syn) && payload.IsEmpty)
        {
            // An empty segment of a connection not (or no longer) tracked: the last ACK after a FIN or RST, or a
            // keep-alive of one whose start was not captured. Tracking starts at data or a SYN.
            events.Add(new TcpEvent(_current, tcp, 0, TcpAnalysis.None));
            return;
        }
        else
        {
            // The side that sends a bare SYN opened the connection; otherwise guess by the lower port being the server.
            var initiator = bareSyn || tcp.DestinationPort < tcp.SourcePort;
            connection = initiator ? new TcpConnection(this, _current.Source, _current.Destination) : new TcpConnection(this, _current.Destination, _current.Source);
            _connections[initiator ? key : reverse] = connection;
            fromInitiator = initiator;
            if (_connections.Count > _options.MaxTcpConnections) EvictIdleConnections();
        }
        var before = events.Count;
        var reassembler = fromInitiator ? connection.ClientToServer : connection.ServerToClient;
        var peer = fromInitiator ? connection.ServerToClient : connection.ClientToServer;
        connection.FromClient = fromInitiator;
        connection.LastFrame = _frameNumber;
        // This segment's acknowledgement speaks for the other direction: bytes the receiver had that the capture missed.
        if (tcp.Has(TcpFlags.Ack) && !tcp.Has(TcpFlags.Rst)) peer.OnAcknowledged(tcp.Acknowledgment);
        var analysis = reassembler.OnSegment(tcp.Sequence, tcp.Flags, payload);
        if (OnlyGaps(events, before)) events.Add(new TcpEvent(_current, tcp, payload.Length, analysis));
        if (tcp.Has(TcpFlags.Rst) || (connection.ClientToServer.Finished && connection.ServerToClient.Finished))
            Forget(fromInitiator ? key : reverse);
    }

    /// <summary>True when nothing above TCP came of this frame, so the segment itself is its event.</summary>
    private static bool OnlyGaps(List<DecodedEvent> events, int from)
    {
        for (var i = from; i < events.Count; i++)
            if (events[i] is not TcpGapEvent) return false;
        return true;
    }

    /// <summary>
    /// Ends the capture: gaps still open are given up and the bytes held behind them decoded, with events at the last
    /// frame. Call once after the last <see cref="Decode"/>.
    /// </summary>
    public void Finish(List<DecodedEvent> events)
    {
        _output = events;
        try
        {
            foreach (var connection in _connections.Values.OrderBy(c => c.LastFrame))
            {
                _current = _current with { Source = connection.Client, Destination = connection.Server };
                connection.FromClient = true;
                connection.ClientToServer.Flush();
                connection.ServerToClient.Flush();
                connection.Reset();
            }
            _connections.Clear();
        }
        finally
        {
            _output = null;
        }
    }

    private void Forget(FlowKey key)
    {
        if (_connections.Remove(key, out var connection)) connection.Reset();
    }

    /// <summary>Keeps the connection table bounded: drops the least recently active quarter, returning their buffers.</summary>
    private void EvictIdleConnections()
    {
        foreach (var (key, _) in _connections.OrderBy(c => c.Value.LastFrame).Take(_connections.Count / 4).ToList()) Forget(key);
    }

    /// <summary>The context of an event of one direction, whichever direction the frame being decoded went.</summary>
    private FrameContext ContextFor(TcpConnection connection, bool fromClient) =>
        connection.FromClient == fromClient ? _current : _current.Reversed();

    private void OnStreamBytes(TcpConnection connection, bool fromClient, ReadOnlySpan<byte> bytes) =>
        connection.Claim.OnBytes(fromClient, bytes, ContextFor(connection, fromClient), _output!);

    private void OnStreamGap(TcpConnection connection, bool fromClient, long streamOffset, long length)
    {
        _output!.Add(new TcpGapEvent(ContextFor(connection, fromClient), streamOffset, length));
        connection.Claim.OnGap(fromClient);
    }

    /// <summary>Remembers request paths by (client, server, token) so a response can name what it answers.</summary>
    private string? MatchCoapExchange(CoapMessage message)
    {
        if (message.IsEmpty) return null;
        var token = message.TokenHex;
        if (message.IsRequest)
        {
            if (_coapExchanges.Count > 10_000) _coapExchanges.Clear();
            _coapExchanges[(_current.Source, _current.Destination, token)] = message.UriPath ?? "/";
            return null;
        }
        return _coapExchanges.GetValueOrDefault((_current.Destination, _current.Source, token));
    }

    private void Truncated(string layer, int offset, int have) =>
        _output!.Add(new MalformedEvent(_current, layer, $"truncated: only {have} bytes captured", offset));

    private static bool IsPort(HashSet<ushort> ports, in UdpDatagram udp) =>
        ports.Contains(udp.SourcePort) || ports.Contains(udp.DestinationPort);

    private readonly record struct FlowKey(IpAddress Source, ushort SourcePort, IpAddress Destination, ushort DestinationPort)
    {
        public FlowKey Reverse() => new(Destination, DestinationPort, Source, SourcePort);
    }

    private sealed class TcpConnection
    {
        public TcpConnection(CaptureDecoder decoder, Endpoint client, Endpoint server)
        {
            Client = client;
            Server = server;
            var maxPendingBytes = decoder._options.MaxTcpPendingBytesPerStream;
            ClientToServer = new TcpReassembler(new Direction(decoder, this, fromClient: true), decoder._budget, maxPendingBytes);
            ServerToClient = new TcpReassembler(new Direction(decoder, this, fromClient: false), decoder._budget, maxPendingBytes);
            Claim = new TcpStreamClaim(ServerPort, client.Port!.Value, decoder._options.StreamProtocols, decoder._options);
        }

        /// <summary>The server's TCP port (TCP endpoints always carry one).</summary>
        public ushort ServerPort => Server.Port!.Value;
        public Endpoint Client { get; }
        public Endpoint Server { get; }
        public TcpReassembler ClientToServer { get; }
        public TcpReassembler ServerToClient { get; }
        /// <summary>The protocol the connection speaks (<see cref="DecoderOptions.StreamProtocols"/>), once one claims it.</summary>
        public TcpStreamClaim Claim { get; }

        /// <summary>Whether the frame being decoded went from the client.</summary>
        public bool FromClient { get; set; }

        public long LastFrame { get; set; }

        public void Reset()
        {
            ClientToServer.Reset();
            ServerToClient.Reset();
        }
    }

    /// <summary>One direction of a connection as the reassembler's sink.</summary>
    private sealed class Direction(CaptureDecoder decoder, TcpConnection connection, bool fromClient) : ITcpStreamSink
    {
        public void OnBytes(ReadOnlySpan<byte> bytes) => decoder.OnStreamBytes(connection, fromClient, bytes);

        public void OnGap(long streamOffset, long length) => decoder.OnStreamGap(connection, fromClient, streamOffset, length);
    }
}
