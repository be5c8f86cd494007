using System.CommandLine;

namespace HilRig.Cli.Commands;

/// <summary>
/// Command groups of the product areas (disk, delta, sweep, bundle, pcap, bench …). Each area adds its
/// <c>Create()</c> here; the harness commands are registered in Program.cs.
/// </summary>
public static class CommandAreas
{
    public static IEnumerable<Command> All() =>
        [BenchCommand.Create(), PcapCommand.Create(), BundleCommand.Create(), DiskCommand.Create(), DeltaCommand.Create(), SweepCommand.Create(), SoftbusCommand.Create(), CloudCommand.Create(), FleetCommand.Create(), ImageCommand.Create()];
}
