using FsCheck;
using FsCheck.Fluent;
using HilRig.Capture.Decoding;
using HilRig.Capture.Decoding.Coap;
using HilRig.Capture.Decoding.Dns;
using HilRig.Capture.Decoding.Http2;
using HilRig.Capture.Events;
using HilRig.Capture.Files;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.Capture.Tests.Decoding;

/// <summary>
/// Random and mutated inputs: a decoder may return false (need more) or throw <see cref="ProtocolViolationException"/>,
/// nothing else; the frame pipeline never throws at all. Each property states how many inputs it tries.
/// </summary>
public class DecoderPropertyTests
{
    private const int RandomInputs = 2000;
    private static readonly Config Runs = Config.QuickThrowOnFailure.WithMaxTest(RandomInputs).WithStartSize(1).WithEndSize(300);

    private static bool OnlyFalseOrViolation(Func<bool> decode)
    {
        try
        {
            decode();
            return true;
        }
        catch (ProtocolViolationException)
        {
            return true;
        }
    }

    [Test, Description("2000 random byte arrays per decoder")]
    public void EveryDecoder_RandomBytes_FalseOrViolationOnly()
    {
        Prop.ForAll<byte[]>(bytes => OnlyFalseOrViolation(() => CoapReader.TryRead(bytes, out _))).Check(Runs);
        Prop.ForAll<byte[]>(bytes => OnlyFalseOrViolation(() => DnsReader.TryRead(bytes, out _))).Check(Runs);
        Prop.ForAll<byte[]>(bytes => OnlyFalseOrViolation(() => { new HpackDecoder().Decode(bytes, new List<HeaderField>()); return true; })).Check(Runs);
        Prop.ForAll<byte[]>(bytes => OnlyFalseOrViolation(() => Http2FrameReader.TryReadFrame(bytes, 16384, 0, out _, out _))).Check(Runs);
    }

    [Test, Description("2000 random frames per link type through the whole pipeline")]
    public void CaptureDecoder_RandomFrames_NeverThrows_AlwaysAnEvent(
        [Values(LinkType.Ethernet, LinkType.Raw, LinkType.LinuxSll, LinkType.Null, (LinkType)147)] LinkType link)
    {
        var decoder = new CaptureDecoder(new DecoderOptions { Http2Ports = [80] });
        Prop.ForAll<byte[]>(bytes =>
        {
            var events = new List<DecodedEvent>();
            decoder.Decode(new CapturedFrame(0, link, bytes, bytes.Length), events);
            return events.Count >= 1;
        }).Check(Runs);
    }

    [Test, Description("2000 single-byte mutations and truncations of every frame of the recorded captures")]
    public void CaptureDecoder_MutatedRealFrames_NeverThrows()
    {
        var frames = Directory.GetFiles(RepoPaths.Fixtures("captures"), "*.pcap").SelectMany(CaptureFile.ReadAll).ToArray();
        var gen =
            from index in Gen.Choose(0, frames.Length - 1)
            from position in Gen.Choose(0, 2000)
            from value in Gen.Choose(0, 255)
            from cut in Gen.Choose(0, 2000)
            select (index, position, (byte)value, cut);
        Prop.ForAll(gen.ToArbitrary(), t =>
        {
            var data = frames[t.index].Data.ToArray();
            if (data.Length > 0) data[t.position % data.Length] = t.Item3;
            data = data[..Math.Min(data.Length, t.cut)];
            var events = new List<DecodedEvent>();
            // A fresh decoder fed the whole capture with one frame replaced, so the stream decoders see a corrupt segment.
            var decoder = new CaptureDecoder();
            for (var i = 0; i < frames.Length; i++)
                decoder.Decode(i == t.index ? frames[i] with { Data = data } : frames[i], events);
            return events.Count >= frames.Length;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(RandomInputs));
    }

    [Test, Description("2000 random cut points in a real capture file")]
    public void CaptureReader_CutAnywhere_FramesThenOffsetError()
    {
        var whole = File.ReadAllBytes(RepoPaths.Fixtures("captures", "coap-libcoap.pcap"));
        var complete = CaptureFile.Open(new MemoryStream(whole), "whole").ReadAll().Count;
        Prop.ForAll(Gen.Choose(0, whole.Length).ToArbitrary(), cut =>
        {
            try
            {
                using var reader = CaptureFile.Open(new MemoryStream(whole[..cut]), "cut");
                var n = reader.ReadAll().Count;
                return n <= complete;
            }
            catch (CaptureFormatException e)
            {
                return e.Offset >= 0 && e.Offset <= cut;
            }
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(RandomInputs));
    }

    [Test, Description("2000 random CoAP messages encoded then decoded")]
    public void Coap_RandomValidMessages_RoundTrip()
    {
        var gen =
            from type in Gen.Choose(0, 3)
            from code in Gen.Choose(1, 255)
            from mid in Gen.Choose(0, 65535)
            from token in Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>()).Where(t => t.Length <= 8)
            from numbers in Gen.ListOf(Gen.Choose(1, 2000))
            from payload in Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>())
            select (type, code, mid, token, numbers.Select(n => n == 23 || n == 27 ? n + 1 : n).Order().ToArray(), payload);
        Prop.ForAll(gen.ToArbitrary(), t =>
        {
            var options = t.Item5.Select((n, i) => (n, new byte[i % 300])).ToArray();
            var bytes = CoapTestEncoder.Encode((CoapType)t.type, (byte)t.code, (ushort)t.mid, t.token, options, t.payload);
            Assert.That(CoapReader.TryRead(bytes, out var m), Is.True);
            return m!.MessageId == t.mid && m.TokenHex == Convert.ToHexString(t.token).ToLowerInvariant()
                && m.Options.Select(o => o.Number).SequenceEqual(t.Item5)
                && m.Options.Select(o => o.Value.Length).SequenceEqual(options.Select(o => o.Item2.Length))
                && m.Payload.Span.SequenceEqual(t.payload);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(RandomInputs));
    }
}
