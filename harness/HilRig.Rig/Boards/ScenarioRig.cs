using HilRig.Rig.Protocols;
using HilRig.Rig.Model;
using HilRig.Engine.Runtime;

namespace HilRig.Rig.Boards;

/// <summary>
/// The rig as one scenario uses it. Boards are built when a step first names them, so a scenario pays only
/// for the boards it touches; every scenario gets fresh boards (fresh data, fresh console) and when it
/// ends each board's power is cut and its console log attached to the report. With scenarios side by side, a board
/// that is not simulated (a physical board: one piece of hardware) is held by one scenario at a time through the run's
/// <see cref="ExclusiveResources"/>; simulated boards are built fresh for each scenario and need no lock.
/// </summary>
public sealed class ScenarioRig : IAsyncDisposable
{
    private readonly RigDefinition _definition;
    private readonly ScenarioRun _scenario;
    private readonly ScenarioOutput _output;
    private readonly ScenarioServices _services;
    private readonly Dictionary<string, Board> _boards = new();
    private readonly List<IDisposable> _leases = new();
    private readonly ExclusiveResources _resources;
    private readonly object _gate = new();
    private IRigNetwork? _network;

    public ScenarioRig(RigDefinition definition, ScenarioRun scenario, ScenarioOutput output, ScenarioServices services, ExclusiveResources resources)
    {
        _definition = definition;
        _scenario = scenario;
        _output = output;
        _services = services;
        _resources = resources;
    }

    /// <summary>The <see cref="ExclusiveResources"/> key of a board that only one scenario may use at a time, or null.</summary>
    public static string? ExclusiveKey(BoardDefinition board) => board.Kind == BoardKind.Physical ? $"board:{board.Name}" : null;

    public RigDefinition Definition => _definition;

    public IReadOnlyList<Board> Boards
    {
        get
        {
            lock (_gate) return _boards.Values.ToList();
        }
    }

    /// <summary>The board of that name, built on first use.</summary>
    public Board Board(string name)
    {
        lock (_gate)
        {
            if (_boards.TryGetValue(name, out var existing)) return existing;
            var definition = _definition.FindBoard(name)
                ?? throw new TestDefectException(
                    $"the rig {_definition.Name} ({_definition.SourcePath}) has no board \"{name}\"; its boards: {string.Join(", ", _definition.Boards.Select(b => b.Name))}");
            if (ExclusiveKey(definition) is { } key)
                _leases.Add(_resources.Acquire(key, _scenario.Pickle, _scenario.Pickle.Location, _scenario.Run.Options.StepTimeout, _scenario.Cancellation));
            var sessions = definition.Kind == BoardKind.Physical ? _services.Get<Locking.BoardSessions>() : null;
            var board = BoardFactory.Create(definition, Path.Combine(_output.Directory, "boards", name), _scenario.RandomFor,
                _scenario.SeedFor($"board/{name}"), sessions: sessions);
            _boards[name] = board;
            if (_scenario.Run.ConsoleFollower is { } follow && board.TryGet<IConsoleProtocol>(out var console))
                console!.Log.LineReceived += line => follow(name, line);
            Network.Attach(board);
            BoardExtensions.Attach(board, Path.Combine(_output.Directory, "boards", name));
            return board;
        }
    }

    /// <summary>The single board that has the role; an error if none or several have it.</summary>
    public Board BoardWithRole(string role)
    {
        var matches = _definition.Boards.Where(b => b.Roles.Contains(role)).ToList();
        return matches.Count switch
        {
            1 => Board(matches[0].Name),
            0 => throw new TestDefectException($"no board of the rig {_definition.Name} ({_definition.SourcePath}) has the role \"{role}\""),
            _ => throw new TestDefectException($"several boards have the role \"{role}\": {string.Join(", ", matches.Select(m => m.Name))}; name one"),
        };
    }

    public IRigNetwork Network
    {
        get
        {
            lock (_gate) return _network ??= RigNetworks.Create(_definition.Network, _services);
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<Board> boards;
        lock (_gate) boards = _boards.Values.Reverse().ToList();
        var errors = new List<Exception>();
        foreach (var board in boards)
        {
            try
            {
                await board.DisposeAsync();
            }
            catch (Exception e)
            {
                errors.Add(e);
            }
            foreach (var (name, path) in board.Evidence())
            {
                if (File.Exists(path) && new FileInfo(path).Length > 0)
                    _output.AttachFile(name, path.EndsWith(".pcap") || path.EndsWith(".pcapng") ? MediaTypes.Pcap : MediaTypes.Text, path);
            }
            if (board.TryGet<IPowerProtocol>(out var power) && power!.History.Count > 0)
                _output.AttachText($"{board.Name} power history",
                    string.Join('\n', power.History.Select(h => $"{h.At:HH:mm:ss.fff} {h.Kind}{(h.Detail is null ? "" : " " + h.Detail)}")));
        }
        if (_network is not null)
        {
            try
            {
                await _network.DisposeAsync();
            }
            catch (Exception e)
            {
                errors.Add(e);
            }
        }
        // Physical boards are free for the next scenario only once they are off and their evidence is collected.
        lock (_gate)
        {
            foreach (var lease in _leases) lease.Dispose();
            _leases.Clear();
        }
        if (errors.Count > 0) throw new AggregateException("releasing the rig failed", errors);
    }
}
