using System.Net;
using HilRig.Capture.Assertions;
using HilRig.Rig.Boards;
using HilRig.Rig.Drivers.Container;
using HilRig.Rig.Drivers.ProcessBoard;
using HilRig.Rig.Drivers.Qemu;
using HilRig.Rig.Protocols;
using HilRig.Rig.Model;
using HilRig.Engine.Runtime;
using HilRig.Simulators.SimNet;

namespace HilRig.Steps.Network;

/// <summary>
/// <c>network: {type: simnet}</c>: every process or container board — and the cloud, when a scenario starts one — runs in its own
/// network namespace whose eth0 is a TAP port on one SimNet switch per scenario, seeded from the scenario's seed.
/// Addresses come from <c>network.address</c> (a board) or <c>cloud.address</c>, else from <c>subnet</c> (the cloud
/// .1, boards .2 upwards in rig-file order, so a board's address does not depend on which boards a scenario uses).
/// Impairment profiles (<c>profiles</c>, <c>default_profile</c>, a board's <c>network.profile</c>) are the switch's
/// defaults for new links, below what a fault plan sets. Boards get the Network and Capture protocols; the switch-wide capture is the scenario's evidence.
/// A QEMU board joins through a stream port instead of a namespace: its virtio-net NIC is a <c>-netdev stream</c> peer on a
/// unix socket the switch listens on, with the MAC SimNet gives the host name, and its guest gives eth0 the board's address
/// at boot — so loss, partitions and captures act on it exactly as on a process board.
/// </summary>
public sealed class SimNetRigNetwork : IRigNetwork
{
    public const string CloudHost = "cloud";

    private readonly object _gate = new();
    private readonly object _serviceHostGate = new();
    private readonly NetworkDefinition _definition;
    private readonly ScenarioServices _services;
    private readonly RigDefinition? _rig;
    private readonly SimNetProfiles? _profiles;
    private SimNetSwitch? _switch;
    private string? _capturePath;
    private readonly List<string> _otherHosts = new();
    private readonly List<(string Name, string Address)> _guests = new();

    public SimNetRigNetwork(NetworkDefinition definition, ScenarioServices services)
    {
        _definition = definition;
        _services = services;
        _rig = services.TryGetExisting<RigDefinition>(out var rig) ? rig : null;
        _profiles = _rig is null ? null : SimNetProfiles.Read(_rig);
    }

    /// <summary>The rig's impairment profiles (empty when the network was built without a rig file).</summary>
    public SimNetProfiles? Profiles => _profiles;

    /// <summary>The switch, created on first use.</summary>
    public SimNetSwitch Switch
    {
        get
        {
            lock (_gate)
            {
                if (_switch is not null) return _switch;
                var seed = _services.TryGetExisting<ScenarioRun>(out var info) && info is not null ? (ulong)(uint)info.SeedFor("simnet") : 0UL;
                _switch = new SimNetSwitch(new SimNetOptions
                {
                    Seed = seed,
                    DefaultImpairment = _profiles?.Default ?? LinkImpairment.None,
                    // A board's profile applies to both directions of every link touching it; the sender's wins.
                    HostImpairments = _profiles?.Boards ?? new Dictionary<string, LinkImpairment>(),
                });
                if (!_definition.Options.Has("capture") || _definition.Options.Bool("capture"))
                    _capturePath = _switch.StartCapture(Path.Combine(OutputDirectory, "simnet.pcapng"));
                return _switch;
            }
        }
    }

    /// <summary>Where this scenario's evidence goes.</summary>
    internal string OutputDirectory =>
        _services.TryGetExisting<ScenarioOutput>(out var output) && output is not null ? output.Directory : Path.GetTempPath();

    /// <summary>The switch-wide capture, when enabled.</summary>
    public string? CapturePath => _capturePath;

    /// <summary>Hosts on the switch so far (boards that have been powered on, the cloud once started).</summary>
    public IReadOnlyList<NamespaceHost> Hosts => _switch?.NamespaceHosts ?? [];

    /// <summary>Host names → addresses and MACs, so capture assertions speak of "main" and "cloud".</summary>
    public HostDirectory HostDirectory()
    {
        var directory = new HostDirectory();
        foreach (var h in Hosts)
            directory.Add(h.Name, Capture.Decoding.IpAddress.Parse(h.Address), h.Mac);
        List<(string Name, string Address)> guests;
        lock (_gate) guests = _guests.ToList();
        foreach (var (name, address) in guests)
            directory.Add(name, Capture.Decoding.IpAddress.Parse(address.Split('/')[0]), SimNetSwitch.MacFor(name));
        return directory;
    }

    public void Attach(Board board)
    {
        var address = board.Definition.Network.String("address") ?? AssignedAddress(board.Name);
        var qemu = board.Drivers.OfType<QemuBoardDriver>().SingleOrDefault();
        var driver = new SimNetBoardDriver(this, board.Name, address, qemu);
        board.AddDriver(driver);
        foreach (var process in board.Drivers.OfType<ProcessBoardDriver>())
            process.BeforeFirstPowerOn.Add(_ =>
            {
                var host = driver.EnsureHost()!;
                process.LaunchPrefix = ["ip", "netns", "exec", host.Namespace];
                return Task.CompletedTask;
            });
        // A container board: its TAP goes into the namespace of the board's network holder container, configured there.
        foreach (var container in board.Drivers.OfType<ContainerBoardDriver>())
        {
            driver.JoinProcess = container.EnsureNetworkHolder;
            container.BeforeFirstPowerOn.Add(_ =>
            {
                driver.EnsureHost();
                return Task.CompletedTask;
            });
        }
        if (qemu is null) return;
        qemu.GuestAddresses.Add(address);
        qemu.BeforeFirstPowerOn.Add(_ =>
        {
            var port = driver.EnsurePort();
            qemu.NetworkArguments.AddRange(["-netdev", port.QemuNetdev("simnet"),
                "-device", $"virtio-net-pci,netdev=simnet,mac={SimNetSwitch.MacFor(board.Name)}"]);
            return Task.CompletedTask;
        });
    }

