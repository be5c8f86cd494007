namespace HilRig.SoftBus.Coap;

/// <summary>
/// Handles one resource's requests. <paramref name="body"/> is the whole request payload (the server has put Block1
/// transfers together); the response payload may be any size (the server serves it in Block2 pieces).
/// Return null for no response.
/// </summary>
public delegate ValueTask<CoapMessage?> CoapResourceHandler(CoapRequestContext request, ReadOnlyMemory<byte> body, CancellationToken cancellation);

/// <summary>A resource on a <see cref="CoapServer"/>: its path, its handler and the link attributes <c>/.well-known/core</c> lists.</summary>
public sealed record CoapResource(string Path, CoapResourceHandler Handler)
{
    /// <summary>Link attributes such as rt, if, ct, title (RFC 6690 §3).</summary>
    public IReadOnlyList<KeyValuePair<string, string?>> Attributes { get; init; } = [];

    /// <summary>Left out of <c>/.well-known/core</c>.</summary>
    public bool Hidden { get; init; }

    public static CoapMessage Respond(CoapCode code, ReadOnlyMemory<byte> payload = default, uint? contentFormat = null)
    {
        var m = new CoapMessage { Code = code, Payload = payload };
        if (contentFormat is { } cf) m.ContentFormat = cf;
        return m;
    }

    public static CoapMessage Respond(CoapCode code, string text) => Respond(code, System.Text.Encoding.UTF8.GetBytes(text), 0);
}
