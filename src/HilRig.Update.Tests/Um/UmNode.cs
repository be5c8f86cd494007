using System.Security.Cryptography;
using Google.Protobuf;
using HilRig.Testing;
using HilRig.Update.Protocol;
using HilRig.Update.Um;

namespace HilRig.Update.Tests.Um;

/// <summary>
/// One node's UM over a state directory that outlives it: <see cref="Boot"/> starts a UM as a node boot would (after
/// boot selection on the node's A/B disk, when it has one), and an <see cref="InProcessReboot"/> ends it the way a
/// reboot does, so the next <see cref="Boot"/> resumes.
/// </summary>
internal sealed class UmNode : IAsyncDisposable
{
    private readonly HttpClient _http = new();

    public UmNode(string name, params ModuleConfig[] modules)
    {
        Directory = RepoPaths.NewTempDirectory(name);
        Config = new UmConfig(name, 0, Path.Combine(Directory, "state"), modules);
    }

    public string Directory { get; }
    public UmConfig Config { get; set; }

    /// <summary>The node's A/B disk (for <c>rootfs-ab</c>), booted at every <see cref="Boot"/>; null: the node has none.</summary>
    public NodeDisk? Disk { get; set; }
    public InProcessReboot Reboot { get; } = new();
    public UpdateHandler Handler { get; private set; } = null!;
    public UmStateStore Store { get; private set; } = null!;

    public async Task<UpdateHandler> Boot()
    {
        if (Handler is not null) await Shutdown();
        Reboot.NextBoot();
        var booted = Disk?.Boot(NodeDisk.EndTheNode);
        Store = new UmStateStore(Config.DatabasePath);
        Handler = new UpdateHandler(Config, Store, Reboot, new Update.Um.ImageFetcher(_http, Config.DownloadDirectory), TimeProvider.System, disk: booted);
        await Handler.InitAsync(CancellationToken.None);
        return Handler;
    }

    public async Task Shutdown()
    {
        await Handler.DisposeAsync();
        Store.Dispose();
        Handler = null!;
    }

    public string Image(string name, string content)
    {
        var path = Path.Combine(Directory, name);
        File.WriteAllText(path, content);
        return path;
    }

    public string Image(string name, byte[] content)
    {
        var path = Path.Combine(Directory, name);
        File.WriteAllBytes(path, content);
        return path;
    }

    public static PrepareComponentInfo Component(string id, string version, string imagePath) => new()
    {
        ComponentId = id,
        Version = version,
        Url = new Uri(imagePath).AbsoluteUri,
        Sha256 = ByteString.CopyFrom(SHA256.HashData(File.ReadAllBytes(imagePath))),
        Size = (ulong)new FileInfo(imagePath).Length,
    };

    public static CMMessages Prepare(ulong image, params PrepareComponentInfo[] components)
    {
        var p = new PrepareUpdate { ImageVersion = image };
        p.Components.AddRange(components);
        return new CMMessages { PrepareUpdate = p };
    }

    public static readonly CMMessages Start = new() { StartUpdate = new StartUpdate() };
    public static readonly CMMessages Apply = new() { ApplyUpdate = new ApplyUpdate() };
    public static readonly CMMessages Revert = new() { RevertUpdate = new RevertUpdate() };

    public async ValueTask DisposeAsync()
    {
        if (Handler is not null) await Shutdown();
        _http.Dispose();
    }
}

/// <summary>A reboot for in-process UMs: counts the reboots asked for and changes the boot id at every boot.</summary>
internal sealed class InProcessReboot : ISystemReboot
{
    private int _boots;
    public int Reboots { get; private set; }
    public string BootId => $"boot-{_boots}";
    public List<string> Reasons { get; } = new();

    public void NextBoot() => _boots++;

    public Task RebootAsync(string reason, CancellationToken ct)
    {
        Reboots++;
        Reasons.Add(reason);
        throw new SystemRebootException(reason);
    }
}
