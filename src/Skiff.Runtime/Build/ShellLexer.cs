using System.Text;

namespace Skiff.Runtime.Build;

/// <summary>
/// Word expansion as BuildKit's <c>frontend/dockerfile/shell/lex.go</c> (ProcessWord): <c>$VAR</c>, <c>${VAR}</c>,
/// <c>${VAR:-w}</c>, <c>${VAR-w}</c>, <c>${VAR:+w}</c>, <c>${VAR+w}</c>, <c>${VAR:?msg}</c>, <c>${VAR?msg}</c>;
/// single quotes literal, double quotes expand, the escape token makes the next character literal.
/// Quotes are removed from the result. Unset variables expand to the empty string.
/// </summary>
public sealed class ShellLexer
{
    private readonly char _escape;

    public ShellLexer(char escapeToken = '\\') => _escape = escapeToken;

    /// <summary>Expands one word. <paramref name="lookup"/> returns null for an unset variable.</summary>
    public string ProcessWord(string word, Func<string, string?> lookup)
    {
        ArgumentNullException.ThrowIfNull(word);
        ArgumentNullException.ThrowIfNull(lookup);
        var state = new State(word, lookup, _escape);
        var (result, _) = state.ProcessStopOn(null);
        return result;
    }

    private sealed class State(string input, Func<string, string?> lookup, char escape)
    {
        private int _pos;

        private bool AtEnd => _pos >= input.Length;

        private char Peek() => input[_pos];

        public (string Result, bool Found) ProcessStopOn(char? stop)
        {
            var sb = new StringBuilder();
            while (!AtEnd)
            {
                var ch = Peek();
                if (stop is { } s && ch == s)
                {
                    _pos++;
                    return (sb.ToString(), true);
                }

                switch (ch)
                {
                    case '\'':
                        sb.Append(SingleQuote());
                        continue;
                    case '"':
                        sb.Append(DoubleQuote());
                        continue;
                    case '$':
                        sb.Append(Dollar());
                        continue;
                }

                _pos++;
                if (ch == escape)
                {
                    if (AtEnd)
                    {
                        break;
                    }

                    ch = input[_pos++];
                }

                sb.Append(ch);
            }

            return (sb.ToString(), false);
        }

        private string SingleQuote()
        {
            _pos++;
            var end = input.IndexOf('\'', _pos);
            if (end < 0)
            {
                throw new FormatException("unexpected end of statement while looking for matching single-quote");
            }

            var text = input[_pos..end];
            _pos = end + 1;
            return text;
        }

        private string DoubleQuote()
        {
            _pos++;
            var sb = new StringBuilder();
            while (true)
            {
                if (AtEnd)
                {
                    throw new FormatException("unexpected end of statement while looking for matching double-quote");
                }

                var ch = Peek();
                if (ch == '"')
                {
                    _pos++;
                    return sb.ToString();
                }

                if (ch == '$')
                {
                    sb.Append(Dollar());
                    continue;
                }

                _pos++;
                if (ch == escape && !AtEnd)
                {
                    var next = Peek();
                    if (next == '"' || next == '$' || next == escape)
                    {
                        _pos++;
                        sb.Append(next);
                        continue;
                    }
                }

                sb.Append(ch);
            }
        }

        private string Dollar()
        {
            _pos++; // '$'
            if (AtEnd)
            {
                return "$";
            }

            if (Peek() != '{')
            {
                var bare = Name();
                return bare.Length == 0 ? "$" : lookup(bare) ?? "";
            }

            _pos++; // '{'
            if (AtEnd)
            {
                throw new FormatException("syntax error: missing '}'");
            }

            if (Peek() is '{' or '}' or ':')
            {
                throw new FormatException("syntax error: bad substitution");
            }

            var name = Name();
            if (AtEnd)
            {
                throw new FormatException("syntax error: missing '}'");
            }

            var ch = input[_pos++];
            if (ch == '}')
            {
                return lookup(name) ?? "";
            }

            var colon = false;
            if (ch == ':')
            {
                colon = true;
                if (AtEnd)
                {
                    throw new FormatException("syntax error: missing '}'");
                }

                ch = input[_pos++];
            }

            if (ch is not ('-' or '+' or '?'))
            {
                throw new FormatException(colon
                    ? $"unsupported modifier ({ch}) in substitution"
                    : $"missing ':' in substitution");
            }

            var (word, found) = ProcessStopOn('}');
            if (!found)
            {
                throw new FormatException("syntax error: missing '}'");
            }

            var value = lookup(name);
            var usable = colon ? !string.IsNullOrEmpty(value) : value is not null;
            switch (ch)
            {
                case '-':
                    return usable ? value! : word;
                case '+':
                    return usable ? word : "";
                default:
                    if (usable)
                    {
                        return value!;
                    }

                    throw new FormatException(word.Length > 0
                        ? $"{name}: {word}"
                        : $"{name}: is not allowed to be {(colon ? "empty" : "unset")}");
            }
        }

        /// <summary>A name (letters, digits, '_'), a run of digits (positional), or one special parameter character.</summary>
        private string Name()
        {
            var start = _pos;
            if (!AtEnd && char.IsAsciiDigit(Peek()))
            {
                while (!AtEnd && char.IsAsciiDigit(Peek()))
                {
                    _pos++;
                }

                return input[start.._pos];
            }

            if (!AtEnd && Peek() is '@' or '*' or '#' or '?' or '-' or '$' or '!')
            {
                _pos++;
                return input[start.._pos];
            }

            while (!AtEnd && (char.IsLetterOrDigit(Peek()) || Peek() == '_'))
            {
                _pos++;
            }

            return input[start.._pos];
        }
    }
}
