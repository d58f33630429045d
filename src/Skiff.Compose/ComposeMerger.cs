namespace Skiff.Compose;

/// <summary>
/// Merges compose documents (later ones override earlier ones) following compose-spec 13-merge.md and
/// compose-go's <c>override</c> package: mappings merge recursively, scalars are replaced, sequences are
/// appended, with per-path exceptions (shell commands replaced; environment-like lists merged as mappings;
/// <c>depends_on</c> and <c>networks</c> merged as mappings; unique resources such as ports, volumes,
/// secrets and configs de-duplicated by key, the later entry taking the earlier one's place).
/// <c>!reset</c> removes a value, <c>!override</c> replaces it without merging.
/// </summary>
public static class ComposeMerger
{
    private static readonly string[] ReplacedPaths =
    [
        "services.*.command", "services.*.entrypoint", "services.*.healthcheck.test",
    ];

    /// <summary>Lists of <c>KEY=VALUE</c> (or mappings) merged key by key.</summary>
    private static readonly string[] KeyValuePaths =
    [
        "services.*.environment", "services.*.labels", "services.*.annotations", "services.*.sysctls",
        "services.*.build.args", "services.*.build.labels", "services.*.deploy.labels",
        "networks.*.labels", "volumes.*.labels", "secrets.*.labels", "configs.*.labels",
    ];

    private static readonly string[] StringOrListPaths =
    [
        "services.*.dns", "services.*.dns_search", "services.*.dns_opt", "services.*.env_file", "services.*.tmpfs", "services.*.label_file",
    ];

    private static readonly string[] ExtraHostsPaths = ["services.*.extra_hosts", "services.*.build.extra_hosts"];

    /// <summary>Sequences whose entries are unique by value (later duplicates dropped into the first place).</summary>
    private static readonly string[] UniqueValuePaths =
    [
        "services.*.dns", "services.*.dns_search", "services.*.dns_opt", "services.*.env_file", "services.*.tmpfs",
        "services.*.profiles", "services.*.links", "services.*.cap_add", "services.*.cap_drop", "services.*.expose",
        "services.*.networks.*.aliases", "services.*.networks.*.link_local_ips", "services.*.build.tags",
        "services.*.build.platforms",
    ];

    /// <summary>Merges every document over the previous ones and applies <c>!reset</c>/<c>!override</c>.</summary>
    /// <exception cref="ComposeFileException">Incompatible types at the same path (mapping over a sequence ...).</exception>
    public static ComposeMapping Merge(IReadOnlyList<ComposeMapping> documents)
    {
        ArgumentNullException.ThrowIfNull(documents);
        if (documents.Count == 0)
        {
            return new ComposeMapping([], "", 0, 0);
        }

        ComposeMapping? result = null;
        foreach (var document in documents)
        {
            result = result is null
                ? (ComposeMapping)Normalize(document, [])!
                : (ComposeMapping)MergeNode(result, document, [])!;
        }

        return result!;
    }

    /// <summary>Merges <paramref name="override"/> over <paramref name="base"/>.</summary>
    public static ComposeMapping Merge(ComposeMapping @base, ComposeMapping @override) => Merge([@base, @override]);

    private static bool Matches(List<string> path, string pattern)
    {
        var parts = pattern.Split('.');
        if (parts.Length != path.Count)
        {
            return false;
        }

        for (var i = 0; i < parts.Length; i++)
        {
            if (parts[i] != "*" && parts[i] != path[i])
            {
                return false;
            }
        }

        return true;
    }

    private static bool MatchesAny(List<string> path, string[] patterns) => patterns.Any(p => Matches(path, p));

    private static string Dotted(List<string> path) => string.Join('.', path);

    /// <summary>List syntax converted to mapping syntax at the paths merged as mappings; nothing else.</summary>
    private static ComposeNode Shape(ComposeNode node, List<string> path)
    {
        if (MatchesAny(path, KeyValuePaths))
        {
            return ToMapping(node, path, '=');
        }

        if (MatchesAny(path, ExtraHostsPaths))
        {
            return ToMapping(node, path, '=', ':');
        }

        if (Matches(path, "services.*.depends_on"))
        {
            return DependsOnToMapping(node);
        }

        if (Matches(path, "services.*.build") && node is ComposeScalar { IsNull: false } context)
        {
            // compose-go mergeBuild: the short syntax is the context.
            return new ComposeMapping([new ComposeMappingEntry("context", context.Line, context.Column, context)], context.File, context.Line, context.Column, context.Tag);
        }

        if (MatchesAny(path, StringOrListPaths) && node is ComposeScalar { IsNull: false } single)
        {
            // compose-go convertIntoSequence: a single string is a one-item list.
            return new ComposeSequence([single], single.File, single.Line, single.Column, single.Tag);
        }

        return Matches(path, "services.*.networks") ? ListToNullMapping(node, path) : node;
    }

