using System.Net;
using System.Net.Sockets;
using HilRig.Testing;
using HilRig.Update.Bundles;
using HilRig.Update.Cloud;
using HilRig.Update.Cm;
using HilRig.Update.Tests.Cloud;
using HilRig.Update.Hosting;
using HilRig.Update.Um;
using NUnit.Framework;

namespace HilRig.Update.Tests.Hosting;

/// <summary>A runtime that cannot start leaves nothing open behind it: no listener, no database connection.</summary>
public class RuntimeStartFailureTests
{
    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static bool Listening(int port)
    {
        using var client = new TcpClient();
        try
        {
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    [Test]
    public void CmRuntime_GrpcPortTaken_ClosesTheFileServerAndTheDatabase()
    {
        var state = Path.Combine(RepoPaths.NewTempDirectory("cm-start-fails"), "cm");
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var filePort = FreePort();
        var config = new CmConfig("unit-1", "p", new Uri("http://127.0.0.1:9/"), state, ["main"], ImageDeployment.HttpFileServer);
        using var unitKey = KeyFiles.LoadAgreementKey(RepoPaths.Fixtures("update", "test-only-unit.pem"));
        var trust = TrustStore.Load(RepoPaths.Fixtures("update", "test-only-trust.json"));

        using var credentials = UnitCredentials.Load(TestCredentials.Enroll("unit-1"));
        Assert.CatchAsync<IOException>(() => CmRuntime.StartAsync(config, trust, unitKey, credentials, (IPEndPoint)taken.LocalEndpoint,
            new IPEndPoint(IPAddress.Loopback, filePort), TimeSpan.Zero, TimeProvider.System));

        Assert.That(Listening(filePort), Is.False, "the file server was stopped");
        Assert.That(File.Exists(config.DatabasePath), Is.True, "the CM had opened its database");
        Assert.That(File.Exists(config.DatabasePath + "-wal"), Is.False, "the CM's database connection was closed");
    }

    [Test]
    public void UmRuntime_AModuleThatCannotBeMade_ClosesTheDatabase()
    {
        var config = new UmConfig("main", 0, Path.Combine(RepoPaths.NewTempDirectory("um-start-fails"), "um"),
            [new ModuleConfig("app", "file", Params: new Dictionary<string, string> { ["path"] = "app.bin" }), new ModuleConfig("fw", "no-such-plugin")]);

        Assert.ThrowsAsync<UmConfigException>(() => UmRuntime.StartAsync(config, new Uri("http://127.0.0.1:9/"),
            new ProcessSystemReboot("boot-1", _ => Task.CompletedTask), TimeProvider.System));

        Assert.That(File.Exists(config.DatabasePath), Is.True, "the UM had opened its database");
        Assert.That(File.Exists(config.DatabasePath + "-wal"), Is.False, "the UM's database connection was closed");
    }
}
