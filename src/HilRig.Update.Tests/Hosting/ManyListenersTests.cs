using HilRig.Update.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using NUnit.Framework;

namespace HilRig.Update.Tests.Hosting;

/// <summary>A fleet hosts one CM listener per unit in one process; the listeners must not cost a per-user kernel resource.</summary>
public class ManyListenersTests
{
    [Test]
    public async Task MoreListenersThanTheUsersInotifyInstances_AllStart()
    {
        // Linux allows 128 inotify instances per user (fs.inotify.max_user_instances); each host watching its
        // appsettings files took one, and `hilrig fleet --units 1000` died at the 128th.
        var limit = int.Parse(File.ReadAllText("/proc/sys/fs/inotify/max_user_instances").Trim());
        var hosts = new List<KestrelHost>();
        try
        {
            for (var i = 0; i < limit + 10; i++)
                hosts.Add(await KestrelHost.StartLoopbackAsync(HttpProtocols.Http2, ctx => { ctx.Response.StatusCode = 204; return Task.CompletedTask; }));
            Assert.That(hosts, Has.Count.EqualTo(limit + 10));
        }
        finally
        {
            await Task.WhenAll(hosts.Select(h => h.DisposeAsync().AsTask()));
        }
    }
}
