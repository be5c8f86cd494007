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
    public string Append { get; init; } = "console=ttyS0 quiet";
    public IReadOnlyList<string> ExtraArgs { get; init; } = [];
    public string Firmware { get; init; } = "1.0.0";
    public TimeSpan BootTimeout { get; init; } = TimeSpan.FromSeconds(60);
    public IReadOnlyList<string> Roles { get; init; } = [];
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();
}
