using System.Text;

namespace Skiff.Compose;

public enum InterpolationErrorKind
{
    /// <summary>A <c>${</c> that is not closed, or a name that is not <c>[_a-zA-Z][_a-zA-Z0-9]*</c>.</summary>
    InvalidTemplate,

    /// <summary>A <c>${X?msg}</c> / <c>${X:?msg}</c> whose variable is missing (or empty).</summary>
    MissingRequired,
}

/// <summary>An interpolation failure. <see cref="Position"/> is the 0-based offset of the offending <c>$</c> in <see cref="Template"/>.</summary>
public sealed class InterpolationException : Exception
{
    public InterpolationException()
    {
    }

    public InterpolationException(string message)
        : base(message)
    {
    }

    public InterpolationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    internal InterpolationException(string message, InterpolationErrorKind kind, string template, int position, string? variable, string? reason)
        : base(message)
    {
        Kind = kind;
        Template = template;
        Position = position;
        Variable = variable;
        Reason = reason;
    }

    public InterpolationErrorKind Kind { get; init; }

    /// <summary>The whole value that was being interpolated.</summary>
    public string Template { get; init; } = "";

    public int Position { get; init; }

    /// <summary>For <see cref="InterpolationErrorKind.MissingRequired"/>: the variable's name.</summary>
    public string? Variable { get; init; }

    /// <summary>For <see cref="InterpolationErrorKind.MissingRequired"/>: the user's message after <c>?</c> (interpolated), possibly empty.</summary>
    public string? Reason { get; init; }

    /// <summary>Dotted path of the YAML value (<c>services.web.image</c>) when raised while interpolating a tree.</summary>
    public string? Path { get; init; }

    public string? File { get; init; }

    public int Line { get; init; }

    public int Column { get; init; }
}

/// <summary>
/// Compose variable interpolation, following compose-go's <c>template</c> package:
/// <c>$VAR</c>, <c>${VAR}</c>, <c>${VAR:-default}</c>, <c>${VAR-default}</c>, <c>${VAR:?err}</c>, <c>${VAR?err}</c>,
/// <c>${VAR:+replacement}</c>, <c>${VAR+replacement}</c>, nesting inside the operand, and <c>$$</c> for a literal <c>$</c>.
/// A <c>$</c> followed by anything else (<c>$1</c>, <c>$ </c>, trailing <c>$</c>) is kept literally.
/// One instance accumulates the names of unset variables that were substituted by a blank string
/// (<see cref="UnsetVariables"/>), for the warning given by <see cref="UnsetVariableWarning"/>.
/// </summary>
public sealed class Interpolation
{
    private readonly Func<string, string?> _lookup;
    private readonly List<string> _unset = [];
    private readonly HashSet<string> _unsetSet = new(StringComparer.Ordinal);

    /// <param name="lookup">Variable name to value; null when the variable is not set (an empty string is set).</param>
    public Interpolation(Func<string, string?> lookup)
    {
        ArgumentNullException.ThrowIfNull(lookup);
        _lookup = lookup;
    }

    /// <summary>Distinct names, in order of first use, of unset variables replaced by a blank string
    /// (only bare <c>$X</c> / <c>${X}</c> references; operators that handle absence do not count).</summary>
    public IReadOnlyList<string> UnsetVariables => _unset;

    public static string UnsetVariableWarning(string name) => $"The \"{name}\" variable is not set. Defaulting to a blank string.";

    /// <summary>Interpolates a dictionary lookup; convenience for tests and one-off uses.</summary>
    public static string Substitute(string template, IReadOnlyDictionary<string, string> variables)
    {
        ArgumentNullException.ThrowIfNull(variables);
        return new Interpolation(n => variables.TryGetValue(n, out var v) ? v : null).Substitute(template);
    }

    /// <exception cref="InterpolationException">Invalid template or missing required variable.</exception>
    public string Substitute(string template)
    {
        ArgumentNullException.ThrowIfNull(template);
        return SubstituteCore(template, 0, template.Length, template);
    }

