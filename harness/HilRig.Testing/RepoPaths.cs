namespace HilRig.Testing;

/// <summary>Finds the repository root from a test's output directory, so tests can read fixtures/ and scenarios/.</summary>
public static class RepoPaths
{
    private static readonly Lazy<string> LazyRoot = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "HilRig.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no HilRig.sln above {AppContext.BaseDirectory}");
    });

    private static readonly Lazy<string> LazyTempRoot = new(TestTemp.CreateForThisProcess);

    public static string Root => LazyRoot.Value;

    public static string Fixtures(params string[] parts) => Path.Combine([Root, "fixtures", .. parts]);

    /// <summary>
    /// A fresh directory for one test, under this test process's own temp root (removed when the process exits, unless
    /// <c>HILRIG_KEEP_TEST_FILES=1</c>; see <see cref="TestTemp"/>).
    /// </summary>
    public static string NewTempDirectory(string name)
    {
        var dir = Path.Combine(LazyTempRoot.Value, $"{name}-{Guid.NewGuid():N}"[..Math.Min(name.Length + 13, 60)]);
        Directory.CreateDirectory(dir);
        return dir;
    }
}
