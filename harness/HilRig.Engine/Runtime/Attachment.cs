namespace HilRig.Engine.Runtime;

/// <summary>Evidence attached to a step or scenario: a console log, a capture, a decoded excerpt.</summary>
public sealed record Attachment(string Name, string MediaType, string FilePath)
{
    public string FileExtension => Path.GetExtension(FilePath) is { Length: > 0 } ext ? ext : MediaTypes.ExtensionFor(MediaType);
}

public static class MediaTypes
{
    public const string Text = "text/plain";
    public const string Json = "application/json";
    public const string Pcap = "application/vnd.tcpdump.pcap";
    public const string Yaml = "application/yaml";
    public const string Html = "text/html";

    /// <summary>The media type of a file by its extension, for attachments that arrive as a bare path.</summary>
    public static string ForFile(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".txt" or ".log" => Text,
        ".json" => Json,
        ".pcap" or ".pcapng" => Pcap,
        ".yaml" or ".yml" => Yaml,
        ".html" or ".htm" => Html,
        ".png" => "image/png",
        ".jpg" or ".jpeg" => "image/jpeg",
        _ => "application/octet-stream",
    };

    public static string ExtensionFor(string mediaType) => mediaType switch
    {
        Text => ".txt",
        Json => ".json",
        Pcap => ".pcap",
        Yaml => ".yaml",
        Html => ".html",
        _ => ".bin",
    };
}
