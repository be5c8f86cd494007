using System.Net;
using HilRig.Harness.Boards;
using HilRig.Harness.Drivers.ProcessBoard;
using HilRig.Harness.Protocols;
using HilRig.Harness.Rig;
using HilRig.Harness.Runtime;
using HilRig.Simulators.SimNet;

namespace HilRig.Steps.Network;

/// <summary>
/// <c>network: {type: simnet}</c>: every process board runs in its own network namespace whose eth0 is a
/// TAP port on one SimNet switch per scenario, seeded from the scenario's seed. Boards get the Network and
/// Capture protocols; the switch-wide capture (option <c>capture</c>) is attached to the scenario's evidence.
/// </summary>
public sealed class SimNetRigNetwork(NetworkDefinition definition, ScenarioServices services) : IRigNetwork
{
    private readonly object _gate = new();
    private SimNetSwitch? _switch;
    private string? _capturePath;
    private int _nextHost = 2;

    /// <summary>The switch, created on first use (steps reach it through the Network protocol's driver).</summary>
    public SimNetSwitch Switch
    {
        get
        {
            lock (_gate)
            {
                if (_switch is not null) return _switch;
                var seed = services.TryGetExisting<ScenarioInfo>(out var info) && info is not null ? (ulong)(uint)info.SeedFor("simnet") : 0UL;
                _switch = new SimNetSwitch(new SimNetOptions { Seed = seed });
                if (definition.Options.Has("capture") && definition.Options.Bool("capture"))
                {
                    var dir = services.TryGetExisting<ScenarioOutput>(out var output) && output is not null ? output.Directory : Path.GetTempPath();
                    _capturePath = _switch.StartCapture(Path.Combine(dir, "simnet.pcapng"));
                }
                return _switch;
            }
        }
    }

    /// <summary>Where this scenario's evidence goes.</summary>
    internal string OutputDirectory =>
        services.TryGetExisting<ScenarioOutput>(out var output) && output is not null ? output.Directory : Path.GetTempPath();

    /// <summary>The switch-wide capture, when enabled.</summary>
    public string? CapturePath => _capturePath;

    public void Attach(Board board)
    {
        var address = board.Definition.Network.String("address") ?? NextAddress(board);
        var driver = new SimNetBoardDriver(this, board.Name, address);
        board.AddDriver(driver);
        foreach (var process in board.Drivers.OfType<ProcessBoardDriver>())
            process.BeforeFirstPowerOn.Add(_ =>
            {
                var host = driver.EnsureHost();
                process.LaunchPrefix = ["ip", "netns", "exec", host.Namespace];
                return Task.CompletedTask;
            });
    }

    private string NextAddress(Board board)
    {
        var subnet = definition.Options.String("subnet") ?? "10.77.0.0/24";
        var network = IPNetwork.Parse(subnet);
        var bytes = network.BaseAddress.GetAddressBytes();
        lock (_gate) bytes[3] = (byte)_nextHost++;
        return $"{new IPAddress(bytes)}/{network.PrefixLength}";
    }

    public ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            _switch?.Dispose();
            _switch = null;
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>One board's view of SimNet: its namespace host, addresses and a capture of its port.</summary>
    private sealed class SimNetBoardDriver(SimNetRigNetwork network, string host, string address) : INetworkProtocol, ICaptureProtocol
    {
        private NamespaceHost? _host;

        public NamespaceHost EnsureHost()
        {
            lock (this)
                return _host ??= network.Switch.AddNamespaceHost(new NamespaceHostOptions(host, [address]));
        }

        public IReadOnlyList<IPAddress> Addresses => [IPAddress.Parse(address.Split('/')[0])];

        public string? Namespace => EnsureHost().Namespace;

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
