using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using HilRig.Engine.Runtime;
using HilRig.Rig.Drivers.Console;
using HilRig.Rig.Drivers.ProcessBoard;
using HilRig.Rig.Images;
using HilRig.Rig.Protocols;

namespace HilRig.Rig.Drivers.Qemu;

/// <summary>
/// A QEMU board: the board image's kernel and initramfs booting its own copy of the image's A/B disk, under TCG (or KVM).
/// <list type="bullet">
/// <item>Power on = start QEMU (paused until the console is attached, so no boot line is lost); orderly off = the ACPI
/// power button (QMP <c>system_powerdown</c>: the guest's acpid stops the agent, which shuts down cleanly), then QMP
/// <c>quit</c> if the guest has not powered off within 10 s; cut = SIGKILL of QEMU. A guest reboot resets the machine
/// inside the same QEMU (QMP RESET).</item>
/// <item>The console is the guest's ttyS0 on a pty (<see cref="QemuConsole"/>); the data directory is a host directory
/// shared over virtio-9p, so steps can put files there while the guest runs and its writes survive any cut.</item>
/// <item>What a power cut loses: everything the guest had not written to its virtual disk — its page cache and the
/// agent's own volatile disk cache (the power-loss block layer over <c>/dev/vda</c>) die with the QEMU process.
/// Writes that reached the virtual disk are in the host's page cache (cache=writeback) and survive, as on a disk
/// without a volatile cache.</item>
/// <item>Kernel panics and unexpected resets are read from the console and QMP (LAVA's patterns) and reported as such;
/// a QEMU that dies on its own is a rig fault carrying its stderr.</item>
/// </list>
/// </summary>
public sealed partial class QemuBoardDriver : PoweredBoardDriver<QemuBoardDriver.Instance>, IStorageProtocol, ISettingsProtocol, Boards.IHasEvidence, IAsyncDisposable
{
    private readonly string _name;
    private readonly QemuBoardOptions _options;
    private readonly string _stateDirectory;
    private readonly int _seed;
    private readonly Dictionary<string, string> _settings;
    private Instance? _current;

    /// <summary>One QEMU process: its power actions and exit watcher act on it, never on "whatever runs now".</summary>
    public sealed class Instance(Process process, TaskCompletionSource<int> exited)
    {
        public Process Process { get; } = process;
        public TaskCompletionSource<int> Exited { get; } = exited;
        public QmpClient? Qmp { get; set; }
        public bool StopExpected { get; set; }
        public bool GuestShutdown { get; set; }
        public StringBuilder Stderr { get; } = new();
        public long BootStart { get; set; }
    }

    public QemuBoardDriver(string name, QemuBoardOptions options, string stateDirectory, int seed, TimeProvider? time = null)
        : base(name)
    {
        _name = name;
        _options = options;
        _stateDirectory = Path.GetFullPath(stateDirectory);
        _seed = seed;
        _settings = new Dictionary<string, string>(options.Settings);
        Directory.CreateDirectory(_stateDirectory);
        DataDirectory = Path.Combine(_stateDirectory, "data");
        Directory.CreateDirectory(DataDirectory);
        DiskImage = Path.Combine(_stateDirectory, "disk.img");
        RuntimeDirectory = QemuRuntimeDirectories.Create();
        Log = new ConsoleLog(Path.Combine(_stateDirectory, "console.log"), time);
        Console = new QemuConsole(name, Log, time);
        Log.LineReceived += WatchConsole;
    }

    public QemuConsole Console { get; }

    protected override IConsoleProtocol BoardConsole => Console;

    public ConsoleLog Log { get; }

    public string? DiskImage { get; }

    public string DataDirectory { get; }

    /// <summary>Releases for a QEMU board are the image's slot filesystem with their manifest: the guest boots them.</summary>
    public string? ReleaseRoot => new BoardImage(_options.ImageDirectory ?? BoardImage.DefaultDirectory()).PathOf(BoardImage.Rootfs);

    /// <summary>Prepended to the QEMU command (e.g. <c>ip netns exec NS</c>).</summary>
    public IReadOnlyList<string> LaunchPrefix { get; set; } = [];

    /// <summary>QEMU arguments a network layer adds (a SimNet socket netdev and its NIC).</summary>
    public List<string> NetworkArguments { get; } = new();

    /// <summary>Addresses (CIDR) the guest gives its eth0 at boot, set by a network layer with <see cref="NetworkArguments"/>.</summary>
    public List<string> GuestAddresses { get; } = new();

    /// <summary>This machine's own directory for sockets (QMP, a network port), unique per board instance.</summary>
    public string RuntimeDirectory { get; }

    public string StderrPath => Path.Combine(_stateDirectory, "qemu-stderr.log");

