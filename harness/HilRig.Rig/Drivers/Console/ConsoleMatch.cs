using System.Text.RegularExpressions;

namespace HilRig.Rig.Drivers.Console;

/// <summary>A pattern found on a console: the match, where it is in the log, and what came before it.</summary>
public sealed record ConsoleMatch(Match Match, long Start, long End, string Before)
{
    public string Value => Match.Value;

    public string Group(string name) => Match.Groups[name].Value;
}

/// <summary>The console did not print what was expected in time; the message shows what it did print.</summary>
public sealed class ConsoleTimeoutException(string message) : TimeoutException(message);
