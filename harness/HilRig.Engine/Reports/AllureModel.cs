using System.Text.Json.Serialization;

namespace HilRig.Engine.Reports;

// The Allure 2 results format (allure-java model / allure-js-commons model.d.ts), as written to
// {uuid}-result.json and {uuid}-container.json; the serializer writes the format's camelCase names.

internal sealed record AllureResult
{
    public required string Uuid { get; init; }
    public required string HistoryId { get; init; }
    public required string TestCaseId { get; init; }
    public required string FullName { get; init; }
    public required string Name { get; init; }
    public string? Description { get; init; }
    public required string Status { get; init; }
    public AllureStatusDetails? StatusDetails { get; init; }
    public string Stage { get; init; } = "finished";
    public long Start { get; init; }
    public long Stop { get; init; }
    public List<AllureStep> Steps { get; init; } = new();
    public List<AllureAttachment> Attachments { get; init; } = new();
    public List<AllureParameter> Parameters { get; init; } = new();
    public List<AllureLabel> Labels { get; init; } = new();
    public List<AllureLink> Links { get; init; } = new();
}

internal sealed record AllureStep
{
    public required string Name { get; init; }
    public required string Status { get; init; }
    public AllureStatusDetails? StatusDetails { get; init; }
    public string Stage { get; init; } = "finished";
    public long Start { get; init; }
    public long Stop { get; init; }
    public List<AllureStep> Steps { get; init; } = new();
    public List<AllureAttachment> Attachments { get; init; } = new();
    public List<AllureParameter> Parameters { get; init; } = new();
}

internal sealed record AllureContainer
{
    public required string Uuid { get; init; }
    public required string Name { get; init; }
    public List<string> Children { get; init; } = new();
    public List<AllureStep> Befores { get; init; } = new();
    public List<AllureStep> Afters { get; init; } = new();
    public long Start { get; init; }
    public long Stop { get; init; }
}

internal sealed record AllureStatusDetails(string? Message, string? Trace, bool Known = false, bool Muted = false, bool Flaky = false);

internal sealed record AllureAttachment(string Name, string Source, string Type);

internal sealed record AllureParameter(string Name, string Value, bool Excluded = false, string Mode = "default");

internal sealed record AllureLabel(string Name, string Value);

internal sealed record AllureLink(string Name, string Url, string Type = "link");

internal sealed record AllureCategory(string Name, string? MessageRegex, string? TraceRegex, IReadOnlyList<string> MatchedStatuses, bool Flaky = false);

internal sealed record AllureExecutor
{
    public required string Name { get; init; }
    public required string Type { get; init; }
    public string? Url { get; init; }
    public long? BuildOrder { get; init; }
    public string? BuildName { get; init; }
    public string? BuildUrl { get; init; }
    public string? ReportName { get; init; }
    public string? ReportUrl { get; init; }
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AllureResult))]
[JsonSerializable(typeof(AllureContainer))]
[JsonSerializable(typeof(List<AllureCategory>))]
[JsonSerializable(typeof(AllureExecutor))]
internal sealed partial class AllureJson : JsonSerializerContext;
