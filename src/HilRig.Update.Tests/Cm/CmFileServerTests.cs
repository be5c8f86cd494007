using System.Net;
using HilRig.Testing;
using HilRig.Update.Cm;
using HilRig.Update.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using NUnit.Framework;

namespace HilRig.Update.Tests.Cm;

/// <summary>The CM's file server serves images/&lt;version&gt;/&lt;component&gt; and nothing outside the image directory.</summary>
public class CmFileServerTests
{
    private static async Task<(KestrelHost Host, string State)> ServeAsync(string name)
    {
        var state = RepoPaths.NewTempDirectory(name);
        var images = Path.Combine(state, "images");
        Directory.CreateDirectory(Path.Combine(images, "1"));
        await File.WriteAllTextAsync(Path.Combine(images, "1", "main-app"), "image bytes");
        await File.WriteAllTextAsync(Path.Combine(state, "cm.db"), "the CM's database");
        return (await KestrelHost.StartLoopbackAsync(HttpProtocols.Http1, CmFileServer.Create(images)), state);
    }

    [Test]
    public async Task Get_AnImage_ServesIt()
    {
        var (host, _) = await ServeAsync("files-ok");
        await using var _h = host;
        using var http = new HttpClient();
        using var response = await http.GetAsync(new Uri(host.Address, "images/1/main-app"));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await response.Content.ReadAsStringAsync(), Is.EqualTo("image bytes"));
    }

    [TestCase("images/1/%252e%252e%252f%252e%252e%252fcm.db")]
    [TestCase("images/1/%2e%2e%2f%2e%2e%2fcm.db")]
    [TestCase("images/1/..%252f..%252fcm.db")]
    public async Task Get_AnEncodedPathOutOfTheImageDirectory_IsNotServed(string path)
    {
        var (host, _) = await ServeAsync("files-traversal");
        await using var _h = host;
        using var http = new HttpClient();
        // The path is sent as written: Uri keeps %25 escapes, so Kestrel decodes it exactly once.
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(host.Address.AbsoluteUri + path, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true }));
        using var response = await http.SendAsync(request);
        Assert.That(response.StatusCode, Is.AnyOf(HttpStatusCode.NotFound, HttpStatusCode.BadRequest), await response.Content.ReadAsStringAsync());
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Not.Contain("database"));
    }
}
