using HilRig.Cloud;
using HilRig.Testing;
using HilRig.Update.Cloud;
using NUnit.Framework;

namespace HilRig.Update.Tests.Cloud;

/// <summary>The store runs its own BEGIN/COMMIT/ROLLBACK (prepared once): a failed transaction must leave nothing and the connection usable.</summary>
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
}
