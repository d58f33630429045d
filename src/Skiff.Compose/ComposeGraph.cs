namespace Skiff.Compose;

/// <summary>
/// Service dependencies: the implicit ones compose-go adds to <c>depends_on</c> (<c>links</c>,
/// <c>network_mode: service:x</c>, <c>volumes_from: [x]</c>), checks (undefined services, cycles, dependencies
/// disabled by profiles), profile selection, and the start order the CLI walks.
/// </summary>
public static class ComposeGraph
{
    public const string ServicePrefix = "service:";
    public const string ContainerPrefix = "container:";

    /// <summary>
    /// Every service after its dependencies: repeatedly the first service in document order whose dependencies are
    /// all placed (Kahn's order with document order as the tie-break, so <c>up</c> follows the file where nothing
    /// forces another order). Dependencies on services that are not in the project (optional ones disabled by
    /// profiles) are ignored.
    /// </summary>
    public static IReadOnlyList<ServiceConfig> StartOrder(ComposeProject project)
    {
        ArgumentNullException.ThrowIfNull(project);
        return Order(project.Services);
    }

    /// <summary>The named services and everything they depend on, transitively, in start order.</summary>
    /// <exception cref="ComposeFileException">A name that is not a service of the project: <c>no such service: x</c>.</exception>
    public static IReadOnlyList<ServiceConfig> WithDependencies(ComposeProject project, IEnumerable<string> names)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(names);
        var byName = project.Services.ToDictionary(s => s.Name, StringComparer.Ordinal);
        var selected = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>();
        foreach (var name in names)
        {
            if (!byName.ContainsKey(name))
            {
                throw new ComposeFileException($"no such service: {name}");
            }

            pending.Push(name);
        }

        while (pending.TryPop(out var name))
        {
            if (!selected.Add(name))
            {
                continue;
            }

            foreach (var dependency in byName[name].DependsOn.Keys.Where(byName.ContainsKey))
            {
                pending.Push(dependency);
            }
        }

