using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;

namespace HilRig.SoftBus.Coap;

/// <summary>
/// Resources behind a <see cref="CoapEndpoint"/>, with what a server owes its clients above the message layer:
/// <c>/.well-known/core</c> in CoRE link format with the §4.1 query filter (RFC 6690), Block2 for responses larger than
/// a block and Block1 reassembly of large request bodies (RFC 7959), 4.04/4.05 for unknown paths and methods.
/// </summary>
public sealed class CoapServer
{
    public const string WellKnownCore = "/.well-known/core";

    private readonly ConcurrentDictionary<string, CoapResource> _resources = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(IPEndPoint, string), Block1Transfer> _uploads = new();
    private readonly TimeProvider _time;

    public CoapServer(TimeProvider? time = null) => _time = time ?? TimeProvider.System;

    /// <summary>The largest block this server sends or accepts: 1024 bytes, so a block and its headers fit a 1152-byte message (§4.6).</summary>
    public int MaxBlockSize { get; init; } = 1024;

    /// <summary>The largest request body accepted through Block1 (beyond: 4.13 with Size1).</summary>
    public int MaxBodySize { get; init; } = 1 << 20;

    public CoapServer Add(CoapResource resource)
    {
        _resources[Normalize(resource.Path)] = resource;
        return this;
    }

    public bool Remove(string path) => _resources.TryRemove(Normalize(path), out _);

    public IEnumerable<CoapResource> Resources => _resources.Values.OrderBy(r => r.Path, StringComparer.Ordinal);

    private static string Normalize(string path) => "/" + path.Trim('/');

    /// <summary>The endpoint's request handler.</summary>
    public ValueTask<CoapMessage?> HandleAsync(CoapRequestContext context, CancellationToken cancellation)
    {
        var request = context.Request;
        var path = request.Path;
        if (path == WellKnownCore)
        {
            if (request.Code != CoapCode.Get) return Done(context, CoapCode.MethodNotAllowed);
            var links = Resources.Where(r => !r.Hidden).Select(r => new CoreLink(r.Path, r.Attributes));
            var filtered = LinkFormat.Filter(links, request.Queries.FirstOrDefault()).ToList();
            // §4.1: a filtered query that matches nothing is not answered over multicast.
            if (filtered.Count == 0 && context.ToGroup) return ValueTask.FromResult<CoapMessage?>(null);
            var body = System.Text.Encoding.UTF8.GetBytes(LinkFormat.Serialize(filtered));
            return ValueTask.FromResult<CoapMessage?>(Block2(request, CoapResource.Respond(CoapCode.Content, body, LinkFormat.ContentFormat)));
        }
        if (!_resources.TryGetValue(path, out var resource)) return Done(context, CoapCode.NotFound);
        var payload = request.Payload;
        if (request.Block1 is { } block1)
        {
            var step = Accept(context, block1);
            if (step.Reply is not null) return ValueTask.FromResult<CoapMessage?>(step.Reply);
            payload = step.Body;
        }
        var work = resource.Handler(context, payload, cancellation);
        if (work.IsCompletedSuccessfully) return ValueTask.FromResult(Finish(request, work.Result));
        return FinishAsync(request, work);
    }

    private async ValueTask<CoapMessage?> FinishAsync(CoapMessage request, ValueTask<CoapMessage?> work) => Finish(request, await work);

    private CoapMessage? Finish(CoapMessage request, CoapMessage? response)
    {
        if (response is null) return null;
        if (request.Block1 is { } b1) response.Block1 = b1 with { More = false };
        return Block2(request, response);
    }

    private static ValueTask<CoapMessage?> Done(CoapRequestContext context, CoapCode code) =>
        // §8.2: errors are not sent in answer to a group request.
        ValueTask.FromResult<CoapMessage?>(context.ToGroup ? null : new CoapMessage { Code = code });

