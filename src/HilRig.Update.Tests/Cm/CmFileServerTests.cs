using System.Net;
using HilRig.Testing;
using HilRig.Update.Cloud;
using HilRig.Update.Tests.Cloud;
using HilRig.Update.Cm;
using HilRig.Update.Bundles;
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

    [Test]
    public async Task CmServingOtherHosts_ServesItsImagesToThemToo()
    {
        // Issue 13 defect (found by reading; this test failed before the fix): the file server bound 127.0.0.1 whatever
        // the CM listened on, and named itself by that address, so a UM on another host could not fetch an image.
        // 127.0.0.2 stands for the address other hosts reach the CM at: a listener on 127.0.0.1 does not answer there.
        var dir = RepoPaths.NewTempDirectory("cm-files-remote");
        var config = new CmConfig("unit-1", "platform", new Uri("http://127.0.0.1:9/"), dir, ["main"], ImageDeployment.HttpFileServer) { AdvertisedHost = "127.0.0.2" };
        using var unitKey = KeyFiles.LoadAgreementKey(RepoPaths.Fixtures("update", "test-only-unit.pem"));
        using var credentials = UnitCredentials.Load(TestCredentials.Enroll("unit-1"));
        await using var runtime = await CmRuntime.StartAsync(config, TrustStore.Load(RepoPaths.Fixtures("update", "test-only-trust.json")), unitKey,
            credentials, new IPEndPoint(IPAddress.Any, 0), null, TimeSpan.Zero, TimeProvider.System);

        var files = runtime.Manager.Config.FileServerUrl!;
        Assert.That(files.Host, Is.EqualTo("127.0.0.2"), "UMs are sent to the address they reach the CM at");
        Directory.CreateDirectory(Path.Combine(config.ImageDirectory, "1"));
        await File.WriteAllTextAsync(Path.Combine(config.ImageDirectory, "1", "app"), "image");
        using var http = new HttpClient();
        Assert.That(await http.GetStringAsync(new Uri(files, "images/1/app")), Is.EqualTo("image"));
    }
}
