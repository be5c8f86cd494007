using System.Diagnostics;
using HilRig.Rig.Protocols;
using HilRig.Engine.Runtime;

namespace HilRig.Rig.Drivers.Power;

/// <summary>Options of the <c>external_power</c> driver.</summary>
public sealed record ExternalPowerOptions(string On, string Off, string? Cut, TimeSpan CycleDelay);

/// <summary>
/// Switches a physical board's power by running commands (labgrid's ExternalPowerDriver): a PDU's CLI,
/// uhubctl, a relay tool. A command that fails is a rig fault: the harness could not do its job.
/// </summary>
public sealed class ExternalPowerDriver(string boardName, ExternalPowerOptions options, TimeProvider? time = null) : IPowerProtocol
{
    private readonly List<PowerEvent> _history = new();
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public PowerState State { get; private set; } = PowerState.Off;

    public IReadOnlyList<PowerEvent> History
    {
        get
        {
            lock (_history) return _history.ToList();
        }
    }

    public Task OnAsync(CancellationToken cancellation = default) => SwitchAsync(options.On, PowerState.On, PowerEventKind.On, cancellation);

    public Task OffAsync(CancellationToken cancellation = default) => SwitchAsync(options.Off, PowerState.Off, PowerEventKind.Off, cancellation);

    public Task CutAsync(CancellationToken cancellation = default) => SwitchAsync(options.Cut ?? options.Off, PowerState.Off, PowerEventKind.Cut, cancellation);

    public async Task CycleAsync(CancellationToken cancellation = default)
    {
        await OffAsync(cancellation);
        await Task.Delay(options.CycleDelay, _time, cancellation);
        await OnAsync(cancellation);
    }

    private async Task SwitchAsync(string command, PowerState state, PowerEventKind kind, CancellationToken cancellation)
    {
        await _lock.WaitAsync(cancellation);
        try
        {
            var info = new ProcessStartInfo("/bin/sh") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add(command);
            info.Environment["HILRIG_BOARD"] = boardName;
            using var process = Process.Start(info) ?? throw new RigFaultException($"cannot run power command for {boardName}");
            var stderr = process.StandardError.ReadToEndAsync(cancellation);
            _ = process.StandardOutput.ReadToEndAsync(cancellation);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
            {
                process.Kill(entireProcessTree: true);
                throw new RigFaultException($"power {kind.ToString().ToLowerInvariant()} command for {boardName} did not finish within 30 s: {command}");
            }
            if (process.ExitCode != 0)
                throw new RigFaultException($"power {kind.ToString().ToLowerInvariant()} command for {boardName} failed (exit {process.ExitCode}): {command}\n{(await stderr).Trim()}");
            State = state;
            lock (_history) _history.Add(new PowerEvent(DateTimeOffset.Now, kind, command));
        }
        finally
        {
            _lock.Release();
        }
    }
}
