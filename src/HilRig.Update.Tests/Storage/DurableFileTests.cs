using System.Net;
using System.Security.Cryptography;
using HilRig.Testing;
using HilRig.Update.Hosting;
using HilRig.Update.Storage;
using HilRig.Update.Um;
using HilRig.Update.Um.Modules;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using NUnit.Framework;

namespace HilRig.Update.Tests.Storage;

/// <summary>
/// What reaches the disk before what depends on it: each file a later step relies on is fsynced, renamed into place
/// and its directory fsynced, seen through <see cref="DurableFile.Observer"/>.
/// </summary>
public class DurableFileTests
{
    private static List<string> Observe()
    {
        var events = new List<string>();
        DurableFile.Observer.Value = e => { lock (events) events.Add(e); };
        return events;
    }

    [Test]
    public async Task Write_SyncsTheFile_RenamesIt_ThenSyncsTheDirectory()
    {
        var dir = RepoPaths.NewTempDirectory("durable-write");
        var path = Path.Combine(dir, "state");
        var events = Observe();
        await DurableFile.WriteAsync(path, (s, ct) => s.WriteAsync("new"u8.ToArray(), ct).AsTask());
        Assert.That(events, Is.EqualTo(new[] { $"fsync {path}.hilrig-tmp", $"rename {path}.hilrig-tmp -> {path}", $"fsync-dir {dir}" }));
        Assert.That(File.ReadAllText(path), Is.EqualTo("new"));
        Assert.That(Directory.GetFiles(dir), Is.EqualTo(new[] { path }));
    }

    [Test]
    public void Write_ThatFails_LeavesTheOldContentAndNoTemporaryFile()
    {
        var dir = RepoPaths.NewTempDirectory("durable-fail");
        var path = Path.Combine(dir, "state");
        File.WriteAllText(path, "old");
        Assert.ThrowsAsync<IOException>(() => DurableFile.WriteAsync(path, async (s, ct) =>
        {
            await s.WriteAsync("half"u8.ToArray(), ct);
            throw new IOException("disk full");
        }));
        Assert.That(File.ReadAllText(path), Is.EqualTo("old"));
        Assert.That(Directory.GetFiles(dir), Is.EqualTo(new[] { path }));
    }

    [Test]
    public async Task FileModuleUpdate_TheBackupIsOnDiskBeforeTheNewFileReplacesTheTarget()
    {
        var dir = RepoPaths.NewTempDirectory("durable-file-module");
        var target = Path.Combine(dir, "app.bin");
        var image = Path.Combine(dir, "image");
        File.WriteAllText(target, "old");
        File.WriteAllText(image, "new");
        using var store = new UmStateStore(Path.Combine(dir, "um.db"));
        var module = new FileModule(new ModuleContext(
            new ModuleConfig("app", "file", Params: new Dictionary<string, string> { ["path"] = target }),
            new ModuleStorage(store, "app"), new ProcessSystemReboot("boot-1", _ => Task.CompletedTask), dir));
        await module.PrepareAsync(new StagedImage(image, "2.0", null, SHA256.HashData(File.ReadAllBytes(image))), default);

        var events = Observe();
        await module.UpdateAsync(default);

        var backup = target + ".hilrig-old";
        Assert.That(events, Is.EqualTo(new[]
        {
            $"fsync {backup}.hilrig-tmp", $"rename {backup}.hilrig-tmp -> {backup}", $"fsync-dir {dir}",
            $"rename {target}.hilrig-new -> {target}", $"fsync-dir {dir}",
        }));
        Assert.That((File.ReadAllText(backup), File.ReadAllText(target)), Is.EqualTo(("old", "new")));

        events.Clear();
        await module.RevertAsync(default);
        Assert.That(events, Is.EqualTo(new[] { $"rename {backup} -> {target}", $"fsync-dir {dir}" }));
        Assert.That(File.ReadAllText(target), Is.EqualTo("old"));
    }

    [Test]
    public async Task ImageFetcher_AnHttpImageIsOnDiskBeforeAModuleGetsIt()
    {
        var payload = RandomNumberGenerator.GetBytes(100_000);
        await using var host = await KestrelHost.StartLoopbackAsync(HttpProtocols.Http1,
            context => Results.Bytes(payload, "application/octet-stream").ExecuteAsync(context));
        var dir = RepoPaths.NewTempDirectory("durable-fetch");
        using var http = new HttpClient();
        var events = Observe();

        var path = await new ImageFetcher(http, dir).FetchAsync(new Uri(host.Address, "images/2/app").AbsoluteUri, SHA256.HashData(payload), (ulong)payload.Length, "app", default);

        Assert.That(events, Is.EqualTo(new[] { $"fsync {path}.hilrig-tmp", $"rename {path}.hilrig-tmp -> {path}", $"fsync-dir {dir}" }));
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(payload));
    }
}
