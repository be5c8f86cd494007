using Spectre.Console;

namespace HilRig.Cli.Output;

/// <summary>
/// Decides how to print: Spectre markup and live status on an interactive terminal, plain lines when the
/// output is piped or redirected (CI logs), so logs never fill with escape codes.
/// </summary>
public static class Terminal
{
    public static bool Interactive { get; } =
        !Console.IsOutputRedirected
        && Environment.GetEnvironmentVariable("TERM") is not (null or "dumb")
        && Environment.GetEnvironmentVariable("NO_COLOR") is null
        && Environment.GetEnvironmentVariable("CI") is null;

    public static void Line(string plain, string? markup = null)
    {
        if (Interactive && markup is not null) AnsiConsole.MarkupLine(markup);
        else Console.Out.WriteLine(plain);
    }

    public static void Error(string message) => Console.Error.WriteLine(message);

    public static string Escape(string text) => Markup.Escape(text);
}
