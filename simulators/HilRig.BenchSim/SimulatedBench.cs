using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using HilRig.Rig.Drivers.ProcessBoard;

namespace HilRig.BenchSim;

/// <summary>
/// The simulated bench: a process board (HilRig.Device) whose supply is LCUS channel 1 or Modbus coil 0, its console
/// forwarded to the pty the harness opens (CRLF line ends, as a UART sends them), an optional U-Boot before every boot,
/// and the faults of <see cref="BenchOptions"/>. Every change of supply, boot and bootloader interruption is written to
/// <c>state.json</c>, which tests read as the bench's own account.
/// </summary>
internal sealed class SimulatedBench : IAsyncDisposable
{
    private readonly BenchOptions _options;
    private readonly ProcessBoardDriver _board;
    private readonly PtyPort _console;
    private readonly LcusRelayBoard _lcus;
    private readonly ModbusRelayModule _modbus;
    private readonly SimulatedUBoot? _uboot;
    private readonly Channel<bool> _supplyChanges = Channel.CreateUnbounded<bool>();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _supplyWorker;
    private readonly Task _forwarder;
    private readonly object _gate = new();
    private CancellationTokenSource _boot = new();
    private bool _powered;
    private int _supplyOns, _systemBoots, _autobootInterrupts, _autobootExpired, _panics;

    public SimulatedBench(BenchOptions options)
    {
        _options = options;
        Directory.CreateDirectory(options.Directory);
        var settings = new Dictionary<string, string>();
        if (options.Login is { } login) settings["console.login"] = login;
        _board = new ProcessBoardDriver(options.Board, new ProcessBoardOptions { Firmware = options.Firmware, Settings = settings },
            Path.Combine(options.Directory, "board"), seed: 1);
        _console = new PtyPort(Path.Combine(options.Directory, "console"), FromHarness);
        if (options.UBoot)
        {
            _uboot = new SimulatedUBoot(ToHarness, options.AutobootDelay);
            // A reboot passes through the bootloader too, as on the real board.
            _board.RebootGap = () => RunBootloaderAsync(_boot.Token);
        }
        _lcus = new LcusRelayBoard(Path.Combine(options.Directory, "relay-lcus"), options, (channel, _) => { if (channel == 1) SupplyChanged(); });
        _modbus = new ModbusRelayModule(Path.Combine(options.Directory, "relay-modbus"), options, (coil, _) => { if (coil == 0) SupplyChanged(); });
        _supplyWorker = Task.Run(SupplyLoopAsync);
        _forwarder = Task.Run(ForwardConsoleAsync);
        WriteState();
    }

    private void SupplyChanged() => _supplyChanges.Writer.TryWrite(_lcus.Channel(1) || _modbus.Coil(0));

    private async Task SupplyLoopAsync()
    {
        await foreach (var on in _supplyChanges.Reader.ReadAllAsync(_stop.Token))
        {
            bool change;
            lock (_gate)
            {
                change = on != _powered;
                _powered = on;
                if (change && on) _supplyOns++;
            }
            if (!change) continue;
            WriteState();
            if (on)
            {
                _boot = new CancellationTokenSource();
                var token = _boot.Token;
                _ = Task.Run(async () =>
                {
                    try
                    {
                        await RunBootloaderAsync(token);
                        token.ThrowIfCancellationRequested();
                        await _board.OnAsync(token);
                    }
                    catch (OperationCanceledException)
                    {
                    }
                });
            }
            else
            {
                await _boot.CancelAsync();
                await _board.CutAsync();
            }
        }
    }

    private async Task RunBootloaderAsync(CancellationToken cancellation)
    {
        if (_uboot is null) return;
        var interrupted = await _uboot.RunAsync(cancellation);
        lock (_gate)
        {
            if (interrupted) _autobootInterrupts++;
            else _autobootExpired++;
        }
        WriteState();
    }

    /// <summary>Copies what the board prints to the harness's end of the cable (unless the cable is "broken").</summary>
    private async Task ForwardConsoleAsync()
    {
        var log = _board.Log;
        long position = 0;
        while (!_stop.IsCancellationRequested)
        {
            var (length, changed) = log.Snapshot();
            if (length > position)
            {
                var text = log.Substring(position, length);
                position = length;
                var boot = text.IndexOf("boot complete", StringComparison.Ordinal);
                if (boot >= 0 && _options.Faults.Contains(BenchFault.PanicAfterBoot))
                {
                    ToHarness(text[..(text.IndexOf('\n', boot) + 1)]);
                    await PanicAsync();
                    position = log.Length;
                    continue;
                }
                if (boot >= 0)
                {
                    lock (_gate) _systemBoots++;
                    WriteState();
                }
                ToHarness(text);
                continue;
            }
            try
            {
                await changed.WaitAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task PanicAsync()
    {
        ToHarness("[    2.718281] Kernel panic - not syncing: Attempted to kill init! exitcode=0x0000000b\n" +
                  "[    2.718290] ---[ end Kernel panic - not syncing: Attempted to kill init! exitcode=0x0000000b ]---\n");
        lock (_gate) _panics++;
        WriteState();
        // The board is dead until its power is cycled; the supply stays on.
        await _board.CutAsync();
    }

    private void ToHarness(string text)
    {
        if (_options.Faults.Contains(BenchFault.ConsoleSilent)) return;
        _console.Write(text.Replace("\r\n", "\n").Replace("\n", "\r\n"));
    }

    private void FromHarness(byte[] bytes)
    {
        if (_options.Faults.Contains(BenchFault.ConsoleSilent)) return;
        var text = Encoding.UTF8.GetString(bytes);
        if (_uboot is { Active: true })
        {
            _uboot.Type(text);
            return;
        }
        // The harness's Enter arrives as CR or LF; the board's tty reads lines ending in LF.
        if (_board.State == Rig.Protocols.PowerState.On)
            _ = _board.Console.SendAsync(text.Replace("\r\n", "\n").Replace('\r', '\n'));
    }

    public void WriteState()
    {
        object state;
        lock (_gate)
        {
            state = new
            {
                pid = Environment.ProcessId,
                powered = _powered,
                lcus = new[] { _lcus?.Channel(1) ?? false, _lcus?.Channel(2) ?? false },
                modbus = Enumerable.Range(0, 8).Select(c => _modbus?.Coil(c) ?? false).ToArray(),
                supplyOns = _supplyOns,
                systemBoots = _systemBoots,
                autobootInterrupts = _autobootInterrupts,
                autobootExpired = _autobootExpired,
                panics = _panics,
                faults = _options.Faults.Select(BenchOptions.FaultName).ToArray(),
            };
        }
        var path = Path.Combine(_options.Directory, "state.json");
        var temp = path + ".tmp";
        lock (_supplyChanges)
        {
            File.WriteAllText(temp, JsonSerializer.Serialize(state));
            File.Move(temp, path, overwrite: true);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _boot.CancelAsync();
        await _board.DisposeAsync();
        _supplyChanges.Writer.TryComplete();
        try
        {
            await Task.WhenAll(_supplyWorker, _forwarder).WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException)
        {
        }
        _lcus.Dispose();
        _modbus.Dispose();
        _console.Dispose();
    }
}
