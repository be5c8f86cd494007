namespace HilRig.Capture.Decoding.Coap;

/// <summary>Option numbers (RFC 7252 §5.10, RFC 7641, RFC 7959).</summary>
public static class CoapOptionNumber
{
    public const int IfMatch = 1;
    public const int UriHost = 3;
    public const int ETag = 4;
    public const int IfNoneMatch = 5;
    public const int Observe = 6;
    public const int UriPort = 7;
    public const int LocationPath = 8;
    public const int UriPath = 11;
    public const int ContentFormat = 12;
    public const int MaxAge = 14;
    public const int UriQuery = 15;
    public const int Accept = 17;
    public const int LocationQuery = 20;
    public const int Block2 = 23;
    public const int Block1 = 27;
    public const int Size2 = 28;
    public const int ProxyUri = 35;
    public const int ProxyScheme = 39;
    public const int Size1 = 60;

    /// <summary>A name for messages and JSON; unknown numbers print as "opt&lt;n&gt;".</summary>
    public static string Name(int number) => number switch
    {
        IfMatch => "if_match",
        UriHost => "uri_host",
        ETag => "etag",
        IfNoneMatch => "if_none_match",
        Observe => "observe",
        UriPort => "uri_port",
        LocationPath => "location_path",
        UriPath => "uri_path",
        ContentFormat => "content_format",
        MaxAge => "max_age",
        UriQuery => "uri_query",
        Accept => "accept",
        LocationQuery => "location_query",
        Block2 => "block2",
        Block1 => "block1",
        Size2 => "size2",
        ProxyUri => "proxy_uri",
        ProxyScheme => "proxy_scheme",
        Size1 => "size1",
        _ => $"opt{number}",
    };

    /// <summary>Options whose value is a string (RFC 7252 §3.2 "string" format).</summary>
    public static bool IsString(int number) => number is UriHost or LocationPath or UriPath or UriQuery or LocationQuery or ProxyUri or ProxyScheme;

    /// <summary>Options whose value is an unsigned integer.</summary>
    public static bool IsUint(int number) => number is Observe or UriPort or ContentFormat or MaxAge or Accept or Block2 or Block1 or Size2 or Size1;
}
