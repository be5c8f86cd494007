using System.Text;

namespace HilRig.Device.Shell;

/// <summary>
/// The subset of POSIX sh the console shell speaks, enough for harness shell drivers and people:
/// commands separated by <c>;</c>, words split on blanks, <c>'single'</c> and <c>"double"</c> quotes
/// (adjacent ones join into one word), backslash escapes, and <c>$?</c> for the last exit code.
/// </summary>
public static class CommandLine
{
    /// <summary>Splits a line at top-level <c>;</c>, keeping each command's text for <see cref="Parse"/> with the then-current <c>$?</c>.</summary>
    public static IReadOnlyList<string> SplitCommands(string line)
    {
        var commands = new List<string>();
        var start = 0;
        var end = line.Length;
        char quote = default;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quote != default)
            {
                if (c == '\\' && quote == '"') i++;
                else if (c == quote) quote = default;
                continue;
            }
            if (c is '\'' or '"') quote = c;
            else if (c == '\\') i++;
            else if (c == '#' && (i == 0 || line[i - 1] is ' ' or '\t' or ';'))
            {
                end = i;
                break;
            }
            else if (c == ';')
            {
                commands.Add(line[start..i]);
                start = i + 1;
            }
        }
        if (quote != default) throw new FormatException($"unterminated {(quote == '"' ? "double " : "")}quote");
        commands.Add(line[start..Math.Max(start, end)]);
        return commands.Where(c => c.Trim().Length > 0).ToList();
    }

    public static IReadOnlyList<IReadOnlyList<string>> Parse(string line, int lastExitCode)
    {
        var commands = new List<IReadOnlyList<string>>();
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        var i = 0;
        void EndWord()
        {
            if (inWord) words.Add(word.ToString());
            word.Clear();
            inWord = false;
        }
        void EndCommand()
        {
            EndWord();
            if (words.Count > 0) commands.Add(words.ToList());
            words.Clear();
        }
        while (i < line.Length)
        {
            var c = line[i];
            switch (c)
            {
                case ';':
                    EndCommand();
                    i++;
                    break;
                case ' ' or '\t':
                    EndWord();
                    i++;
                    break;
                case '#' when !inWord:
                    i = line.Length;
                    break;
                case '\'':
                {
                    var end = line.IndexOf('\'', i + 1);
                    if (end < 0) throw new FormatException($"unterminated quote at column {i + 1}");
                    word.Append(line, i + 1, end - i - 1);
                    inWord = true;
                    i = end + 1;
                    break;
                }
                case '"':
                {
                    i++;
                    inWord = true;
                    while (true)
                    {
                        if (i >= line.Length) throw new FormatException("unterminated double quote");
                        if (line[i] == '"') break;
                        if (line[i] == '\\' && i + 1 < line.Length && line[i + 1] is '"' or '\\' or '$')
                        {
                            word.Append(line[i + 1]);
                            i += 2;
                            continue;
                        }
                        if (line[i] == '$' && i + 1 < line.Length && line[i + 1] == '?')
                        {
                            word.Append(lastExitCode);
                            i += 2;
                            continue;
                        }
                        word.Append(line[i++]);
                    }
                    i++;
                    break;
                }
                case '\\' when i + 1 < line.Length:
                    word.Append(line[i + 1]);
                    inWord = true;
                    i += 2;
                    break;
                case '$' when i + 1 < line.Length && line[i + 1] == '?':
                    word.Append(lastExitCode);
                    inWord = true;
                    i += 2;
                    break;
                default:
                    word.Append(c);
                    inWord = true;
                    i++;
                    break;
            }
        }
        EndCommand();
        return commands;
    }
}
