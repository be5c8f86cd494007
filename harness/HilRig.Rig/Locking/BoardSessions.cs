using HilRig.Engine.Bindings;
using HilRig.Engine.Runtime;
using HilRig.Rig.Model;

namespace HilRig.Rig.Locking;

/// <summary>
/// The physical boards one run holds: each is locked (through its guard) when a scenario first names it and stays
/// locked until the run ends, so no other run drives it between scenarios. Each is health-checked once per run; a board
/// that fails is latched as a rig fault, so its later scenarios are reported broken at once while the rest of the run goes on.
/// </summary>
[RunScoped]
public sealed class BoardSessions(RigDefinition rig, RigRunSettings settings) : IDisposable
{
    private readonly Dictionary<string, Session> _sessions = new();

    public sealed class Session(string board)
    {
        public string Board { get; } = board;

        public GuardProcess? Guard { get; init; }

        /// <summary>Null until the health check ran; then "" when it passed or the reason it failed.</summary>
        public string? Health { get; set; }
    }

    /// <summary>The board's session in this run, taking its lock (waiting up to --lock-timeout) on first use.</summary>
    public Session Enter(BoardDefinition board)
    {
        lock (_sessions)
        {
            if (_sessions.TryGetValue(board.Name, out var existing)) return existing;
            var guard = settings.LockBoards
                ? GuardProcess.Start(rig.SourcePath, board.Name, settings.LockTimeout, $"hilrig run --rig {Path.GetFileName(rig.SourcePath)}")
                : null;
            var session = new Session(board.Name) { Guard = guard };
            _sessions[board.Name] = session;
            return session;
        }
    }

    /// <summary>Runs the health check once per board and run; throws the latched rig fault when it failed.</summary>
    public async Task EnsureHealthyAsync(Session session, Func<CancellationToken, Task> check, CancellationToken cancellation)
    {
        if (session.Health is null)
        {
            try
            {
                await check(cancellation);
                session.Health = "";
            }
            catch (Exception e) when (e is RigFaultException or IOException or TimeoutException)
            {
                session.Health = e.Message.Replace("[rig] ", "").Replace($"board {session.Board}: ", "");
            }
        }
        if (session.Health.Length > 0)
            throw new RigFaultException($"board {session.Board} failed its health check in this run; its scenarios are not run: {session.Health}");
    }

    public void Dispose()
    {
        lock (_sessions)
        {
            foreach (var session in _sessions.Values) session.Guard?.Dispose();
            _sessions.Clear();
        }
    }
}
