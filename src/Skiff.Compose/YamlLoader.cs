using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Skiff.Compose;

/// <summary>A compose file that cannot be read: YAML syntax, structure (top level not a mapping, duplicate keys, bad merge key).</summary>
public sealed class ComposeFileException : Exception
{
    public ComposeFileException()
    {
    }

    public ComposeFileException(string message)
        : base(message)
    {
    }

    public ComposeFileException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    internal ComposeFileException(string file, int line, int column, string problem, Exception? inner = null)
        : base($"{file}:{line}:{column}: {problem}", inner)
    {
        File = file;
        Line = line;
        Column = column;
        Problem = problem;
    }

    public string File { get; } = "";

    public int Line { get; }

    public int Column { get; }

    /// <summary>The message without the position prefix.</summary>
    public string Problem { get; } = "";
}

/// <summary>
/// Reads compose YAML through YamlDotNet's representation model into <see cref="ComposeNode"/> trees:
/// aliases are expanded (shared nodes), merge keys <c>&lt;&lt;</c> are resolved (explicit keys win over merged
/// ones; in a list of maps, earlier maps win), tags such as <c>!reset</c> / <c>!override</c> are kept on the
/// nodes for the merge step, and every node keeps its 1-based line and column.
/// </summary>
public static class YamlLoader
{
    /// <summary>Upper bound on the number of nodes after alias expansion (guards against "billion laughs").</summary>
    public const long MaxExpandedNodes = 10_000_000;

    private const string MergeKey = "<<";

