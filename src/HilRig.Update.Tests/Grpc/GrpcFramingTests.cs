using System.Buffers;
using HilRig.Update.Grpc;
using HilRig.Update.Protocol;
using NUnit.Framework;

namespace HilRig.Update.Tests.Grpc;

public class GrpcFramingTests
{
    [Test]
    public void Write_PrefixIsFlagZeroAndBigEndianLength()
    {
        var bytes = GrpcFrame.ToArray(new UpdateStatus { NodeId = "n", Priority = 1 });
        Assert.That(bytes[..5], Is.EqualTo(new byte[] { 0, 0, 0, 0, 5 }));
        Assert.That(UpdateStatus.Parser.ParseFrom(bytes[5..]).NodeId, Is.EqualTo("n"));
    }

    [Test]
    public void TryRead_MessageSplitAcrossSegments_WaitsThenReadsIt()
    {
        var bytes = GrpcFrame.ToArray(new UpdateStatus { NodeId = "node-1" });
        var partial = new ReadOnlySequence<byte>(bytes[..7]);
        Assert.That(GrpcFrame.TryRead(ref partial, 100, out _), Is.False);
        var whole = Segmented(bytes[..3], bytes[3..9], bytes[9..]);
        Assert.That(GrpcFrame.TryRead(ref whole, 100, out var message), Is.True);
        Assert.That(UpdateStatus.Parser.ParseFrom(message).NodeId, Is.EqualTo("node-1"));
        Assert.That(whole.Length, Is.Zero);
    }

    [TestCase(new byte[] { 1, 0, 0, 0, 1, 0 }, GrpcStatusCode.Internal, "compressed message received but no grpc-encoding was negotiated")]
    [TestCase(new byte[] { 7, 0, 0, 0, 1, 0 }, GrpcStatusCode.Internal, "message prefix has compressed-flag 7, not 0 or 1")]
    [TestCase(new byte[] { 0, 0x7F, 0xFF, 0xFF, 0xFF }, GrpcStatusCode.ResourceExhausted, "message of 2147483647 bytes is above the limit of 100")]
    public void TryRead_BadPrefix_IsAStatusError(byte[] bytes, GrpcStatusCode code, string detail)
    {
        var buffer = new ReadOnlySequence<byte>(bytes);
        var e = Assert.Throws<GrpcStatusException>(() => GrpcFrame.TryRead(ref buffer, 100, out _))!;
        Assert.That((e.Code, e.Detail), Is.EqualTo((code, detail)));
    }

    [TestCase("plain text: ok", "plain text: ok")]
    [TestCase("rig says no: ä", "rig says no: %C3%A4")]
    [TestCase("100% sure\n", "100%25 sure%0A")]
    public void MessageEncoding_PercentEncodesOnlyWhatTheSpecSays(string message, string wire)
    {
        Assert.That(GrpcMessageEncoding.Encode(message), Is.EqualTo(wire));
        Assert.That(GrpcMessageEncoding.Decode(wire), Is.EqualTo(message));
    }

    [Test]
    public void MessageEncoding_DecodeKeepsABrokenEscape() =>
        Assert.That(GrpcMessageEncoding.Decode("50%zz done %4"), Is.EqualTo("50%zz done %4"));

    private static ReadOnlySequence<byte> Segmented(params byte[][] parts)
    {
        var first = new Segment(parts[0], 0);
        var last = first;
        foreach (var part in parts.Skip(1)) last = last.Append(part);
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] data, long index)
        {
            Memory = data;
            RunningIndex = index;
        }

        public Segment Append(byte[] data)
        {
            var next = new Segment(data, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
