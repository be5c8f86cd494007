using System.Security.Cryptography;
using HilRig.Update.Storage;

namespace HilRig.Update.Um;

/// <summary>
/// Gets a component image for Prepare (seed 001, Image deployment): a <c>file://</c> URL is used in place on the
/// storage shared with the CM; an <c>http://</c> URL is downloaded from the CM's file server into the UM's own
/// storage, never more than the size the CM named: a file server that announces or sends more is cut off there and
/// nothing of it is kept. Either way the size and SHA-256 the CM named are checked before a module sees the file.
/// </summary>
public sealed class ImageFetcher(HttpClient http, string downloadDirectory)
{
    public async Task<string> FetchAsync(string url, byte[] sha256, ulong size, string componentId, CancellationToken ct)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
            throw new InvalidDataException($"component '{componentId}': '{url}' is not an absolute URL");
        string path;
        if (uri.IsFile)
        {
            path = uri.LocalPath;
            if (!File.Exists(path)) throw new FileNotFoundException($"component '{componentId}': {path} is not on the shared storage");
        }
        else if (uri.Scheme is "http" or "https")
        {
            Directory.CreateDirectory(downloadDirectory);
            path = Path.Combine(downloadDirectory, componentId + ".img");
            using (var response = await http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, ct))
            {
                if (!response.IsSuccessStatusCode)
                    throw new IOException($"component '{componentId}': GET {url} answered {(int)response.StatusCode}");
                if (response.Content.Headers.ContentLength is { } announced && (ulong)announced > size)
                    throw new InvalidDataException($"component '{componentId}': the file server announces {announced} bytes, the CM named {size}");
                // On disk before a module is handed the path: Prepare's result is persisted and acted on after a reboot.
                // DurableFile leaves nothing behind when the copy throws.
                await DurableFile.WriteAsync(path, async (file, token) =>
                {
                    await using var body = await response.Content.ReadAsStreamAsync(token);
                    await CopyAtMostAsync(body, file, size, componentId, token);
                }, ct);
            }
        }
        else throw new InvalidDataException($"component '{componentId}': scheme '{uri.Scheme}' is not file or http");

        var length = (ulong)new FileInfo(path).Length;
        // (A file:// image is the CM's own, on shared storage; its size is checked here as the download's is.)
        if (length != size) throw new InvalidDataException($"component '{componentId}': image is {length} bytes, the CM said {size}");
        await using var stream = File.OpenRead(path);
        var actual = await SHA256.HashDataAsync(stream, ct);
        if (!CryptographicOperations.FixedTimeEquals(actual, sha256))
            throw new InvalidDataException($"component '{componentId}': image sha256 {Convert.ToHexStringLower(actual)}, the CM said {Convert.ToHexStringLower(sha256)}");
        return path;
    }

    private static async Task CopyAtMostAsync(Stream from, Stream to, ulong limit, string componentId, CancellationToken ct)
    {
        var buffer = new byte[81920];
        ulong total = 0;
        int n;
        while ((n = await from.ReadAsync(buffer, ct)) > 0)
        {
            total += (ulong)n;
            if (total > limit) throw new InvalidDataException($"component '{componentId}': the file server sent more than the {limit} bytes the CM named");
            await to.WriteAsync(buffer.AsMemory(0, n), ct);
        }
    }
}
