namespace Skiff.Compose;

/// <summary>
/// Rewrites the relative paths of a compose tree to absolute ones against a given directory: used for services
/// taken from another file by <c>extends.file</c> and for models brought in by <c>include</c>, whose paths are
/// relative to their own file or project directory rather than to the including project (compose-go's
/// <c>ResolveRelativePaths</c>). The fields: <c>build</c> / <c>build.context</c> (not URLs),
/// <c>build.additional_contexts</c>, <c>env_file</c>, <c>label_file</c>, bind sources in <c>volumes</c>
/// (short syntax starting with <c>.</c>, long syntax <c>type: bind</c>), and top-level <c>secrets</c>/<c>configs</c> <c>file</c>.
/// Paths starting with <c>~</c> are left to the typed loader, which expands the home directory.
/// </summary>
internal static class ComposePaths
{
    public static ComposeNode AbsolutizeModel(ComposeMapping model, string directory)
    {
        var entries = new List<ComposeMappingEntry>(model.Count);
        foreach (var entry in model.Entries)
        {
            var value = entry.Value;
            if (entry.Key == "services" && value is ComposeMapping services)
            {
                value = MapValues(services, s => Absolutize(s, directory));
            }
            else if (entry.Key is "secrets" or "configs" && value is ComposeMapping objects)
            {
                value = MapValues(objects, o => o is ComposeMapping om ? Field(om, "file", f => Abs(f, directory)) : o);
            }

            entries.Add(entry with { Value = value });
        }

        return new ComposeMapping(entries, model.File, model.Line, model.Column, model.Tag);
    }

    /// <summary>One service definition.</summary>
    public static ComposeNode Absolutize(ComposeNode service, string directory)
    {
        if (service is not ComposeMapping m)
        {
            return service;
        }

        var result = Field(m, "build", build => build switch
        {
            ComposeScalar s => Context(s, directory),
            ComposeMapping bm => Field(Field(bm, "context", c => c is ComposeScalar cs ? Context(cs, directory) : c), "additional_contexts", ac =>
                ac is ComposeMapping acm ? MapValues(acm, v => v is ComposeScalar vs ? Context(vs, directory) : v) : ac),
            _ => build,
        });
        result = Field(result, "env_file", ef => ef switch
        {
            ComposeScalar s => Abs(s, directory),
            ComposeSequence seq => Items(seq, i => i is ComposeMapping im ? Field(im, "path", p => Abs(p, directory)) : Abs(i, directory)),
            _ => ef,
        });
        result = Field(result, "label_file", lf => lf is ComposeSequence seq ? Items(seq, i => Abs(i, directory)) : Abs(lf, directory));
        return Field(result, "volumes", volumes => volumes is ComposeSequence seq ? Items(seq, v => Volume(v, directory)) : volumes);
    }

    /// <summary>Same content, ignoring positions, tags and mapping order.</summary>
    public static bool DeepEquals(ComposeNode a, ComposeNode b) => (a, b) switch
    {
        (ComposeScalar x, ComposeScalar y) => x.IsNull == y.IsNull && (x.IsNull || x.Value == y.Value),
        (ComposeSequence x, ComposeSequence y) => x.Items.Count == y.Items.Count && x.Items.Zip(y.Items).All(p => DeepEquals(p.First, p.Second)),
        (ComposeMapping x, ComposeMapping y) => x.Count == y.Count && x.Entries.All(e => y[e.Key] is { } other && DeepEquals(e.Value, other)),
        _ => false,
    };

    private static ComposeNode Volume(ComposeNode volume, string directory)
    {
        switch (volume)
        {
            case ComposeScalar s:
                string? source;
                try
                {
                    source = VolumeParser.SplitShort(s.Value).Source;
                }
                catch (FormatException)
                {
                    return s; // the typed loader reports it with its position
                }

                if (source is not null && (source == "." || source == ".." || source.StartsWith("./", StringComparison.Ordinal) || source.StartsWith("../", StringComparison.Ordinal)))
                {
                    return s.WithValue(Path.GetFullPath(source, directory) + s.Value[source.Length..]);
                }

                return s;
            case ComposeMapping m when m["type"] is ComposeScalar { Value: "bind" }:
                return Field(m, "source", src => Abs(src, directory));
            default:
                return volume;
        }
    }

    private static ComposeNode Context(ComposeScalar context, string directory)
    {
        var v = context.Value;

        // Remote contexts (git URLs, https://, docker-image://, service:, oci-layout://) are not paths.
        return v.Contains("://", StringComparison.Ordinal) || v.StartsWith("git@", StringComparison.Ordinal) || v.StartsWith("service:", StringComparison.Ordinal)
            ? context
            : Abs(context, directory);
    }

    private static ComposeNode Abs(ComposeNode node, string directory) =>
        node is ComposeScalar { IsNull: false } s && s.Value.Length > 0 && !Path.IsPathRooted(s.Value) && !s.Value.StartsWith('~')
            ? s.WithValue(Path.GetFullPath(s.Value, directory))
            : node;

    private static ComposeMapping Field(ComposeMapping m, string key, Func<ComposeNode, ComposeNode> rewrite)
    {
        if (m[key] is not { } value)
        {
            return m;
        }

        var rewritten = rewrite(value);
        return ReferenceEquals(rewritten, value)
            ? m
            : new ComposeMapping([.. m.Entries.Select(e => e.Key == key ? e with { Value = rewritten } : e)], m.File, m.Line, m.Column, m.Tag);
    }

    private static ComposeMapping MapValues(ComposeMapping m, Func<ComposeNode, ComposeNode> rewrite) =>
        new([.. m.Entries.Select(e => e with { Value = rewrite(e.Value) })], m.File, m.Line, m.Column, m.Tag);

    private static ComposeSequence Items(ComposeSequence s, Func<ComposeNode, ComposeNode> rewrite) =>
        new([.. s.Items.Select(rewrite)], s.File, s.Line, s.Column, s.Tag);
}
