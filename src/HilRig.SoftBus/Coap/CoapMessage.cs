using System.Text;

namespace HilRig.SoftBus.Coap;

/// <summary>
/// One CoAP message (RFC 7252 §3). Options are kept sorted by number (the order the encoding needs); options of the
/// same number keep the order they were added in, which is what repeated Uri-Path segments mean.
/// </summary>
public sealed class CoapMessage
{
    private readonly List<CoapOption> _options = new();

    public CoapType Type { get; set; }

    public CoapCode Code { get; set; }

    public ushort MessageId { get; set; }

    /// <summary>0–8 bytes.</summary>
    public byte[] Token { get; set; } = [];

    public IReadOnlyList<CoapOption> Options => _options;

    public ReadOnlyMemory<byte> Payload { get; set; }

    public bool IsEmpty => Code.IsEmpty;

    public bool IsRequest => Code.IsRequest;

    public bool IsResponse => Code.IsResponse;

    public string TokenHex => Convert.ToHexStringLower(Token);

    public static CoapMessage Request(CoapCode method, string path, CoapType type = CoapType.Confirmable)
    {
        var m = new CoapMessage { Type = type, Code = method };
        m.SetPath(path);
        return m;
    }

    /// <summary>Adds an option after any others of its number.</summary>
    public CoapMessage Add(CoapOption option)
    {
        var i = _options.Count;
        while (i > 0 && _options[i - 1].Number > option.Number) i--;
        _options.Insert(i, option);
        return this;
    }

    public CoapMessage Remove(int number)
    {
        _options.RemoveAll(o => o.Number == number);
        return this;
    }

    /// <summary>Replaces every option of this number with one value.</summary>
    public CoapMessage Set(CoapOption option) => Remove(option.Number).Add(option);

    public CoapOption? Find(int number)
    {
        foreach (var o in _options) if (o.Number == number) return o;
        return null;
    }

    public IEnumerable<CoapOption> All(int number) => _options.Where(o => o.Number == number);

    /// <summary>"/a/b" → Uri-Path "a", "b"; a "?x=1&amp;y" part becomes Uri-Query options.</summary>
    public void SetPath(string path)
    {
        Remove(CoapOptionNumber.UriPath).Remove(CoapOptionNumber.UriQuery);
        var q = path.IndexOf('?');
        var pathPart = q < 0 ? path : path[..q];
        foreach (var segment in pathPart.Split('/', StringSplitOptions.RemoveEmptyEntries))
            Add(CoapOption.String(CoapOptionNumber.UriPath, Uri.UnescapeDataString(segment)));
        if (q >= 0)
            foreach (var query in path[(q + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
                Add(CoapOption.String(CoapOptionNumber.UriQuery, Uri.UnescapeDataString(query)));
    }

    /// <summary>The Uri-Path options joined: "/a/b", or "/" when there are none.</summary>
    public string Path
    {
        get
        {
            var sb = new StringBuilder();
            foreach (var o in All(CoapOptionNumber.UriPath)) sb.Append('/').Append(o.AsString());
            return sb.Length == 0 ? "/" : sb.ToString();
        }
    }

    public IReadOnlyList<string> Queries => All(CoapOptionNumber.UriQuery).Select(o => o.AsString()).ToList();

    public uint? ContentFormat
    {
        get => Find(CoapOptionNumber.ContentFormat)?.AsUInt();
        set
        {
            if (value is { } v) Set(CoapOption.UInt(CoapOptionNumber.ContentFormat, v));
            else Remove(CoapOptionNumber.ContentFormat);
        }
    }

    public CoapBlock? Block1 { get => BlockOf(CoapOptionNumber.Block1); set => SetBlock(CoapOptionNumber.Block1, value); }

    public CoapBlock? Block2 { get => BlockOf(CoapOptionNumber.Block2); set => SetBlock(CoapOptionNumber.Block2, value); }

    public byte[]? ETag => Find(CoapOptionNumber.ETag)?.Value;

    private CoapBlock? BlockOf(int number) =>
        Find(number) is { } o && o.Value.Length <= 3 && CoapBlock.TryParse(o.AsUInt(), out var b) ? b : null;

    private void SetBlock(int number, CoapBlock? block)
    {
        if (block is { } b) Set(CoapOption.UInt(number, b.ToValue()));
        else Remove(number);
    }

    public string PayloadText => Encoding.UTF8.GetString(Payload.Span);

    /// <summary>A copy with its own option list (values and payload are shared: they are never mutated).</summary>
    public CoapMessage Clone()
    {
        var copy = new CoapMessage { Type = Type, Code = Code, MessageId = MessageId, Token = Token, Payload = Payload };
        copy._options.AddRange(_options);
        return copy;
    }

    /// <summary>A reply skeleton (ACK or RST) with this message's id and no token: an empty message (§4.2).</summary>
    public CoapMessage EmptyReply(CoapType type) => new() { Type = type, Code = CoapCode.Empty, MessageId = MessageId };

    public override string ToString()
    {
        var type = Type switch { CoapType.Confirmable => "CON", CoapType.NonConfirmable => "NON", CoapType.Acknowledgement => "ACK", _ => "RST" };
        var uri = IsRequest ? " " + Path : "";
        return $"{type} {Code} mid={MessageId} token={TokenHex}{uri}{(Block1 is { } b1 ? " block1=" + b1 : "")}{(Block2 is { } b2 ? " block2=" + b2 : "")}" +
               (Payload.Length > 0 ? $" payload={Payload.Length}B" : "");
    }
}
