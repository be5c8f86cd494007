namespace HilRig.Update.Um.Modules;

/// <summary>Writes a file so that a reader or a power cut sees either the old content or the new, never a mix.</summary>
public static class AtomicFile
{
    public static async Task CopyAsync(string source, string destination, CancellationToken ct)
    {
        var temp = destination + ".hilrig-tmp";
        await using (var input = File.OpenRead(source))
        await using (var output = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
        {
            await input.CopyToAsync(output, ct);
            output.Flush(flushToDisk: true);
        }
        File.Move(temp, destination, overwrite: true);
    }

    public static void WriteText(string path, string text)
    {
        var temp = path + ".hilrig-tmp";
        using (var output = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(text);
            output.Write(bytes);
            output.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }
}