    /// <summary>
    /// Interpolates every scalar value of a tree (never mapping keys) and returns the new tree; unchanged
    /// subtrees are shared. Errors carry the dotted path, file, line and column of the value, and read
    /// <c>error while interpolating services.web.image: ...</c>.
    /// </summary>
    public ComposeNode Apply(ComposeNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return Apply(node, "");
    }

    private ComposeNode Apply(ComposeNode node, string path)
    {
        switch (node)
        {
            case ComposeScalar scalar:
                if (!scalar.Value.Contains('$', StringComparison.Ordinal))
                {
                    return scalar;
                }

                try
                {
                    var value = Substitute(scalar.Value);
                    return value == scalar.Value ? scalar : scalar.WithInterpolatedValue(value);
                }
                catch (InterpolationException e)
                {
                    var where = path.Length == 0 ? "" : " " + path;
                    throw new InterpolationException($"error while interpolating{where}: {e.Message}", e)
                    {
                        Kind = e.Kind,
                        Template = e.Template,
                        Position = e.Position,
                        Variable = e.Variable,
                        Reason = e.Reason,
                        Path = path,
                        File = scalar.File,
                        Line = scalar.Line,
                        Column = scalar.Column,
                    };
                }

            case ComposeSequence sequence:
            {
                List<ComposeNode>? items = null;
                for (var i = 0; i < sequence.Items.Count; i++)
                {
                    var item = sequence.Items[i];
                    var replaced = Apply(item, $"{path}[{i}]");
                    if (!ReferenceEquals(replaced, item) && items is null)
                    {
                        items = [.. sequence.Items.Take(i)];
                    }

                    items?.Add(replaced);
                }

                return items is null ? sequence : new ComposeSequence(items, sequence.File, sequence.Line, sequence.Column, sequence.Tag);
            }

            case ComposeMapping mapping:
            {
                List<ComposeMappingEntry>? entries = null;
                for (var i = 0; i < mapping.Entries.Count; i++)
                {
                    var entry = mapping.Entries[i];
                    var replaced = Apply(entry.Value, path.Length == 0 ? entry.Key : path + "." + entry.Key);
                    if (!ReferenceEquals(replaced, entry.Value) && entries is null)
                    {
                        entries = [.. mapping.Entries.Take(i)];
                    }

                    entries?.Add(ReferenceEquals(replaced, entry.Value) ? entry : entry with { Value = replaced });
                }

                return entries is null ? mapping : new ComposeMapping(entries, mapping.File, mapping.Line, mapping.Column, mapping.Tag);
            }

            default:
                return node;
        }
    }

    // Interpolates source[start..end). Offsets stay relative to the full top-level template for error positions.
    private string SubstituteCore(string source, int start, int end, string template)
    {
        var i = source.IndexOf('$', start, end - start);
        if (i < 0)
        {
            return source[start..end];
        }

        var sb = new StringBuilder(end - start);
        sb.Append(source, start, i - start);
        while (i < end)
        {
            var c = source[i];
            if (c != '$' || i + 1 >= end)
            {
                sb.Append(c);
                i++;
                continue;
            }

            var next = source[i + 1];
            if (next == '$')
            {
                sb.Append('$');
                i += 2;
            }
            else if (IsNameStart(next))
            {
                var nameEnd = ScanName(source, i + 1, end);
                sb.Append(Lookup(source[(i + 1)..nameEnd], warnIfUnset: true));
                i = nameEnd;
            }
            else if (next == '{')
            {
                i = SubstituteBraced(source, i, end, template, sb);
            }
            else
            {
                sb.Append(c);
                i++;
            }
        }

        return sb.ToString();
    }

