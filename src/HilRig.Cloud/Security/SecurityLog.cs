using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace HilRig.Cloud.Security;

/// <summary>
/// Every refused request (401, 403, 413) — who sent it, what it asked for, the status and the reason — as a warning in
/// the cloud's log and as one JSON object per line in <c>DATA/security.log</c>, which an operator can tail and a
/// scenario can read.
/// </summary>
public sealed class SecurityLog : IDisposable
{
    private readonly StreamWriter _file;
    private readonly TimeProvider _time;

    public SecurityLog(string path, ILogger? log, TimeProvider time)
    {
        _file = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        Logger = log;
        _time = time;
    }

    /// <summary>Where the warnings go besides the file (the host's logger, once it is built).</summary>
    public ILogger? Logger { get; set; }

    /// <summary>Whether a status is a refusal this log keeps.</summary>
    public static bool IsRefusal(int status) => status is StatusCodes.Status401Unauthorized or StatusCodes.Status403Forbidden or StatusCodes.Status413PayloadTooLarge;

    public void Refused(HttpContext context, int status, string reason)
    {
        var caller = context.Features.Get<CloudCaller>()?.Describe();
        var remote = context.Connection.RemoteIpAddress is { } ip ? $"{ip}:{context.Connection.RemotePort}" : "?";
        var entry = new SecurityLogEntry(_time.GetUtcNow(), remote, context.Request.Method, context.Request.Path + context.Request.QueryString, status, reason, caller);
        Logger?.LogWarning("refused {Method} {Path} from {Remote}{Caller}: {Status} {Reason}",
            entry.Method, entry.Path, entry.Remote, caller is null ? "" : $" ({caller})", status, reason);
        var line = JsonSerializer.Serialize(entry, SecurityLogEntry.Json);
        lock (_file) _file.WriteLine(line);
    }

    public void Dispose()
    {
        lock (_file) _file.Dispose();
    }
}

/// <summary>One line of <c>security.log</c>.</summary>
public sealed record SecurityLogEntry(DateTimeOffset At, string Remote, string Method, string Path, int Status, string Reason, string? Caller)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Every entry of a security log file (missing: none).</summary>
    public static IReadOnlyList<SecurityLogEntry> ReadAll(string path)
    {
        if (!File.Exists(path)) return [];
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var list = new List<SecurityLogEntry>();
        while (reader.ReadLine() is { } line)
            if (line.Length > 0) list.Add(JsonSerializer.Deserialize<SecurityLogEntry>(line, Json)!);
        return list;
    }
}
