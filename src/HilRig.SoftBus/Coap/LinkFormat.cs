using System.Text;

namespace HilRig.SoftBus.Coap;

/// <summary>One link of the CoRE Link Format (RFC 6690): <c>&lt;/sensors/temp&gt;;rt="temperature";ct=0</c>.</summary>
public sealed record CoreLink(string Target, IReadOnlyList<KeyValuePair<string, string?>> Attributes)
{
    public string? this[string name] => Attributes.FirstOrDefault(a => a.Key == name).Value;

    public bool Has(string name) => Attributes.Any(a => a.Key == name);
}

/// <summary>A link-format document that does not parse: what and at which character.</summary>
public sealed class LinkFormatException(string reason, int offset) : FormatException($"link format error at character {offset}: {reason}")
{
    public int Offset { get; } = offset;
}

/// <summary>
/// RFC 6690 §2: <c>Link = link-value-list; link-value = "&lt;" URI-Reference "&gt;" *( ";" link-param )</c>, a parameter
/// being a name with an optional token or quoted-string value. Also the §4.1 query filter of <c>/.well-known/core</c>.
/// </summary>
public static class LinkFormat
{
    /// <summary>Content-Format 40, application/link-format.</summary>
    public const uint ContentFormat = 40;

    public static string Serialize(IEnumerable<CoreLink> links)
    {
        var sb = new StringBuilder();
        foreach (var link in links)
        {
            if (sb.Length > 0) sb.Append(',');
            sb.Append('<').Append(link.Target).Append('>');
            foreach (var (name, value) in link.Attributes)
            {
                sb.Append(';').Append(name);
                if (value is null) continue;
                sb.Append('=');
                if (value.Length > 0 && value.All(c => char.IsAsciiDigit(c))) sb.Append(value);
                else sb.Append('"').Append(value.Replace("\\", "\\\\").Replace("\"", "\\\"")).Append('"');
            }
        }
        return sb.ToString();
    }

    public static IReadOnlyList<CoreLink> Parse(string text)
    {
        var links = new List<CoreLink>();
        var i = 0;
        while (i < text.Length)
        {
            if (text[i] != '<') throw new LinkFormatException($"expected '<' to start a link, found '{text[i]}'", i);
            var close = text.IndexOf('>', i);
            if (close < 0) throw new LinkFormatException("'<' without a closing '>'", i);
            var target = text[(i + 1)..close];
            i = close + 1;
            var attributes = new List<KeyValuePair<string, string?>>();
            while (i < text.Length && text[i] == ';')
            {
                i++;
                var start = i;
                while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] is '!' or '#' or '$' or '&' or '+' or '-' or '.' or '^' or '_' or '`' or '|' or '~' or '*')) i++;
                if (i == start) throw new LinkFormatException("a ';' with no parameter name", start);
                var name = text[start..i];
                string? value = null;
                if (i < text.Length && text[i] == '=')
                {
                    i++;
                    if (i < text.Length && text[i] == '"')
                    {
                        var sb = new StringBuilder();
                        i++;
                        while (true)
                        {
                            if (i >= text.Length) throw new LinkFormatException($"unterminated quoted value of '{name}'", start);
                            if (text[i] == '\\' && i + 1 < text.Length) { sb.Append(text[i + 1]); i += 2; continue; }
                            if (text[i] == '"') { i++; break; }
                            sb.Append(text[i++]);
                        }
                        value = sb.ToString();
                    }
                    else
                    {
                        var vs = i;
                        while (i < text.Length && text[i] is not (',' or ';')) i++;
                        value = text[vs..i];
                    }
                }
                attributes.Add(new(name, value));
            }
            links.Add(new CoreLink(target, attributes));
            if (i < text.Length)
            {
                if (text[i] != ',') throw new LinkFormatException($"expected ',' between links, found '{text[i]}'", i);
                i++;
            }
        }
        return links;
    }

    /// <summary>
    /// §4.1: a query <c>name=value</c> keeps the links whose attribute has that value (any of its space-separated
    /// values for rt/if), <c>value*</c> matches a prefix, and <c>href</c> matches the target. No query keeps everything.
    /// </summary>
    public static IEnumerable<CoreLink> Filter(IEnumerable<CoreLink> links, string? query)
    {
        if (string.IsNullOrEmpty(query)) return links;
        var eq = query.IndexOf('=');
        var name = eq < 0 ? query : query[..eq];
        var wanted = eq < 0 ? "" : query[(eq + 1)..];
        var prefix = wanted.EndsWith('*');
        if (prefix) wanted = wanted[..^1];
        bool Match(string v) => prefix ? v.StartsWith(wanted, StringComparison.Ordinal) : v == wanted;
        return links.Where(l => name == "href"
            ? Match(l.Target)
            : l.Attributes.Any(a => a.Key == name && (eq < 0 || (a.Value ?? "").Split(' ').Any(Match))));
    }
}