    /// <summary>RFC 7959 §2.4: serves the requested block of a large representation, with its ETag and (on the first block) Size2.</summary>
    private CoapMessage Block2(CoapMessage request, CoapMessage response)
    {
        var requested = request.Block2;
        var size = Math.Min(MaxBlockSize, requested?.Size ?? MaxBlockSize);
        var szx = CoapBlock.ExponentFor(size);
        size = 1 << (szx + 4);
        var whole = response.Payload;
        if (requested is null && whole.Length <= size) return response;
        var number = requested?.Number ?? 0;
        var offset = (long)number * size;
        if (offset >= whole.Length && !(offset == 0 && whole.Length == 0))
            return new CoapMessage { Code = CoapCode.BadOption, Payload = System.Text.Encoding.UTF8.GetBytes($"block {number} is past the end ({whole.Length} bytes)") };
        var length = (int)Math.Min(size, whole.Length - offset);
        response.Payload = whole.Slice((int)offset, length);
        response.Block2 = new CoapBlock(number, offset + length < whole.Length, szx);
        if (response.ETag is null) response.Set(new CoapOption(CoapOptionNumber.ETag, SHA256.HashData(whole.Span)[..8]));
        if (number == 0 || request.Find(CoapOptionNumber.Size2) is not null)
            response.Set(CoapOption.UInt(CoapOptionNumber.Size2, (uint)whole.Length));
        return response;
    }

    private readonly record struct Block1Step(CoapMessage? Reply, ReadOnlyMemory<byte> Body);

    /// <summary>RFC 7959 §2.5: collects one block of a request body; 2.31 Continue until the last, 4.08 for a block out of order.</summary>
    private Block1Step Accept(CoapRequestContext context, CoapBlock block)
    {
        var key = (context.Remote, context.Request.Path);
        var payload = context.Request.Payload;
        var now = _time.GetUtcNow();
        foreach (var stale in _uploads.Where(u => now - u.Value.Touched > TimeSpan.FromMinutes(2)).Select(u => u.Key).ToList())
            _uploads.TryRemove(stale, out _);
        Block1Transfer transfer;
        if (block.Number == 0) _uploads[key] = transfer = new Block1Transfer(context.Request.Code);
        else if (!_uploads.TryGetValue(key, out transfer!) || transfer.Next != block.Offset || transfer.Method != context.Request.Code)
        {
            _uploads.TryRemove(key, out _);
            return new Block1Step(new CoapMessage { Code = CoapCode.RequestEntityIncomplete }, default);
        }
        if (block.More && payload.Length != block.Size)
            return new Block1Step(new CoapMessage { Code = CoapCode.BadRequest, Payload = System.Text.Encoding.UTF8.GetBytes($"block {block.Number} carries {payload.Length} bytes, not {block.Size}") }, default);
        if (transfer.Next + payload.Length > MaxBodySize)
        {
            _uploads.TryRemove(key, out _);
            var tooLarge = new CoapMessage { Code = CoapCode.RequestEntityTooLarge };
            tooLarge.Add(CoapOption.UInt(CoapOptionNumber.Size1, (uint)MaxBodySize));
            return new Block1Step(tooLarge, default);
        }
        transfer.Body.Write(payload.Span);
        transfer.Touched = now;
        if (block.More)
        {
            // Acknowledge with our block size if it is smaller: the client continues with it (§2.5).
            var szx = Math.Min(block.SizeExponent, CoapBlock.ExponentFor(MaxBlockSize));
            var reply = new CoapMessage { Code = CoapCode.Continue };
            reply.Block1 = new CoapBlock(block.Number, true, szx);
            return new Block1Step(reply, default);
        }
        _uploads.TryRemove(key, out _);
        return new Block1Step(null, transfer.Body.ToArray());
    }

    private sealed class Block1Transfer(CoapCode method)
    {
        public CoapCode Method { get; } = method;
        public MemoryStream Body { get; } = new();
        public long Next => Body.Length;
        public DateTimeOffset Touched { get; set; }
    }
}
