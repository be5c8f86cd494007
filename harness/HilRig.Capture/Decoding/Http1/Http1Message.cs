namespace HilRig.Capture.Decoding.Http1;

/// <summary>
/// The start line and header fields of one HTTP/1.x message (RFC 9112 §2.1):
/// <c>start-line CRLF *( field-line CRLF ) CRLF [ message-body ]</c>. The body itself is not kept.
/// </summary>
public sealed record Http1Message(
    bool IsRequest,
    string? Method,
    string? Target,
    string Version,
    int Status,
    string? Reason,
    IReadOnlyList<KeyValuePair<string, string>> Headers)
{
    /// <summary>The first value of a header field; names compare case-insensitively (RFC 9110 §5.1).</summary>
    public string? Header(string name)
    {
        foreach (var h in Headers)
            if (string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)) return h.Value;
        return null;
    }

    /// <summary>N of a <c>Range: bytes=N-</c> or <c>bytes=N-M</c> request; null without a byte range.</summary>
    public long? RangeStart =>
        Header("Range") is { } r && r.StartsWith("bytes=", StringComparison.OrdinalIgnoreCase)
        && long.TryParse(r.AsSpan(6, r.IndexOf('-') is var dash and > 6 ? dash - 6 : 0), out var start) ? start : null;

    public override string ToString() => IsRequest
        ? $"{Method} {Target} {Version}" + (Header("Range") is { } range ? $" Range: {range}" : "")
        : $"{Version} {Status} {Reason}" + (Header("Content-Range") is { } cr ? $" Content-Range: {cr}" : "") +
          (Header("Content-Length") is { } cl ? $" Content-Length: {cl}" : "");
}
