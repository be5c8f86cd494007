using Microsoft.Data.Sqlite;

namespace HilRig.Update.Storage;

/// <summary>How much of a committed transaction survives what (SQLite's <c>synchronous</c> in WAL mode).</summary>
public enum SqliteDurability
{
    /// <summary><c>synchronous=FULL</c>: every commit survives a power cut. Device state.</summary>
    PowerCut,

    /// <summary><c>synchronous=NORMAL</c>: every commit survives a crash of the process; the last few may be lost to a power cut. Many small writes (the cloud).</summary>
    ProcessCrash,
}

/// <summary>Opens an SQLite file in WAL mode with the durability asked for (power-cut safe unless told otherwise), schema applied idempotently.</summary>
public static class SqliteDatabase
{
    public static SqliteConnection Open(string path, string schema, SqliteDurability durability = SqliteDurability.PowerCut)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        var synchronous = durability == SqliteDurability.PowerCut ? "FULL" : "NORMAL";
        Execute(connection, $"PRAGMA journal_mode=WAL; PRAGMA synchronous={synchronous}; PRAGMA busy_timeout=5000;");
        Execute(connection, schema);
        return connection;
    }

    public static void Execute(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(connection, sql, parameters);
        command.ExecuteNonQuery();
    }

    /// <summary>A command with its parameters bound (null as SQL NULL); the caller runs and disposes it.</summary>
    public static SqliteCommand Command(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }
}
