using HilRig.Cloud.Security;
using HilRig.Update.Cloud;
using HilRig.Update.Storage;
using Microsoft.Data.Sqlite;

namespace HilRig.Cloud;

/// <summary>
/// The cloud's SQLite database: platforms (last assigned version), images (signed metadata, deleted flag) and the files
/// they name, units, groups, results, the unit certificates it issued and the operator tokens (hashed). Writes run on
/// one connection, one at a time, each in a savepoint of a transaction it may share with writes that queued behind
/// the last (group commit: see <see cref="InTransactionAsync{T}"/>); reads that change nothing (the dashboard, a
/// credential lookup) run on their own connections, which WAL lets see the last commit without waiting for the writer.
/// Every connection keeps its statements prepared: parsing the SQL again on every call was the largest share of the
/// check-in's database time (profiled with perf for issue 13).
/// </summary>
public sealed class CloudStore : IDisposable
{
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS platforms (platform_id TEXT PRIMARY KEY, last_assigned INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS images (platform_id TEXT NOT NULL, version INTEGER NOT NULL, metadata BLOB NOT NULL,
            uploaded_at TEXT NOT NULL, deleted INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (platform_id, version));
        CREATE TABLE IF NOT EXISTS image_files (sha256 TEXT NOT NULL, platform_id TEXT NOT NULL, version INTEGER NOT NULL,
            PRIMARY KEY (sha256, platform_id, version));
        CREATE TABLE IF NOT EXISTS units (unit_id TEXT PRIMARY KEY, platform_id TEXT NOT NULL, image_version INTEGER NOT NULL,
            last_seen TEXT NOT NULL, grp TEXT, last_auto_offer TEXT, manual_pending INTEGER NOT NULL DEFAULT 0,
            offered_version INTEGER, offered_at TEXT);
        CREATE TABLE IF NOT EXISTS groups (name TEXT PRIMARY KEY, platform_id TEXT NOT NULL, target_version INTEGER);
        CREATE TABLE IF NOT EXISTS results (seq INTEGER PRIMARY KEY AUTOINCREMENT, unit_id TEXT NOT NULL, image_version INTEGER NOT NULL,
            success INTEGER NOT NULL, reason TEXT, detail TEXT, at TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS unit_certificates (serial TEXT PRIMARY KEY, unit_id TEXT NOT NULL, not_before TEXT NOT NULL,
            not_after TEXT NOT NULL, issued_at TEXT NOT NULL, revoked_at TEXT);
        CREATE INDEX IF NOT EXISTS unit_certificates_by_unit ON unit_certificates(unit_id);
        CREATE TABLE IF NOT EXISTS tokens (id TEXT PRIMARY KEY, sha256 TEXT NOT NULL, roles TEXT NOT NULL, name TEXT NOT NULL,
            created_at TEXT NOT NULL, revoked_at TEXT);
        """;

    /// <summary>Readers beside the writer: two cores, so more would only queue.</summary>
    private const int Readers = 2;

    /// <summary>
    /// Writes committed together at most: enough to carry a burst of check-ins (32 in flight in `hilrig bench update`),
    /// few enough that the first of a group does not wait long for the last.
    /// </summary>
    private const int MaxGroup = 64;

    private readonly Connection _writer;
    private readonly Queue<PendingWrite> _pending = new();
    private bool _writing;
    private readonly Connection[] _readers;
    private readonly SemaphoreSlim _readerSlots = new(Readers, Readers);
    private readonly Stack<Connection> _idleReaders;

    // The cloud's writes are many and small; WAL with NORMAL keeps them durable across a crash of the process.
    public CloudStore(string path)
    {
        _writer = new Connection(SqliteDatabase.Open(path, Schema, SqliteDurability.ProcessCrash), writer: true);
        _readers = new Connection[Readers];
        try
        {
            for (var i = 0; i < Readers; i++) _readers[i] = new Connection(SqliteDatabase.Open(path, "", SqliteDurability.ProcessCrash), writer: false);
        }
        catch
        {
            Dispose();
            throw;
        }
        _idleReaders = new Stack<Connection>(_readers);
    }

    /// <summary>
    /// Runs <paramref name="work"/> in a write transaction; an exception undoes its writes, and only its. The task
    /// completes once its writes are committed, never before: durability is what it was with one transaction per work.
    /// </summary>
    /// <remarks>
    /// Group commit: works that arrive while the writer is busy share its next transaction, each in its own SAVEPOINT,
    /// so one BEGIN IMMEDIATE / COMMIT (and one WAL append of the pages they share) serves a burst of check-ins instead of
    /// one each.
    /// </remarks>
    public Task<T> InTransactionAsync<T>(Func<Session, T> work)
    {
        var write = new PendingWrite<T>(work);
        lock (_pending)
        {
            _pending.Enqueue(write);
            if (_writing) return write.Task;
            _writing = true;
        }
        // The caller writes one group, its own among it, and returns to its request; writes queued meanwhile are
        // written on the thread pool, so no caller waits for more than its own group.
        if (WriteGroup()) ThreadPool.UnsafeQueueUserWorkItem(_ => { while (WriteGroup()) { } }, null);
        return write.Task;
    }

    /// <summary>Writes up to <see cref="MaxGroup"/> queued writes in one transaction; whether more are waiting (then the caller writes on).</summary>
    private bool WriteGroup()
    {
        var group = new List<PendingWrite>(MaxGroup);
        lock (_pending)
            while (group.Count < MaxGroup && _pending.TryDequeue(out var next)) group.Add(next);
        try { _writer.RunGroup(group); }
        catch (Exception e)
        {
            // The connection refused a ROLLBACK TO or a ROLLBACK: nothing of the group is committed; leave no transaction open.
            _writer.Abandon();
            foreach (var w in group) w.Fail(e);
        }
        lock (_pending)
        {
            if (_pending.Count > 0) return true;
            _writing = false;
            return false;
        }
    }

    /// <summary>Runs <paramref name="work"/>, which must not write, on a reader connection: one consistent snapshot of the last commit.</summary>
    public Task<T> ReadAsync<T>(Func<Session, T> work) => OnReaderAsync(work, snapshot: true);

    /// <summary>
    /// Runs <paramref name="work"/>, one SELECT, on a reader connection without a transaction of ours: SQLite runs a
    /// single statement in a read transaction of its own, so BEGIN and COMMIT would add nothing but their cost (a
    /// unit's certificate is looked up on every request).
    /// </summary>
    public Task<T> QueryAsync<T>(Func<Session, T> work) => OnReaderAsync(work, snapshot: false);

    private async Task<T> OnReaderAsync<T>(Func<Session, T> work, bool snapshot)
    {
        await _readerSlots.WaitAsync();
        Connection reader;
        lock (_idleReaders) reader = _idleReaders.Pop();
        try
        {
            return snapshot ? reader.Run(work) : reader.RunStatement(work);
        }
        finally
        {
            lock (_idleReaders) _idleReaders.Push(reader);
            _readerSlots.Release();
        }
    }

    public void Dispose()
    {
        _writer?.Dispose();
        foreach (var r in _readers ?? []) r?.Dispose();
    }

    /// <summary>
    /// One SQLite connection and its prepared statements, by SQL text — BEGIN and COMMIT among them: SqliteTransaction
    /// parses both again on every transaction, a third of an empty transaction's cost (measured for issue 13).
    /// </summary>
    private sealed class Connection : IDisposable
    {
        private readonly SqliteConnection _db;
        private readonly Dictionary<string, SqliteCommand> _statements = new(StringComparer.Ordinal);
        private readonly SqliteCommand _begin, _commit, _rollback, _savepoint, _release, _rollbackToSavepoint;
        private readonly Session _session;

        /// <param name="writer">BEGIN IMMEDIATE: take the write lock at the start (another process, `hilrig cloud enroll`,
        /// may write too), so a transaction never fails half-way to upgrade from reading to writing.</param>
        public Connection(SqliteConnection db, bool writer)
        {
            _db = db;
            _begin = Prepare(writer ? "BEGIN IMMEDIATE" : "BEGIN");
            _commit = Prepare("COMMIT");
            _rollback = Prepare("ROLLBACK");
            _savepoint = Prepare("SAVEPOINT one_write");
            _release = Prepare("RELEASE one_write");
            _rollbackToSavepoint = Prepare("ROLLBACK TO one_write");
            _session = new Session(Statement);
        }

        public T Run<T>(Func<Session, T> work)
        {
            _begin.ExecuteNonQuery();
            try
            {
                var result = work(_session);
                _commit.ExecuteNonQuery();
                return result;
            }
            catch
            {
                // Still in the transaction (the work threw, or COMMIT was refused): undo it. SQLite may have rolled back itself.
                if (InTransaction) _rollback.ExecuteNonQuery();
                throw;
            }
        }

        public T RunStatement<T>(Func<Session, T> work) => work(_session);

        /// <summary>
        /// One transaction for the group, a SAVEPOINT for each write in it: a write that throws is rolled back to its
        /// savepoint and answered with its exception at once; the others are answered after COMMIT, with their results
        /// or, if COMMIT fails, its exception.
        /// </summary>
        public void RunGroup(List<PendingWrite> group)
        {
            var ran = new List<PendingWrite>(group.Count);
            var rest = 0;
            while (rest < group.Count)
            {
                try { _begin.ExecuteNonQuery(); }
                catch (Exception e)
                {
                    foreach (var w in group.Skip(rest).Concat(ran)) w.Fail(e);
                    return;
                }
                for (; rest < group.Count; rest++)
                {
                    var write = group[rest];
                    try
                    {
                        _savepoint.ExecuteNonQuery();
                        write.Run(_session);
                        _release.ExecuteNonQuery();
                        ran.Add(write);
                    }
                    catch (Exception e)
                    {
                        write.Fail(e);
                        if (InTransaction)
                        {
                            _rollbackToSavepoint.ExecuteNonQuery();
                            _release.ExecuteNonQuery();
                            continue;
                        }
                        // SQLite rolled back the whole transaction (an I/O error, a full disk): the writes that ran before
                        // this one are undone with it. Each is a function of the database it runs on: run them again.
                        group.RemoveAt(rest);
                        group.InsertRange(rest, ran);
                        ran.Clear();
                        break;
                    }
                }
            }
            if (!InTransaction) return; // the last writes failed and took the transaction with them
            try { _commit.ExecuteNonQuery(); }
            catch (Exception e)
            {
                Abandon();
                foreach (var w in ran) w.Fail(e);
                return;
            }
            foreach (var w in ran) w.Complete();
        }

        public void Abandon()
        {
            try { if (InTransaction) _rollback.ExecuteNonQuery(); }
            catch (SqliteException) { } // SQLite may have rolled back itself meanwhile
        }

        private bool InTransaction => SQLitePCL.raw.sqlite3_get_autocommit(_db.Handle) == 0;

        private SqliteCommand Prepare(string sql)
        {
            var command = _db.CreateCommand();
            command.CommandText = sql;
            return command;
        }

        private SqliteCommand Statement(string sql, (string Name, object? Value)[] args)
        {
            if (!_statements.TryGetValue(sql, out var command)) _statements[sql] = command = Prepare(sql);
            command.Parameters.Clear();
            foreach (var (name, value) in args) command.Parameters.AddWithValue(name, value ?? DBNull.Value);
            return command;
        }

        public void Dispose()
        {
            foreach (var c in _statements.Values.Concat([_begin, _commit, _rollback, _savepoint, _release, _rollbackToSavepoint])) c.Dispose();
            _db.Dispose();
        }
    }

    /// <summary>A write waiting for the writer, then for its group's COMMIT.</summary>
    private abstract class PendingWrite
    {
        public abstract void Run(Session session);
        public abstract void Complete();
        public abstract void Fail(Exception e);
    }

    private sealed class PendingWrite<T>(Func<Session, T> work) : PendingWrite
    {
        // Asynchronous continuations: the writer goes on to the next group while the answered requests go on elsewhere.
        private readonly TaskCompletionSource<T> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T _result = default!;

        public Task<T> Task => _done.Task;
        public override void Run(Session session) => _result = work(session);
        public override void Complete() => _done.TrySetResult(_result);
        public override void Fail(Exception e) => _done.TrySetException(e);
    }

    /// <summary>The queries, valid inside one transaction. A statement's reader is closed before the statement runs again.</summary>
    public sealed class Session
    {
        private readonly Func<string, (string, object?)[], SqliteCommand> _statement;

        internal Session(Func<string, (string, object?)[], SqliteCommand> statement) => _statement = statement;

        private SqliteCommand Command(string sql, params (string, object?)[] args) => _statement(sql, args);

        private void Exec(string sql, params (string, object?)[] args) => Command(sql, args).ExecuteNonQuery();

        private List<T> Rows<T>(string sql, Func<SqliteDataReader, T> read, params (string, object?)[] args)
        {
            using var r = Command(sql, args).ExecuteReader();
            var list = new List<T>();
            while (r.Read()) list.Add(read(r));
            return list;
        }

        public PlatformVersions Platform(string platformId)
        {
            var lastAssigned = Command("SELECT last_assigned FROM platforms WHERE platform_id = $p", ("$p", platformId)).ExecuteScalar() is long l ? l : 0;
            var available = Rows("SELECT version FROM images WHERE platform_id = $p AND deleted = 0 ORDER BY version", r => r.GetInt64(0), ("$p", platformId));
            return new PlatformVersions(platformId, lastAssigned, available);
        }

        public IReadOnlyDictionary<string, PlatformVersions> Platforms() =>
            Rows("SELECT platform_id FROM platforms", r => r.GetString(0)).ToDictionary(id => id, Platform);

        public void AddImage(string platformId, long version, byte[] metadata, IEnumerable<string> fileSha256s, DateTimeOffset at)
        {
            Exec("INSERT INTO platforms(platform_id, last_assigned) VALUES ($p, $v) ON CONFLICT(platform_id) DO UPDATE SET last_assigned = $v", ("$p", platformId), ("$v", version));
            Exec("INSERT INTO images(platform_id, version, metadata, uploaded_at) VALUES ($p, $v, $m, $at)", ("$p", platformId), ("$v", version), ("$m", metadata), ("$at", at.ToString("O")));
            foreach (var sha256 in fileSha256s)
                Exec("INSERT OR IGNORE INTO image_files(sha256, platform_id, version) VALUES ($s, $p, $v)", ("$s", sha256), ("$p", platformId), ("$v", version));
        }

        public void MarkDeleted(string platformId, long version) =>
            Exec("UPDATE images SET deleted = 1 WHERE platform_id = $p AND version = $v", ("$p", platformId), ("$v", version));

        public byte[]? Metadata(string platformId, long version) =>
            Command("SELECT metadata FROM images WHERE platform_id = $p AND version = $v AND deleted = 0", ("$p", platformId), ("$v", version)).ExecuteScalar() as byte[];

        /// <summary>Whether a file (by SHA-256, lower-case hex) is a component of some image of <paramref name="platformId"/>.</summary>
        public bool IsFileOf(string sha256, string platformId) =>
            Command("SELECT 1 FROM image_files WHERE sha256 = $s AND platform_id = $p LIMIT 1", ("$s", sha256), ("$p", platformId)).ExecuteScalar() is not null;

        private const string UnitColumns = "unit_id, platform_id, image_version, last_seen, grp, last_auto_offer, manual_pending, offered_version, offered_at";

        public UnitRecord? Unit(string unitId) =>
            Rows($"SELECT {UnitColumns} FROM units WHERE unit_id = $u", ReadUnit, ("$u", unitId)).SingleOrDefault();

        public IReadOnlyList<UnitRecord> Units() => Rows($"SELECT {UnitColumns} FROM units", ReadUnit);

        public void SaveUnit(UnitRecord u) => Exec("""
            INSERT INTO units(unit_id, platform_id, image_version, last_seen, grp, last_auto_offer, manual_pending, offered_version, offered_at)
            VALUES ($u, $p, $v, $seen, $g, $auto, $manual, $ov, $oat)
            ON CONFLICT(unit_id) DO UPDATE SET platform_id = $p, image_version = $v, last_seen = $seen, grp = $g,
                last_auto_offer = $auto, manual_pending = $manual, offered_version = $ov, offered_at = $oat
            """,
            ("$u", u.UnitId), ("$p", u.PlatformId), ("$v", u.ImageVersion), ("$seen", u.LastSeen.ToString("O")), ("$g", u.Group),
            ("$auto", u.LastAutomaticOffer?.ToString("O")), ("$manual", u.ManualTriggerPending ? 1 : 0), ("$ov", u.OfferedVersion), ("$oat", u.OfferedAt?.ToString("O")));

        public GroupRecord? Group(string name) => Rows("SELECT name, platform_id, target_version FROM groups WHERE name = $n", ReadGroup, ("$n", name)).SingleOrDefault();

        public IReadOnlyList<GroupRecord> Groups() => Rows("SELECT name, platform_id, target_version FROM groups ORDER BY name", ReadGroup);

        public void SaveGroup(GroupRecord g) =>
            Exec("INSERT INTO groups(name, platform_id, target_version) VALUES ($n, $p, $t) ON CONFLICT(name) DO UPDATE SET platform_id = $p, target_version = $t",
                ("$n", g.Name), ("$p", g.PlatformId), ("$t", g.TargetVersion));

        public void AddResult(UpdateResult r) =>
            Exec("INSERT INTO results(unit_id, image_version, success, reason, detail, at) VALUES ($u, $v, $s, $r, $d, $at)",
                ("$u", r.UnitId), ("$v", r.ImageVersion), ("$s", r.Success ? 1 : 0), ("$r", r.Reason), ("$d", r.Detail), ("$at", r.At.ToString("O")));

        public IReadOnlyList<UpdateResult> Results(string? unitId = null) =>
            Rows("SELECT unit_id, image_version, success, reason, detail, at FROM results WHERE $u IS NULL OR unit_id = $u ORDER BY seq",
                r => new UpdateResult(r.GetString(0), r.GetInt64(1), r.GetInt64(2) == 1, r.IsDBNull(3) ? null : r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4), DateTimeOffset.Parse(r.GetString(5))),
                ("$u", unitId));

        public void AddUnitCertificate(IssuedCertificate c) =>
            Exec("INSERT INTO unit_certificates(serial, unit_id, not_before, not_after, issued_at) VALUES ($s, $u, $nb, $na, $at)",
                ("$s", c.Serial), ("$u", c.UnitId), ("$nb", c.NotBefore.ToString("O")), ("$na", c.NotAfter.ToString("O")), ("$at", c.IssuedAt.ToString("O")));

        public IssuedCertificate? UnitCertificate(string serial) =>
            Rows("SELECT serial, unit_id, not_before, not_after, issued_at, revoked_at FROM unit_certificates WHERE serial = $s", ReadCertificate, ("$s", serial)).SingleOrDefault();

        public IReadOnlyList<IssuedCertificate> UnitCertificates(string unitId) =>
            Rows("SELECT serial, unit_id, not_before, not_after, issued_at, revoked_at FROM unit_certificates WHERE unit_id = $u ORDER BY issued_at", ReadCertificate, ("$u", unitId));

        /// <summary>Revokes every certificate of the unit not yet revoked; returns how many.</summary>
        public int RevokeUnitCertificates(string unitId, DateTimeOffset at) =>
            Command("UPDATE unit_certificates SET revoked_at = $at WHERE unit_id = $u AND revoked_at IS NULL", ("$u", unitId), ("$at", at.ToString("O"))).ExecuteNonQuery();

        public void AddToken(StoredToken t) =>
            Exec("INSERT INTO tokens(id, sha256, roles, name, created_at) VALUES ($id, $h, $r, $n, $at)",
                ("$id", t.Id), ("$h", t.Sha256), ("$r", OperatorRoles.Format(t.Roles)), ("$n", t.Name), ("$at", t.CreatedAt.ToString("O")));

        public StoredToken? Token(string id) =>
            Rows("SELECT id, sha256, roles, name, created_at, revoked_at FROM tokens WHERE id = $id", ReadToken, ("$id", id)).SingleOrDefault();

        public IReadOnlyList<StoredToken> Tokens() => Rows("SELECT id, sha256, roles, name, created_at, revoked_at FROM tokens ORDER BY created_at, id", ReadToken);

        public bool RevokeToken(string id, DateTimeOffset at) =>
            Command("UPDATE tokens SET revoked_at = $at WHERE id = $id AND revoked_at IS NULL", ("$id", id), ("$at", at.ToString("O"))).ExecuteNonQuery() == 1;

        private static DateTimeOffset? Time(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : DateTimeOffset.Parse(r.GetString(i));

        private static UnitRecord ReadUnit(SqliteDataReader r) => new(
            r.GetString(0), r.GetString(1), r.GetInt64(2), DateTimeOffset.Parse(r.GetString(3)),
            r.IsDBNull(4) ? null : r.GetString(4),
            Time(r, 5),
            r.GetInt64(6) == 1,
            r.IsDBNull(7) ? null : r.GetInt64(7),
            Time(r, 8));

        private static GroupRecord ReadGroup(SqliteDataReader r) => new(r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetInt64(2));

        private static IssuedCertificate ReadCertificate(SqliteDataReader r) => new(
            r.GetString(0), r.GetString(1), DateTimeOffset.Parse(r.GetString(2)), DateTimeOffset.Parse(r.GetString(3)), DateTimeOffset.Parse(r.GetString(4)), Time(r, 5));

        private static StoredToken ReadToken(SqliteDataReader r) => new(
            r.GetString(0), r.GetString(1), OperatorRoles.Parse(r.GetString(2)), r.GetString(3), DateTimeOffset.Parse(r.GetString(4)), Time(r, 5));
    }
}