    /// <summary>A node from a single source: resets dropped, list syntaxes normalised, unique lists de-duplicated.</summary>
    private static ComposeNode? Normalize(ComposeNode node, List<string> path)
    {
        if (node.IsReset)
        {
            return null;
        }

        node = Shape(node, path);
        switch (node)
        {
            case ComposeMapping mapping:
            {
                var entries = new List<ComposeMappingEntry>(mapping.Count);
                foreach (var entry in mapping.Entries)
                {
                    path.Add(entry.Key);
                    var value = entry.Key.StartsWith("x-", StringComparison.Ordinal) ? (entry.Value.IsReset ? null : entry.Value) : Normalize(entry.Value, path);
                    path.RemoveAt(path.Count - 1);
                    if (value is not null)
                    {
                        entries.Add(entry with { Value = value });
                    }
                }

                return new ComposeMapping(entries, mapping.File, mapping.Line, mapping.Column, mapping.Tag);
            }

            case ComposeSequence sequence:
                return Unique(sequence, path);
            default:
                return node;
        }
    }

    private static ComposeNode? MergeNode(ComposeNode @base, ComposeNode over, List<string> path)
    {
        if (over.IsReset)
        {
            return null;
        }

        if (over.IsOverride || MatchesAny(path, ReplacedPaths) || path.Count > 0 && path[^1].StartsWith("x-", StringComparison.Ordinal))
        {
            return Normalize(over, path);
        }

        // Only reshape here (list syntax to mapping); children are merged below, so that a !reset deeper
        // in the override still removes the base value.
        var left = Shape(@base, path);
        var right = Shape(over, path);

        if (Matches(path, "services.*.logging") && left is ComposeMapping l && right is ComposeMapping r
            && l["driver"] is ComposeScalar ld && r["driver"] is ComposeScalar rd && ld.Value != rd.Value)
        {
            return right;
        }

        switch (left)
        {
            case ComposeMapping baseMap:
                if (right is ComposeScalar { IsNull: true })
                {
                    return baseMap;
                }

                if (right is not ComposeMapping overMap)
                {
                    throw Incompatible(right, path);
                }

                return MergeMappings(baseMap, overMap, path);
            case ComposeSequence baseSeq:
                if (Normalize(right, path) is not ComposeSequence overSeq)
                {
                    throw Incompatible(right, path);
                }

                return Unique(new ComposeSequence([.. baseSeq.Items, .. overSeq.Items], baseSeq.File, baseSeq.Line, baseSeq.Column), path);
            default:
                return Normalize(right, path);
        }
    }

    private static ComposeFileException Incompatible(ComposeNode node, List<string> path) =>
        new(node.File, node.Line, node.Column, $"cannot override {Dotted(path)}: incompatible types");

    private static ComposeMapping MergeMappings(ComposeMapping @base, ComposeMapping over, List<string> path)
    {
        var entries = new List<ComposeMappingEntry>(@base.Count + over.Count);
        foreach (var entry in @base.Entries)
        {
            path.Add(entry.Key);
            var value = over.TryGetValue(entry.Key, out var o) ? MergeNode(entry.Value, o, path) : entry.Value;
            path.RemoveAt(path.Count - 1);
            if (value is not null)
            {
                entries.Add(entry with { Value = value });
            }
        }

        foreach (var entry in over.Entries)
        {
            if (@base.ContainsKey(entry.Key))
            {
                continue;
            }

            path.Add(entry.Key);
            var value = entry.Value.IsReset ? null : Normalize(entry.Value, path);
            path.RemoveAt(path.Count - 1);
            if (value is not null)
            {
                entries.Add(entry with { Value = value });
            }
        }

        return new ComposeMapping(entries, @base.File, @base.Line, @base.Column);
    }

    private static ComposeNode ToMapping(ComposeNode node, List<string> path, params char[] separators)
    {
        if (node is not ComposeSequence sequence)
        {
            return node;
        }

        var entries = new List<ComposeMappingEntry>();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var item in sequence.Items)
        {
            if (item is not ComposeScalar scalar)
            {
                throw new ComposeFileException(item.File, item.Line, item.Column, $"{Dotted(path)}: list entries must be strings");
            }

            var sep = scalar.Value.IndexOfAny(separators);
            var key = sep < 0 ? scalar.Value : scalar.Value[..sep];
            ComposeNode value = sep < 0
                ? new ComposeScalar("", ComposeScalarStyle.Plain, scalar.File, scalar.Line, scalar.Column)
                : new ComposeScalar(scalar.Value[(sep + 1)..], ComposeScalarStyle.DoubleQuoted, scalar.File, scalar.Line, scalar.Column);
            var entry = new ComposeMappingEntry(key, scalar.Line, scalar.Column, value);
            if (index.TryGetValue(key, out var at))
            {
                entries[at] = entry;
            }
            else
            {
                index[key] = entries.Count;
                entries.Add(entry);
            }
        }

