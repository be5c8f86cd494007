using System.Security.Cryptography;
using HilRig.Update.Storage;

namespace HilRig.Update.Um;

/// <summary>
/// Gets a component image for Prepare (seed 001, Image deployment): a <c>file://</c> URL is used in place on the
/// storage shared with the CM; an <c>http://</c> URL is downloaded from the CM's file server into the UM's own
/// storage. Either way the size and SHA-256 the CM named are checked before a module sees the file.
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
                // On disk before a module is handed the path: Prepare's result is persisted and acted on after a reboot.
                await DurableFile.WriteAsync(path, response.Content.CopyToAsync, ct);
            }
        }
        else throw new InvalidDataException($"component '{componentId}': scheme '{uri.Scheme}' is not file or http");

        var length = (ulong)new FileInfo(path).Length;
        if (length != size) throw new InvalidDataException($"component '{componentId}': image is {length} bytes, the CM said {size}");
        await using var stream = File.OpenRead(path);
        var actual = await SHA256.HashDataAsync(stream, ct);
        if (!CryptographicOperations.FixedTimeEquals(actual, sha256))
            throw new InvalidDataException($"component '{componentId}': image sha256 {Convert.ToHexStringLower(actual)}, the CM said {Convert.ToHexStringLower(sha256)}");
        return path;
    }
}
