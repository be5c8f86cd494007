using HilRig.Capture.Decoding;
using HilRig.Capture.Decoding.Grpc;
using HilRig.Capture.Events;
using HilRig.Capture.Tests.Demo;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.Capture.Tests.Decoding;

/// <summary>
/// Our decoders and tshark read the same recorded captures (real libcoap and @grpc/grpc-js traffic, see
/// fixtures/captures/generate.sh) and must agree field by field.
/// </summary>
public class TsharkAgreementTests
{
    [TestCase("coap-libcoap.pcap")]
    [TestCase("coap-retransmit.pcap")]
    public void Coap_EveryMessage_MatchesTsharkFields(string file)
    {
        var path = RepoPaths.Fixtures("captures", file);
        var expected = Tshark.Fields(path, "coap",
            ["coap.type", "coap.code", "coap.mid", "coap.token", "coap.opt.uri_path_recon", "coap.opt.block_number", "coap.opt.block_mflag"]);
        var ours = CaptureDecoder.DecodeFile(path).OfType<CoapEvent>().Select(e => new[]
        {
            e.Frame.ToString(),
            ((int)e.Message.Type).ToString(),
            e.Message.Code.ToString(),
            e.Message.MessageId.ToString(),
            e.Message.TokenHex,
            e.Message.UriPath ?? e.RequestPath ?? "",
            (e.Message.Block1 ?? e.Message.Block2)?.Number.ToString() ?? "",
            (e.Message.Block1 ?? e.Message.Block2) is { } b ? (b.More ? "1" : "0") : "",
        }).ToList();
        Assert.That(expected, Is.Not.Empty, "the fixture holds CoAP traffic");
        Assert.That(ours.Select(r => string.Join(" | ", r)), Is.EqualTo(expected.Select(r => string.Join(" | ", r))));
    }

    [Test]
    public void Coap_Block1AndBlock2Transfers_AreBothPresentInFixture()
    {
        var events = CaptureDecoder.DecodeFile(RepoPaths.Fixtures("captures", "coap-libcoap.pcap")).OfType<CoapEvent>().ToList();
        Assert.That(events.Where(e => e.Message.Block2 is { More: false }).Select(e => e.Message.Block2!.Value.Number), Does.Contain(9u));
        Assert.That(events.Count(e => e.Message.Block1 is not null && e.Message.IsRequest), Is.EqualTo(4));
        Assert.That(events.Single(e => e.Message.Code == 132).Message.CodeText, Is.EqualTo("4.04"));
    }

    private static DecoderOptions GrpcOptions()
    {
        var registry = new GrpcMessageRegistry();
        registry.RegisterFile(DemoReflection.Descriptor);
        return new DecoderOptions { Grpc = registry };
    }

    [Test]
    public void Grpc_MessageLengthsPerFrame_MatchTshark()
    {
        var path = RepoPaths.Fixtures("captures", "grpc-demo.pcap");
        var expected = Tshark.Fields(path, "grpc", ["grpc.message_length"], "-d", "tcp.port==50051,http2");
        var ours = CaptureDecoder.DecodeFile(path, GrpcOptions()).OfType<GrpcEvent>()
            .GroupBy(e => e.Frame)
            .Select(g => new[] { g.Key.ToString(), string.Join(",", g.Select(e => e.Length)) })
            .ToList();
        Assert.That(expected, Has.Count.GreaterThanOrEqualTo(4));
        Assert.That(ours.Select(r => string.Join(" | ", r)), Is.EqualTo(expected.Select(r => string.Join(" | ", r))));
    }

    [Test]
    public void Http2_FrameTypesAndHeaderPaths_MatchTshark()
    {
        var path = RepoPaths.Fixtures("captures", "grpc-demo.pcap");
        var expected = Tshark.Fields(path, "http2", ["http2.type", "http2.headers.path"], "-d", "tcp.port==50051,http2");
        // Our decoder finds HTTP/2 by the connection preface alone: no port hint given.
        var events = CaptureDecoder.DecodeFile(path).OfType<Http2Event>().ToList();
        var ours = events.GroupBy(e => e.Frame).Select(g => new[]
        {
            g.Key.ToString(),
            string.Join(",", g.Select(e => (int)e.Header.Type)),
            string.Join(",", g.Select(e => e.HeaderValue(":path")).Where(p => p is not null)),
        }).ToList();
        Assert.That(ours.Select(r => string.Join(" | ", r)), Is.EqualTo(expected.Select(r => string.Join(" | ", r))));
    }

    [Test]
    public void Grpc_MessagesDecodeIntoRegisteredProtobufTypes()
    {
        var events = CaptureDecoder.DecodeFile(RepoPaths.Fixtures("captures", "grpc-demo.pcap"), GrpcOptions()).OfType<GrpcEvent>().ToList();
        var status = events.Single(e => e.Path == "/demo.Updater/GetStatus" && e.Direction == GrpcDirection.Response).Message as Status;
        Assert.That(status, Is.Not.Null);
        Assert.That(status!.Unit, Is.EqualTo("um1"));
        Assert.That(status.Version, Is.EqualTo(7));
        Assert.That(status.Components, Is.EqualTo(new[] { "rootfs", "bootloader", "app" }));
        var commands = events.Where(e => e.Path == "/demo.Updater/Exchange" && e.Direction == GrpcDirection.Response).Select(e => e.MessageKind);
        Assert.That(commands, Is.EqualTo(new[] { "Prepare", "Start" }));
        var reports = events.Where(e => e.Path == "/demo.Updater/Exchange" && e.Direction == GrpcDirection.Request).Select(e => ((Report)e.Message!).State);
        Assert.That(reports, Is.EqualTo(new[] { "IDLE", "PREPARED" }));
    }

    [Test]
    public void Grpc_UnregisteredPath_DescribedFromWireFormat()
    {
        var events = CaptureDecoder.DecodeFile(RepoPaths.Fixtures("captures", "grpc-demo.pcap")).OfType<GrpcEvent>().ToList();
        var request = events.First(e => e.Path == "/demo.Updater/GetStatus");
        Assert.That(request.Message, Is.Null);
        Assert.That(request.WireDescription, Is.EqualTo("1:\"um1\""));
    }

    [Test]
    public void AllFixtures_DecodeWithoutMalformedEvents()
    {
        foreach (var file in Directory.GetFiles(RepoPaths.Fixtures("captures"), "*.pcap*"))
        {
            var malformed = CaptureDecoder.DecodeFile(file, GrpcOptions()).OfType<MalformedEvent>().ToList();
            Assert.That(malformed, Is.Empty, $"{Path.GetFileName(file)}: {string.Join("; ", malformed)}");
        }
    }
}
