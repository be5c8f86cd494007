namespace HilRig.Rig.Drivers.Container;

/// <summary>Options of a container board, from its <c>container</c> driver section (rigs/container.yaml).</summary>
public sealed record ContainerBoardOptions
{
    /// <summary>The built board image (<c>hilrig image build --out</c>); its <c>rootfs.tar</c> unless <see cref="Rootfs"/> names another.</summary>
    public string? ImageDirectory { get; init; }

    /// <summary>A root filesystem tarball to import instead of the image's (the agent at /bin/hilrig-device).</summary>
    public string? Rootfs { get; init; }

    public string Firmware { get; init; } = "1.0.0";
    public TimeSpan BootTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an orderly power-off waits for the agent to exit after SIGTERM before Docker kills it.</summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public IReadOnlyList<string> Roles { get; init; } = [];
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();
}
