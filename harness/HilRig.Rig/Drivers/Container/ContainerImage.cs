using Docker.DotNet;
using Docker.DotNet.Models;
using HilRig.Engine.Runtime;
using HilRig.Rig.Images;

namespace HilRig.Rig.Drivers.Container;

/// <summary>
/// The board image's root filesystem as a local Docker image: <c>rootfs.tar</c> imported (the API's import, as
/// <c>docker import</c> does) under <c>hilrig-board:SHA-256</c>, so the tag names exactly the bytes it came from and a
/// changed image gets a new tag. Nothing is ever pulled: there is no registry here, and containers are created with
/// PullPolicy.Never. An image imported once stays in the daemon's data root for later runs.
/// </summary>
public static class ContainerImage
{
    public const string Repository = "hilrig-board";

    private static readonly SemaphoreSlim ImportLock = new(1, 1);

    /// <summary>The tarball a board uses: the rig's <c>rootfs</c> override as it is, or the built image's, checked against its manifest.</summary>
    public static (string Path, string Sha256) Rootfs(string board, ContainerBoardOptions options)
    {
        if (options.Rootfs is { } overridden)
        {
            if (!File.Exists(overridden) || new FileInfo(overridden).Length == 0)
                throw new RigFaultException($"board {board}: {overridden} (container.rootfs): {(File.Exists(overridden) ? "empty" : "missing")}");
            return (overridden, BoardImage.Sha256Of(overridden));
        }
        var image = new BoardImage(options.ImageDirectory ?? BoardImage.DefaultDirectory());
        try
        {
            var manifest = image.Verify(BoardImage.ContainerRootfs);
            return (image.PathOf(BoardImage.ContainerRootfs), manifest.Outputs.First(o => o.File == BoardImage.ContainerRootfs).Sha256);
        }
        catch (BoardImageException e)
        {
            throw new RigFaultException($"board {board}: {e.Message}", e);
        }
    }

    public static string TagFor(string sha256) => $"{Repository}:{sha256}";

    /// <summary>Imports <paramref name="tarball"/> unless the daemon has its tag already; returns the image reference.</summary>
    public static async Task<string> EnsureAsync(DockerClient client, string tarball, string sha256, CancellationToken cancellation)
    {
        var reference = TagFor(sha256);
        await ImportLock.WaitAsync(cancellation);
        try
        {
            if (await ExistsAsync(client, reference, cancellation)) return reference;
            var errors = new List<string>();
            await using (var stream = File.OpenRead(tarball))
                await client.Images.CreateImageAsync(new ImagesCreateParameters { FromSrc = "-", Repo = Repository, Tag = sha256 }, stream, null,
                    new SyncProgress<JSONMessage>(m => { if (m.Error?.Message is { } error) lock (errors) errors.Add(error); }), cancellation);
            if (!await ExistsAsync(client, reference, cancellation))
                throw new RigFaultException($"{tarball}: Docker did not import it as {reference}{(errors.Count > 0 ? ": " + string.Join("; ", errors) : "")}");
            return reference;
        }
        catch (DockerApiException e)
        {
            throw new RigFaultException($"{tarball}: Docker could not import it: {e.ResponseBody?.Trim()}", e);
        }
        finally
        {
            ImportLock.Release();
        }
    }

    private static async Task<bool> ExistsAsync(DockerClient client, string reference, CancellationToken cancellation)
    {
        try
        {
            await client.Images.InspectImageAsync(reference, cancellation);
            return true;
        }
        catch (DockerImageNotFoundException)
        {
            return false;
        }
        catch (DockerApiException e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return false;
        }
    }
}
