namespace HilRig.BenchSim;

/// <summary>What the simulated bench is and which faults it plays; from its command line.</summary>
public sealed record BenchOptions
{
    /// <summary>Where the bench puts its ports (symlinks to pty slaves), its board's state and <c>state.json</c>.</summary>
    public required string Directory { get; init; }

    public string Board { get; init; } = "dut";

    public string Firmware { get; init; } = "1.0.0";

    /// <summary><c>user:password</c> the board's console asks for, or null for a shell without login.</summary>
    public string? Login { get; init; }

    /// <summary>Whether a U-Boot with an autoboot countdown runs before the board's system.</summary>
    public bool UBoot { get; init; }

    public TimeSpan AutobootDelay { get; init; } = TimeSpan.FromSeconds(2);

    public HashSet<BenchFault> Faults { get; init; } = new();

    public const string Usage =
        "usage: HilRig.BenchSim --dir DIR [--board NAME] [--firmware V] [--login USER:PASSWORD] [--uboot] [--autoboot-delay SECONDS]\n" +
        "                       [--fault relay-silent|lcus-garbage|modbus-crc|modbus-exception|console-silent|panic-after-boot]...\n" +
        "Creates DIR/relay-lcus, DIR/relay-modbus and DIR/console (pty slaves), DIR/board/ (the board's state) and DIR/state.json.\n" +
        "LCUS channel 1 or Modbus coil 0 powers the board. Ends when its stdin closes or on SIGTERM; the board goes with it.";

    public static BenchOptions Parse(string[] args)
    {
        string? dir = null, board = null, firmware = null, login = null;
        var uboot = false;
        var delay = TimeSpan.FromSeconds(2);
        var faults = new HashSet<BenchFault>();
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--dir": dir = Value(); break;
                case "--board": board = Value(); break;
                case "--firmware": firmware = Value(); break;
                case "--login": login = Value(); break;
                case "--uboot": uboot = true; break;
                case "--autoboot-delay": delay = TimeSpan.FromSeconds(double.Parse(Value(), System.Globalization.CultureInfo.InvariantCulture)); break;
                case "--fault":
                    var name = Value();
                    faults.Add(Enum.GetValues<BenchFault>().FirstOrDefault(f => FaultName(f) == name, (BenchFault)(-1)) is var f && (int)f >= 0
                        ? f
                        : throw new ArgumentException($"unknown fault '{name}'; faults: {string.Join(", ", Enum.GetValues<BenchFault>().Select(FaultName))}"));
                    break;
                default: throw new ArgumentException($"unknown argument '{args[i]}'");
            }
        }
        return new BenchOptions
        {
            Directory = dir ?? throw new ArgumentException("--dir is required"),
            Board = board ?? "dut",
            Firmware = firmware ?? "1.0.0",
            Login = login,
            UBoot = uboot,
            AutobootDelay = delay,
            Faults = faults,
        };
    }

    public static string FaultName(BenchFault fault) => fault switch
    {
        BenchFault.RelaySilent => "relay-silent",
        BenchFault.LcusGarbage => "lcus-garbage",
        BenchFault.ModbusCrc => "modbus-crc",
        BenchFault.ModbusException => "modbus-exception",
        BenchFault.ConsoleSilent => "console-silent",
        BenchFault.PanicAfterBoot => "panic-after-boot",
        _ => fault.ToString(),
    };
}

/// <summary>Faults a real bench has, played on purpose.</summary>
public enum BenchFault
{
    /// <summary>Neither relay board answers or switches (unplugged, dead CH340).</summary>
    RelaySilent,

    /// <summary>The LCUS board answers its status query with noise.</summary>
    LcusGarbage,

    /// <summary>The Modbus module's answers carry a wrong CRC (a noisy line).</summary>
    ModbusCrc,

    /// <summary>The Modbus module answers every request with exception 04 (server device failure).</summary>
    ModbusException,

    /// <summary>The console cable passes nothing (a broken wire, a wrong baud rate).</summary>
    ConsoleSilent,

    /// <summary>Once booted, the board's kernel panics and the board stops.</summary>
    PanicAfterBoot,
}
