using HilRig.Cloud;
using HilRig.Cloud.Security;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.Update.Tests.Cloud;

/// <summary>The cloud's host says where a client can reach it, whatever address it listens on.</summary>
public class CloudHostTests
{
    [Test]
    public async Task ListeningOnEveryAddress_TheAddressIsOneAClientCanDial()
    {
        await using var host = await CloudHost.StartAsync(new CloudOptions
        {
            DataDirectory = RepoPaths.NewTempDirectory("cloud-any"),
            SigningKeyPath = RepoPaths.Fixtures("update", "test-only-cloud-signing.pem"),
            UploadTrustPath = RepoPaths.Fixtures("update", "test-only-oem-trust.json"),
            Listen = "https://0.0.0.0:0",
        });
        Assert.That(host.Address.Host, Is.EqualTo("127.0.0.1"));
        using var http = CloudTrust.OperatorClient(new SocketsHttpHandler(), host.Data, CloudTrust.AdminToken(host.Data), TimeSpan.FromSeconds(30));
        using var response = await http.GetAsync(new Uri(host.Address, "api/dashboard"));
        Assert.That(response.IsSuccessStatusCode, Is.True);
    }
}
