using HilRig.Cloud;
using HilRig.Testing;
using HilRig.Update.Cloud;
using NUnit.Framework;

namespace HilRig.Update.Tests.Cloud;

/// <summary>
/// The store runs its own BEGIN/COMMIT/ROLLBACK (prepared once): a failed transaction must leave nothing and the connection
/// usable. Writes that queue while the writer is busy share one transaction (group commit, issue 13): each is still
/// answered only once committed, and one that fails undoes only itself.
/// </summary>
public class CloudStoreTests
{
    [Test]
    public async Task WriteThatThrows_LeavesNothing_AndTheNextTransactionCommits()
    {
        using var store = new CloudStore(Path.Combine(RepoPaths.NewTempDirectory("cloud-store"), "cloud.db"));
        var unit = new UnitRecord("u1", "pi4", 1, DateTimeOffset.UtcNow, null, null, false, null, null);

        Assert.ThrowsAsync<InvalidOperationException>(() => store.InTransactionAsync<bool>(s =>
        {
            s.SaveUnit(unit);
            throw new InvalidOperationException("refused half-way");
        }));
        Assert.That(await store.ReadAsync(s => s.Unit("u1")), Is.Null, "the write before the throw was rolled back");

        await store.InTransactionAsync(s => { s.SaveUnit(unit with { ImageVersion = 2 }); return true; });
        Assert.That((await store.ReadAsync(s => s.Unit("u1")))?.ImageVersion, Is.EqualTo(2), "the writer is out of the failed transaction");
    }

    [Test]
    public async Task ReadThatThrows_LeavesTheReaderUsable()
    {
        using var store = new CloudStore(Path.Combine(RepoPaths.NewTempDirectory("cloud-store"), "cloud.db"));
        for (var i = 0; i < 4; i++)
            Assert.ThrowsAsync<InvalidOperationException>(() => store.ReadAsync<bool>(s => { s.Units(); throw new InvalidOperationException("reader fails"); }));
        Assert.That(await store.ReadAsync(s => s.Units()), Is.Empty);
    }

    [Test]
    public async Task WritesQueuedBehindTheWriter_ShareATransaction_EachAnsweredOnlyAfterTheCommit_AFailingOneUndoesOnlyItself()
    {
        using var store = new CloudStore(Path.Combine(RepoPaths.NewTempDirectory("cloud-store"), "cloud.db"));
        UnitRecord Unit(string id) => new(id, "pi4", 1, DateTimeOffset.UtcNow, null, null, false, null, null);
        using var firstRunning = new ManualResetEventSlim();
        using var releaseFirst = new ManualResetEventSlim();
        using var lastRunning = new ManualResetEventSlim();
        using var releaseLast = new ManualResetEventSlim();

        // The writer is busy with the first write while three more queue behind it: they become the next group.
        var first = Task.Run(() => store.InTransactionAsync(s =>
        {
            firstRunning.Set();
            releaseFirst.Wait();
            s.SaveUnit(Unit("u0"));
            return 0;
        }));
        Assert.That(firstRunning.Wait(TimeSpan.FromSeconds(30)), Is.True, "the first write started");
        var ranBefore = false;
        var before = store.InTransactionAsync(s =>
        {
            s.SaveUnit(Unit("u1"));
            ranBefore = true;
            return 1;
        });
        var failing = store.InTransactionAsync<int>(s =>
        {
            s.SaveUnit(Unit("u2"));
            throw new InvalidOperationException("refused half-way");
        });
        var last = store.InTransactionAsync(s =>
        {
            lastRunning.Set();
            releaseLast.Wait();
            s.SaveUnit(Unit("u3"));
            return 3;
        });
        releaseFirst.Set();
        Assert.That(await first, Is.EqualTo(0));

        // The group is in its transaction, held open by its last write: the first of it has run, but is not committed.
        Assert.That(lastRunning.Wait(TimeSpan.FromSeconds(30)), Is.True, "the group's last write started");
        Assert.That(ranBefore, Is.True, "the write ahead of it in the group ran");
        Assert.That(before.IsCompleted, Is.False, "a write is not answered before its group commits");
        Assert.That(await store.ReadAsync(s => s.Unit("u1")), Is.Null, "nothing of the group is committed yet");
        var e = Assert.ThrowsAsync<InvalidOperationException>(() => failing)!;
        Assert.That(e.Message, Is.EqualTo("refused half-way"), "the failing write gets its own exception");

        releaseLast.Set();
        Assert.That((await before, await last), Is.EqualTo((1, 3)));
        var units = (await store.ReadAsync(s => s.Units())).Select(u => u.UnitId).Order();
        Assert.That(units, Is.EqualTo(new[] { "u0", "u1", "u3" }), "the failing write undid only its own row");
    }

    [Test]
    public async Task ManyConcurrentWrites_AllCommitted()
    {
        using var store = new CloudStore(Path.Combine(RepoPaths.NewTempDirectory("cloud-store"), "cloud.db"));
        var writes = Enumerable.Range(0, 500).Select(i => Task.Run(() => store.InTransactionAsync(s =>
        {
            s.SaveUnit(new UnitRecord($"u{i}", "pi4", i, DateTimeOffset.UtcNow, null, null, false, null, null));
            return i;
        }))).ToList();
        Assert.That(await Task.WhenAll(writes), Is.EqualTo(Enumerable.Range(0, 500)));
        Assert.That((await store.ReadAsync(s => s.Units())).Count, Is.EqualTo(500));
    }

    [Test]
    public async Task Query_ReadsTheLastCommit_WithoutATransaction()
    {
        using var store = new CloudStore(Path.Combine(RepoPaths.NewTempDirectory("cloud-store"), "cloud.db"));
        await store.InTransactionAsync(s => { s.SaveUnit(new UnitRecord("u1", "pi4", 1, DateTimeOffset.UtcNow, null, null, false, null, null)); return true; });
        Assert.That((await store.QueryAsync(s => s.Unit("u1")))?.ImageVersion, Is.EqualTo(1));
        await store.InTransactionAsync(s => { s.SaveUnit(new UnitRecord("u1", "pi4", 2, DateTimeOffset.UtcNow, null, null, false, null, null)); return true; });
        Assert.That((await store.QueryAsync(s => s.Unit("u1")))?.ImageVersion, Is.EqualTo(2));
    }
}
