using System.Globalization;

namespace Skiff.Compose.Local;

/// <summary>A container of the project as the engine reports it (from its compose labels).</summary>
public sealed record ObservedContainer(string Id, string Name, string Service, int Number, string ConfigHash, bool Running, bool OneOff)
{
    /// <summary>Reads the compose labels of a container; null when it is not one of <paramref name="project"/>'s.</summary>
    public static ObservedContainer? FromLabels(string id, string name, IReadOnlyDictionary<string, string> labels, string state, string project)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (!labels.TryGetValue(ComposeLabels.Project, out var p) || p != project || !labels.TryGetValue(ComposeLabels.Service, out var service))
        {
            return null;
        }

        var number = labels.TryGetValue(ComposeLabels.ContainerNumber, out var n) && int.TryParse(n, NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i : 0;
        return new ObservedContainer(
            id,
            name.TrimStart('/'),
            service,
            number,
            labels.GetValueOrDefault(ComposeLabels.ConfigHash, ""),
            state is "running" or "restarting" or "paused",
            labels.GetValueOrDefault(ComposeLabels.OneOff, "False") == "True");
    }
}

public enum ContainerActionKind
{
    /// <summary>Running with the wanted config: nothing to do.</summary>
    Keep,

    /// <summary>Exists with the wanted config but is stopped.</summary>
    Start,

    /// <summary>Config changed (or forced): remove and create again under the same number.</summary>
    Recreate,

    Create,

    /// <summary>Above the wanted scale: stop and remove (highest numbers go first, as compose).</summary>
    Remove,
}

public sealed record ContainerAction(ContainerActionKind Kind, int Number, ObservedContainer? Existing);

/// <summary>What `up` does to one service.</summary>
public sealed record ServicePlan(string Service, int Replicas, IReadOnlyList<ContainerAction> Actions);

public sealed record UpOptions
{
    public bool ForceRecreate { get; init; }

    public bool NoRecreate { get; init; }

    /// <summary><c>--scale svc=n</c> overrides.</summary>
    public IReadOnlyDictionary<string, int> Scale { get; init; } = new Dictionary<string, int>();
}

/// <summary>
/// `compose up` decisions (pure): which containers to keep, start, recreate, create or remove, per service in
/// start order; plus the warnings that the one-host model makes necessary. The CLI carries the plan out.
/// </summary>
public static class ComposePlanner
{
    /// <summary>Replicas for one host: <c>--scale</c>, else <c>deploy.replicas</c>, else <c>scale</c>, else 1.</summary>
    public static int Replicas(ServiceConfig service, UpOptions options, ICollection<string> warnings)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(warnings);
        var wanted = options.Scale.TryGetValue(service.Name, out var s) ? s : service.Deploy?.Replicas ?? service.Scale ?? 1;
        if (service.Deploy?.Mode is "global")
        {
            wanted = 1;
        }

        // One host has one port 5000: replicas that all publish the same fixed host port cannot all start
        // (compose v2 creates them and fails on the second; Skiff runs one and says why, before creating anything).
        var fixedPort = service.Ports.FirstOrDefault(p => p.Published is { } pub && !pub.Contains('-', StringComparison.Ordinal) && pub.Length > 0);
        if (wanted > 1 && fixedPort is not null)
        {
            warnings.Add($"service \"{service.Name}\": {wanted} replicas cannot all publish host port {fixedPort.Published} on one host; running 1 (publish a range such as \"{fixedPort.Published}-{int.Parse(fixedPort.Published!, CultureInfo.InvariantCulture) + wanted - 1}:{fixedPort.Target}\" to run {wanted}, or use `skiff stack deploy` on a swarm)");
            wanted = 1;
        }

        if (wanted > 1 && service.ContainerName is not null)
        {
            throw new ComposeEngineException($"services.{service.Name}: container_name \"{service.ContainerName}\" names one container, so the service cannot have {wanted} replicas");
        }

