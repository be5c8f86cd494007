using System.Diagnostics;
using System.Text.Json;

namespace HilRig.Testing;

/// <summary>
/// Starts simulators/HilRig.BenchSim for a test: a simulated bench whose relay and console ptys appear in
/// <see cref="Directory"/>, and whose own account of its relays, boots and bootloader is <see cref="State"/>. It ends
/// when disposed (its stdin closes), and also if the test process dies.
/// </summary>
public sealed class BenchSimulator : IDisposable
{
    private readonly Process _process;

    private BenchSimulator(Process process, string directory)
    {
        _process = process;
        Directory = directory;
    }

    public string Directory { get; }

    public string Console => Path.Combine(Directory, "console");

    public string LcusRelay => Path.Combine(Directory, "relay-lcus");

    public string ModbusRelay => Path.Combine(Directory, "relay-modbus");

    /// <summary>Where the board behind the relays keeps its data (what a deploy command would reflash).</summary>
    public string BoardData => Path.Combine(Directory, "board", "data");

    public int Pid => _process.Id;

    public static BenchSimulator Start(string directory, params string[] arguments)
    {
        var dll = new[] { "Release", "Debug" }
            .Select(c => Path.Combine(RepoPaths.Root, "simulators", "HilRig.BenchSim", "bin", c, "net10.0", "HilRig.BenchSim.dll"))
            .FirstOrDefault(File.Exists) ?? throw new FileNotFoundException("build simulators/HilRig.BenchSim first");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { dll, "--dir", directory }.Concat(arguments)) info.ArgumentList.Add(a);
        var process = Process.Start(info)!;
        var ready = process.StandardOutput.ReadLineAsync();
        if (!ready.Wait(TimeSpan.FromSeconds(60)) || ready.Result?.StartsWith("ready", StringComparison.Ordinal) != true)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"the bench simulator did not start: {ready.Result} {process.StandardError.ReadToEnd()}");
        }
        _ = process.StandardError.ReadToEndAsync();
        return new BenchSimulator(process, directory);
    }

    /// <summary>The bench's state.json: powered, lcus[], modbus[], supplyOns, systemBoots, autobootInterrupts, autobootExpired, panics.</summary>
    public JsonElement State()
    {
        var path = Path.Combine(Directory, "state.json");
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return JsonDocument.Parse(File.ReadAllText(path)).RootElement.Clone();
            }
            catch (Exception e) when ((e is IOException or JsonException) && attempt < 20)
            {
                Thread.Sleep(25);
            }
        }
    }

    public bool Powered => State().GetProperty("powered").GetBoolean();

    public int Count(string counter) => State().GetProperty(counter).GetInt32();

    public void Dispose()
    {
        try
        {
            _process.StandardInput.Close();
            if (!_process.WaitForExit(10_000)) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }
}
