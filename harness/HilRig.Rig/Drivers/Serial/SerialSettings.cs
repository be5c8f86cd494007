using System.IO.Ports;
using HilRig.Rig.Model;

namespace HilRig.Rig.Drivers.Serial;

/// <summary>
/// Where a serial line is and how it is framed: a tty path (a USB-serial adapter, or any tty such as a pty), or the
/// udev properties that find the adapter, plus speed, data bits, parity, stop bits and flow control.
/// </summary>
public sealed record SerialSettings
{
    /// <summary>The tty path, when the rig file names one.</summary>
    public string? Path { get; init; }

    /// <summary>udev properties (e.g. ID_SERIAL_SHORT) that pick the adapter, when the rig file names no path.</summary>
    public IReadOnlyDictionary<string, string> Match { get; init; } = new Dictionary<string, string>();

    public int Baud { get; init; } = 115200;

    public int DataBits { get; init; } = 8;

    public Parity Parity { get; init; } = Parity.None;

    public StopBits StopBits { get; init; } = StopBits.One;

    public Handshake Handshake { get; init; } = Handshake.None;

    /// <summary>Where these settings were written, for error messages.</summary>
    public string? Source { get; init; }

    /// <summary>The path, or how it is looked up, for messages.</summary>
    public string Describe() => Path ?? "udev " + string.Join(",", Match.Select(kv => $"{kv.Key}={kv.Value}"));

    public static SerialSettings From(OptionValues options, int defaultBaud = 115200) => new()
    {
        Path = options.String("port"),
        Match = options.Map("match"),
        Baud = options.Has("baud") ? options.Int("baud") : defaultBaud,
        DataBits = options.Names.Contains("data_bits") ? int.Parse(options.String("data_bits")!) : 8,
        Parity = options.String("parity") switch
        {
            "even" => Parity.Even,
            "odd" => Parity.Odd,
            "mark" => Parity.Mark,
            "space" => Parity.Space,
            _ => Parity.None,
        },
        StopBits = options.String("stop_bits") switch
        {
            "1.5" => StopBits.OnePointFive,
            "2" => StopBits.Two,
            _ => StopBits.One,
        },
        Handshake = options.String("flow_control") switch
        {
            "rtscts" => Handshake.RequestToSend,
            "xonxoff" => Handshake.XOnXOff,
            _ => Handshake.None,
        },
        Source = (options.Has("port") ? options.LocationOf("port") : options.LocationOf("match")).ToString(),
    };
}
