using System.Net;

namespace HilRig.SoftBus.Coap;

/// <summary>
/// Requests with block-wise transfers done for the caller (RFC 7959): a body larger than a block goes out in Block1
/// pieces (following a server that asks for smaller blocks), and a response that comes in Block2 pieces is fetched to
/// its end and checked against its ETag. Each block is its own exchange, with a new message id and token.
/// </summary>
public sealed class CoapClient(CoapEndpoint endpoint)
{
    public CoapEndpoint Endpoint => endpoint;

    /// <summary>The block size asked for and sent in (16–1024).</summary>
    public int BlockSize { get; init; } = 1024;

    public Task<CoapMessage> GetAsync(IPEndPoint server, string path, CancellationToken cancellation = default) =>
        SendAsync(CoapMessage.Request(CoapCode.Get, path), server, cancellation);

    public Task<CoapMessage> PostAsync(IPEndPoint server, string path, ReadOnlyMemory<byte> body, uint? contentFormat = null, CancellationToken cancellation = default)
    {
        var request = CoapMessage.Request(CoapCode.Post, path);
        request.Payload = body;
        request.ContentFormat = contentFormat;
        return SendAsync(request, server, cancellation);
    }

    public Task<CoapMessage> PutAsync(IPEndPoint server, string path, ReadOnlyMemory<byte> body, uint? contentFormat = null, CancellationToken cancellation = default)
    {
        var request = CoapMessage.Request(CoapCode.Put, path);
        request.Payload = body;
        request.ContentFormat = contentFormat;
        return SendAsync(request, server, cancellation);
    }

    /// <summary>Sends <paramref name="request"/> (used as a template, not changed) and returns the whole response.</summary>
    public async Task<CoapMessage> SendAsync(CoapMessage request, IPEndPoint server, CancellationToken cancellation = default)
    {
        var response = request.Payload.Length > BlockSize
            ? await SendBlock1Async(request, server, cancellation)
            : await endpoint.RequestAsync(Fresh(request), server, cancellation);
        return response.Block2 is { More: true } ? await FetchRestAsync(request, response, server, cancellation) : response;
    }

    private static CoapMessage Fresh(CoapMessage template)
    {
        var copy = template.Clone();
        copy.Token = [];
        return copy;
    }

    private async Task<CoapMessage> SendBlock1Async(CoapMessage request, IPEndPoint server, CancellationToken cancellation)
    {
        var body = request.Payload;
        var szx = CoapBlock.ExponentFor(BlockSize);
        var offset = 0;
        while (true)
        {
            var size = 1 << (szx + 4);
            var length = Math.Min(size, body.Length - offset);
            var more = offset + length < body.Length;
            var block = Fresh(request);
            block.Payload = body.Slice(offset, length);
            block.Block1 = new CoapBlock((uint)(offset / size), more, szx);
            if (offset == 0) block.Set(CoapOption.UInt(CoapOptionNumber.Size1, (uint)body.Length));
            var response = await endpoint.RequestAsync(block, server, cancellation);
            if (!more || response.Code != CoapCode.Continue) return response;
            offset += length;
            // §2.5: the server may ask for smaller blocks; carry on from the same offset in its size.
            if (response.Block1 is { } ack && ack.SizeExponent < szx) szx = ack.SizeExponent;
        }
    }

    private async Task<CoapMessage> FetchRestAsync(CoapMessage request, CoapMessage first, IPEndPoint server, CancellationToken cancellation)
    {
        var body = new MemoryStream();
        body.Write(first.Payload.Span);
        var etag = first.ETag;
        var block = first.Block2!.Value;
        var last = first;
        while (block.More)
        {
            var next = Fresh(request);
            next.Payload = default;
            next.Remove(CoapOptionNumber.Block1).Remove(CoapOptionNumber.Size1);
            if (next.Code != CoapCode.Get) next.Code = CoapCode.Get; // the rest of a POST's answer is fetched with GET (§2.4)
            next.Block2 = new CoapBlock(block.Number + 1, false, block.SizeExponent);
            last = await endpoint.RequestAsync(next, server, cancellation);
            if (!last.Code.IsSuccess) return last;
            if (last.Block2 is not { } got || got.Number != block.Number + 1)
                throw new InvalidDataException($"asked {server} for block {block.Number + 1} of {request.Path}, got {last.Block2?.ToString() ?? "no Block2"}");
            if (etag is not null && last.ETag is { } tag && !tag.AsSpan().SequenceEqual(etag))
                throw new InvalidDataException($"{request.Path} changed while its blocks were fetched (ETag differs at block {got.Number})");
            body.Write(last.Payload.Span);
            block = got;
        }
        var whole = last.Clone();
        whole.Payload = body.ToArray();
        return whole;
    }
}