        return Order(project.Services.Where(s => selected.Contains(s.Name)).ToList());
    }

    private static List<ServiceConfig> Order(IReadOnlyList<ServiceConfig> services)
    {
        var present = services.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        var placed = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<ServiceConfig>(services.Count);
        while (result.Count < services.Count)
        {
            // The first service in document order whose dependencies are all placed; the loader rejected cycles.
            var next = services.FirstOrDefault(s => !placed.Contains(s.Name) && s.DependsOn.Keys.All(d => placed.Contains(d) || !present.Contains(d)))
                ?? throw new InvalidOperationException("dependency cycle among " + string.Join(", ", services.Where(s => !placed.Contains(s.Name)).Select(s => s.Name)));
            placed.Add(next.Name);
            result.Add(next);
        }

        return result;
    }

    /// <summary>Adds <c>links</c>, <c>network_mode: service:x</c> and <c>volumes_from</c> targets to <c>depends_on</c>, as compose-go's normalisation does.</summary>
    /// <exception cref="ComposeFileException">The target is not a service of the project.</exception>
    internal static void AddImplicitDependencies(Dictionary<string, ServiceDependency> dependsOn, ComposeMapping service, string name, HashSet<string> services)
    {
        void Add(ComposeNode at, string target)
        {
            if (!services.Contains(target))
            {
                throw new ComposeFileException(at.File, at.Line, at.Column, $"service \"{name}\" depends on undefined service \"{target}\": invalid compose project");
            }

            dependsOn.TryAdd(target, new ServiceDependency("service_started", true, false));
        }

        if (service["links"] is ComposeSequence links)
        {
            foreach (var link in links.Items.OfType<ComposeScalar>())
            {
                Add(link, link.Value.Split(':')[0]);
            }
        }

        if (service["network_mode"] is ComposeScalar mode && mode.Value.StartsWith(ServicePrefix, StringComparison.Ordinal))
        {
            Add(mode, mode.Value[ServicePrefix.Length..]);
        }

        if (service["volumes_from"] is ComposeSequence volumesFrom)
        {
            foreach (var from in volumesFrom.Items.OfType<ComposeScalar>().Where(f => !f.Value.StartsWith(ContainerPrefix, StringComparison.Ordinal)))
            {
                Add(from, from.Value.Split(':')[0]);
            }
        }
    }

    /// <summary>Service <c>secrets</c> and <c>configs</c> must name top-level ones (compose-go's consistency check).</summary>
    /// <exception cref="ComposeFileException"><c>service "web" refers to undefined secret x: invalid compose project</c>.</exception>
    internal static void CheckFileObjectReferences(ComposeMapping? services, ComposeMapping tree)
    {
        foreach (var service in services?.Entries ?? [])
        {
            foreach (var (section, noun) in new[] { ("secrets", "secret"), ("configs", "config") })
            {
                if (service.Value is not ComposeMapping m || m[section] is not ComposeSequence references)
                {
                    continue;
                }

                var declared = tree[section] as ComposeMapping;
                foreach (var reference in references.Items)
                {
                    var source = reference switch
                    {
                        ComposeScalar s => s.Value,
                        ComposeMapping rm when rm["source"] is ComposeScalar src => src.Value,
                        _ => null,
                    };
                    if (source is not null && declared?.ContainsKey(source) != true)
                    {
                        throw new ComposeFileException(reference.File, reference.Line, reference.Column, $"service \"{service.Key}\" refers to undefined {noun} {source}: invalid compose project");
                    }
                }
            }
        }
    }

    /// <summary>Rejects <c>depends_on</c> cycles (including implicit dependencies), naming the chain.</summary>
    internal static void CheckCycles(IReadOnlyList<ServiceConfig> services, ComposeMapping? nodes)
    {
        var byName = services.ToDictionary(s => s.Name, StringComparer.Ordinal);
        var done = new HashSet<string>(StringComparer.Ordinal);
        var stack = new List<string>();

        void Visit(string name)
        {
            if (done.Contains(name))
            {
                return;
            }

            var at = stack.IndexOf(name);
            if (at >= 0)
            {
                var cycle = string.Join(" -> ", stack.Skip(at).Append(name));
                var node = nodes?[stack[at]] is ComposeMapping m ? (ComposeNode?)m["depends_on"] ?? m : nodes?[stack[at]];
                var message = $"dependency cycle detected: {cycle}";
                throw node is null ? new ComposeFileException(message) : new ComposeFileException(node.File, node.Line, node.Column, message);
            }

            stack.Add(name);
            foreach (var dependency in byName[name].DependsOn.Keys.Where(byName.ContainsKey))
            {
                Visit(dependency);
            }

            stack.RemoveAt(stack.Count - 1);
            done.Add(name);
        }

        foreach (var service in services)
        {
            Visit(service.Name);
        }
    }

    /// <summary>
    /// compose's profile rules: a service without <c>profiles</c> is enabled; one with profiles is enabled when one
    /// of them is active (<c>*</c> activates all) or when it is named explicitly (its profiles then become active).
    /// Required dependencies of enabled services must be enabled too.
    /// </summary>
    /// <exception cref="ComposeFileException">An explicit name is not a service; a required dependency is disabled.</exception>
    internal static List<ServiceConfig> EnabledServices(IReadOnlyList<ServiceConfig> services, IReadOnlyList<string> profiles, IReadOnlyList<string> explicitServices, ComposeMapping? nodes)
    {
        var byName = services.ToDictionary(s => s.Name, StringComparer.Ordinal);
        var active = new HashSet<string>(profiles, StringComparer.Ordinal);
        foreach (var name in explicitServices)
        {
            if (!byName.TryGetValue(name, out var service))
            {
                throw new ComposeFileException($"no such service: {name}");
            }

            active.UnionWith(service.Profiles);
        }

        var enabled = services.Where(s => s.Profiles.Count == 0 || active.Contains("*") || s.Profiles.Any(active.Contains) || explicitServices.Contains(s.Name)).ToList();
        var enabledNames = enabled.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var service in enabled)
        {
            foreach (var (dependency, spec) in service.DependsOn)
            {
                if (spec.Required && !enabledNames.Contains(dependency))
                {
                    var message = $"service \"{dependency}\" was pulled in as a dependency of service \"{service.Name}\" but is not enabled by the active profiles. "
                        + $"You may fix this by adding a common profile to \"{dependency}\" and \"{service.Name}\".";
                    var node = nodes?[service.Name] is ComposeMapping m ? (ComposeNode?)m["depends_on"] ?? m : null;
                    throw node is null ? new ComposeFileException(message) : new ComposeFileException(node.File, node.Line, node.Column, message);
                }
            }
        }

        return enabled;
    }
}