    // Handles "${" at 'dollar'; appends the replacement and returns the index after the consumed text.
    // Mirrors compose-go: the braced pattern is name, optional ':' + one of "-+?", then everything up to the
    // LAST '}' on the line (Go's '.' does not match '\n'); the operand is then cut at the brace that closes
    // the opening "${" and what follows it is interpolated and appended.
    private int SubstituteBraced(string source, int dollar, int end, string template, StringBuilder sb)
    {
        var nameStart = dollar + 2;
        if (nameStart >= end || !IsNameStart(source[nameStart]))
        {
            throw Invalid(template, dollar);
        }

        var nameEnd = ScanName(source, nameStart, end);
        var name = source[nameStart..nameEnd];
        if (nameEnd < end && source[nameEnd] == '}')
        {
            sb.Append(Lookup(name, warnIfUnset: true));
            return nameEnd + 1;
        }

        var op = nameEnd;
        var colon = op < end && source[op] == ':';
        var opChar = colon ? (op + 1 < end ? source[op + 1] : '\0') : (op < end ? source[op] : '\0');
        if (opChar is not ('-' or '+' or '?'))
        {
            throw Invalid(template, dollar);
        }

        var operandStart = op + (colon ? 2 : 1);
        var lineEnd = source.IndexOf('\n', operandStart, end - operandStart);
        var searchEnd = lineEnd < 0 ? end : lineEnd;
        var lastBrace = searchEnd > operandStart ? source.LastIndexOf('}', searchEnd - 1, searchEnd - operandStart) : -1;
        if (lastBrace < 0)
        {
            throw Invalid(template, dollar);
        }

        var close = FirstClosingBrace(source, dollar, lastBrace + 1);
        var operandEnd = close < 0 ? lastBrace : close;
        var restStart = close < 0 ? lastBrace + 1 : close + 1;

        // compose-go interpolates the operand before looking at the variable, so errors (and unset-variable
        // warnings) inside an unused default still surface.
        var operand = SubstituteCore(source, operandStart, operandEnd, template);
        var value = _lookup(name);
        string result;
        switch (opChar)
        {
            case '-':
                result = value is null || (colon && value.Length == 0) ? operand : value;
                break;
            case '+':
                result = value is not null && (!colon || value.Length > 0) ? operand : value ?? "";
                break;
            default:
                if (value is null || (colon && value.Length == 0))
                {
                    var message = operand.Length == 0
                        ? $"required variable {name} is missing a value"
                        : $"required variable {name} is missing a value: {operand}";
                    throw new InterpolationException(message, InterpolationErrorKind.MissingRequired, template, dollar, name, operand);
                }

                result = value;
                break;
        }

        sb.Append(result);
        sb.Append(SubstituteCore(source, restStart, lastBrace + 1, template));
        return lastBrace + 1;
    }

    // compose-go's getFirstBraceClosingIndex over source[from..to): index of the '}' closing the first "${".
    private static int FirstClosingBrace(string source, int from, int to)
    {
        var open = 0;
        for (var i = from; i < to; i++)
        {
            if (source[i] == '}')
            {
                open--;
                if (open == 0)
                {
                    return i;
                }
            }

            if (source[i] == '$' && i + 1 < to && source[i + 1] == '{')
            {
                open++;
                i++;
            }
        }

        return -1;
    }

    private string Lookup(string name, bool warnIfUnset)
    {
        var value = _lookup(name);
        if (value is null && warnIfUnset && _unsetSet.Add(name))
        {
            _unset.Add(name);
        }

        return value ?? "";
    }

    private static InterpolationException Invalid(string template, int position) =>
        new($"Invalid template: \"{template}\" (at position {position})", InterpolationErrorKind.InvalidTemplate, template, position, null, null);

    private static bool IsNameStart(char c) => c == '_' || char.IsAsciiLetter(c);

    private static int ScanName(string source, int from, int end)
    {
        var i = from;
        while (i < end && (source[i] == '_' || char.IsAsciiLetterOrDigit(source[i])))
        {
            i++;
        }

        return i;
    }
}
