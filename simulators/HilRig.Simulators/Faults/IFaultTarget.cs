namespace HilRig.Simulators.Faults;

/// <summary>
/// The seam through which fault plans cut power and kill processes on a board. The harness's board Power
/// protocol implements it (a process board: SIGKILL of the process group; a QEMU board: kill QEMU; a
/// physical board: the relay), so fault plans never depend on a driver.
/// </summary>
public interface IFaultTarget
{
    /// <summary>The board's name in the rig.</summary>
    string Name { get; }

    /// <summary>Cuts power; when <paramref name="restoreAfter"/> is given, powers the board on again after that long.</summary>
    Task PowerCutAsync(TimeSpan? restoreAfter, CancellationToken cancellationToken);

    /// <summary>Kills a process on the board (null: the board's main process) without a clean shutdown.</summary>
    Task KillProcessAsync(string? process, CancellationToken cancellationToken);
}

/// <summary>The network faults a plan can apply; SimNet implements it.</summary>
public interface INetworkFaults
{
    void Impair(string from, string to, SimNet.LinkImpairment impairment);
    void ImpairHost(string host, SimNet.LinkImpairment impairment, SimNet.PartitionDirection direction);
    void ImpairAll(SimNet.LinkImpairment impairment);

    /// <summary>Undoes an impairment of one direction: back to the rig's profile, not to a clean link.</summary>
    void Restore(string from, string to);

    void RestoreHost(string host, SimNet.PartitionDirection direction);

    void RestoreAll();
    void Partition(IReadOnlyCollection<string> hosts, SimNet.PartitionDirection direction);
    void Heal(IReadOnlyCollection<string> hosts);
    void HealAll();
}
