using HilRig.Rig.Drivers.ProcessBoard;
using HilRig.Rig.Drivers.Power;
using HilRig.Rig.Drivers.Serial;
using HilRig.Rig.Locking;
using HilRig.Rig.Native;
using HilRig.Engine.Runtime;

namespace HilRig.Rig.Model;

/// <summary>One thing <c>hilrig rig check</c> looked at, and what it found.</summary>
public sealed record ProbeResult(string Subject, string Check, bool Ok, string Detail);

/// <summary>Checks that what a rig file names is really there: builds, tools, ports, privileges.</summary>
public static class RigProbe
{
    public static IReadOnlyList<ProbeResult> Run(RigDefinition rig)
    {
        var results = new List<ProbeResult>();
        foreach (var board in rig.Boards)
        {
            var subject = $"board {board.Name}";
            switch (board.Kind)
            {
                case BoardKind.Process:
                    var process = board.Driver("process")!;
                    results.Add(Try(subject, "device build", () =>
                        DeviceLocator.Find(process.String("device"))));
                    results.Add(Tool(subject, "dotnet"));
                    results.Add(Try(subject, "pty", () =>
                    {
                        using var pty = Pty.Open();
                        return pty.SlavePath + " opens";
                    }));
                    break;
                case BoardKind.Physical:
                    results.AddRange(PhysicalProbes(subject, board));
                    break;
                case BoardKind.Qemu:
                    var qemu = board.Driver("qemu")!;
                    results.Add(Tool(subject, qemu.String("binary")!));
                    results.Add(QemuImage(subject, qemu));
                    results.Add(Accelerator(subject, qemu.String("accel")!));
                    break;
                case BoardKind.Container:
                    var container = board.Driver("container")!;
                    results.Add(ContainerRootfs(subject, container));
                    if (!results.Any(r => r.Check == "dockerd"))
                    {
                        var (ok, detail) = Drivers.Container.DockerEngine.Probe();
                        results.Add(new ProbeResult(subject, "dockerd", ok, detail));
                    }
                    break;
            }
        }
        if (rig.Network.Type == "simnet")
        {
            results.Add(new ProbeResult("network simnet", "root", Libc.geteuid() == 0,
                Libc.geteuid() == 0 ? "running as root"
                    : $"SimNet creates a network namespace and TAP device for every process board and the cloud; as {Environment.UserName} " +
                      "no scenario that powers a board or starts the cloud can run (each is reported as a rig fault, exit 3): run as root"));
            results.Add(Tool("network simnet", "ip"));
            results.Add(new ProbeResult("network simnet", "/dev/net/tun", File.Exists("/dev/net/tun"), File.Exists("/dev/net/tun") ? "present" : "missing: no TAP support"));
        }
        if (rig.Cloud is not null)
            results.Add(Try("cloud", "cloud build", () =>
            {
                var root = DeviceLocator.RepositoryRoot() ?? throw new RigFaultException("not inside the HilRig repository");
                var dll = Path.Combine(root, "src", "HilRig.Cloud", "bin", DeviceLocator.CurrentConfiguration(), "net10.0", "HilRig.Cloud.dll");
                return File.Exists(dll) ? dll : throw new RigFaultException($"{dll} is not built (dotnet build src/HilRig.Cloud)");
            }));
        return results;
    }

    /// <summary>The board image (or the files the rig names instead): present and matching the image manifest's SHA-256.</summary>
    private static ProbeResult QemuImage(string subject, OptionValues qemu) => Try(subject, "board image", () =>
    {
        var image = new Images.BoardImage(qemu.String("image") ?? Images.BoardImage.DefaultDirectory());
        var checkedFiles = new List<string>();
        var fromImage = new List<string>();
        foreach (var (key, file) in new[] { ("kernel", Images.BoardImage.Kernel), ("initrd", Images.BoardImage.Initramfs), ("disk", Images.BoardImage.Disk) })
        {
            if (qemu.String(key) is { } path)
            {
                if (!File.Exists(path)) throw new IOException($"{path} (qemu.{key}, {qemu.LocationOf(key)}): missing");
                if (new FileInfo(path).Length == 0) throw new IOException($"{path} (qemu.{key}, {qemu.LocationOf(key)}): empty");
                checkedFiles.Add(path);
            }
            else fromImage.Add(file);
        }
        try
        {
            var manifest = fromImage.Count > 0 ? image.Verify(fromImage.ToArray()) : null;
            return string.Join(", ", checkedFiles.Concat(fromImage.Select(image.PathOf))) + (manifest is null ? "" : $" (image {manifest.Key[..12]}, SHA-256 checked)");
        }
        catch (Images.BoardImageException e)
        {
            throw new IOException(e.Message, e);
        }
    });

