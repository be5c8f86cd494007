using System.Net;
using HilRig.SoftBus.Coap;
using HilRig.SoftBus.Tests.Support;
using NUnit.Framework;

namespace HilRig.SoftBus.Tests.Coap;

/// <summary>RFC 7959 between our client and server, and the server's /.well-known/core (RFC 6690).</summary>
public class BlockwiseTests
{
    private MemoryNetwork _net = null!;
    private CoapEndpoint _server = null!, _clientEndpoint = null!;
    private byte[] _stored = [];
    private static readonly byte[] Big = Enumerable.Range(0, 5000).Select(i => (byte)(i * 7)).ToArray();
    private static readonly IPEndPoint ServerAt = new(IPAddress.Parse("10.0.0.2"), 5683);

    [SetUp]
    public void SetUp()
    {
        _net = new MemoryNetwork(TimeProvider.System);
        var server = new CoapServer { MaxBlockSize = 256 }
            .Add(new CoapResource("/big", (_, _, _) => ValueTask.FromResult<CoapMessage?>(CoapResource.Respond(CoapCode.Content, Big, 42)))
                { Attributes = [new("rt", "hilrig.big"), new("ct", "42")] })
            .Add(new CoapResource("/store", (r, body, _) =>
            {
                if (r.Request.Code == CoapCode.Get) return ValueTask.FromResult<CoapMessage?>(CoapResource.Respond(CoapCode.Content, _stored));
                _stored = body.ToArray();
                return ValueTask.FromResult<CoapMessage?>(CoapResource.Respond(CoapCode.Changed, $"{body.Length}"));
            }));
        _server = new CoapEndpoint(_net.Add("10.0.0.2", 5683), handler: server.HandleAsync);
        _clientEndpoint = new CoapEndpoint(_net.Add("10.0.0.1", 5683));
    }

    [TearDown]
    public async Task TearDown()
    {
        await _server.DisposeAsync();
        await _clientEndpoint.DisposeAsync();
    }

    [Test]
    public async Task Get_LargeResource_ComesInBlock2Pieces_AndIsReassembled()
    {
        var response = await new CoapClient(_clientEndpoint) { BlockSize = 1024 }.GetAsync(ServerAt, "/big");
        Assert.That(response.Payload.ToArray(), Is.EqualTo(Big));
        var blocks = _net.From(_server.LocalEndPoint).Select(s => s.Message.Block2!.Value).ToList();
        Assert.That(blocks.Select(b => (int)b.Number), Is.EqualTo(Enumerable.Range(0, 20)), "server's 256-byte blocks, in order");
        Assert.That(blocks.Take(19).All(b => b.More) && !blocks[^1].More, Is.True, "M set on all but the last");
        Assert.That(blocks.All(b => b.Size == 256));
        var first = _net.From(_server.LocalEndPoint)[0].Message;
        Assert.That(first.Find(CoapOptionNumber.Size2)!.Value.AsUInt(), Is.EqualTo(5000));
        Assert.That(first.ETag, Has.Length.EqualTo(8));
        Assert.That(_net.From(_clientEndpoint.LocalEndPoint).Select(s => s.Message.TokenHex).Distinct().Count(), Is.EqualTo(20), "a new token per block");
    }

    [Test]
    public async Task Put_LargeBody_GoesInBlock1Pieces_ServerShrinksTheBlockSize()
    {
        var client = new CoapClient(_clientEndpoint) { BlockSize = 1024 };
        var response = await client.PutAsync(ServerAt, "/store", Big);
        Assert.That(response.Code, Is.EqualTo(CoapCode.Changed));
        Assert.That(response.PayloadText, Is.EqualTo("5000"));
        Assert.That(_stored, Is.EqualTo(Big));
        var sent = _net.From(_clientEndpoint.LocalEndPoint).Select(s => s.Message.Block1!.Value).ToList();
        Assert.That(sent[0].Size, Is.EqualTo(1024));
        Assert.That(sent.Skip(1).All(b => b.Size == 256), Is.True, "continues in the server's size");
        Assert.That(sent[1].Number, Is.EqualTo(4), "from the same offset: 1024 / 256");
        Assert.That(_net.From(_server.LocalEndPoint).Count(s => s.Message.Code == CoapCode.Continue), Is.EqualTo(sent.Count - 1));
        var round = await client.GetAsync(ServerAt, "/store");
        Assert.That(round.Payload.ToArray(), Is.EqualTo(Big));
    }

    [Test]
    public async Task Block1_OutOfOrder_Gets408()
    {
        var request = CoapMessage.Request(CoapCode.Put, "/store");
        request.Payload = new byte[256];
        request.Block1 = new CoapBlock(3, true, 4);
        var response = await _clientEndpoint.RequestAsync(request, ServerAt);
        Assert.That(response.Code, Is.EqualTo(CoapCode.RequestEntityIncomplete));
    }

    [Test]
    public async Task WellKnownCore_ListsResourcesInLinkFormat_AndFilters()
    {
        var client = new CoapClient(_clientEndpoint);
        var all = await client.GetAsync(ServerAt, CoapServer.WellKnownCore);
        Assert.That(all.ContentFormat, Is.EqualTo(LinkFormat.ContentFormat));
        var links = LinkFormat.Parse(all.PayloadText);
        Assert.That(links.Select(l => l.Target), Is.EqualTo(new[] { "/big", "/store" }));
        var filtered = await client.GetAsync(ServerAt, CoapServer.WellKnownCore + "?rt=hilrig.*");
        Assert.That(LinkFormat.Parse(filtered.PayloadText).Select(l => l.Target), Is.EqualTo(new[] { "/big" }));
        var missing = await client.GetAsync(ServerAt, "/nothere");
        Assert.That(missing.Code, Is.EqualTo(CoapCode.NotFound));
    }
}
