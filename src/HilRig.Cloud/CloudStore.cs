using HilRig.Update.Cloud;
using HilRig.Update.Storage;
using Microsoft.Data.Sqlite;

namespace HilRig.Cloud;

/// <summary>
/// The cloud's SQLite database: platforms (last assigned version), images (signed metadata, deleted flag), units,
/// groups and results. One connection behind one lock; every operation that reads and writes runs in one transaction.
/// </summary>
public sealed class CloudStore : IDisposable
{
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS platforms (platform_id TEXT PRIMARY KEY, last_assigned INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS images (platform_id TEXT NOT NULL, version INTEGER NOT NULL, metadata BLOB NOT NULL,
            uploaded_at TEXT NOT NULL, deleted INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (platform_id, version));
        CREATE TABLE IF NOT EXISTS units (unit_id TEXT PRIMARY KEY, platform_id TEXT NOT NULL, image_version INTEGER NOT NULL,
            last_seen TEXT NOT NULL, grp TEXT, last_auto_offer TEXT, manual_pending INTEGER NOT NULL DEFAULT 0,
            offered_version INTEGER, offered_at TEXT);
        CREATE TABLE IF NOT EXISTS groups (name TEXT PRIMARY KEY, platform_id TEXT NOT NULL, target_version INTEGER);
        CREATE TABLE IF NOT EXISTS results (seq INTEGER PRIMARY KEY AUTOINCREMENT, unit_id TEXT NOT NULL, image_version INTEGER NOT NULL,
            success INTEGER NOT NULL, reason TEXT, detail TEXT, at TEXT NOT NULL);
        """;

    private readonly SqliteConnection _db;
    private readonly SemaphoreSlim _lock = new(1, 1);

    // The cloud's writes are many and small; WAL with NORMAL keeps them durable across a crash of the process.
    public CloudStore(string path) => _db = SqliteDatabase.Open(path, Schema, SqliteDurability.ProcessCrash);

    /// <summary>Runs <paramref name="work"/> in one transaction under the store's lock.</summary>
    public async Task<T> InTransactionAsync<T>(Func<Session, T> work)
    {
        await _lock.WaitAsync();
        try
        {
            using var tx = _db.BeginTransaction();
            var result = work(new Session(_db, tx));
            tx.Commit();
            return result;
        }
        finally { _lock.Release(); }
    }

    public void Dispose() => _db.Dispose();

    /// <summary>The queries, valid inside one transaction.</summary>
    public sealed class Session(SqliteConnection db, SqliteTransaction tx)
    {
        private SqliteCommand Command(string sql, params (string, object?)[] args)
        {
            var c = SqliteDatabase.Command(db, sql, args);
            c.Transaction = tx;
            return c;
        }

        private void Exec(string sql, params (string, object?)[] args)
        {
            using var c = Command(sql, args);
            c.ExecuteNonQuery();
        }

        public PlatformVersions Platform(string platformId)
        {
            using var last = Command("SELECT last_assigned FROM platforms WHERE platform_id = $p", ("$p", platformId));
            var lastAssigned = last.ExecuteScalar() is long l ? l : 0;
            using var list = Command("SELECT version FROM images WHERE platform_id = $p AND deleted = 0 ORDER BY version", ("$p", platformId));
            using var r = list.ExecuteReader();
            var available = new List<long>();
            while (r.Read()) available.Add(r.GetInt64(0));
            return new PlatformVersions(platformId, lastAssigned, available);
        }

        public IReadOnlyDictionary<string, PlatformVersions> Platforms()
        {
            using var c = Command("SELECT platform_id FROM platforms");
            using var r = c.ExecuteReader();
            var ids = new List<string>();
            while (r.Read()) ids.Add(r.GetString(0));
            return ids.ToDictionary(id => id, Platform);
        }

        public void AddImage(string platformId, long version, byte[] metadata, DateTimeOffset at)
        {
            Exec("INSERT INTO platforms(platform_id, last_assigned) VALUES ($p, $v) ON CONFLICT(platform_id) DO UPDATE SET last_assigned = $v", ("$p", platformId), ("$v", version));
            Exec("INSERT INTO images(platform_id, version, metadata, uploaded_at) VALUES ($p, $v, $m, $at)", ("$p", platformId), ("$v", version), ("$m", metadata), ("$at", at.ToString("O")));
        }

        public void MarkDeleted(string platformId, long version) =>
            Exec("UPDATE images SET deleted = 1 WHERE platform_id = $p AND version = $v", ("$p", platformId), ("$v", version));

        public byte[]? Metadata(string platformId, long version)
        {
            using var c = Command("SELECT metadata FROM images WHERE platform_id = $p AND version = $v AND deleted = 0", ("$p", platformId), ("$v", version));
            return c.ExecuteScalar() as byte[];
        }

        public UnitRecord? Unit(string unitId)
        {
            using var c = Command("SELECT unit_id, platform_id, image_version, last_seen, grp, last_auto_offer, manual_pending, offered_version, offered_at FROM units WHERE unit_id = $u", ("$u", unitId));
            using var r = c.ExecuteReader();
            return r.Read() ? ReadUnit(r) : null;
        }

        public IReadOnlyList<UnitRecord> Units()
        {
            using var c = Command("SELECT unit_id, platform_id, image_version, last_seen, grp, last_auto_offer, manual_pending, offered_version, offered_at FROM units");
            using var r = c.ExecuteReader();
            var list = new List<UnitRecord>();
            while (r.Read()) list.Add(ReadUnit(r));
            return list;
        }

        public void SaveUnit(UnitRecord u) => Exec("""
            INSERT INTO units(unit_id, platform_id, image_version, last_seen, grp, last_auto_offer, manual_pending, offered_version, offered_at)
            VALUES ($u, $p, $v, $seen, $g, $auto, $manual, $ov, $oat)
            ON CONFLICT(unit_id) DO UPDATE SET platform_id = $p, image_version = $v, last_seen = $seen, grp = $g,
                last_auto_offer = $auto, manual_pending = $manual, offered_version = $ov, offered_at = $oat
            """,
            ("$u", u.UnitId), ("$p", u.PlatformId), ("$v", u.ImageVersion), ("$seen", u.LastSeen.ToString("O")), ("$g", u.Group),
            ("$auto", u.LastAutomaticOffer?.ToString("O")), ("$manual", u.ManualTriggerPending ? 1 : 0), ("$ov", u.OfferedVersion), ("$oat", u.OfferedAt?.ToString("O")));

        public GroupRecord? Group(string name) => ReadGroups(Command("SELECT name, platform_id, target_version FROM groups WHERE name = $n", ("$n", name))).SingleOrDefault();

        public IReadOnlyList<GroupRecord> Groups() => ReadGroups(Command("SELECT name, platform_id, target_version FROM groups ORDER BY name"));

        private static List<GroupRecord> ReadGroups(SqliteCommand command)
        {
            using var c = command;
            using var r = c.ExecuteReader();
            var list = new List<GroupRecord>();
            while (r.Read()) list.Add(new GroupRecord(r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetInt64(2)));
            return list;
        }

        public void SaveGroup(GroupRecord g) =>
            Exec("INSERT INTO groups(name, platform_id, target_version) VALUES ($n, $p, $t) ON CONFLICT(name) DO UPDATE SET platform_id = $p, target_version = $t",
                ("$n", g.Name), ("$p", g.PlatformId), ("$t", g.TargetVersion));

        public void AddResult(UpdateResult r) =>
            Exec("INSERT INTO results(unit_id, image_version, success, reason, detail, at) VALUES ($u, $v, $s, $r, $d, $at)",
                ("$u", r.UnitId), ("$v", r.ImageVersion), ("$s", r.Success ? 1 : 0), ("$r", r.Reason), ("$d", r.Detail), ("$at", r.At.ToString("O")));

        public IReadOnlyList<UpdateResult> Results(string? unitId = null)
        {
            using var c = Command("SELECT unit_id, image_version, success, reason, detail, at FROM results WHERE $u IS NULL OR unit_id = $u ORDER BY seq", ("$u", unitId));
            using var r = c.ExecuteReader();
            var list = new List<UpdateResult>();
            while (r.Read())
                list.Add(new UpdateResult(r.GetString(0), r.GetInt64(1), r.GetInt64(2) == 1, r.IsDBNull(3) ? null : r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4), DateTimeOffset.Parse(r.GetString(5))));
            return list;
        }

        private static UnitRecord ReadUnit(SqliteDataReader r) => new(
            r.GetString(0), r.GetString(1), r.GetInt64(2), DateTimeOffset.Parse(r.GetString(3)),
            r.IsDBNull(4) ? null : r.GetString(4),
            r.IsDBNull(5) ? null : DateTimeOffset.Parse(r.GetString(5)),
            r.GetInt64(6) == 1,
            r.IsDBNull(7) ? null : r.GetInt64(7),
            r.IsDBNull(8) ? null : DateTimeOffset.Parse(r.GetString(8)));
    }
}
