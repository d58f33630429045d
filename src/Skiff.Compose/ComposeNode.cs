namespace Skiff.Compose;

/// <summary>How a YAML scalar was written; only plain scalars are subject to YAML 1.1/1.2 type resolution (int, bool, null).</summary>
public enum ComposeScalarStyle
{
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

/// <summary>
/// A node of a parsed compose file: mapping, sequence or scalar, with the position (1-based line and column)
/// where it was written and its explicit YAML tag, if any (<c>!reset</c>, <c>!override</c>, <c>!!str</c> ...).
/// Nodes are immutable; nodes reached through an alias are shared and carry the anchor's position.
/// </summary>
public abstract class ComposeNode
{
    public const string ResetTag = "!reset";
    public const string OverrideTag = "!override";

    private protected ComposeNode(string file, int line, int column, string? tag)
    {
        File = file;
        Line = line;
        Column = column;
        Tag = tag;
    }

    public string File { get; }

    public int Line { get; }

    public int Column { get; }

    /// <summary>The explicit tag as written (<c>!reset</c>) or its expanded form for standard tags; null when none.</summary>
    public string? Tag { get; }

    /// <summary><c>!reset</c>: the merge step removes the attribute it is attached to.</summary>
    public bool IsReset => Tag == ResetTag;

    /// <summary><c>!override</c>: the merge step replaces instead of merging.</summary>
    public bool IsOverride => Tag == OverrideTag;

    public string Position => $"{File}:{Line}:{Column}";
}

public sealed class ComposeScalar : ComposeNode
{
    public ComposeScalar(string value, ComposeScalarStyle style, string file, int line, int column, string? tag = null)
        : base(file, line, column, tag)
    {
        Value = value;
        Style = style;
    }

    public string Value { get; }

    public ComposeScalarStyle Style { get; }

    public bool IsPlain => Style == ComposeScalarStyle.Plain;

    /// <summary>A plain <c>null</c>, <c>~</c> or empty scalar without a tag (or tagged <c>!!null</c>).</summary>
    public bool IsNull =>
        Tag == "tag:yaml.org,2002:null"
        || (IsPlain && (Tag is null || Tag == ResetTag || Tag == OverrideTag)
            && Value is "" or "~" or "null" or "Null" or "NULL");

    public ComposeScalar WithValue(string value) => new(value, Style, File, Line, Column, Tag);

    /// <summary>
    /// The value came out of interpolation: compose-go reads <c>${X}</c> as a string before substituting, so the
    /// schema sees a string unless the path is one compose-go casts (see <see cref="ComposeSchema"/>).
    /// </summary>
    internal bool Interpolated { get; private init; }

    internal ComposeScalar WithInterpolatedValue(string value) => new(value, Style, File, Line, Column, Tag) { Interpolated = true };

    public override string ToString() => Value;
}

public sealed class ComposeSequence : ComposeNode
{
    public ComposeSequence(IReadOnlyList<ComposeNode> items, string file, int line, int column, string? tag = null)
        : base(file, line, column, tag)
    {
        Items = items;
    }

    public IReadOnlyList<ComposeNode> Items { get; }
}

/// <summary>One key of a mapping with the position of the key itself.</summary>
public sealed record ComposeMappingEntry(string Key, int KeyLine, int KeyColumn, ComposeNode Value);

public sealed class ComposeMapping : ComposeNode
{
    private readonly Dictionary<string, int> _index;

    /// <exception cref="ArgumentException">Two entries share a key.</exception>
    public ComposeMapping(IReadOnlyList<ComposeMappingEntry> entries, string file, int line, int column, string? tag = null)
        : base(file, line, column, tag)
    {
        ArgumentNullException.ThrowIfNull(entries);
        Entries = entries;
        _index = new Dictionary<string, int>(entries.Count, StringComparer.Ordinal);
        for (var i = 0; i < entries.Count; i++)
        {
            if (!_index.TryAdd(entries[i].Key, i))
            {
                throw new ArgumentException($"duplicate key \"{entries[i].Key}\"", nameof(entries));
            }
        }
    }

    /// <summary>Entries in document order (keys brought in by a merge key take the place of the <c>&lt;&lt;</c> entry).</summary>
    public IReadOnlyList<ComposeMappingEntry> Entries { get; }

    public int Count => Entries.Count;

    public ComposeNode? this[string key] => _index.TryGetValue(key, out var i) ? Entries[i].Value : null;

    public bool ContainsKey(string key) => _index.ContainsKey(key);

    public bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ComposeNode? value)
    {
        if (_index.TryGetValue(key, out var i))
        {
            value = Entries[i].Value;
            return true;
        }

        value = null;
        return false;
    }

    public IEnumerable<string> Keys => Entries.Select(e => e.Key);
}