    /// <summary>
    /// Every document of the file, in order. compose-go reads all documents of a file and merges each one
    /// over the previous ones as if it were an override file; a file with no document yields an empty list.
    /// Each document must be a mapping.
    /// </summary>
    /// <exception cref="ComposeFileException">Syntax or structure error, naming file, line and column.</exception>
    public static IReadOnlyList<ComposeMapping> LoadDocuments(string content, string fileName)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(fileName);
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(content));
        }
        catch (YamlException e)
        {
            var problem = e.InnerException is YamlException inner && e.Message.StartsWith("(Line", StringComparison.Ordinal)
                ? inner.Message
                : e.Message;
            throw new ComposeFileException(fileName, (int)e.Start.Line, (int)e.Start.Column, StripMark(problem), e);
        }

        var converter = new Converter(fileName);
        var documents = new List<ComposeMapping>(stream.Documents.Count);
        foreach (var document in stream.Documents)
        {
            var root = document.RootNode;
            if (root is YamlScalarNode { Value: null or "" } && root.Tag.IsEmpty && root.Anchor.IsEmpty)
            {
                // A document with only comments or "---": nothing to merge.
                continue;
            }

            var node = converter.Convert(root);
            if (node is not ComposeMapping mapping)
            {
                throw new ComposeFileException(fileName, node.Line, node.Column, "Top-level object must be a mapping");
            }

            documents.Add(mapping);
        }

        return documents;
    }

    /// <summary>Reads a file from disk; see <see cref="LoadDocuments(string, string)"/>.</summary>
    public static IReadOnlyList<ComposeMapping> LoadFile(string path) => LoadDocuments(File.ReadAllText(path), path);

    private static string StripMark(string message)
    {
        // YamlDotNet prefixes "(Line: 3, Col: 5, Idx: 20) - (Line: 3, Col: 6, Idx: 21): "; we give our own position.
        if (message.StartsWith("(Line", StringComparison.Ordinal))
        {
            var sep = message.IndexOf("): ", StringComparison.Ordinal);
            if (sep >= 0)
            {
                return message[(sep + 3)..];
            }
        }

        return message;
    }

    private sealed class Converter(string file)
    {
        private readonly string _file = file;
        private readonly Dictionary<YamlNode, ComposeNode> _done = new(ReferenceEqualityComparer.Instance);
        private readonly Dictionary<ComposeNode, long> _sizes = new(ReferenceEqualityComparer.Instance);
        private readonly HashSet<YamlNode> _inProgress = new(ReferenceEqualityComparer.Instance);

        public ComposeNode Convert(YamlNode node)
        {
            if (_done.TryGetValue(node, out var done))
            {
                return done;
            }

            if (!_inProgress.Add(node))
            {
                throw Error(node, "recursive alias: a node contains an alias to itself");
            }

            ComposeNode result = node switch
            {
                YamlScalarNode scalar => new ComposeScalar(scalar.Value ?? "", MapStyle(scalar.Style), _file, Line(node), Column(node), TagOf(node)),
                YamlSequenceNode sequence => ConvertSequence(sequence),
                YamlMappingNode mapping => ConvertMapping(mapping),
                _ => throw Error(node, $"unsupported YAML node {node.NodeType}"),
            };
            _inProgress.Remove(node);
            _done[node] = result;
            var size = Size(result);
            if (size > MaxExpandedNodes)
            {
                throw Error(node, "document contains excessive aliasing");
            }

            return result;
        }

        private long Size(ComposeNode node)
        {
            if (_sizes.TryGetValue(node, out var known))
            {
                return known;
            }

            long size = 1;
            switch (node)
            {
                case ComposeSequence s:
                    foreach (var item in s.Items)
                    {
                        size += Size(item);
                    }

                    break;
                case ComposeMapping m:
                    foreach (var entry in m.Entries)
                    {
                        size += 1 + Size(entry.Value);
                    }

                    break;
            }

            _sizes[node] = size;
            return size;
        }

        private ComposeSequence ConvertSequence(YamlSequenceNode sequence)
        {
            var items = new List<ComposeNode>(sequence.Children.Count);
            foreach (var child in sequence.Children)
            {
                items.Add(Convert(child));
            }

            return new ComposeSequence(items, _file, Line(sequence), Column(sequence), TagOf(sequence));
        }

        private ComposeMapping ConvertMapping(YamlMappingNode mapping)
        {
            // First pass: explicit keys, in order, with a placeholder where each merge key sits.
            var explicitEntries = new List<ComposeMappingEntry?>();
            var explicitKeys = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
            var merges = new List<(int Slot, YamlNode Value)>();
            foreach (var (keyNode, valueNode) in mapping.Children)
            {
                if (keyNode is not YamlScalarNode keyScalar)
                {
                    throw Error(keyNode, "mapping keys must be scalars");
                }

                var key = keyScalar.Value ?? "";
                if (key == MergeKey && keyScalar.Style is ScalarStyle.Plain or ScalarStyle.Any && keyScalar.Tag.IsEmpty)
                {
                    merges.Add((explicitEntries.Count, valueNode));
                    explicitEntries.Add(null);
                    continue;
                }

                if (explicitKeys.TryGetValue(key, out var previous))
                {
                    throw Error(keyNode, $"mapping key \"{key}\" already defined at line {Line(previous)}");
                }

                explicitKeys[key] = keyNode;
                explicitEntries.Add(new ComposeMappingEntry(key, Line(keyNode), Column(keyNode), Convert(valueNode)));
            }

            if (merges.Count == 0)
            {
                return new ComposeMapping(explicitEntries.Select(e => e!).ToList(), _file, Line(mapping), Column(mapping), TagOf(mapping));
            }

            // Second pass: merged keys fill in what is not explicit; the first source to provide a key wins.
            var taken = new HashSet<string>(explicitKeys.Keys, StringComparer.Ordinal);
            var mergedAt = new Dictionary<int, List<ComposeMappingEntry>>();
            foreach (var (slot, value) in merges)
            {
                var added = new List<ComposeMappingEntry>();
                foreach (var source in MergeSources(value))
                {
                    foreach (var entry in source.Entries)
                    {
                        if (taken.Add(entry.Key))
                        {
                            added.Add(entry);
                        }
                    }
                }

                mergedAt[slot] = added;
            }

            var entries = new List<ComposeMappingEntry>();
            for (var i = 0; i < explicitEntries.Count; i++)
            {
                if (explicitEntries[i] is { } entry)
                {
                    entries.Add(entry);
                }
                else
                {
                    entries.AddRange(mergedAt[i]);
                }
            }

            return new ComposeMapping(entries, _file, Line(mapping), Column(mapping), TagOf(mapping));
        }

        private IEnumerable<ComposeMapping> MergeSources(YamlNode value)
        {
            switch (value)
            {
                case YamlMappingNode:
                    return [(ComposeMapping)Convert(value)];
                case YamlSequenceNode sequence:
                    var sources = new List<ComposeMapping>();
                    foreach (var item in sequence.Children)
                    {
                        if (item is not YamlMappingNode)
                        {
                            throw Error(item, "map merge requires map or sequence of maps as the value");
                        }

                        sources.Add((ComposeMapping)Convert(item));
                    }

                    return sources;
                default:
                    throw Error(value, "map merge requires map or sequence of maps as the value");
            }
        }

        private ComposeFileException Error(YamlNode node, string problem) => new(_file, Line(node), Column(node), problem);

        private static int Line(YamlNode node) => (int)node.Start.Line;

        private static int Column(YamlNode node) => (int)node.Start.Column;

        private static string? TagOf(YamlNode node) => node.Tag.IsEmpty ? null : node.Tag.Value;

        private static ComposeScalarStyle MapStyle(ScalarStyle style) => style switch
        {
            ScalarStyle.SingleQuoted => ComposeScalarStyle.SingleQuoted,
            ScalarStyle.DoubleQuoted => ComposeScalarStyle.DoubleQuoted,
            ScalarStyle.Literal => ComposeScalarStyle.Literal,
            ScalarStyle.Folded => ComposeScalarStyle.Folded,
            _ => ComposeScalarStyle.Plain,
        };
    }
}
