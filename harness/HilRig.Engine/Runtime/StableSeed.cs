namespace HilRig.Engine.Runtime;

/// <summary>
/// Derives seeds with FNV-1a over text, so they are identical on every machine and every .NET version
/// (string.GetHashCode is randomised per process and would break replay).
/// </summary>
public static class StableSeed
{
    public static int Derive(int seed, params string[] parts)
    {
        var hash = 14695981039346656037UL;
        void Mix(ReadOnlySpan<char> text)
        {
            foreach (var c in text)
            {
                hash ^= c;
                hash *= 1099511628211UL;
            }
            hash ^= 0xff;
            hash *= 1099511628211UL;
        }
        Mix(seed.ToString());
        foreach (var part in parts) Mix(part);
        return (int)((hash ^ (hash >> 32)) & 0x7fffffff);
    }

    /// <summary>A feature URI relative to the working directory with forward slashes, so absolute and relative spellings agree.</summary>
    public static string NormalizeUri(string uri)
    {
        try
        {
            return Path.GetRelativePath(Directory.GetCurrentDirectory(), Path.GetFullPath(uri)).Replace('\\', '/');
        }
        catch (ArgumentException)
        {
            return uri;
        }
    }

    /// <summary>
    /// A short name for a scenario's artifact directory: readable (file name and line) and unique within a run —
    /// scenarios/ab/update.feature:11 and scenarios/update/update.feature:11 must never share a board's data — so a
    /// hash of the feature's path is part of it.
    /// </summary>
    public static string Slug(string uri, int line)
    {
        var name = Path.GetFileNameWithoutExtension(uri);
        var clean = new string(name.Select(c => char.IsLetterOrDigit(c) ? char.ToLowerInvariant(c) : '-').ToArray()).Trim('-');
        if (clean.Length > 24) clean = clean[..24];
        return $"{clean}-{line}-{Derive(0, NormalizeUri(uri)) & 0xffffff:x6}";
    }
}
