namespace Skiff.Compose;

/// <summary>
/// From compose files to one merged tree, in compose-go's order for each document: parse, interpolate, validate
/// against the schema (<see cref="ComposeSchema"/>), resolve <c>extends</c>, import <c>include</c>d projects;
/// then merge the documents of all files (<see cref="ComposeMerger"/>).
/// <para>
/// Paths: the main files' relative paths stay relative (the typed loader resolves them against the project
/// directory). A service taken from another file by <c>extends.file</c> and everything an <c>include</c> brings
/// in have their relative paths made absolute against that file's directory (extends) or the included project's
/// directory (include) before they join the document, as compose-go does, so they keep pointing where their
/// author meant.
/// </para>
/// </summary>
internal sealed class ComposeModelLoader
{
    private readonly Func<string, string> _readFile;
    private readonly string? _home;
    private readonly List<string> _warnings;
    private readonly List<Interpolation> _interpolations = [];

    public ComposeModelLoader(Func<string, string> readFile, string? home, List<string> warnings)
    {
        _readFile = readFile;
        _home = home;
        _warnings = warnings;
    }

    /// <summary>Names of unset variables met in any file (main, included, extended), first use first.</summary>
    public IEnumerable<string> UnsetVariables => _interpolations.SelectMany(i => i.UnsetVariables).Distinct(StringComparer.Ordinal);

    /// <param name="workingDirectory">Where <c>include</c> paths of these files are resolved.</param>
    /// <param name="includeChain">Absolute paths of the files that included these, outermost first (cycle detection).</param>
    public ComposeMapping Load(IReadOnlyList<ComposeFileSource> files, string workingDirectory, Func<string, string?> lookup, IReadOnlyList<string> includeChain)
    {
        var interpolation = new Interpolation(lookup);
        _interpolations.Add(interpolation);
        var documents = new List<ComposeMapping>();
        foreach (var file in files)
        {
            var path = Path.GetFullPath(file.FileName, workingDirectory);
            foreach (var document in Read(file, interpolation))
            {
                var extended = ApplyExtends(document, path, interpolation);
                documents.Add(ApplyInclude(extended, workingDirectory, lookup, [.. includeChain, path]));
            }
        }

        return ComposeMerger.Merge(documents);
    }

    /// <summary>Parses, warns about <c>version</c>, interpolates and validates each document of one file.</summary>
    private List<ComposeMapping> Read(ComposeFileSource file, Interpolation interpolation)
    {
        var result = new List<ComposeMapping>();
        foreach (var document in YamlLoader.LoadDocuments(file.Content, file.FileName))
        {
            if (document.ContainsKey("version"))
            {
                _warnings.Add($"{file.FileName}: {ComposeProjectLoader.VersionObsoleteWarning}");
            }

            ComposeMapping interpolated;
            try
            {
                interpolated = (ComposeMapping)interpolation.Apply(document);
            }
            catch (InterpolationException e)
            {
                // One line with the position, like every other load error; the details stay on the inner exception.
                throw new ComposeFileException(e.File ?? file.FileName, e.Line, e.Column, e.Message, e);
            }

            ComposeSchema.Validate(interpolated);
            result.Add(interpolated);
        }

        return result;
    }

