using HilRig.Capture.Assertions;
using HilRig.Capture.Decoding;
using HilRig.Capture.Decoding.Grpc;
using HilRig.Rig.Boards;
using HilRig.Engine.Runtime;
using HilRig.Simulators.SimNet;

namespace HilRig.Steps.Network;

/// <summary>
/// The scenario's SimNet capture as capture assertions read it: flushed, decoded with the update stack's gRPC types by
/// method path, TLS decrypted with the scenario's key logs, hosts named as the rig names them. A failed assertion attaches the pcap and the decoded excerpt around
/// the violation to the report and fails the step with <see cref="AssertionFailedException"/>.
/// </summary>
public sealed class ScenarioCapture(ScenarioRig rig, ScenarioOutput output, ScenarioTlsKeys tlsKeys)
{
    private static readonly Lazy<DecoderOptions> Options = new(() =>
    {
        var registry = new GrpcMessageRegistry();
        registry.RegisterFile(HilRig.Update.Protocol.UpdatemanagerReflection.Descriptor);
        // SimNet finishes every checksum a TAP left to the NIC, so a bad one is damage (a corrupt impairment) that the
        // receiver dropped: the Delivered view must not read it in place of the retransmission.
        return new DecoderOptions { Grpc = registry, VerifyChecksums = true };
    });

    public SimNetRigNetwork Network => rig.Definition.Network.Type == "simnet" && rig.Network is SimNetRigNetwork n
        ? n
        : throw new RigFaultException($"capture assertions read SimNet's capture; the rig's network is '{rig.Definition.Network.Type}'");

    private CaptureLogCache? _decoded;
    private long _keysVersion = -1;

    /// <summary>
    /// Decodes the capture so far (again only when it has grown since the last load of that view).
    /// <see cref="DirectionView.Sent"/>: what hosts put on the wire, each frame once;
    /// <see cref="DirectionView.Delivered"/>: what SimNet handed on, after loss and partitions.
    /// </summary>
    public CaptureLog Load(DirectionView view)
    {
        if (rig.Definition.Network.Type != "simnet" && rig.Boards.SelectMany(b => b.Drivers.OfType<NicCapture>()).FirstOrDefault() is { } nic)
            return LoadNic(nic);
        var network = Network;
        var path = network.CapturePath ?? throw new RigFaultException("the rig's SimNet has capture: false; capture assertions need it on");
        var length = network.Switch.FlushCapture(path);
        return Decoded(path, Options.Value.VerifyChecksums).Load(network.HostDirectory(), view, length);
    }

    /// <summary>
    /// A physical board's NIC capture: hosts are named from the rig file's <c>network.address</c> of each board (a NIC
    /// capture shows each frame once, so every view reads it whole).
    /// </summary>
    private CaptureLog LoadNic(NicCapture nic)
    {
        var length = nic.Flush();
        var hosts = new HostDirectory();
        foreach (var b in rig.Definition.Boards)
            if (b.Network.String("address") is { } address)
                hosts.Add(b.Name, Capture.Decoding.IpAddress.Parse(address.Split('/')[0]));
        return Decoded(nic.PcapPath, verifyChecksums: false).Load(hosts, DirectionView.All, length);
    }

    /// <summary>The decoded capture at <paramref name="path"/>, decoded again when a new TLS key log line arrived.</summary>
    private CaptureLogCache Decoded(string path, bool verifyChecksums)
    {
        var keys = tlsKeys.Version;
        if (_decoded?.PcapPath != path || keys != _keysVersion)
        {
            _decoded = new CaptureLogCache(path, new DecoderOptions { Grpc = Options.Value.Grpc, VerifyChecksums = verifyChecksums, TlsKeys = tlsKeys.Load() });
            _keysVersion = keys;
        }
        return _decoded;
    }

    /// <summary>Runs an assertion over the capture; a violation is attached as evidence and fails the step.</summary>
    public void Check(DirectionView view, Action<CaptureLog> assertion)
    {
        var log = Load(view);
        try
        {
            assertion(log);
        }
        catch (CaptureAssertionException e)
        {
            output.AttachFile("capture (pcapng)", MediaTypes.Pcap, e.PcapPath);
            foreach (var keys in tlsKeys.Paths.Where(File.Exists)) output.AttachFile("TLS key log (tshark -o tls.keylog_file:…)", MediaTypes.Text, keys);
            output.AttachText("decoded capture around the violation", e.Excerpt);
            throw new AssertionFailedException($"{e.Reason}\ndecoded capture around it (pcap and excerpt attached):\n{e.Excerpt}");
        }
    }

    /// <summary>The windows in which <paramref name="host"/> was cut off in a direction that stops its sending, from SimNet's control log.</summary>
    public IReadOnlyList<(DateTimeOffset From, DateTimeOffset Until)> PartitionWindows(string host)
    {
        var windows = new List<(DateTimeOffset, DateTimeOffset)>();
        DateTimeOffset? open = null;
        foreach (var e in Network.Switch.ControlLog)
        {
            if (open is null && e.Partitioned.Contains(host) && e.Direction != PartitionDirection.Inbound) open = e.Time;
            else if (open is { } start && (e.HealedAll || e.Healed.Contains(host)))
            {
                windows.Add((start, e.Time));
                open = null;
            }
        }
        if (open is { } still) windows.Add((still, DateTimeOffset.MaxValue));
        return windows;
    }

    /// <summary>When <paramref name="host"/>'s partitions were healed.</summary>
    public IReadOnlyList<DateTimeOffset> Heals(string host) =>
        PartitionWindows(host).Where(w => w.Until != DateTimeOffset.MaxValue).Select(w => w.Until).ToList();
}
