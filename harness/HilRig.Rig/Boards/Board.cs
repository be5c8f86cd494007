using HilRig.Rig.Drivers.Console;
using HilRig.Rig.Protocols;
using HilRig.Rig.Model;
using HilRig.Engine.Runtime;

namespace HilRig.Rig.Boards;

/// <summary>
/// One board of the rig as a scenario sees it: a name, a kind, roles, and the protocols its drivers provide.
/// Steps ask for a protocol (<c>board.Get&lt;IPowerProtocol&gt;()</c>), never for a driver, so one scenario runs
/// on a process board, a QEMU board or real hardware.
/// </summary>
public sealed class Board : IAsyncDisposable
{
    private readonly List<object> _drivers = new();

    public Board(BoardDefinition definition)
    {
        Definition = definition;
    }

    public BoardDefinition Definition { get; }

    public string Name => Definition.Name;

    public BoardKind Kind => Definition.Kind;

    public IReadOnlyList<string> Roles => Definition.Roles;

    public IReadOnlyList<object> Drivers => _drivers;

    /// <summary>Adds a driver; later ones of the same protocol take precedence (e.g. a network layer wrapping power).</summary>
    public void AddDriver(object driver) => _drivers.Insert(0, driver);

    /// <summary>The protocol <typeparamref name="T"/> (an interface such as <see cref="IPowerProtocol"/>): steps never ask for a driver.</summary>
    public T Get<T>() where T : class =>
        !typeof(T).IsInterface
            ? throw new ArgumentException($"Board.Get takes a protocol interface (IPowerProtocol, ISettingsProtocol, …), not the driver type {typeof(T).Name}: a step that names a driver only runs on that kind of board")
            : TryGet<T>(out var protocol)
            ? protocol!
            : throw new RigFaultException(
                $"board {Name} ({Kind.ToString().ToLowerInvariant()}) has no {typeof(T).Name.TrimStart('I').Replace("Protocol", "")} protocol; " +
                $"its drivers: {string.Join(", ", _drivers.Select(d => d.GetType().Name))}");

    public bool TryGet<T>(out T? protocol) where T : class
    {
        protocol = _drivers.OfType<T>().FirstOrDefault();
        return protocol is not null;
    }

    public IPowerProtocol Power => Get<IPowerProtocol>();

    public IConsoleProtocol Console => Get<IConsoleProtocol>();

    public IShellProtocol Shell => Get<IShellProtocol>();

    /// <summary>How long this board may take to boot, from its rig options.</summary>
    public TimeSpan BootTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How many times slower than the figures scenarios state this board runs (an emulated CPU: QEMU's <c>time_scale</c>);
    /// steps that wait "within N seconds" wait N × this. 1 for process and physical boards.
    /// </summary>
    public int TimeScale { get; init; } = 1;

    /// <summary>A wait a scenario states, as long as this board needs for it (<see cref="TimeScale"/>).</summary>
    public TimeSpan Scaled(TimeSpan stated) => stated * TimeScale;

    /// <summary>What the board prints when it has finished booting; the boot wait looks for it.</summary>
    public string? BootCompleteMarker { get; init; }

    /// <summary>Files worth attaching to the report when the scenario ends (console log, device diagnostics).</summary>
    public IEnumerable<(string Name, string Path)> Evidence()
    {
        if (TryGet<IConsoleProtocol>(out var console) && console!.Log.FilePath is { } log && File.Exists(log))
            yield return ($"{Name} console", log);
        foreach (var e in _drivers.OfType<IHasEvidence>().SelectMany(d => d.Evidence()))
            yield return e;
    }

    /// <summary>Power is cut (never left on between scenarios), then drivers are disposed newest first.</summary>
    public async ValueTask DisposeAsync()
    {
        var errors = new List<Exception>();
        if (TryGet<IPowerProtocol>(out var power) && power!.State == PowerState.On)
        {
            try
            {
                await power.CutAsync();
            }
            catch (Exception e)
            {
                errors.Add(e);
            }
        }
        await Disposal.DisposeAllAsync(_drivers.Distinct(), errors);
        if (errors.Count > 0) throw new AggregateException($"releasing board {Name} failed", errors);
    }
}

/// <summary>A driver with files worth attaching to the report.</summary>
public interface IHasEvidence
{
    IEnumerable<(string Name, string Path)> Evidence();
}
