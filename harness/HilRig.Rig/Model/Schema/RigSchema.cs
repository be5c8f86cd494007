namespace HilRig.Rig.Model.Schema;

/// <summary>
/// What a rig file may contain. Drivers are listed here with the board kinds that may use them and their
/// options; a new driver adds its <see cref="DriverSpec"/> (and a factory in <see cref="Boards.BoardFactory"/>).
/// </summary>
public static class RigSchema
{
    public static readonly IReadOnlyList<DriverSpec> Drivers =
    [
        new("process", "runs HilRig.Device as a child process with its console on a pty", [BoardKind.Process],
        [
            OptionSpec.String("firmware", "firmware version the device reports", "1.0.0"),
            OptionSpec.Path("device", "HilRig.Device.dll, or a NativeAOT HilRig.Device, to run (default: the JIT build made with this harness)"),
            OptionSpec.Duration("boot_timeout", "how long a boot may take before the board counts as not booting", TimeSpan.FromSeconds(30)),
            OptionSpec.Map("settings", "extra key/value settings handed to the device"),
        ]),
        new("serial", "a real serial console through termios (a USB-serial adapter, or a pty in tests)", [BoardKind.Physical],
        [
            OptionSpec.Path("port", "the tty device, e.g. /dev/ttyUSB0", required: true),
            OptionSpec.Enum("baud", "line speed", "115200", "9600", "19200", "38400", "57600", "115200", "230400", "460800", "921600"),
        ]),
        new("external_power", "switches power by running commands (a PDU CLI, uhubctl, a relay tool)", [BoardKind.Physical],
        [
            OptionSpec.RequiredString("on", "command that switches power on"),
            OptionSpec.RequiredString("off", "command that switches power off"),
            OptionSpec.String("cut", "command that cuts power at once (default: the off command)"),
            OptionSpec.Duration("cycle_delay", "time with power off during a cycle", TimeSpan.FromSeconds(1)),
        ]),
        new("qemu", "a QEMU machine booting the board image (`hilrig image build`): PVH kernel, initramfs, its own copy of the A/B disk", [BoardKind.Qemu],
        [
            OptionSpec.String("binary", "QEMU system emulator", "qemu-system-x86_64"),
            OptionSpec.Path("image", "directory of the built board image (default: .tools/image/x86_64 in the repository)"),
            OptionSpec.Path("kernel", "kernel to boot instead of the image's vmlinux"),
            OptionSpec.Path("initrd", "initramfs instead of the image's"),
            OptionSpec.Path("disk", "A/B disk to copy instead of the image's"),
            OptionSpec.String("machine", "machine type", "pc"),
            OptionSpec.Enum("accel", "accelerator: TCG (default: works everywhere; the boot budget is measured on it), KVM, or KVM when /dev/kvm opens (auto)", "tcg", "auto", "tcg", "kvm"),
            OptionSpec.String("cpu", "CPU model under TCG (+rdrand: entropy at once)", "qemu64,+rdrand"),
            OptionSpec.Size("memory", "guest memory", 512L << 20),
            OptionSpec.String("append", "kernel command line", "console=ttyS0 quiet"),
            OptionSpec.List("extra_args", "more QEMU arguments"),
            OptionSpec.String("firmware", "firmware version the agent reports", "1.0.0"),
            OptionSpec.Duration("boot_timeout", "how long a boot may take before the board counts as not booting", TimeSpan.FromSeconds(60)),
            OptionSpec.Map("settings", "extra key/value settings handed to the agent"),
        ]),
        new("shell", "runs commands at the board's shell prompt over its console", [BoardKind.Process, BoardKind.Qemu, BoardKind.Physical],
        [
            OptionSpec.String("prompt", "regular expression matching the prompt", @"root@[\w.-]+:[^\n#]*# "),
            OptionSpec.String("login_prompt", "regular expression matching the login prompt, when the board asks for a login"),
            OptionSpec.String("username", "user to log in as", "root"),
            OptionSpec.String("password", "password, if the board asks"),
            OptionSpec.Duration("command_timeout", "default time a command may take", TimeSpan.FromSeconds(30)),
        ]),
    ];

    /// <summary>Drivers a board of each kind must name; others are optional.</summary>
    public static IReadOnlyList<string> RequiredDrivers(BoardKind kind) => kind switch
    {
        BoardKind.Process => ["process"],
        BoardKind.Qemu => [],
        BoardKind.Physical => ["serial", "external_power"],
        _ => [],
    };

    /// <summary>Drivers a board gets with default options when it does not name them.</summary>
    public static IReadOnlyList<string> ImplicitDrivers(BoardKind kind) => kind switch
    {
        BoardKind.Process => ["process", "shell"],
        BoardKind.Qemu => ["qemu", "shell"],
        _ => ["shell"],
    };

    public static DriverSpec? FindDriver(string name) => Drivers.FirstOrDefault(d => d.Name == name);

    public static readonly IReadOnlyList<OptionSpec> BoardNetwork =
    [
        OptionSpec.String("address", "the board's address on the rig network, with prefix (e.g. 10.77.0.2/24)"),
        OptionSpec.String("profile", "name of the impairment profile for the board's link"),
    ];

    public static readonly IReadOnlyDictionary<string, IReadOnlyList<OptionSpec>> NetworkTypes = new Dictionary<string, IReadOnlyList<OptionSpec>>
    {
        ["none"] = [],
        ["simnet"] =
        [
            OptionSpec.String("subnet", "IPv4 subnet of the rig network", "10.77.0.0/24"),
            OptionSpec.Bool("capture", "write every frame of the switch to a pcap", true),
            OptionSpec.Yaml("profiles", "named impairment profiles (loss, delay, jitter, duplicate, reorder, corrupt, rate)"),
            OptionSpec.String("default_profile", "profile applied to links that name none"),
        ],
    };

    public static readonly IReadOnlyList<OptionSpec> Cloud =
    [
        OptionSpec.String("address", "the cloud's address on the rig network (with prefix)"),
        OptionSpec.Int("port", "HTTP port of the cloud service", 8080),
        OptionSpec.Duration("offer_period", "minimum time between automatic update offers to one unit", TimeSpan.FromDays(1)),
        OptionSpec.Map("settings", "extra key/value settings handed to the cloud"),
    ];
}