    public void Configure(string key, string value)
    {
        lock (Gate) _settings[key] = value;
        // The guest reads its settings at every boot, including the reboots QEMU performs without asking the harness.
        if (State == PowerState.On) WriteConfig("reboot");
    }

    public IReadOnlyDictionary<string, string> Settings
    {
        get
        {
            lock (Gate) return new Dictionary<string, string>(_settings);
        }
    }

    public override PowerState State
    {
        get
        {
            lock (Gate) return _current is { Exited.Task.IsCompleted: false } ? PowerState.On : PowerState.Off;
        }
    }

    /// <summary>The QEMU process running now, for tests that check nothing outlives a run.</summary>
    public int? ProcessId
    {
        get
        {
            lock (Gate) return _current is { Exited.Task.IsCompleted: false } c ? c.Process.Id : null;
        }
    }

    /// <summary>The image files this board boots: the rig's overrides, or the built board image (checked against its manifest).</summary>
    public (string Kernel, string Initrd, string Disk) ImageFiles()
    {
        var image = new BoardImage(_options.ImageDirectory ?? BoardImage.DefaultDirectory());
        var fromImage = new List<string>();
        string Pick(string? overridden, string file)
        {
            if (overridden is not null)
            {
                if (!File.Exists(overridden) || new FileInfo(overridden).Length == 0)
                    throw new RigFaultException($"board {_name}: {overridden}: {(File.Exists(overridden) ? "empty" : "missing")}");
                return overridden;
            }
            fromImage.Add(file);
            return image.PathOf(file);
        }
        var files = (Pick(_options.Kernel, BoardImage.Kernel), Pick(_options.Initrd, BoardImage.Initramfs), Pick(_options.Disk, BoardImage.Disk));
        try
        {
            if (fromImage.Count > 0) image.Verify(fromImage.ToArray());
        }
        catch (BoardImageException e)
        {
            throw new RigFaultException($"board {_name}: {e.Message}", e);
        }
        return files;
    }

    /// <summary>The ACPI power button first (the guest shuts down cleanly), QMP quit after 10 s, SIGKILL if QEMU does not answer.</summary>
    protected override async Task StopOrderlyAsync(Instance instance, CancellationToken cancellation)
    {
        try
        {
            if (instance.Qmp is { } qmp) await qmp.ExecuteAsync("system_powerdown", null, cancellation);
            await instance.Exited.Task.WaitAsync(TimeSpan.FromSeconds(10), cancellation);
            return;
        }
        catch (Exception e) when (e is TimeoutException or QmpException or IOException)
        {
            Log.Annotate($"the guest did not power off within 10 s of the power button ({e.Message}); QMP quit");
        }
        try
        {
            if (instance.Qmp is { } qmp) await qmp.ExecuteAsync("quit", null, cancellation);
            await instance.Exited.Task.WaitAsync(TimeSpan.FromSeconds(5), cancellation);
        }
        catch (Exception e) when (e is TimeoutException or QmpException or IOException)
        {
            Kill(instance);
            await instance.Exited.Task;
        }
    }

    protected override async Task CutPowerAsync(Instance instance, CancellationToken cancellation)
    {
        Kill(instance);
        await instance.Exited.Task;
    }

    protected override Instance? EndCurrentLaunch()
    {
        lock (Gate)
        {
            if (_current is null || _current.Exited.Task.IsCompleted) return null;
            _current.StopExpected = true;
            return _current;
        }
    }

    private static void Kill(Instance instance)
    {
        try
        {
            instance.Process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }
    }

    private void WriteConfig(string bootReason)
    {
        Dictionary<string, string> settings;
        lock (Gate) settings = new Dictionary<string, string>(_settings);
        // The guest mounts this directory at /data and boots from /dev/vda.
        settings.TryAdd("ab.disk", "/dev/vda");
        BoardConfigFile.Write(Path.Combine(DataDirectory, GuestScripts.ConfigFile), _name, _options.Firmware, _options.Roles, "/data", bootReason, _seed, settings);
        var network = Path.Combine(DataDirectory, GuestScripts.NetworkFile);
        if (GuestAddresses.Count == 0) File.Delete(network);
        else File.WriteAllText(network, string.Concat(GuestAddresses.Select(a => $"address {a}\n")));
    }

