using System.Text;

namespace HilRig.Engine.Tags;

/// <summary>
/// Recursive-descent parser for Cucumber tag expressions. Grammar:
/// <code>
/// or   := and ("or" and)*
/// and  := not ("and" not)*
/// not  := "not" not | atom
/// atom := "(" or ")" | TAG
/// </code>
/// Tags may escape <c>( ) \</c> and whitespace with a backslash, as Cucumber allows.
/// </summary>
internal sealed class TagExpressionParser
{
    private readonly string _text;
    private readonly List<Token> _tokens;
    private int _next;

    private TagExpressionParser(string text)
    {
        _text = text;
        _tokens = Tokenize(text);
    }

    public static TagExpression Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text)) return TagExpression.Always;
        var parser = new TagExpressionParser(text);
        var expression = parser.ParseOr();
        if (parser._next < parser._tokens.Count)
        {
            var extra = parser._tokens[parser._next];
            throw parser.Error(extra.Position, extra.Kind == TokenKind.Close
                ? "unmatched ')'"
                : $"expected 'and', 'or' or ')' before '{extra.Text}'");
        }
        return expression;
    }

    private TagExpression ParseOr()
    {
        var left = ParseAnd();
        while (Peek(TokenKind.Or))
        {
            _next++;
            left = new TagExpression.Or(left, ParseAnd());
        }
        return left;
    }

    private TagExpression ParseAnd()
    {
        var left = ParseNot();
        while (Peek(TokenKind.And))
        {
            _next++;
            left = new TagExpression.And(left, ParseNot());
        }
        return left;
    }

    private TagExpression ParseNot()
    {
        if (Peek(TokenKind.Not))
        {
            _next++;
            return new TagExpression.Not(ParseNot());
        }
        return ParseAtom();
    }

    private TagExpression ParseAtom()
    {
        if (_next >= _tokens.Count)
            throw Error(_text.Length + 1, "expected a tag or '(' but the expression ended");
        var token = _tokens[_next++];
        switch (token.Kind)
        {
            case TokenKind.Open:
                var inner = ParseOr();
                if (!Peek(TokenKind.Close))
                    throw Error(_next < _tokens.Count ? _tokens[_next].Position : _text.Length + 1,
                        $"'(' at position {token.Position} is never closed");
                _next++;
                return inner;
            case TokenKind.Tag:
                if (!token.Text.StartsWith('@'))
                    throw Error(token.Position, $"'{token.Text}' is not a tag: tags start with '@'");
                if (token.Text.Length == 1)
                    throw Error(token.Position, "'@' needs a tag name");
                return new TagExpression.Literal(token.Text);
            default:
                throw Error(token.Position, $"expected a tag or '(' but found '{token.Text}'");
        }
    }

    private bool Peek(TokenKind kind) => _next < _tokens.Count && _tokens[_next].Kind == kind;

    private TagExpressionException Error(int position, string reason) => new(_text, position, reason);

    private static List<Token> Tokenize(string text)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
                continue;
            }
            if (c is '(' or ')')
            {
                tokens.Add(new Token(c == '(' ? TokenKind.Open : TokenKind.Close, c.ToString(), i + 1));
                i++;
                continue;
            }
            var start = i;
            var word = new StringBuilder();
            while (i < text.Length && !char.IsWhiteSpace(text[i]) && text[i] is not '(' and not ')')
            {
                if (text[i] == '\\')
                {
                    if (i + 1 >= text.Length)
                        throw new TagExpressionException(text, i + 1, "'\\' at the end escapes nothing");
                    var escaped = text[i + 1];
                    if (!char.IsWhiteSpace(escaped) && escaped is not '(' and not ')' and not '\\')
                        throw new TagExpressionException(text, i + 1, $"'\\{escaped}' is not a valid escape (only '\\(', '\\)', '\\\\' and '\\ ')");
                    word.Append(escaped);
                    i += 2;
                    continue;
                }
                word.Append(text[i++]);
            }
            var w = word.ToString();
            var kind = w switch
            {
                "and" => TokenKind.And,
                "or" => TokenKind.Or,
                "not" => TokenKind.Not,
                _ => TokenKind.Tag,
            };
            tokens.Add(new Token(kind, w, start + 1));
        }
        return tokens;
    }

    private enum TokenKind
    {
        Tag,
        And,
        Or,
        Not,
        Open,
        Close,
    }

    private readonly record struct Token(TokenKind Kind, string Text, int Position);
}
