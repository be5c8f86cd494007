using HilRig.Testing;
using HilRig.Update.Storage;
using Microsoft.Data.Sqlite;
using NUnit.Framework;

namespace HilRig.Update.Tests.Storage;

public class SqliteDatabaseTests
{
    private static long Synchronous(SqliteConnection db)
    {
        using var command = SqliteDatabase.Command(db, "PRAGMA synchronous");
        return (long)command.ExecuteScalar()!;
    }

    [TestCase(SqliteDurability.PowerCut, 2L)]
    [TestCase(SqliteDurability.ProcessCrash, 1L)]
    public void Open_SetsTheDurabilityAskedFor(SqliteDurability durability, long synchronous)
    {
        using var db = SqliteDatabase.Open(Path.Combine(RepoPaths.NewTempDirectory("sqlite-sync"), "x.db"), "CREATE TABLE IF NOT EXISTS t (v TEXT);", durability);
        Assert.That(Synchronous(db), Is.EqualTo(synchronous), "2 is FULL, 1 NORMAL");
    }

    [Test]
    public void Open_ByDefault_IsPowerCutSafe()
    {
        using var db = SqliteDatabase.Open(Path.Combine(RepoPaths.NewTempDirectory("sqlite-default"), "x.db"), "CREATE TABLE IF NOT EXISTS t (v TEXT);");
        Assert.That(Synchronous(db), Is.EqualTo(2));
    }
}
