namespace HilRig.SoftBus.Coap;

/// <summary>Option numbers (RFC 7252 §5.10, RFC 7641, RFC 7959) and the classes their numbers encode (§5.4.6).</summary>
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

    /// <summary>§5.4.1: odd numbers are critical — a recipient that does not know one must not ignore it.</summary>
    public static bool IsCritical(int number) => (number & 1) != 0;

    /// <summary>The options this implementation understands; an unknown critical one in a request earns a 4.02.</summary>
    public static bool IsKnown(int number) => number is IfMatch or UriHost or ETag or IfNoneMatch or Observe or UriPort
        or LocationPath or UriPath or ContentFormat or MaxAge or UriQuery or Accept or LocationQuery or Block2 or Block1
        or Size2 or ProxyUri or ProxyScheme or Size1;
}
