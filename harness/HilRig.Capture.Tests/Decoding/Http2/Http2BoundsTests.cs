using System.Buffers.Binary;
using System.Text;
using HilRig.Capture.Decoding;
using HilRig.Capture.Decoding.Grpc;
using HilRig.Capture.Decoding.Http2;
using HilRig.Capture.Events;
using NUnit.Framework;

namespace HilRig.Capture.Tests.Decoding.Http2;

/// <summary>
/// What one HTTP/2 connection may cost the decoder: closed streams are forgotten, streams never closed are capped, and a
/// gRPC message too large to buffer is reported and skipped by its length instead of growing a buffer without bound.
/// </summary>
public class Http2BoundsTests
{
    private static readonly FrameContext Context = new(1, 0, 0, FrameDirection.Unknown, default, default);

    private static byte[] Frame(byte type, byte flags, uint stream, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[9 + payload.Length];
        frame[0] = (byte)(payload.Length >> 16);
        frame[1] = (byte)(payload.Length >> 8);
        frame[2] = (byte)payload.Length;
        frame[3] = type;
        frame[4] = flags;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(5), stream);
        payload.CopyTo(frame.AsSpan(9));
        return frame;
    }

    /// <summary>HPACK literal header fields without indexing, new name, no Huffman (RFC 7541 §6.2.2).</summary>
    private static byte[] Headers(params (string Name, string Value)[] fields)
    {
        var block = new List<byte>();
        foreach (var (name, value) in fields)
        {
            block.Add(0);
            block.Add((byte)name.Length);
            block.AddRange(Encoding.ASCII.GetBytes(name));
            block.Add((byte)value.Length);
            block.AddRange(Encoding.ASCII.GetBytes(value));
        }
        return block.ToArray();
    }

    private const byte Data = 0, HeadersType = 1, RstStream = 3, EndStream = 1, EndHeaders = 4;

    private static byte[] GrpcMessage(int length) => [0, .. BitConverter.IsLittleEndian ? BitConverter.GetBytes(length).Reverse() : BitConverter.GetBytes(length), .. new byte[length]];

    private static Http2ConnectionDecoder Connected(List<DecodedEvent> output)
    {
        var decoder = new Http2ConnectionDecoder(new GrpcMessageRegistry());
        decoder.OnBytes(true, [.. Http2FrameReader.ClientPreface, .. Frame(4, 0, 0, [])], Context, output);
        decoder.OnBytes(false, Frame(4, 0, 0, []), Context, output);
        return decoder;
    }

    private static byte[] GrpcRequestHeaders(uint stream, byte flags = EndHeaders) =>
        Frame(HeadersType, flags, stream, Headers((":method", "POST"), (":path", "/demo.Svc/Call"), ("content-type", "application/grpc")));

    [Test]
    public void StreamsClosedByBothSides_AreForgotten()
    {
        var output = new List<DecodedEvent>();
        var decoder = Connected(output);
        for (uint stream = 1; stream < 20_000; stream += 2)
        {
            decoder.OnBytes(true, [.. GrpcRequestHeaders(stream), .. Frame(Data, EndStream, stream, GrpcMessage(3))], Context, output);
            decoder.OnBytes(false, [.. Frame(HeadersType, EndHeaders, stream, Headers((":status", "200"), ("content-type", "application/grpc"))),
                .. Frame(Data, 0, stream, GrpcMessage(2)), .. Frame(HeadersType, EndHeaders | EndStream, stream, Headers(("grpc-status", "0")))], Context, output);
            if (stream % 1000 == 1) output.Clear();
        }
        Assert.That(decoder.TrackedStreams, Is.Zero);
    }

    [Test]
    public void ResetStreams_AreForgotten()
    {
        var output = new List<DecodedEvent>();
        var decoder = Connected(output);
        decoder.OnBytes(true, GrpcRequestHeaders(1), Context, output);
        decoder.OnBytes(false, Frame(RstStream, 0, 1, [0, 0, 0, 8]), Context, output);
        Assert.That(decoder.TrackedStreams, Is.Zero);
    }

    [Test]
    public void StreamsNeverClosed_AreCapped_OldestFirst()
    {
        var output = new List<DecodedEvent>();
        var decoder = Connected(output);
        for (uint stream = 1; stream < 2 * 2 * Http2ConnectionDecoder.MaxTrackedStreams; stream += 2)
            decoder.OnBytes(true, GrpcRequestHeaders(stream), Context, output);
        Assert.That(decoder.TrackedStreams, Is.EqualTo(Http2ConnectionDecoder.MaxTrackedStreams));
        // The newest stream is still decoded as gRPC.
        var last = (uint)(2 * 2 * Http2ConnectionDecoder.MaxTrackedStreams - 1);
        output.Clear();
        decoder.OnBytes(true, Frame(Data, 0, last, GrpcMessage(4)), Context, output);
        Assert.That(output.OfType<GrpcEvent>().Single().Length, Is.EqualTo(4));
    }

    [Test]
    public void GrpcMessageOverTheLimit_ReportedAndSkipped_TheNextOneDecodes()
    {
        var output = new List<DecodedEvent>();
        var decoder = Connected(output);
        decoder.OnBytes(true, GrpcRequestHeaders(1), Context, output);
        var huge = Http2ConnectionDecoder.MaxGrpcMessageLength + 1;
        var header = new byte[5];
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(1), (uint)huge);
        decoder.OnBytes(true, Frame(Data, 0, 1, header), Context, output);
        var chunk = new byte[16_000];
        var sent = 0;
        while (sent < huge)
        {
            var n = Math.Min(chunk.Length, huge - sent);
            decoder.OnBytes(true, Frame(Data, 0, 1, chunk.AsSpan(0, n)), Context, output);
            sent += n;
            Assert.That(decoder.BufferedGrpcBytes, Is.LessThan(64 * 1024), "the skipped message is not buffered");
        }
        decoder.OnBytes(true, Frame(Data, EndStream, 1, GrpcMessage(7)), Context, output);
        var messages = output.OfType<GrpcEvent>().ToList();
        Assert.That(messages.Select(m => m.Length), Is.EqualTo(new[] { huge, 7 }));
        Assert.That(messages[0].WireDescription, Does.Contain("not decoded"));
        Assert.That(output.OfType<MalformedEvent>(), Is.Empty);
    }

    [Test]
    public void ManyStreamsBufferingLargeMessages_StayWithinTheConnectionBudget()
    {
        var output = new List<DecodedEvent>();
        var decoder = Connected(output);
        var length = Http2ConnectionDecoder.MaxGrpcMessageLength; // each one allowed alone
        var half = new byte[5 + length / 2];
        BinaryPrimitives.WriteUInt32BigEndian(half.AsSpan(1), (uint)length);
        for (uint stream = 1; stream < 64; stream += 2)
        {
            decoder.OnBytes(true, GrpcRequestHeaders(stream), Context, output);
            for (var at = 0; at < half.Length; at += 16_000)
                decoder.OnBytes(true, Frame(Data, 0, stream, half.AsSpan(at, Math.Min(16_000, half.Length - at))), Context, output);
        }
        Assert.That(decoder.BufferedGrpcBytes, Is.LessThanOrEqualTo(Http2ConnectionDecoder.MaxBufferedGrpcBytes));
        Assert.That(output.OfType<GrpcEvent>().Where(e => e.WireDescription?.Contains("not decoded") == true), Is.Not.Empty);
    }
}