    /// <summary>The root filesystem tarball a container board imports: present and matching the image manifest's SHA-256.</summary>
    private static ProbeResult ContainerRootfs(string subject, OptionValues container) => Try(subject, "container rootfs", () =>
    {
        var options = new Drivers.Container.ContainerBoardOptions { ImageDirectory = container.String("image"), Rootfs = container.String("rootfs") };
        var (path, sha) = Drivers.Container.ContainerImage.Rootfs(subject["board ".Length..], options);
        return $"{path} (SHA-256 {sha[..12]}…, imported as {Drivers.Container.ContainerImage.Repository}:{sha[..12]}…)";
    });

    /// <summary>KVM when it can be used; otherwise TCG, which works everywhere and is what the boot budget is measured on.</summary>
    private static ProbeResult Accelerator(string subject, string accel)
    {
        var kvm = Drivers.Qemu.QemuBoardDriver.KvmUsable();
        return accel switch
        {
            "kvm" => new ProbeResult(subject, "accelerator", kvm, kvm ? "KVM (/dev/kvm)" : "accel: kvm, but /dev/kvm is absent or cannot be opened"),
            "tcg" => new ProbeResult(subject, "accelerator", true, $"TCG (accel: tcg){(kvm ? "; /dev/kvm exists, set accel: kvm or auto to use it" : "; no usable /dev/kvm")}"),
            _ => new ProbeResult(subject, "accelerator", true, kvm ? "KVM (/dev/kvm can be opened)" : "TCG: no usable /dev/kvm, QEMU emulates the CPU (slower boots)"),
        };
    }

    /// <summary>
    /// What a bench can be asked without powering anything: the console opens at its rate, the relay answers its status
    /// query (or the GPIO line / expander opens), the power and deploy commands exist, and who holds the board's lock.
    /// </summary>
    private static IEnumerable<ProbeResult> PhysicalProbes(string subject, BoardDefinition board)
    {
        var serial = board.Driver("serial")!;
        var settings = SerialSettings.From(serial);
        yield return Try(subject, "serial port", () =>
        {
            using var port = SerialLine.Open(settings);
            return $"{port.PortName} opens at {port.BaudRate} baud, {settings.DataBits}{settings.Parity.ToString()[0]}{(settings.StopBits == System.IO.Ports.StopBits.Two ? 2 : 1)}";
        });
        if (board.Driver("external_power") is { } power)
        {
            foreach (var key in new[] { "on", "off", "cut" }.Where(power.Has))
                yield return CommandExists(subject, $"power {key} command", power.RequiredString(key));
        }
        else
        {
            yield return Try(subject, "power switch", () =>
            {
                var powerSwitch = PowerSwitches.Create(board);
                try
                {
                    var state = powerSwitch.ReadAsync().GetAwaiter().GetResult();
                    return $"{powerSwitch.Description} answers: {(state is null ? "state unknown" : state.Value ? "ON" : "off")}";
                }
                finally
                {
                    powerSwitch.DisposeAsync().AsTask().GetAwaiter().GetResult();
                }
            });
        }
        if (board.Driver("deploy") is { } deploy) yield return CommandExists(subject, "deploy command", deploy.RequiredString("command"));
        if (board.Driver("capture") is { } capture)
        {
            var nic = capture.RequiredString("interface");
            yield return new ProbeResult(subject, "capture interface", Directory.Exists($"/sys/class/net/{nic}"),
                Directory.Exists($"/sys/class/net/{nic}") ? $"{nic} present" : $"no interface {nic} on this machine");
        }
        var holder = Try(subject, "lock", () =>
        {
            var key = BoardLock.KeyFor(BoardGuard.BoardResource(board));
            var entry = BoardLock.List().FirstOrDefault(l => l.Key == key);
            return entry.Held ? $"held by {entry.Holder?.ToString() ?? "an unknown process"}" : "free";
        });
        yield return holder;
    }

    private static ProbeResult Try(string subject, string check, Func<string> probe)
    {
        try
        {
            return new ProbeResult(subject, check, true, probe());
        }
        catch (Exception e) when (e is IOException or RigFaultException or ArgumentException or UnauthorizedAccessException or InvalidOperationException)
        {
            return new ProbeResult(subject, check, false, e.Message.Replace("[rig] ", ""));
        }
    }

    private static ProbeResult Tool(string subject, string tool)
    {
        var path = FindOnPath(tool);
        return new ProbeResult(subject, tool, path is not null, path ?? $"'{tool}' is not on PATH");
    }

    private static ProbeResult CommandExists(string subject, string check, string command)
    {
        var program = command.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "";
        var path = FindOnPath(program);
        return new ProbeResult(subject, check, path is not null, path is null ? $"'{program}' (from `{command}`) is not on PATH" : $"{path}");
    }

    public static string? FindOnPath(string tool)
    {
        if (tool.Contains('/')) return File.Exists(tool) ? tool : null;
        return (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/sbin", "/usr/bin", "/bin"])
            .Select(d => Path.Combine(d, tool))
            .FirstOrDefault(File.Exists);
    }
}
