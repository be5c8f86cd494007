using System.Text.Json;
using HilRig.Update.Serialization;
using HilRig.Update.Storage;
using Microsoft.Data.Sqlite;

namespace HilRig.Update.Cm;

/// <summary>
/// The CM's persistent state: the installed image version, the update in progress (plan, phase, why it is being
/// reverted) and a result not yet delivered to the cloud.
/// </summary>
public sealed class CmStateStore : IDisposable
{
    private const string Schema = "CREATE TABLE IF NOT EXISTS cm (key TEXT PRIMARY KEY, value TEXT NOT NULL);";
    private readonly SqliteConnection _db;
    private readonly object _gate = new();

    public CmStateStore(string path) => _db = SqliteDatabase.Open(path, Schema);

    public long InstalledImageVersion
    {
        get => long.TryParse(Get("installedImageVersion"), out var v) ? v : 0;
        set => Set("installedImageVersion", value.ToString());
    }

    /// <summary>The update in progress; <c>Revert</c> is why it is being reverted (wire reason and detail), once it is.</summary>
    public (UpdatePlan Plan, UpdatePhase Phase, (string Reason, string Detail)? Revert)? InProgress
    {
        get
        {
            lock (_gate)
            {
                if (Get("plan") is not { } json) return null;
                var p = JsonSerializer.Deserialize(json, StateJson.Default.PersistedPlan)!;
                var revert = Get("revertReason") is { } reason ? (reason, Get("revertDetail") ?? "") : ((string, string)?)null;
                return (UpdatePlan.FromPersisted(p), Enum.Parse<UpdatePhase>(Get("phase")!), revert);
            }
        }
    }

    public void Begin(UpdatePlan plan) => Transaction(() =>
    {
        Set("plan", JsonSerializer.Serialize(plan.ToPersisted(), StateJson.Default.PersistedPlan));
        Set("phase", UpdatePhase.Preparing.ToString());
        Set("revertReason", null);
        Set("revertDetail", null);
    });

    public void SetPhase(UpdatePhase phase) => Transaction(() => Set("phase", phase.ToString()));

    /// <summary>
    /// Moves the update to <see cref="UpdatePhase.Reverting"/> for this reason, and returns the reason it is reverted for:
    /// a revert already under way keeps the one it started with (a resumed revert, or a timeout on its way, says
    /// nothing new about why the update failed).
    /// </summary>
    public (string Reason, string Detail) BeginRevert(string reason, string detail) => Transaction(() =>
    {
        if (Get("phase") == nameof(UpdatePhase.Reverting) && Get("revertReason") is { } persisted) return (persisted, Get("revertDetail") ?? "");
        Set("phase", nameof(UpdatePhase.Reverting));
        Set("revertReason", reason);
        Set("revertDetail", detail);
        return (reason, detail);
    });

    /// <summary>
    /// Ends the update; on success the image version becomes the installed one, and the result to report becomes the
    /// pending one, in the same transaction: there is no moment at which the update is over and its result unrecorded.
    /// The installed version goes down only with <paramref name="downgrade"/> (a plan made from the cloud's signed
    /// previous-version offer); an older version finishing otherwise leaves it where it is.
    /// </summary>
    public void Finish(long? installed, string? pendingResult = null, bool downgrade = false) => Transaction(() =>
    {
        if (installed is { } v && (downgrade || v >= (long.TryParse(Get("installedImageVersion"), out var current) ? current : 0)))
            Set("installedImageVersion", v.ToString());
        if (pendingResult is not null) Set("pendingResult", pendingResult);
        Set("plan", null);
        Set("phase", null);
        Set("revertReason", null);
        Set("revertDetail", null);
    });

    public string? PendingResult
    {
        get => Get("pendingResult");
        set => Set("pendingResult", value);
    }

    private void Transaction(Action action) => Transaction(() =>
    {
        action();
        return 0;
    });

    private T Transaction<T>(Func<T> action)
    {
        lock (_gate)
        {
            using var tx = _db.BeginTransaction();
            var result = action();
            tx.Commit();
            return result;
        }
    }

    private string? Get(string key)
    {
        lock (_gate)
        {
            using var command = _db.CreateCommand();
            command.CommandText = "SELECT value FROM cm WHERE key = $k";
            command.Parameters.AddWithValue("$k", key);
            return command.ExecuteScalar() as string;
        }
    }

    private void Set(string key, string? value)
    {
        lock (_gate)
        {
            if (value is null) SqliteDatabase.Execute(_db, "DELETE FROM cm WHERE key = $k", ("$k", key));
            else SqliteDatabase.Execute(_db, "INSERT INTO cm(key, value) VALUES ($k, $v) ON CONFLICT(key) DO UPDATE SET value = $v", ("$k", key), ("$v", value));
        }
    }

    public void Dispose() => _db.Dispose();
}
