using System.Text;

namespace Skiff.Compose;

/// <summary>A <c>.env</c> syntax error. <see cref="Line"/> is 1-based; the message reads <c>failed to read FILE: line N: ...</c>.</summary>
public sealed class DotEnvException : Exception
{
    public DotEnvException()
    {
    }

    public DotEnvException(string message)
        : base(message)
    {
    }

    public DotEnvException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    internal DotEnvException(string file, int line, string problem, Exception? inner = null)
        : base($"failed to read {file}: line {line}: {problem}", inner)
    {
        File = file;
        Line = line;
        Problem = problem;
    }

    public string File { get; } = "";

    public int Line { get; }

    /// <summary>The message without the file and line prefix.</summary>
    public string Problem { get; } = "";
}

/// <summary>
/// <c>.env</c> / <c>--env-file</c> parsing with compose-go's dotenv grammar:
/// <list type="bullet">
/// <item><c>KEY=VALUE</c>, <c>KEY: VALUE</c>, optional <c>export </c> prefix; names are letters, digits, <c>_ . - [ ]</c>.</item>
/// <item>blank lines, <c>#</c> comment lines, and <c> #</c> comments after unquoted values.</item>
/// <item>unquoted values are trimmed and interpolated; single-quoted values are literal; double-quoted values
/// process <c>\a \b \f \n \r \t \v \" \\ \$ \0NNN</c> and are then interpolated. Quoted values may span lines.</item>
/// <item>interpolation looks up the environment first, then keys defined earlier in the file.</item>
/// <item><c>KEY</c> alone on a line takes the environment's value when set, else the key is left out.</item>
/// </list>
/// </summary>
public static class DotEnv
{
    /// <summary>Parses <paramref name="content"/>. <paramref name="lookup"/> gives environment variables (null: not set).</summary>
    /// <param name="fileName">Used in error messages only.</param>
    /// <exception cref="DotEnvException">Syntax error or failed interpolation.</exception>
    public static IReadOnlyDictionary<string, string> Parse(string content, string fileName = ".env", Func<string, string?>? lookup = null)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(fileName);
        var output = new Dictionary<string, string>(StringComparer.Ordinal);
        new Parser(content, fileName, lookup ?? (_ => null), output).Run();
        return output;
    }

    /// <summary>
    /// Reads env files in order, like compose-go's <c>GetEnvFromFile</c>: each file sees the keys of the files before
    /// it (in preference to <paramref name="environment"/>), and later files win.
    /// </summary>
    /// <exception cref="DotEnvException">A file is missing, is a directory, or does not parse.</exception>
    public static IReadOnlyDictionary<string, string> ReadFiles(IEnumerable<string> paths, Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(paths);
        environment ??= _ => null;
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in paths)
        {
            if (string.IsNullOrEmpty(path))
            {
                continue;
            }

            if (Directory.Exists(path))
            {
                throw new DotEnvException($"{path} is a directory");
            }

            if (!System.IO.File.Exists(path))
            {
                throw new DotEnvException($"Couldn't find env file: {path}");
            }

            var content = System.IO.File.ReadAllText(path);
            var parsed = Parse(content, path, k => result.TryGetValue(k, out var v) ? v : environment(k));
            foreach (var (key, value) in parsed)
            {
                result[key] = value;
            }
        }

        return result;
    }

    private sealed class Parser(string content, string file, Func<string, string?> lookup, Dictionary<string, string> output)
    {
        private readonly string _src = content.Replace("\r\n", "\n", StringComparison.Ordinal).TrimStart('\uFEFF');
        private readonly string _file = file;
        private readonly Func<string, string?> _lookup = lookup;
        private readonly Dictionary<string, string> _out = output;
        private int _pos;
        private int _line = 1;

        public void Run()
        {
            while (SkipToStatement())
            {
                var statementLine = _line;
                var (key, inherited) = ReadKey();
                if (key.Contains(' ', StringComparison.Ordinal))
                {
                    throw Error(statementLine, "key cannot contain a space");
                }

                if (key.Length == 0)
                {
                    throw Error(statementLine, "empty variable name");
                }

                if (inherited)
                {
                    var env = _lookup(key);
                    if (env is not null)
                    {
                        _out[key] = env;
                    }

                    continue;
                }

                _out[key] = ReadValue();
            }
        }

        // Skips whitespace, blank lines and comment lines; false at end of input.
        private bool SkipToStatement()
        {
            while (_pos < _src.Length)
            {
                var c = _src[_pos];
                if (c == '\n')
                {
                    _line++;
                    _pos++;
                }
                else if (char.IsWhiteSpace(c))
                {
                    _pos++;
                }
                else if (c == '#')
                {
                    var nl = _src.IndexOf('\n', _pos);
                    _pos = nl < 0 ? _src.Length : nl;
                }
                else
                {
                    return true;
                }
            }

            return false;
        }

        private (string Key, bool Inherited) ReadKey()
        {
            if (_src.AsSpan(_pos).StartsWith("export", StringComparison.Ordinal)
                && _pos + 6 < _src.Length && char.IsWhiteSpace(_src[_pos + 6]))
            {
                _pos += 6;
                while (_pos < _src.Length && IsSpace(_src[_pos]))
                {
                    _pos++;
                }
            }

            var start = _pos;
            for (var i = _pos; i < _src.Length; i++)
            {
                var c = _src[i];
                if (IsSpace(c))
                {
                    continue;
                }

                switch (c)
                {
                    case '=' or ':':
                        _pos = i + 1;
                        while (_pos < _src.Length && IsSpace(_src[_pos]))
                        {
                            _pos++;
                        }

                        return (_src[start..i].TrimEnd(), false);
                    case '\n':
                        _pos = i; // the newline is counted by SkipToStatement
                        return (_src[start..i].TrimEnd(), true);
                    case '_' or '.' or '-' or '[' or ']':
                        continue;
                    default:
                        if (char.IsLetterOrDigit(c))
                        {
                            continue;
                        }

                        throw Error(_line, $"unexpected character \"{c}\" in variable name \"{CurrentLine(start)}\"");
                }
            }

            // A name alone at end of input: inherited.
            _pos = _src.Length;
            return (_src[start..].TrimEnd(), true);
        }

        private string ReadValue()
        {
            if (_pos >= _src.Length || _src[_pos] is not ('"' or '\''))
            {
                var nl = _src.IndexOf('\n', _pos);
                var lineEnd = nl < 0 ? _src.Length : nl;
                var raw = _src[_pos..lineEnd];
                var comment = raw.IndexOf(" #", StringComparison.Ordinal);
                if (comment >= 0)
                {
                    raw = raw[..comment];
                }

                var valueLine = _line;
                _pos = lineEnd;
                return Expand(raw.TrimEnd(), valueLine);
            }

            var quote = _src[_pos];
            var openLine = _line;
            var openPos = _pos;
            var sb = new StringBuilder();
            var escaped = false;
            for (var i = _pos + 1; i < _src.Length; i++)
            {
                var c = _src[i];
                if (c == '\n')
                {
                    _line++;
                }

                if (c != quote)
                {
                    if (!escaped && c == '\\')
                    {
                        escaped = true;
                        continue;
                    }

                    if (escaped)
                    {
                        escaped = false;
                        sb.Append('\\');
                    }

                    sb.Append(c);
                    continue;
                }

                if (escaped)
                {
                    escaped = false;
                    if (quote == '\'')
                    {
                        sb.Append('\\'); // compose-go keeps the backslash of \' in single quotes
                    }

                    sb.Append(c);
                    continue;
                }

                _pos = i + 1;
                var value = sb.ToString();
                return quote == '"' ? Expand(Unescape(value), openLine) : value;
            }

            var end = _src.IndexOf('\n', openPos);
            throw Error(openLine, $"unterminated quoted value {_src[openPos..(end < 0 ? _src.Length : end)]}");
        }

        private string Expand(string value, int line)
        {
            try
            {
                return new Interpolation(k => _lookup(k) ?? (_out.TryGetValue(k, out var v) ? v : null)).Substitute(value);
            }
            catch (InterpolationException e)
            {
                throw Error(line, e.Message, e);
            }
        }

        private string CurrentLine(int start)
        {
            var lineStart = _src.LastIndexOf('\n', Math.Max(0, start - 1)) + 1;
            if (start == 0)
            {
                lineStart = 0;
            }

            var nl = _src.IndexOf('\n', start);
            return _src[lineStart..(nl < 0 ? _src.Length : nl)];
        }

        private DotEnvException Error(int line, string problem, Exception? inner = null) => new(_file, line, problem, inner);

        private static bool IsSpace(char c) => c is '\t' or '\v' or '\f' or '\r' or ' ' or '\u0085' or '\u00A0';
    }

    // compose-go's expandEscapes: \a \b \f \n \r \t \v \" \\ and \0NNN octal; \$ becomes $$ so interpolation
    // yields a literal '$'. Any other backslash sequence is kept as written.
    internal static string Unescape(string value)
    {
        if (!value.Contains('\\', StringComparison.Ordinal))
        {
            return value;
        }

        var sb = new StringBuilder(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c != '\\' || i + 1 >= value.Length)
            {
                sb.Append(c);
                continue;
            }

            var n = value[i + 1];
            string? replacement = n switch
            {
                'a' => "\a",
                'b' => "\b",
                'f' => "\f",
                'n' => "\n",
                'r' => "\r",
                't' => "\t",
                'v' => "\v",
                '"' => "\"",
                '\\' => "\\",
                '$' => "$$",
                _ => null,
            };
            if (replacement is not null)
            {
                sb.Append(replacement);
                i++;
                continue;
            }

            if (n == '0')
            {
                // \0 followed by up to three digits; only exactly three octal digits (value <= 0xFF) decode.
                var digits = 0;
                while (digits < 3 && i + 2 + digits < value.Length && char.IsAsciiDigit(value[i + 2 + digits]))
                {
                    digits++;
                }

                var text = value.Substring(i + 2, digits);
                if (digits == 3 && text.All(d => d <= '7') && Convert.ToInt32(text, 8) <= 0xFF)
                {
                    sb.Append((char)Convert.ToInt32(text, 8));
                }
                else
                {
                    sb.Append('\\').Append('0').Append(text);
                }

                i += 1 + digits;
                continue;
            }

            sb.Append(c);
        }

        return sb.ToString();
    }
}
