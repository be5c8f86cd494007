namespace HilRig.SoftBus.Discovery;

/// <summary>DiscoverMode of softbus_lite: a lite device only answers (passive); a discoverer probes (active).</summary>
public enum DiscoverMode
{
    Passive = 0x55,
    Active = 0xAA,
}

/// <summary>The medium a service is published on; this implementation (like softbus_lite) has CoAP only.</summary>
public enum ExchangeMedium
{
    Auto = 0,
    Ble = 1,
    Coap = 2,
    Usb = 3,
}

/// <summary>How often to announce (softbus's ExchangeFreq).</summary>
public enum ExchangeFrequency
{
    Low = 0,
    Mid = 1,
    High = 2,
    SuperHigh = 3,
}

/// <summary>
/// What <c>PublishService</c> takes (softbus_lite discovery_service.h): an id, the mode, medium, frequency, the capability
/// by name and its data.
/// </summary>
public sealed record PublishInfo(int PublishId, string Capability, DiscoverMode Mode = DiscoverMode.Passive,
    ExchangeMedium Medium = ExchangeMedium.Coap, ExchangeFrequency Frequency = ExchangeFrequency.Low, byte[]? CapabilityData = null);

/// <summary>Why a publish failed (softbus_lite PublishFailReason).</summary>
public enum PublishFailReason
{
    NotSupportMedium = 1,
    ParameterInvalid = 2,
    Unknown = 0xFF,
}

/// <summary>The capability bitmap's bits and their names (softbus_lite g_capabilityMap).</summary>
public static class Capabilities
{
    public static readonly IReadOnlyList<string> Names = ["hicall", "profile", "homevisionPic", "castPlus", "aaCapability", "dvKit", "ddmpCapability"];

    /// <summary>The bit of a capability name, or -1.</summary>
    public static int BitOf(string name)
    {
        for (var i = 0; i < Names.Count; i++)
            if (string.Equals(Names[i], name, StringComparison.OrdinalIgnoreCase)) return i;
        return -1;
    }

    public static string NameOf(int bit) => bit >= 0 && bit < Names.Count ? Names[bit] : $"bit{bit}";

    /// <summary>softbus's capabilityBitmap: words of 32 capability bits.</summary>
    public static uint[] ToBitmap(IEnumerable<int> bits)
    {
        var list = bits.ToList();
        var words = new uint[list.Count == 0 ? 0 : list.Max() / 32 + 1];
        foreach (var b in list) words[b / 32] |= 1u << (b % 32);
        return words;
    }

    public static IReadOnlyList<int> FromBitmap(IEnumerable<uint> words)
    {
        var bits = new List<int>();
        var i = 0;
        foreach (var w in words)
        {
            for (var b = 0; b < 32; b++) if ((w >> b & 1) != 0) bits.Add(i * 32 + b);
            i++;
        }
        return bits;
    }
}
