using System.Text;

namespace HilRig.Rig.Drivers.Console;

/// <summary>
/// Everything a console printed, decoded as UTF-8 with carriage returns dropped, plus a file copy with a
/// time stamp per line (the report attachment). Readers wait on <see cref="Snapshot"/>'s change signal.
/// Harness annotations ("power on", "power cut") go to the file only, so they can never satisfy an expectation.
/// </summary>
public sealed class ConsoleLog : IDisposable
{
    private readonly object _gate = new();
    private readonly StringBuilder _text = new();
    private readonly Decoder _decoder = new UTF8Encoding(false, false).GetDecoder();
    private readonly StreamWriter? _file;
    private readonly TimeProvider _time;
    private readonly long _started;
    private TaskCompletionSource _changed = NewSignal();
    private bool _atLineStart = true;
    private readonly char[] _chars = new char[8192];
    private readonly System.Text.StringBuilder _partialLine = new();
    private readonly System.Text.StringBuilder _fileChunk = new();

    public ConsoleLog(string? filePath, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _started = _time.GetTimestamp();
        FilePath = filePath;
        if (filePath is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(filePath))!);
            _file = new StreamWriter(new FileStream(filePath, FileMode.Create, FileAccess.Write, FileShare.ReadWrite), new UTF8Encoding(false))
            {
                AutoFlush = true,
            };
        }
    }

    public string? FilePath { get; }

    public long Length
    {
        get
        {
            lock (_gate) return _text.Length;
        }
    }

    public string Text
    {
        get
        {
            lock (_gate) return _text.ToString();
        }
    }

    public string Substring(long from, long? to = null)
    {
        lock (_gate)
        {
            var start = (int)Math.Clamp(from, 0, _text.Length);
            var end = (int)Math.Clamp(to ?? _text.Length, start, _text.Length);
            return _text.ToString(start, end - start);
        }
    }

    /// <summary>The last <paramref name="lines"/> lines after <paramref name="from"/>, for error messages.</summary>
    public string Tail(long from, int lines = 20)
    {
        var text = Substring(from);
        var all = text.Split('\n');
        return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
    }

    /// <summary>Raised with each complete line as it arrives (for following a console live).</summary>
    public event Action<string>? LineReceived;

    public void Append(ReadOnlySpan<byte> bytes)
    {
        List<string>? lines = null;
        lock (_gate)
        {
            while (bytes.Length > 0)
            {
                var take = Math.Min(bytes.Length, 4096);
                var count = _decoder.GetChars(bytes[..take], _chars, flush: false);
                bytes = bytes[take..];
                AppendChars_NeedsLock(_chars.AsSpan(0, count), ref lines);
            }
            Signal_NeedsLock();
        }
        if (lines is not null && LineReceived is { } handler)
            foreach (var line in lines) handler(line);
    }

    /// <summary>
    /// The console as a stream of lines from <paramref name="from"/> on, as they arrive, until cancelled.
    /// A line still being printed is yielded once its newline comes.
    /// </summary>
    public async IAsyncEnumerable<string> ReadLinesAsync(long from, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellation = default)
    {
        var position = from;
        while (!cancellation.IsCancellationRequested)
        {
            var (length, changed) = Snapshot();
            var text = Substring(position, length);
            var end = text.LastIndexOf('\n');
            if (end >= 0)
            {
                foreach (var line in text[..end].Split('\n')) yield return line;
                position += end + 1;
                continue;
            }
            try
            {
                await changed.WaitAsync(cancellation);
            }
            catch (OperationCanceledException)
            {
                yield break;
            }
        }
    }

    /// <summary>Writes a harness note into the file copy only.</summary>
    public void Annotate(string note)
    {
        lock (_gate)
        {
            if (_file is null) return;
            if (!_atLineStart) _file.Write('\n');
            _file.Write($"[{Elapsed():0000.000}] ### hilrig: {note}\n");
            _atLineStart = true;
        }
    }

    /// <summary>A signal that completes on the next append after this call; compare lengths to avoid a lost wake-up.</summary>
    public (long Length, Task Changed) Snapshot()
    {
        lock (_gate) return (_text.Length, _changed.Task);
    }

    private void AppendChars_NeedsLock(ReadOnlySpan<char> chars, ref List<string>? lines)
    {
        // Lines are only assembled for a live follower, and the file gets one write per chunk, not per character.
        var following = LineReceived is not null;
        var stamp = _file is null ? null : $"[{Elapsed():0000.000}] ";
        foreach (var c in chars)
        {
            if (c == '\r') continue;
            _text.Append(c);
            if (following)
            {
                if (c == '\n')
                {
                    (lines ??= new List<string>()).Add(_partialLine.ToString());
                    _partialLine.Clear();
                }
                else _partialLine.Append(c);
            }
            if (stamp is null) continue;
            if (_atLineStart) _fileChunk.Append(stamp);
            _fileChunk.Append(c);
            _atLineStart = c == '\n';
        }
        if (_fileChunk.Length == 0) return;
        _file!.Write(_fileChunk);
        _fileChunk.Clear();
    }

    private void Signal_NeedsLock()
    {
        var old = _changed;
        _changed = NewSignal();
        old.TrySetResult();
    }

    private double Elapsed() => _time.GetElapsedTime(_started).TotalSeconds;

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Dispose()
    {
        lock (_gate) _file?.Dispose();
    }
}