    private ComposeFileSource ReadSource(string path, ComposeNode at, string what)
    {
        try
        {
            return new ComposeFileSource(path, _readFile(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var reason = e is FileNotFoundException or DirectoryNotFoundException ? "no such file or directory" : e.Message;
            throw new ComposeFileException(at.File, at.Line, at.Column, $"{what}: open {path}: {reason}", e);
        }
    }

    // ---- extends -------------------------------------------------------------------------------------------

    private sealed record ServiceRef(string File, string Service)
    {
        public override string ToString() => $"{Service} in {File}";
    }

    private ComposeMapping ApplyExtends(ComposeMapping document, string file, Interpolation interpolation)
    {
        if (document["services"] is not ComposeMapping services || !services.Entries.Any(e => e.Value is ComposeMapping m && m.ContainsKey("extends")))
        {
            return document;
        }

        var resolved = new Dictionary<string, ComposeNode>(StringComparer.Ordinal);
        var entries = services.Entries.Select(e => e with { Value = Extend(e.Key, services, file, interpolation, [], resolved) }).ToList();
        return Replace(document, "services", new ComposeMapping(entries, services.File, services.Line, services.Column, services.Tag));
    }

    /// <summary>The service with its <c>extends</c> chain merged in (base first, then the service, by the merge rules).</summary>
    private ComposeNode Extend(string name, ComposeMapping services, string file, Interpolation interpolation, List<ServiceRef> chain, Dictionary<string, ComposeNode> resolved)
    {
        var node = services[name]!;
        if (node is not ComposeMapping service || service["extends"] is not { } extends)
        {
            return node;
        }

        if (resolved.TryGetValue(name, out var done))
        {
            return done;
        }

        var self = new ServiceRef(file, name);
        if (chain.Contains(self))
        {
            var cycle = string.Join(" extends ", chain.Skip(chain.IndexOf(self)).Append(self));
            throw new ComposeFileException(extends.File, extends.Line, extends.Column, $"Circular reference: {cycle}");
        }

        var (reference, otherFile) = extends switch
        {
            ComposeScalar s => (s.Value, null),
            ComposeMapping m => (m["service"] is ComposeScalar sv ? sv.Value : "", m["file"] is ComposeScalar { IsNull: false } fv ? fv.Value : null),
            _ => throw new ComposeFileException(extends.File, extends.Line, extends.Column, $"services.{name}.extends must be a string or a mapping"),
        };

        ComposeNode baseNode;
        var nextChain = new List<ServiceRef>(chain) { self };
        if (otherFile is null)
        {
            if (!services.ContainsKey(reference))
            {
                throw NotFound(extends, name, file, reference);
            }

            baseNode = Extend(reference, services, file, interpolation, nextChain, resolved);
        }
        else
        {
            var at = ((ComposeMapping)extends)["file"]!;
            var path = VolumeParser.ResolvePath(otherFile, Path.GetDirectoryName(file)!, _home);
            var documents = Read(ReadSource(path, at, $"services.{name}.extends.file"), interpolation);
            var other = ComposeMerger.Merge(documents);
            if (other["services"] is not ComposeMapping otherServices || !otherServices.ContainsKey(reference))
            {
                throw NotFound(extends, name, path, reference);
            }

            baseNode = Extend(reference, otherServices, path, interpolation, nextChain, []);
            baseNode = ComposePaths.Absolutize(baseNode, Path.GetDirectoryName(path)!);
        }

        var derived = new ComposeMapping([.. service.Entries.Where(e => e.Key != "extends")], service.File, service.Line, service.Column, service.Tag);
        var merged = MergeService(baseNode, derived);
        resolved[name] = merged;
        return merged;
    }

    private static ComposeFileException NotFound(ComposeNode at, string name, string file, string reference) =>
        new(at.File, at.Line, at.Column, $"cannot extend service \"{name}\" in {file}: service \"{reference}\" not found");

    /// <summary>The extended service's attributes over the base's, through the same per-path rules as file merging.</summary>
    private static ComposeNode MergeService(ComposeNode @base, ComposeMapping derived)
    {
        static ComposeMapping Wrap(ComposeNode service) =>
            new([new ComposeMappingEntry("services", service.Line, service.Column, new ComposeMapping([new ComposeMappingEntry("x", service.Line, service.Column, service)], service.File, service.Line, service.Column))], service.File, service.Line, service.Column);

        var baseService = @base is ComposeScalar { IsNull: true } ? new ComposeMapping([], @base.File, @base.Line, @base.Column) : @base;
        var merged = ComposeMerger.Merge(Wrap(baseService), Wrap(derived));
        var result = ((ComposeMapping)merged["services"]!)["x"]!;

        // The merge keeps the base's position; errors about the service should point at the service that extends.
        return result is ComposeMapping m ? new ComposeMapping(m.Entries, derived.File, derived.Line, derived.Column) : result;
    }

    // ---- include -------------------------------------------------------------------------------------------

    private static readonly string[] ImportedSections = ["services", "networks", "volumes", "secrets", "configs"];

    private static readonly Dictionary<string, string> SectionNoun = new(StringComparer.Ordinal)
    {
        ["services"] = "service", ["networks"] = "network", ["volumes"] = "volume", ["secrets"] = "secret", ["configs"] = "config",
    };

    private ComposeMapping ApplyInclude(ComposeMapping document, string workingDirectory, Func<string, string?> lookup, IReadOnlyList<string> chain)
    {
        if (document["include"] is not ComposeSequence includes)
        {
            return document;
        }

        var sections = ImportedSections.ToDictionary(s => s, s => document[s] is ComposeMapping m ? m.Entries.ToList() : [], StringComparer.Ordinal);
        foreach (var entry in includes.Items)
        {
            var (paths, projectDirectory, envFiles) = IncludeEntry(entry, workingDirectory);
            foreach (var path in paths)
            {
                if (chain.Contains(path))
                {
                    var cycle = string.Join(" -> ", chain.Skip(chain.ToList().IndexOf(path)).Append(path));
                    throw new ComposeFileException(entry.File, entry.Line, entry.Column, $"include cycle detected: {cycle}");
                }
            }

            var environment = ReadEnvFiles(envFiles, entry, lookup);

            // compose-go: the included project's env files give defaults; the environment wins over them.
            string? IncludedLookup(string name) => lookup(name) ?? (environment.TryGetValue(name, out var v) ? v : null);
            var sources = paths.Select(p => ReadSource(p, entry, "include")).ToList();
            var imported = (ComposeMapping)ComposePaths.AbsolutizeModel(Load(sources, projectDirectory, IncludedLookup, chain), projectDirectory);
            var shown = "[" + string.Join(' ', paths) + "]";
            foreach (var section in ImportedSections)
            {
                if (imported[section] is not ComposeMapping resources)
                {
                    continue;
                }

                var local = sections[section];
                foreach (var resource in resources.Entries)
                {
                    var existing = local.FindIndex(e => e.Key == resource.Key);
                    if (existing < 0)
                    {
                        local.Add(resource);
                    }
                    else if (!ComposePaths.DeepEquals(local[existing].Value, resource.Value))
                    {
                        // The same resource reached twice (a diamond of includes) is fine; a different one is not.
                        throw new ComposeFileException(entry.File, entry.Line, entry.Column, $"imported compose file {shown} defines conflicting {SectionNoun[section]} {resource.Key}");
                    }
                }
            }
        }

        var result = new List<ComposeMappingEntry>();
        foreach (var e in document.Entries.Where(e => e.Key != "include"))
        {
            result.Add(sections.TryGetValue(e.Key, out var merged) ? e with { Value = new ComposeMapping(merged, e.Value.File, e.Value.Line, e.Value.Column) } : e);
        }

        foreach (var section in ImportedSections.Where(s => !document.ContainsKey(s) && sections[s].Count > 0))
        {
            result.Add(new ComposeMappingEntry(section, includes.Line, includes.Column, new ComposeMapping(sections[section], includes.File, includes.Line, includes.Column)));
        }

        return new ComposeMapping(result, document.File, document.Line, document.Column, document.Tag);
    }

    /// <summary>An include entry's files (absolute), project directory (default: the first file's) and env files (default: its <c>.env</c>).</summary>
    private (List<string> Paths, string ProjectDirectory, List<string> EnvFiles) IncludeEntry(ComposeNode entry, string workingDirectory)
    {
        string Abs(string p) => VolumeParser.ResolvePath(p, workingDirectory, _home);
        static List<string> List(ComposeNode? node) => node switch
        {
            ComposeScalar { IsNull: false } s => [s.Value],
            ComposeSequence seq => seq.Items.OfType<ComposeScalar>().Select(s => s.Value).ToList(),
            _ => [],
        };

        var mapping = entry as ComposeMapping;
        var paths = (mapping is null ? List(entry) : List(mapping["path"])).Select(Abs).ToList();
        if (paths.Count == 0)
        {
            throw new ComposeFileException(entry.File, entry.Line, entry.Column, "include: path is required");
        }

        var projectDirectory = mapping?["project_directory"] is ComposeScalar { IsNull: false } pd ? Abs(pd.Value) : Path.GetDirectoryName(paths[0])!;
        var envFiles = mapping?["env_file"] is { } ef ? List(ef).Select(Abs).ToList() : null;
        if (envFiles is null)
        {
            var dotEnv = Path.Combine(projectDirectory, ".env");
            envFiles = Exists(dotEnv) ? [dotEnv] : [];
        }

        return (paths, projectDirectory, envFiles);
    }

    /// <summary>Through <see cref="_readFile"/>, so that tests and callers with their own file access see the same files.</summary>
    private bool Exists(string path)
    {
        try
        {
            _readFile(path);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private Dictionary<string, string> ReadEnvFiles(List<string> files, ComposeNode at, Func<string, string?> lookup)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            var source = ReadSource(file, at, "include.env_file");
            try
            {
                foreach (var (key, value) in DotEnv.Parse(source.Content, file, k => result.TryGetValue(k, out var v) ? v : lookup(k)))
                {
                    result[key] = value;
                }
            }
            catch (DotEnvException e)
            {
                throw new ComposeFileException(at.File, at.Line, at.Column, $"include.env_file: {e.Message}", e);
            }
        }

        return result;
    }

    private static ComposeMapping Replace(ComposeMapping mapping, string key, ComposeNode value) =>
        new([.. mapping.Entries.Select(e => e.Key == key ? e with { Value = value } : e)], mapping.File, mapping.Line, mapping.Column, mapping.Tag);
}