    /// <summary>Puts a QEMU guest on the switch: a stream port listening in the machine's own socket directory.</summary>
    private StreamPort AddGuestPort(string name, string address, QemuBoardDriver qemu)
    {
        var port = new StreamPort(name, Path.Combine(qemu.RuntimeDirectory, "simnet.sock"));
        try
        {
            Switch.AddPort(port);
        }
        catch
        {
            port.Dispose();
            throw;
        }
        lock (_gate) _guests.Add((name, address));
        return port;
    }

    /// <summary>Adds a host that is not a board (the cloud) in its own namespace; returns the existing one when called again.</summary>
    public NamespaceHost AddServiceHost(string name, string? address)
    {
        // Check and add under one lock: a fault plan's Ensure("cloud") may race the scenario starting its cloud.
        lock (_serviceHostGate)
            return Hosts.FirstOrDefault(h => h.Name == name) ?? AddHost(name, address ?? AssignedAddress(name));
    }

    internal NamespaceHost AddHost(string name, string address, int? joinProcess = null)
    {
        try
        {
            return Switch.AddNamespaceHost(new NamespaceHostOptions(name, [address]) { JoinProcess = joinProcess });
        }
        catch (SimNetRequiresRootException e)
        {
            throw new RigFaultException($"{e.Message} ({Describe()})");
        }
        catch (IOException e)
        {
            throw new RigFaultException($"SimNet could not set up host '{name}' ({address}): {e.Message}");
        }
    }

    private string Describe() => _rig is null ? "network simnet" : $"{_rig.SourcePath}: network {_rig.Network.Type}";

    /// <summary>The address a host gets from the subnet: the cloud .1, board number i (rig-file order) .2+i.</summary>
    private string AssignedAddress(string host)
    {
        var subnet = _definition.Options.String("subnet") ?? "10.77.0.0/24";
        var network = IPNetwork.Parse(subnet);
        int index;
        if (host == CloudHost) index = 1;
        else
        {
            var boards = _rig?.Boards.Select(b => b.Name).ToList() ?? [];
            var i = boards.IndexOf(host);
            if (i < 0)
            {
                // A service host that is neither a board nor the cloud: after the boards, in the order they were added.
                lock (_gate)
                {
                    if (!_otherHosts.Contains(host)) _otherHosts.Add(host);
                    i = boards.Count + _otherHosts.IndexOf(host);
                }
            }
            index = 2 + i;
        }
        var bytes = network.BaseAddress.GetAddressBytes();
        var value = (uint)(bytes[0] << 24 | bytes[1] << 16 | bytes[2] << 8 | bytes[3]) + (uint)index;
        return $"{new IPAddress([(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value])}/{network.PrefixLength}";
    }

    public ValueTask DisposeAsync()
    {
        SimNetSwitch? sw;
        lock (_gate)
        {
            sw = _switch;
            _switch = null;
        }
        if (sw is null) return ValueTask.CompletedTask;
        var log = sw.ControlLog;
        sw.Dispose();
        if (log.Count > 0 && _services.TryGetExisting<ScenarioOutput>(out var output) && output is not null)
            output.AttachText("simnet control log", string.Join('\n', log.Select(e => $"{e.Time:HH:mm:ss.fff} {e.Action}")));
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// One board's view of SimNet: its addresses, a capture of its port, and where it joins the switch — a namespace host
    /// (process boards) or a stream port its QEMU connects to (<paramref name="qemu"/>).
    /// </summary>
    private sealed class SimNetBoardDriver(SimNetRigNetwork network, string host, string address, QemuBoardDriver? qemu) : INetworkProtocol, ICaptureProtocol
    {
        private NamespaceHost? _host;
        private StreamPort? _port;

        /// <summary>For a container board: starts its network holder and returns the pid whose namespace the host is.</summary>
        public Func<int>? JoinProcess { get; set; }

        /// <summary>
        /// The board's namespace host, created on first use (in the network holder's namespace for a container board);
        /// null for a QEMU board (whose port this creates instead).
        /// </summary>
        public NamespaceHost? EnsureHost()
        {
            if (qemu is not null)
            {
                EnsurePort();
                return null;
            }
            lock (this)
                return _host ??= network.AddHost(host, address, JoinProcess?.Invoke());
        }

        public StreamPort EnsurePort()
        {
            lock (this)
                return _port ??= network.AddGuestPort(host, address, qemu!);
        }

        public IReadOnlyList<IPAddress> Addresses => [IPAddress.Parse(address.Split('/')[0])];

        /// <summary>A QEMU guest has a kernel and network stack of its own, in no namespace of the harness: null, as for real hardware.</summary>
        public string? Namespace => EnsureHost()?.Namespace;

        public Task<IPacketCapture> StartAsync(string name, CancellationToken cancellation = default)
        {
            EnsureHost();
            var path = network.Switch.StartPortCapture(host, Path.Combine(network.OutputDirectory, $"{name}.pcapng"));
            return Task.FromResult<IPacketCapture>(new PortCapture(network.Switch, path));
        }
    }

    private sealed class PortCapture(SimNetSwitch sw, string path) : IPacketCapture
    {
        private int _stopped;

        public string PcapPath => path;

        public Task StopAsync()
        {
            if (Interlocked.Exchange(ref _stopped, 1) == 0) sw.StopCapture(path);
            return Task.CompletedTask;
        }

        public async ValueTask DisposeAsync() => await StopAsync();
    }
}
