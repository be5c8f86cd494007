namespace HilRig.Rig.Drivers.Qemu;

/// <summary>Options of a QEMU board, from its <c>qemu</c> driver section (rigs/qemu.yaml).</summary>
public sealed record QemuBoardOptions
{
    public string Binary { get; init; } = "qemu-system-x86_64";

    /// <summary>The built board image (<c>hilrig image build --out</c>); its files unless one is named below.</summary>
    public string? ImageDirectory { get; init; }

    public string? Kernel { get; init; }
    public string? Initrd { get; init; }
    public string? Disk { get; init; }

    public string Machine { get; init; } = "pc";

    /// <summary>tcg (the default), kvm, or auto (KVM when /dev/kvm can be opened). KVM is opt-in: where /dev/kvm exists inside
    /// another VM it may not run a guest (on this project's machines a KVM guest hung before its first line).</summary>
    public string Accel { get; init; } = "tcg";

    /// <summary>The CPU model under TCG; <c>+rdrand</c> makes the guest's entropy pool ready at once (platform-infra §1b).</summary>
    public string Cpu { get; init; } = "qemu64,+rdrand";

    public long Memory { get; init; } = 512L << 20;
    /// <summary>
    /// The kernel command line. Under TCG each of these was measured to shorten power-on → prompt (about 0.35 s together):
    /// the TSC needs no watchdog or timer check on a virtual machine, the crypto self-tests prove nothing about an
    /// emulated CPU, and expedited RCU grace periods speed up module loading and mounts.
    /// </summary>
    public const string DefaultAppend = "console=ttyS0 quiet tsc=reliable no_timer_check cryptomgr.notests rcupdate.rcu_expedited=1";

    /// <summary>qboot (Debian's qemu-system-data) reaches the kernel about 0.2 s sooner than SeaBIOS under TCG; found by name in QEMU's data directory.</summary>
    public const string DefaultBios = "qboot.rom";

    public string Append { get; init; } = DefaultAppend;

    /// <summary>The firmware ROM (<c>-bios</c>); empty: QEMU's default (SeaBIOS).</summary>
    public string Bios { get; init; } = DefaultBios;
    public IReadOnlyList<string> ExtraArgs { get; init; } = [];
    public string Firmware { get; init; } = "1.0.0";
    public TimeSpan BootTimeout { get; init; } = TimeSpan.FromSeconds(60);
    public IReadOnlyList<string> Roles { get; init; } = [];
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();
}
