namespace HilRig.Rig.Drivers.Power;

/// <summary>Options of the <c>external_power</c> driver.</summary>
public sealed record ExternalPowerOptions(string On, string Off, string? Cut, TimeSpan CycleDelay);

/// <summary>
/// Switches power by running commands (labgrid's ExternalPowerDriver): a PDU's CLI, uhubctl, a relay tool. A command that
/// fails or hangs is a switch failure, reported with its exit code and what it printed.
/// </summary>
public sealed class ExternalCommandSwitch(string boardName, ExternalPowerOptions options) : IPowerSwitch
{
    private bool? _last;

    public string Description => "external_power";

    public async Task SetAsync(bool on, CancellationToken cancellation = default)
    {
        await RunAsync(on ? options.On : options.Off, on ? "on" : "off", cancellation);
        _last = on;
    }

    public async Task CutAsync(CancellationToken cancellation = default)
    {
        await RunAsync(options.Cut ?? options.Off, "cut", cancellation);
        _last = false;
    }

    /// <summary>A command cannot be asked; this is what was last switched.</summary>
    public Task<bool?> ReadAsync(CancellationToken cancellation = default) => Task.FromResult(_last);

    private async Task RunAsync(string command, string what, CancellationToken cancellation)
    {
        try
        {
            await ShellCommand.RunAsync(command, TimeSpan.FromSeconds(30), new Dictionary<string, string> { ["HILRIG_BOARD"] = boardName }, cancellation);
        }
        catch (IOException e)
        {
            throw new PowerSwitchException($"external_power: the {what} command {e.Message}", e);
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