        return wanted;
    }

    /// <summary>
    /// What `compose up` on one host does not do with a service, one precise line per key (instead of compose
    /// v1's blanket "the deploy key will be ignored"): swarm-only deploy keys, and keys Skiff does not act on.
    /// </summary>
    public static IReadOnlyList<string> OneHostWarnings(ServiceConfig service)
    {
        ArgumentNullException.ThrowIfNull(service);
        var w = new List<string>();
        var prefix = $"service \"{service.Name}\": ";
        if (service.Secrets.Concat(service.Configs).Any(r => r.Uid is not null || r.Gid is not null || r.Mode is not null))
        {
            w.Add(prefix + "uid, gid and mode of secrets and configs apply in a swarm; on one host the file is bind-mounted read-only as it is");
        }

        if (service.Deploy is { } d)
        {
            if (d.Placement is not null)
            {
                w.Add(prefix + "deploy.placement places swarm tasks on nodes; ignored on one host");
            }

            if (d.UpdateConfig is not null)
            {
                w.Add(prefix + "deploy.update_config paces swarm rolling updates; on one host `up` recreates changed containers at once");
            }

            if (d.RollbackConfig is not null)
            {
                w.Add(prefix + "deploy.rollback_config applies to swarm rollbacks; ignored on one host");
            }

            if (d.EndpointMode is not null)
            {
                w.Add(prefix + "deploy.endpoint_mode applies to swarm services; ignored on one host");
            }

            if (d.Labels.Count > 0)
            {
                w.Add(prefix + "deploy.labels label the swarm service, not containers; ignored on one host (use labels)");
            }

            if (d.Mode is "global")
            {
                w.Add(prefix + "deploy.mode global means one container per node; one host runs one");
            }

            if (d.RestartPolicy is { } rp && (rp.Delay is not null || rp.Window is not null))
            {
                w.Add(prefix + "deploy.restart_policy delay and window are swarm settings; the local engine restarts with its own back-off");
            }

            if (d.Reservations?.NanoCpus is not null)
            {
                w.Add(prefix + "deploy.resources.reservations.cpus reserves CPU for swarm scheduling; ignored on one host");
            }
        }

        foreach (var link in service.Links.Where(l => l.Contains(':', StringComparison.Ordinal)))
        {
            w.Add(prefix + $"link alias in \"{link}\" is not supported; the service is reachable by its name (add a network alias for another name)");
        }

        foreach (var key in service.UnsupportedKeys)
        {
            w.Add(prefix + $"{key} is not supported by skiff and is ignored");
        }

        return w;
    }

    /// <summary>The actions for one service given its containers (one-off containers are ignored).</summary>
    public static ServicePlan PlanService(string service, int replicas, string hash, IEnumerable<ObservedContainer> containers, UpOptions options)
    {
        ArgumentNullException.ThrowIfNull(containers);
        ArgumentNullException.ThrowIfNull(options);
        var mine = containers.Where(c => c.Service == service && !c.OneOff).OrderBy(c => c.Number).ToList();
        var actions = new List<ContainerAction>();
        var keep = mine.Take(replicas).ToList();
        foreach (var c in keep)
        {
            var changed = options.ForceRecreate || (c.ConfigHash != hash && !options.NoRecreate);
            actions.Add(changed ? new ContainerAction(ContainerActionKind.Recreate, c.Number, c)
                : c.Running ? new ContainerAction(ContainerActionKind.Keep, c.Number, c)
                : new ContainerAction(ContainerActionKind.Start, c.Number, c));
        }

        // New containers take the lowest free numbers, as compose does after a scale down.
        var used = keep.Select(c => c.Number).ToHashSet();
        var next = 1;
        for (var i = keep.Count; i < replicas; i++)
        {
            while (used.Contains(next))
            {
                next++;
            }

            used.Add(next);
            actions.Add(new ContainerAction(ContainerActionKind.Create, next, null));
        }

        foreach (var c in mine.Skip(replicas).OrderByDescending(c => c.Number))
        {
            actions.Add(new ContainerAction(ContainerActionKind.Remove, c.Number, c));
        }

        return new ServicePlan(service, replicas, actions);
    }

    /// <summary>Containers of services no longer in the model (compose's "orphans").</summary>
    public static IReadOnlyList<ObservedContainer> Orphans(ComposeProject project, IEnumerable<ObservedContainer> containers)
    {
        ArgumentNullException.ThrowIfNull(project);
        var names = project.Services.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        return containers.Where(c => !names.Contains(c.Service) && !c.OneOff).ToList();
    }

    /// <summary>Compose's warning for orphans when <c>--remove-orphans</c> is not given.</summary>
    public static string OrphanWarning(IEnumerable<ObservedContainer> orphans) =>
        $"Found orphan containers ([{string.Join(' ', orphans.Select(o => o.Name))}]) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.";

    /// <summary>
    /// Services in start order (<see cref="ComposeGraph"/>: dependencies first, otherwise document order).
    /// <paramref name="selected"/> (empty = all) is closed over dependencies unless <paramref name="noDeps"/>.
    /// </summary>
    public static IReadOnlyList<ServiceConfig> StartOrder(ComposeProject project, IReadOnlyCollection<string> selected, bool noDeps)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(selected);
        foreach (var name in selected)
        {
            if (project.Service(name) is null)
            {
                throw new ComposeEngineException($"no such service: {name}");
            }
        }

        if (selected.Count == 0)
        {
            return ComposeGraph.StartOrder(project);
        }

        return noDeps
            ? ComposeGraph.StartOrder(project).Where(s => selected.Contains(s.Name)).ToList()
            : ComposeGraph.WithDependencies(project, selected);
    }

    /// <summary>A service's dependencies: its <c>depends_on</c>, which the loader has already extended with the
    /// implicit ones (links, <c>network_mode: service:</c>, <c>volumes_from</c>; see <see cref="ComposeGraph"/>).</summary>
    public static IReadOnlyList<string> Dependencies(ServiceConfig service)
    {
        ArgumentNullException.ThrowIfNull(service);
        return [.. service.DependsOn.Keys];
    }
}
