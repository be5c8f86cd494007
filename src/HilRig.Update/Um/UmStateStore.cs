using System.Text.Json;
using HilRig.Update.Protocol;
using HilRig.Update.Serialization;
using HilRig.Update.Storage;
using Microsoft.Data.Sqlite;

namespace HilRig.Update.Um;

/// <summary>
/// The UM's database (after aos_updatemanager's <c>config(updateState)</c> and <c>modules(id, aosVersion, state)</c>):
/// the handler state as one JSON row, written on every transition, and a key/value store per module.
/// </summary>
public sealed class UmStateStore : IDisposable
{
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS config (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS modules (id TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (id, key));
        CREATE TABLE IF NOT EXISTS transitions (seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, state TEXT NOT NULL, image INTEGER NOT NULL, operation TEXT, error TEXT);
        """;

    private readonly SqliteConnection _db;
    private readonly object _gate = new();

    public UmStateStore(string path)
    {
        _db = SqliteDatabase.Open(path, Schema);
    }

    public UmState Load()
    {
        lock (_gate)
        {
            using var command = _db.CreateCommand();
            command.CommandText = "SELECT value FROM config WHERE key = 'updateState'";
            return command.ExecuteScalar() is string json ? JsonSerializer.Deserialize(json, StateJson.Default.UmState)! : UmState.Idle;
        }
    }

    /// <summary>Saves the state and appends it to the transition journal in one transaction.</summary>
    public void Save(UmState state, DateTimeOffset at)
    {
        lock (_gate)
        {
            using var tx = _db.BeginTransaction();
            SqliteDatabase.Execute(_db, "INSERT INTO config(key, value) VALUES ('updateState', $v) ON CONFLICT(key) DO UPDATE SET value = $v",
                ("$v", JsonSerializer.Serialize(state, StateJson.Default.UmState)));
            SqliteDatabase.Execute(_db, "INSERT INTO transitions(at, state, image, operation, error) VALUES ($at, $s, $i, $o, $e)",
                ("$at", at.ToString("O")), ("$s", state.State.ToString()), ("$i", (long)state.ImageVersion), ("$o", state.PendingOperation), ("$e", state.Error));
            tx.Commit();
        }
    }

    /// <summary>The journal of states, oldest first: what tests and scenarios read to see every transition was persisted.</summary>
    public IReadOnlyList<(UpdateState State, string? Operation)> Transitions()
    {
        lock (_gate)
        {
            using var command = _db.CreateCommand();
            command.CommandText = "SELECT state, operation FROM transitions ORDER BY seq";
            using var reader = command.ExecuteReader();
            var list = new List<(UpdateState, string?)>();
            while (reader.Read()) list.Add((Enum.Parse<UpdateState>(reader.GetString(0)), reader.IsDBNull(1) ? null : reader.GetString(1)));
            return list;
        }
    }

    public ModuleStorage ForModule(string id) => new(this, id);

    internal string? Get(string module, string key)
    {
        lock (_gate)
        {
            using var command = _db.CreateCommand();
            command.CommandText = "SELECT value FROM modules WHERE id = $id AND key = $k";
            command.Parameters.AddWithValue("$id", module);
            command.Parameters.AddWithValue("$k", key);
            return command.ExecuteScalar() as string;
        }
    }

    internal void Set(string module, string key, string? value)
    {
        lock (_gate)
        {
            if (value is null)
                SqliteDatabase.Execute(_db, "DELETE FROM modules WHERE id = $id AND key = $k", ("$id", module), ("$k", key));
            else
                SqliteDatabase.Execute(_db, "INSERT INTO modules(id, key, value) VALUES ($id, $k, $v) ON CONFLICT(id, key) DO UPDATE SET value = $v",
                    ("$id", module), ("$k", key), ("$v", value));
        }
    }

    public void Dispose() => _db.Dispose();
}

/// <summary>A module's own persistent keys (its installed version, what it staged, which boot it asked to reboot in).</summary>
public sealed class ModuleStorage(UmStateStore store, string moduleId)
{
    public string? Get(string key) => store.Get(moduleId, key);

    public void Set(string key, string? value) => store.Set(moduleId, key, value);
}