    protected override async Task StartAsync(string bootReason, CancellationToken cancellation)
    {
        var (kernel, initrd, disk) = ImageFiles();
        if (!File.Exists(DiskImage)) File.Copy(disk, DiskImage!);
        WriteConfig(bootReason);
        Directory.CreateDirectory(RuntimeDirectory);
        var qmpSocket = Path.Combine(RuntimeDirectory, "qmp.sock");
        if (File.Exists(qmpSocket)) File.Delete(qmpSocket);
        var (accel, cpu) = Acceleration();
        var command = LaunchPrefix.Concat(
        [
            // -no-shutdown: a guest power-off stops the machine instead of ending QEMU, whose exit would hang up the pty and
            // flush what the guest printed last ("reboot: Power down") before the harness read it; quit follows once the
            // console has drained (QuitAfterConsoleDrainsAsync).
            _options.Binary, "-name", _name, "-nodefaults", "-no-user-config", "-display", "none", "-S", "-no-shutdown",
            "-machine", $"{_options.Machine},accel={accel}", "-cpu", cpu, "-m", $"{_options.Memory >> 20}M",
            "-kernel", kernel, "-initrd", initrd, "-append", _options.Append,
            "-chardev", "pty,id=console", "-serial", "chardev:console",
            "-qmp", $"unix:{qmpSocket},server=on,wait=off",
            "-drive", $"file={DiskImage},format=raw,if=virtio,cache=writeback",
            "-fsdev", $"local,id=data,path={DataDirectory},security_model=none",
            "-device", $"virtio-9p-pci,fsdev=data,mount_tag={GuestScripts.DataTag}",
        ]).Concat(_options.Bios.Length > 0 ? ["-bios", _options.Bios] : []).Concat(NetworkArguments.Count > 0 ? NetworkArguments : ["-nic", "none"]).Concat(_options.ExtraArgs).ToList();

        Process process;
        try
        {
            process = QemuLaunch.Start(command, _stateDirectory);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new RigFaultException($"cannot start QEMU for board {_name}: {e.Message}", e);
        }
        ChildProcesses.Track(process);
        var instance = new Instance(process, new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously));
        var stderr = new StreamWriter(StderrPath, append: true) { AutoFlush = true };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (instance.Stderr) instance.Stderr.AppendLine(e.Data);
            lock (stderr) stderr.WriteLine(e.Data);
        };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.WriteLine(e.Data); };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        lock (Gate) _current = instance;
        Log.Annotate($"power-on: started QEMU (pid {process.Id}, {accel}): {string.Join(' ', command)}");
        _ = WatchAsync(instance, stderr);

        try
        {
            var qmp = await QmpClient.ConnectAsync(qmpSocket, TimeSpan.FromSeconds(20), () => !process.HasExited, cancellation);
            instance.Qmp = qmp;
            qmp.EventReceived += e => OnQmpEvent(instance, e);
            var chardevs = await qmp.ExecuteAsync("query-chardev", null, cancellation) as JsonArray;
            var pty = chardevs?.OfType<JsonObject>().FirstOrDefault(c => c["label"]?.GetValue<string>() == "console")?["filename"]?.GetValue<string>();
            if (pty is null || !pty.StartsWith("pty:", StringComparison.Ordinal))
                throw new RigFaultException($"QEMU of board {_name} reported no console pty ({chardevs?.ToJsonString()})");
            await Console.AttachAsync(pty["pty:".Length..]);
            instance.BootStart = Log.Length;
            await qmp.ExecuteAsync("cont", null, cancellation);
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException or QmpException or TimeoutException || process.HasExited)
        {
            Kill(instance);
            await instance.Exited.Task;
            // Waits for the end of QEMU's stderr too, so its last words are in the message.
            await Task.Run(() => instance.Process.WaitForExit(), CancellationToken.None);
            string text;
            lock (instance.Stderr) text = instance.Stderr.ToString().Trim();
            throw new RigFaultException($"QEMU of board {_name} did not start (kernel {kernel}, initrd {initrd}, disk {DiskImage}): {e.Message}" +
                                        (text.Length > 0 ? $"\nQEMU said:\n{text}" : ""), e);
        }
    }

    private (string Accel, string Cpu) Acceleration()
    {
        var kvm = _options.Accel switch
        {
            "kvm" => true,
            "tcg" => false,
            _ => KvmUsable(),
        };
        return kvm ? ("kvm", "host") : ("tcg", _options.Cpu);
    }

    /// <summary>Whether /dev/kvm exists and can be opened (rig check says which accelerator runs).</summary>
    public static bool KvmUsable()
    {
        try
        {
            using var kvm = File.Open("/dev/kvm", FileMode.Open, FileAccess.ReadWrite);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private void OnQmpEvent(Instance instance, QmpEvent e)
    {
        switch (e.Name)
        {
            case "SHUTDOWN" when e.ByGuest:
                lock (Gate) instance.GuestShutdown = true;
                _ = QuitAfterConsoleDrainsAsync(instance);
                break;
            case "RESET" when e.ByGuest:
                // A reboot the agent asked for prints "reboot: Restarting system" first; anything else is a reset nobody
                // asked for (a triple fault, a watchdog): reported, as LAVA does, not waited out.
                var since = Log.Substring(instance.BootStart);
                // QEMU reports one guest reset as several RESET events; nothing printed in between means the same reset.
                if (since.Trim().Length == 0) break;
                instance.BootStart = Log.Length;
                if (since.Contains("reboot: Restarting system", StringComparison.Ordinal))
                {
                    Record(PowerEventKind.Reboot);
                    Log.Annotate("the guest rebooted itself");
                }
                else
                {
                    Record(PowerEventKind.UnexpectedExit, "unexpected reset");
                    Fail($"board {_name} reset unexpectedly; the console before the reset:\n{Tail(since)}", rigFault: false);
                }
                break;
        }
    }

    /// <summary>
    /// Ends a QEMU whose guest powered off (stopped, not ended, by <c>-no-shutdown</c>) once its console has been quiet for
    /// <see cref="ConsoleQuiet"/>, so the last lines are read before the pty hangs up; at most 3 s, then quit all the same.
    /// </summary>
    private async Task QuitAfterConsoleDrainsAsync(Instance instance)
    {
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(3);
        while (DateTimeOffset.UtcNow < deadline)
        {
            var (_, changed) = Log.Snapshot();
            if (await Task.WhenAny(changed, Task.Delay(ConsoleQuiet)) != changed) break;
        }
        try
        {
            if (instance.Qmp is { } qmp) await qmp.ExecuteAsync("quit", null, CancellationToken.None);
        }
        catch (Exception e) when (e is QmpException or IOException or ObjectDisposedException or TimeoutException or System.Net.Sockets.SocketException)
        {
            // QEMU went away meanwhile (a cut, a quit of OffAsync): nothing left to end.
        }
    }

    private static readonly TimeSpan ConsoleQuiet = TimeSpan.FromMilliseconds(200);

    /// <summary>LAVA's kernel-failure patterns (lava_common.constants: KERNEL_PANIC, KERNEL_TRACE, …), read line by line.</summary>
    [GeneratedRegex(@"Kernel panic - not syncing|---\[ end trace|BUG: (unable to handle|soft lockup|scheduling while atomic)|Oops: |general protection fault|init: hilrig-device exited with code")]
    private static partial Regex KernelFailure();

    private void WatchConsole(string line)
    {
        if (!KernelFailure().IsMatch(line)) return;
        Record(PowerEventKind.UnexpectedExit, line.Trim());
        Fail($"board {_name}: {line.Trim()}\nthe console before it:\n{Tail(Log.Tail(Math.Max(0, Log.Length - 4000), 25))}", rigFault: false);
    }

    private void Fail(string reason, bool rigFault)
    {
        lock (Gate)
        {
            if (StopReason is not null) return;
            StopReason = reason;
            StopWasRigFault = rigFault;
        }
    }

    private static string Tail(string text) => string.Join('\n', text.Split('\n').TakeLast(25).Select(l => "    | " + l));

    private async Task WatchAsync(Instance instance, StreamWriter stderr)
    {
        await instance.Process.WaitForExitAsync();
        ChildProcesses.Forget(instance.Process);
        var code = instance.Process.ExitCode;
        await Console.DetachAsync();
        if (instance.Qmp is { } qmp) await qmp.DisposeAsync();
        lock (stderr) stderr.Dispose();
        bool expected, guestShutdown;
        lock (Gate) (expected, guestShutdown) = (instance.StopExpected, instance.GuestShutdown);
        if (expected) Log.Annotate($"QEMU stopped (exit {code})");
        else if (guestShutdown)
        {
            Record(PowerEventKind.Off, "the guest powered itself off");
            Log.Annotate("the guest powered itself off");
        }
        else
        {
            string text;
            lock (instance.Stderr) text = instance.Stderr.ToString().Trim();
            Record(PowerEventKind.UnexpectedExit, $"QEMU exit code {code}");
            Log.Annotate($"QEMU exited unexpectedly with code {code}");
            Fail($"QEMU of board {_name} exited unexpectedly with code {code}" + (text.Length > 0 ? $"; its stderr:\n{text}" : " and printed nothing"), rigFault: true);
        }
        instance.Exited.TrySetResult(code);
    }

    public IEnumerable<(string Name, string Path)> Evidence()
    {
        if (File.Exists(StderrPath) && new FileInfo(StderrPath).Length > 0) yield return ($"{_name} qemu stderr", StderrPath);
    }

    public async ValueTask DisposeAsync()
    {
        MarkReleased();
        try
        {
            await CutAsync();
        }
        finally
        {
            Log.LineReceived -= WatchConsole;
            await Console.DisposeAsync();
            Log.Dispose();
            QemuRuntimeDirectories.Delete(RuntimeDirectory);
            _current?.Process.Dispose();
        }
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"QEMU board {_name}");
}