        return new ComposeMapping(entries, sequence.File, sequence.Line, sequence.Column, sequence.Tag);
    }

    private static ComposeNode ListToNullMapping(ComposeNode node, List<string> path)
    {
        if (node is not ComposeSequence sequence)
        {
            return node;
        }

        var entries = new List<ComposeMappingEntry>();
        foreach (var item in sequence.Items)
        {
            if (item is not ComposeScalar scalar)
            {
                throw new ComposeFileException(item.File, item.Line, item.Column, $"{Dotted(path)}: list entries must be strings");
            }

            if (entries.All(e => e.Key != scalar.Value))
            {
                entries.Add(new ComposeMappingEntry(scalar.Value, scalar.Line, scalar.Column, new ComposeScalar("", ComposeScalarStyle.Plain, scalar.File, scalar.Line, scalar.Column)));
            }
        }

        return new ComposeMapping(entries, sequence.File, sequence.Line, sequence.Column, sequence.Tag);
    }

    private static ComposeNode DependsOnToMapping(ComposeNode node)
    {
        if (node is not ComposeSequence sequence)
        {
            return node;
        }

        var entries = new List<ComposeMappingEntry>();
        foreach (var item in sequence.Items)
        {
            if (item is not ComposeScalar scalar)
            {
                throw new ComposeFileException(item.File, item.Line, item.Column, "depends_on: list entries must be service names");
            }

            if (entries.Any(e => e.Key == scalar.Value))
            {
                continue;
            }

            ComposeScalar S(string v) => new(v, ComposeScalarStyle.Plain, scalar.File, scalar.Line, scalar.Column);
            var condition = new ComposeMapping(
                [
                    new ComposeMappingEntry("condition", scalar.Line, scalar.Column, S("service_started")),
                    new ComposeMappingEntry("required", scalar.Line, scalar.Column, S("true")),
                ],
                scalar.File,
                scalar.Line,
                scalar.Column);
            entries.Add(new ComposeMappingEntry(scalar.Value, scalar.Line, scalar.Column, condition));
        }

        return new ComposeMapping(entries, sequence.File, sequence.Line, sequence.Column, sequence.Tag);
    }

    private static ComposeSequence Unique(ComposeSequence sequence, List<string> path)
    {
        Func<ComposeNode, string?>? indexer = null;
        if (MatchesAny(path, UniqueValuePaths))
        {
            indexer = ValueKey;
        }
        else if (Matches(path, "services.*.ports"))
        {
            indexer = PortKey;
        }
        else if (Matches(path, "services.*.volumes"))
        {
            indexer = VolumeKey;
        }
        else if (Matches(path, "services.*.secrets"))
        {
            indexer = n => MountKey(n, "/run/secrets/");
        }
        else if (Matches(path, "services.*.configs"))
        {
            indexer = n => MountKey(n, "/");
        }

        if (indexer is null)
        {
            return sequence;
        }

        var items = new List<ComposeNode>(sequence.Items.Count);
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var item in sequence.Items)
        {
            var key = indexer(item);
            if (key is not null && index.TryGetValue(key, out var at))
            {
                items[at] = item;
                continue;
            }

            if (key is not null)
            {
                index[key] = items.Count;
            }

            items.Add(item);
        }

        return new ComposeSequence(items, sequence.File, sequence.Line, sequence.Column, sequence.Tag);
    }

    private static string? ValueKey(ComposeNode node) => node switch
    {
        ComposeScalar s => s.Value,
        ComposeMapping m when m["path"] is ComposeScalar p => p.Value,
        _ => null,
    };

    private static string? Str(ComposeMapping m, string key) => m[key] is ComposeScalar { IsNull: false } s ? s.Value : null;

    /// <summary>host_ip:published:target/protocol, as compose-go's port indexer.</summary>
    internal static string? PortKey(ComposeNode node)
    {
        switch (node)
        {
            case ComposeScalar s:
                try
                {
                    var ports = PortParser.ParseShort(s.Value);
                    return ports.Count == 1 ? Key(ports[0].HostIp, ports[0].Published, ports[0].Target.ToString(System.Globalization.CultureInfo.InvariantCulture), ports[0].Protocol) : s.Value;
                }
                catch (FormatException)
                {
                    return s.Value;
                }

            case ComposeMapping m:
                return Key(Str(m, "host_ip"), Str(m, "published"), Str(m, "target") ?? "", Str(m, "protocol") ?? "tcp");
            default:
                return null;
        }

        static string Key(string? hostIp, string? published, string target, string protocol) => $"{hostIp}:{published}:{target}/{protocol}";
    }

    private static string? VolumeKey(ComposeNode node) => node switch
    {
        ComposeScalar s => s.Value.Split(':') is { Length: >= 1 and <= 3 } parts ? parts[Math.Min(1, parts.Length - 1)] : s.Value,
        ComposeMapping m => Str(m, "target"),
        _ => null,
    };

    private static string? MountKey(ComposeNode node, string prefix) => node switch
    {
        ComposeScalar s => prefix + s.Value,
        ComposeMapping m => Str(m, "target") is { } t ? (t.StartsWith('/') ? t : prefix + t) : prefix + Str(m, "source"),
        _ => null,
    };
}
