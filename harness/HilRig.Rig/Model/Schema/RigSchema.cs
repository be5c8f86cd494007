using HilRig.Rig.Drivers.Qemu;
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
        new("serial", "a serial console through System.IO.Ports: a USB-serial adapter, found by path or udev properties, or any tty (a pty in tests)", [BoardKind.Physical],
        [
            OptionSpec.Path("port", "the tty, e.g. /dev/serial/by-id/usb-FTDI_…; or give match"),
            OptionSpec.Map("match", "udev properties that pick the adapter, e.g. {ID_SERIAL_SHORT: A10K3X2B}; or give port"),
            OptionSpec.Int("baud", "line speed (any rate the adapter takes)", 115200),
            OptionSpec.Enum("data_bits", "bits per character", "8", "5", "6", "7", "8"),
            OptionSpec.Enum("parity", "parity bit", "none", "none", "even", "odd", "mark", "space"),
            OptionSpec.Enum("stop_bits", "stop bits", "1", "1", "1.5", "2"),
            OptionSpec.Enum("flow_control", "flow control", "none", "none", "rtscts", "xonxoff"),
        ]),
        new("relay_power", "switches power with a serial relay board (LCUS `A0 ch state sum`, or a Modbus-RTU relay module)", [BoardKind.Physical],
        [
            OptionSpec.Path("port", "the relay board's tty, e.g. /dev/ttyUSB1; or give match"),
            OptionSpec.Map("match", "udev properties that pick the relay's adapter; or give port"),
            new OptionSpec("protocol", OptionType.Enum, "relay protocol: lcus or modbus-rtu", Required: true, Values: ["lcus", "modbus-rtu"]),
            OptionSpec.Int("baud", "the relay's line speed", 9600),
            OptionSpec.Int("channel", "lcus: relay channel, 1-based", 1),
            OptionSpec.Int("unit", "modbus-rtu: unit (slave) address, 1..247", 1),
            OptionSpec.Int("coil", "modbus-rtu: coil number, 0-based", 0),
            OptionSpec.Bool("verify", "read the relay state back after switching (lcus: status query 0xFF; modbus-rtu: function 01)", true),
            OptionSpec.Duration("timeout", "how long the relay may take to answer", TimeSpan.FromSeconds(1)),
            OptionSpec.Duration("cycle_delay", "time with power off during a cycle", TimeSpan.FromSeconds(1)),
        ]),
        new("gpio_power", "switches power with a Linux GPIO line (System.Device.Gpio) driving a relay or load switch", [BoardKind.Physical],
        [
            OptionSpec.RequiredString("chip", "the GPIO chip: gpiochip0, /dev/gpiochip0 or 0"),
            new OptionSpec("line", OptionType.Int, "line offset on the chip", Required: true),
            OptionSpec.Bool("active_low", "power is on when the line is low", false),
            OptionSpec.Duration("cycle_delay", "time with power off during a cycle", TimeSpan.FromSeconds(1)),
        ]),
        new("i2c_power", "switches power with a pin of an MCP23008/MCP23017 I2C GPIO expander (Iot.Device.Bindings) driving a relay", [BoardKind.Physical],
        [
            new OptionSpec("bus", OptionType.Int, "I2C bus number (/dev/i2c-N)", Required: true),
            OptionSpec.Int("address", "7-bit device address, e.g. 0x20", 0x20),
            OptionSpec.Enum("chip", "the expander", "mcp23017", "mcp23008", "mcp23017"),
            new OptionSpec("pin", OptionType.Int, "pin number (0-7, or 0-15 on an MCP23017)", Required: true),
            OptionSpec.Bool("active_low", "power is on when the pin is low", false),
            OptionSpec.Duration("cycle_delay", "time with power off during a cycle", TimeSpan.FromSeconds(1)),
        ]),
        new("external_power", "switches power by running commands (a PDU CLI, uhubctl, a relay tool)", [BoardKind.Physical],
        [
            OptionSpec.RequiredString("on", "command that switches power on"),
            OptionSpec.RequiredString("off", "command that switches power off"),
            OptionSpec.String("cut", "command that cuts power at once (default: the off command)"),
            OptionSpec.Duration("cycle_delay", "time with power off during a cycle", TimeSpan.FromSeconds(1)),
        ]),
        new("bootloader", "a bootloader on the console (U-Boot, barebox): stop its autoboot, run its commands, boot", [BoardKind.Physical],
        [
            OptionSpec.RequiredString("autoboot", "text the bootloader prints before its countdown, e.g. \"Hit any key to stop autoboot\""),
            OptionSpec.RequiredString("prompt", "the bootloader's prompt, as text, e.g. \"=> \""),
            OptionSpec.String("boot", "command that boots the system from the prompt", "boot"),
            OptionSpec.Duration("timeout", "how long after power-on the autoboot text may take to appear", TimeSpan.FromSeconds(30)),
        ]),
        new("capture", "records the NIC facing the board (SharpPcap) into the scenario's artifacts as pcapng", [BoardKind.Physical],
        [
            OptionSpec.RequiredString("interface", "the host interface wired to the board, e.g. eth2"),
            OptionSpec.String("filter", "a pcap-filter(7) expression, e.g. \"not port 22\""),
        ]),
        new("deploy", "brings the board's storage to a known image before each scenario powers it (an SD mux and dd, uuu, fastboot)", [BoardKind.Physical],
        [
            OptionSpec.RequiredString("command", "command that writes the image; runs with the board off and locked"),
            OptionSpec.Duration("timeout", "how long the command may take", TimeSpan.FromMinutes(10)),
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
            OptionSpec.String("append", "kernel command line (the default skips TSC checks, crypto self-tests and slow RCU grace periods: ~0.35 s of a TCG boot)", QemuBoardOptions.DefaultAppend),
            OptionSpec.String("bios", "firmware ROM (qboot: ~0.2 s faster to the kernel than SeaBIOS); empty for QEMU's default", QemuBoardOptions.DefaultBios),
            OptionSpec.List("extra_args", "more QEMU arguments"),
            OptionSpec.String("firmware", "firmware version the agent reports", "1.0.0"),
            OptionSpec.Duration("boot_timeout", "how long a boot may take before the board counts as not booting", TimeSpan.FromSeconds(60)),
            OptionSpec.Int("time_scale", "multiplies the waits a scenario states for this board (\"boots within 30 seconds\"): an emulated CPU under TCG runs the guest several times slower than the hardware those figures are for (as Zephyr twister's --timeout-multiplier)", 1, minimum: 1),
            OptionSpec.Map("settings", "extra key/value settings handed to the agent"),
        ]),
        new("container", "a Docker container (Testcontainers) running the board image's agent from its rootfs.tar, imported locally; needs dockerd (started when none runs and hilrig is root)", [BoardKind.Container],
        [
            OptionSpec.Path("image", "directory of the built board image (default: .tools/image/x86_64 in the repository)"),
            OptionSpec.Path("rootfs", "root filesystem tarball to import instead of the image's rootfs.tar (the agent at /bin/hilrig-device)"),
            OptionSpec.String("firmware", "firmware version the agent reports", "1.0.0"),
            OptionSpec.Duration("boot_timeout", "how long a boot may take before the board counts as not booting", TimeSpan.FromSeconds(30)),
            OptionSpec.Duration("stop_timeout", "orderly power-off: how long the agent has after SIGTERM before Docker kills it", TimeSpan.FromSeconds(10)),
            OptionSpec.Map("settings", "extra key/value settings handed to the agent"),
        ]),
        new("shell", "runs commands at the board's shell prompt over its console", [BoardKind.Process, BoardKind.Qemu, BoardKind.Container, BoardKind.Physical],
        [
            OptionSpec.String("prompt", "regular expression matching the prompt", @"root@[\w.-]+:[^\n#]*# "),
            OptionSpec.String("login_prompt", "regular expression matching the login prompt, when the board asks for a login"),
            OptionSpec.String("username", "user to log in as", "root"),
            OptionSpec.String("password", "password, if the board asks"),
            OptionSpec.Duration("command_timeout", "default time a command may take", TimeSpan.FromSeconds(30)),
            OptionSpec.Duration("boot_timeout", "physical boards: how long from power-on to the shell prompt (login included)", TimeSpan.FromMinutes(2)),
            OptionSpec.String("power_down", "physical boards: what the board prints last on an orderly `poweroff`", "reboot: Power down"),
        ]),
    ];

    /// <summary>Drivers of which a board names exactly one: the ways to switch a physical board's power.</summary>
    public static readonly IReadOnlyList<string> PowerDrivers = ["relay_power", "gpio_power", "i2c_power", "external_power"];

    /// <summary>Drivers a board of each kind must name; others are optional.</summary>
    public static IReadOnlyList<string> RequiredDrivers(BoardKind kind) => kind switch
    {
        BoardKind.Process => ["process"],
        BoardKind.Qemu => [],
        BoardKind.Physical => ["serial"],
        _ => [],
    };

    /// <summary>Drivers a board gets with default options when it does not name them.</summary>
    public static IReadOnlyList<string> ImplicitDrivers(BoardKind kind) => kind switch
    {
        BoardKind.Process => ["process", "shell"],
        BoardKind.Qemu => ["qemu", "shell"],
        BoardKind.Container => ["container", "shell"],
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
