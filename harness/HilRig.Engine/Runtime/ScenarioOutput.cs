namespace HilRig.Engine.Runtime;

/// <summary>
/// Where bindings write what a reader of the report needs: log lines and attachments. Attachments made
/// while a step runs belong to that step; others to the scenario. Files live under the run's artifacts.
/// </summary>
public sealed class ScenarioOutput
{
    private readonly object _gate = new();
    private readonly List<string> _lines = new();
    private List<Attachment> _current;
    private readonly List<Attachment> _scenarioAttachments = new();
    private int _counter;

    public ScenarioOutput(ScenarioRun scenario)
    {
        Directory = Path.Combine(scenario.Run.ArtifactsDirectory, scenario.Slug);
        System.IO.Directory.CreateDirectory(Directory);
        _current = _scenarioAttachments;
    }

    /// <summary>This scenario's artifact directory.</summary>
    public string Directory { get; }

    /// <summary>Raised for every log line, so a live console can show it.</summary>
    public event Action<string>? LineWritten;

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_gate) return _lines.ToList();
        }
    }

    public IReadOnlyList<Attachment> ScenarioAttachments
    {
        get
        {
            lock (_gate) return _scenarioAttachments.ToList();
        }
    }

    public void WriteLine(string line)
    {
        lock (_gate) _lines.Add(line);
        LineWritten?.Invoke(line);
    }

    public Attachment Attach(string name, string mediaType, ReadOnlySpan<byte> content)
    {
        var path = NewPath(name, MediaTypes.ExtensionFor(mediaType));
        File.WriteAllBytes(path, content.ToArray());
        return Add(new Attachment(name, mediaType, path));
    }

    public Attachment AttachText(string name, string text) => Attach(name, MediaTypes.Text, System.Text.Encoding.UTF8.GetBytes(text));

    /// <summary>Attaches a copy of a file, so later writes to the original do not change the evidence.</summary>
    public Attachment AttachFile(string name, string mediaType, string sourcePath)
    {
        var path = NewPath(name, Path.GetExtension(sourcePath) is { Length: > 0 } e ? e : MediaTypes.ExtensionFor(mediaType));
        File.Copy(sourcePath, path, overwrite: true);
        return Add(new Attachment(name, mediaType, path));
    }

    internal void BeginStep(List<Attachment> stepAttachments)
    {
        lock (_gate) _current = stepAttachments;
    }

    internal void EndStep()
    {
        lock (_gate) _current = _scenarioAttachments;
    }

    private Attachment Add(Attachment attachment)
    {
        lock (_gate) _current.Add(attachment);
        return attachment;
    }

    private string NewPath(string name, string extension)
    {
        var n = Interlocked.Increment(ref _counter);
        var safe = new string(name.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '-').ToArray());
        if (safe.Length > 60) safe = safe[..60];
        return Path.Combine(Directory, $"{n:D2}-{safe}{extension}");
    }
}
