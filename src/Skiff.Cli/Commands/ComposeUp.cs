using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Skiff.Api;
using Skiff.Cli.Connection;
using Skiff.Compose;
using Skiff.Compose.Local;

namespace Skiff.Cli.Commands;

/// <summary><c>compose up</c>, <c>down</c>, <c>start</c>, <c>stop</c>, <c>restart</c>.</summary>
internal static partial class ComposeCommands
{
    private static Command Up(CliContext ctx, ProjectOptions po)
    {
        var cmd = Common.Cmd("up", "Create and start containers");
        var detach = Common.Flag("--detach", "-d", "Detached mode: Run containers in the background");
        var build = Common.Flag("--build", null, "Build images before starting containers");
        var noBuild = Common.Flag("--no-build", null, "Don't build an image, even if it's policy");
        var scale = Common.List("--scale", null, "Scale SERVICE to NUM instances. Overrides the scale setting in the Compose file if present.");
        var wait = Common.Flag("--wait", null, "Wait for services to be running|healthy. Implies detached mode.");
        var waitTimeout = Common.Int("--wait-timeout", null, "Maximum duration in seconds to wait for the project to be running|healthy");
        var removeOrphans = Common.Flag("--remove-orphans", null, "Remove containers for services not defined in the Compose file");
        var noDeps = Common.Flag("--no-deps", null, "Don't start linked services");
        var forceRecreate = Common.Flag("--force-recreate", null, "Recreate containers even if their configuration and image haven't changed");
        var noRecreate = Common.Flag("--no-recreate", null, "If containers already exist, don't recreate them. Incompatible with --force-recreate.");
        var noStart = Common.Flag("--no-start", null, "Don't start the services after creating them");
        var timeout = Common.Int("--timeout", "-t", "Use this timeout in seconds for container shutdown when attached or when containers are already running");
        var services = Common.Args("SERVICE", 0);
        foreach (var o in new Option[] { detach, build, noBuild, scale, wait, waitTimeout, removeOrphans, noDeps, forceRecreate, noRecreate, noStart, timeout })
        {
            cmd.Options.Add(o);
        }

        cmd.Arguments.Add(services);
        cmd.SetAction(async (pr, ct) =>
        {
            if (pr.GetValue(forceRecreate) && pr.GetValue(noRecreate))
            {
                throw new CliException("--force-recreate and --no-recreate are incompatible");
            }

            if (pr.GetValue(build) && pr.GetValue(noBuild))
            {
                throw new CliException("--build and --no-build are incompatible");
            }

            var scales = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var s in pr.GetValue(scale) ?? [])
            {
                var eq = s.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0 || !int.TryParse(s[(eq + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                {
                    throw new CliException($"invalid --scale value \"{s}\": expected SERVICE=NUM");
                }

                scales[s[..eq]] = n;
            }

            var loaded = Load(pr, ctx, po, services: pr.GetValue(services));
            var options = new UpOptions { ForceRecreate = pr.GetValue(forceRecreate), NoRecreate = pr.GetValue(noRecreate), Scale = scales };
            var selected = pr.GetValue(services) ?? [];
            var started = await UpAsync(ctx, loaded, selected, options, pr.GetValue(noDeps), pr.GetValue(removeOrphans), pr.GetValue(build), pr.GetValue(noBuild), !pr.GetValue(noStart), ct);
            if (pr.GetValue(wait))
            {
                // Services others wait on to complete may exit (0) without failing the wait, as in compose.
                var jobs = loaded.Project.Services.SelectMany(s => s.DependsOn)
                    .Where(d => d.Value.Condition == "service_completed_successfully")
                    .Select(d => d.Key)
                    .ToHashSet(StringComparer.Ordinal);
                await WaitHealthyAsync(ctx, started, jobs, TimeSpan.FromSeconds(pr.GetValue(waitTimeout) ?? 3600), ct);
                return 0;
            }

            if (pr.GetValue(detach) || pr.GetValue(noStart))
            {
                return 0;
            }

            return await AttachAsync(ctx, started, pr.GetValue(timeout), ct);
        });
        return cmd;
    }

    /// <summary>A container `up` left running (name and id), for <c>--wait</c> and the attached mode.</summary>
    private sealed record UpContainer(string Id, string Name, string Service);

    private static async Task<List<UpContainer>> UpAsync(
        CliContext ctx, Loaded loaded, IReadOnlyCollection<string> selected, UpOptions options, bool noDeps, bool removeOrphans, bool forceBuild, bool noBuild, bool start, CancellationToken ct)
    {
        var project = loaded.Project;
        IReadOnlyList<ServiceConfig> order;
        var warnings = new List<string>();
        var replicas = new Dictionary<string, int>(StringComparer.Ordinal);
        try
        {
            order = ComposePlanner.StartOrder(project, selected, noDeps);
            foreach (var s in order)
            {
                replicas[s.Name] = ComposePlanner.Replicas(s, options, warnings);
                warnings.AddRange(ComposePlanner.OneHostWarnings(s));
            }
        }
        catch (ComposeEngineException e)
        {
            throw new CliException(e.Message);
        }

        foreach (var w in warnings)
        {
            Warn(ctx, w);
        }

        // Images first: nothing is created when one cannot be built or found.
        var images = new Dictionary<string, (string Ref, string Id)>(StringComparer.Ordinal);
        foreach (var s in order)
        {
            images[s.Name] = await EnsureImageAsync(ctx, project, s, forceBuild, noBuild, ct);
        }

        var existing = await ProjectContainersAsync(ctx, project.Name, all: true, ct);
        var observed = existing.Select(c => Observe(c, project.Name)).OfType<ObservedContainer>().ToList();
        var orphans = ComposePlanner.Orphans(project, observed);
        if (orphans.Count > 0 && !removeOrphans)
        {
            Warn(ctx, ComposePlanner.OrphanWarning(orphans));
        }

        await EnsureNetworksAsync(ctx, project, order, ct);
        await EnsureVolumesAsync(ctx, project, order, ct);
        if (removeOrphans)
        {
            foreach (var o in orphans)
            {
                await RemoveContainerAsync(ctx, o.Id, o.Name, null, ct);
            }
        }

        var result = new List<UpContainer>();
        var firstOfService = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var o in observed.Where(o => !o.OneOff).OrderBy(o => o.Number))
        {
            firstOfService.TryAdd(o.Service, o.Name);
        }

        foreach (var service in order)
        {
            await WaitForDependenciesAsync(ctx, project, service, firstOfService, ct);
            var context = new ContainerContext(
                images[service.Name].Ref,
                images[service.Name].Id,
                ServiceEnvironment(service, loaded.Lookup),
                loaded.ConfigFiles,
                s => firstOfService.GetValueOrDefault(s));
            ContainerCreateRequest template;
            string hash;
            try
            {
                (template, hash) = ContainerSpecBuilder.Template(project, service, context);
            }
            catch (ComposeEngineException e)
            {
                throw new CliException(e.Message);
            }

            var plan = ComposePlanner.PlanService(service.Name, replicas[service.Name], hash, observed, options);
            var toStart = new List<UpContainer>();
            foreach (var action in plan.Actions)
            {
                var name = ContainerSpecBuilder.ContainerName(project, service, action.Number);
                switch (action.Kind)
                {
                    case ContainerActionKind.Keep:
                        Progress(ctx, "Container", name, "Running");
                        result.Add(new UpContainer(action.Existing!.Id, name, service.Name));
                        break;
                    case ContainerActionKind.Start:
                        Progress(ctx, "Container", name, "Created");
                        toStart.Add(new UpContainer(action.Existing!.Id, name, service.Name));
                        break;
                    case ContainerActionKind.Recreate:
                        Progress(ctx, "Container", name, "Recreate");
                        await StopRemoveQuietAsync(ctx, action.Existing!.Id, service.StopGracePeriod, ct);
                        toStart.Add(new UpContainer(await CreateAsync(ctx, project, service, template, hash, action.Number, name, ct), name, service.Name));
                        Progress(ctx, "Container", name, "Recreated");
                        break;
                    case ContainerActionKind.Create:
                        Progress(ctx, "Container", name, "Creating");
                        toStart.Add(new UpContainer(await CreateAsync(ctx, project, service, template, hash, action.Number, name, ct), name, service.Name));
                        Progress(ctx, "Container", name, "Created");
                        break;
                    case ContainerActionKind.Remove:
                        await RemoveContainerAsync(ctx, action.Existing!.Id, name, service.StopGracePeriod, ct);
                        break;
                }

                if (action.Kind != ContainerActionKind.Remove)
                {
                    firstOfService.TryAdd(service.Name, name);
                }
            }

            if (start)
            {
                foreach (var c in toStart)
                {
                    Progress(ctx, "Container", c.Name, "Starting");
                    await ctx.Client.PostAsync($"/containers/{Common.Escape(c.Id)}/start", ct: ct);
                    Progress(ctx, "Container", c.Name, "Started");
                }
            }

            result.AddRange(toStart);
        }

        return result;
    }

    /// <summary>The service's environment (<see cref="Skiff.Compose.ServiceEnvironment"/>), errors as one CLI line.</summary>
    private static Dictionary<string, string> ServiceEnvironment(ServiceConfig service, Func<string, string?> lookup)
    {
        try
        {
            return Skiff.Compose.ServiceEnvironment.Resolve(service, lookup);
        }
        catch (ComposeEngineException e)
        {
            throw new CliException(e.Message);
        }
    }

    private static async Task<string> CreateAsync(CliContext ctx, ComposeProject project, ServiceConfig service, ContainerCreateRequest template, string hash, int number, string name, CancellationToken ct)
    {
        var body = ContainerSpecBuilder.ForReplica(template, hash, number);
        var created = await ctx.Client.PostAsync($"/containers/create?name={Common.Escape(name)}", body, SkiffJson.Default.ContainerCreateRequest, SkiffJson.Default.ContainerCreateResponse, ct);

        // The create body names one network (API 1.41); the others are connected before the start.
        foreach (var (network, aliases) in ContainerSpecBuilder.Networks(project, service).Skip(1))
        {
            var connect = new NetworkConnectRequest { Container = created.Id, EndpointConfig = new EndpointSettings { Aliases = [.. aliases] } };
            await ctx.Client.PostAsync($"/networks/{Common.Escape(network)}/connect", EngineClient.JsonBody(connect, SkiffJson.Default.NetworkConnectRequest), ct);
        }

        return created.Id;
    }

    /// <summary>The image of a service: built when it has <c>build</c> and either <c>--build</c> is given or the
    /// image is missing; pulled when it has no <c>build</c> and is missing. Returns the reference and its id.</summary>
    private static async Task<(string Ref, string Id)> EnsureImageAsync(CliContext ctx, ComposeProject project, ServiceConfig service, bool forceBuild, bool noBuild, CancellationToken ct)
    {
        var reference = service.Image ?? ComposeLabels.DefaultImageName(project.Name, service.Name);
        var id = await ImageIdAsync(ctx, reference, ct);
        if (service.Build is not null && !noBuild && (forceBuild || id is null || service.PullPolicy is "build"))
        {
            await BuildServiceAsync(ctx, service, reference, noCache: false, buildArgs: [], ct);
            id = await ImageIdAsync(ctx, reference, ct) ?? throw new CliException($"image {reference} was not found after its build");
        }

        if (id is null)
        {
            if (service.Build is not null)
            {
                throw new CliException($"service \"{service.Name}\": image {reference} is not built (run without --no-build)");
            }

            await PullImageAsync(ctx, service.Name, reference, ct);
            id = await ImageIdAsync(ctx, reference, ct) ?? throw new CliException($"image {reference} was not found after its pull");
        }

        return (reference, id);
    }

    private static async Task<string?> ImageIdAsync(CliContext ctx, string reference, CancellationToken ct)
    {
        try
        {
            return (await ctx.Client.GetAsync($"/images/{Common.Escape(reference)}/json", SkiffJson.Default.ImageInspect, ct)).Id;
        }
        catch (DaemonException e) when (e.StatusCode == 404)
        {
            return null;
        }
    }

    private static async Task EnsureNetworksAsync(CliContext ctx, ComposeProject project, IEnumerable<ServiceConfig> services, CancellationToken ct)
    {
        var used = services.Where(s => s.NetworkMode is null).SelectMany(s => s.Networks.Keys).Distinct(StringComparer.Ordinal);
        foreach (var key in used)
        {
            var network = project.Networks.TryGetValue(key, out var n) ? n : new NetworkConfig($"{project.Name}_{key}", null, false, new Dictionary<string, string>());
            if (await ExistsAsync(ctx, $"/networks/{Common.Escape(network.Name)}", ct))
            {
                continue;
            }

            if (network.External)
            {
                throw new CliException($"network {network.Name} declared as external, but could not be found");
            }

            Progress(ctx, "Network", network.Name, "Creating");
            var labels = new Dictionary<string, string>(network.Labels, StringComparer.Ordinal)
            {
                [ComposeLabels.Project] = project.Name,
                [ComposeLabels.Network] = key,
                [ComposeLabels.Version] = ComposeLabels.SkiffComposeVersion,
            };
            var req = new NetworkCreateRequest { Name = network.Name, Driver = network.Driver ?? "bridge", CheckDuplicate = true, Labels = labels };
            await ctx.Client.PostAsync("/networks/create", req, SkiffJson.Default.NetworkCreateRequest, SkiffJson.Default.NetworkCreateResponse, ct);
            Progress(ctx, "Network", network.Name, "Created");
        }
    }

    private static async Task EnsureVolumesAsync(CliContext ctx, ComposeProject project, IEnumerable<ServiceConfig> services, CancellationToken ct)
    {
        var used = services.SelectMany(s => s.Volumes).Where(v => v.Type == VolumeType.Volume && v.Source is not null).Select(v => v.Source!).Distinct(StringComparer.Ordinal);
        foreach (var key in used)
        {
            if (!project.Volumes.TryGetValue(key, out var volume))
            {
                continue;
            }

            if (await ExistsAsync(ctx, $"/volumes/{Common.Escape(volume.Name)}", ct))
            {
                continue;
            }

            if (volume.External)
            {
                throw new CliException($"external volume \"{volume.Name}\" not found");
            }

            Progress(ctx, "Volume", $"\"{volume.Name}\"", "Creating");
            var labels = new Dictionary<string, string>(volume.Labels, StringComparer.Ordinal)
            {
                [ComposeLabels.Project] = project.Name,
                [ComposeLabels.Volume] = key,
                [ComposeLabels.Version] = ComposeLabels.SkiffComposeVersion,
            };
            var req = new VolumeCreateRequest { Name = volume.Name, Driver = volume.Driver ?? "local", Labels = labels };
            await ctx.Client.PostAsync("/volumes/create", req, SkiffJson.Default.VolumeCreateRequest, SkiffJson.Default.VolumeResource, ct);
            Progress(ctx, "Volume", $"\"{volume.Name}\"", "Created");
        }
    }

    private static async Task<bool> ExistsAsync(CliContext ctx, string path, CancellationToken ct)
    {
        try
        {
            using var _ = await ctx.Client.SendAsync(HttpMethod.Get, path, ct: ct);
            return true;
        }
        catch (DaemonException e) when (e.StatusCode == 404)
        {
            return false;
        }
    }

    /// <summary>Blocks until each dependency meets its <c>depends_on</c> condition (healthy, completed) or fails.</summary>
    private static async Task WaitForDependenciesAsync(CliContext ctx, ComposeProject project, ServiceConfig service, Dictionary<string, string> firstOfService, CancellationToken ct)
    {
        foreach (var (dep, condition) in service.DependsOn)
        {
            if (condition.Condition == "service_started" || project.Service(dep) is null)
            {
                continue;
            }

            if (!firstOfService.TryGetValue(dep, out var container))
            {
                if (condition.Required)
                {
                    throw new CliException($"service \"{service.Name}\" depends on service \"{dep}\", which has no container (run without --no-deps)");
                }

                continue;
            }

            Progress(ctx, "Container", container, "Waiting");
            while (true)
            {
                var info = await ctx.Client.GetAsync($"/containers/{Common.Escape(container)}/json", SkiffJson.Default.ContainerInspect, ct);
                if (condition.Condition == "service_healthy")
                {
                    if (info.State.Health is null)
                    {
                        throw new CliException($"container {container} has no healthcheck configured");
                    }

                    if (info.State.Health.Status == "healthy")
                    {
                        Progress(ctx, "Container", container, "Healthy");
                        break;
                    }

                    if (info.State.Health.Status == "unhealthy" || (!info.State.Running && info.State.Status is "exited" or "dead"))
                    {
                        throw new CliException($"dependency failed to start: container {container} is unhealthy");
                    }
                }
                else if (condition.Condition == "service_completed_successfully")
                {
                    if (info.State.Status is "exited" or "dead")
                    {
                        if (info.State.ExitCode != 0)
                        {
                            throw new CliException($"service \"{dep}\" didn't complete successfully: exit {info.State.ExitCode}");
                        }

                        Progress(ctx, "Container", container, "Exited");
                        break;
                    }
                }
                else
                {
                    throw new CliException($"service \"{service.Name}\": unknown depends_on condition \"{condition.Condition}\"");
                }

                await ctx.Delay(TimeSpan.FromMilliseconds(250), ct);
            }
        }
    }

    /// <summary><c>--wait</c>: every container running, and healthy where it has a healthcheck.</summary>
    private static async Task WaitHealthyAsync(CliContext ctx, List<UpContainer> containers, IReadOnlySet<string> jobs, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = ctx.Time.GetUtcNow() + timeout;
        foreach (var c in containers)
        {
            Progress(ctx, "Container", c.Name, "Waiting");
            while (true)
            {
                var info = await ctx.Client.GetAsync($"/containers/{Common.Escape(c.Id)}/json", SkiffJson.Default.ContainerInspect, ct);
                if (info.State.Status is "exited" or "dead")
                {
                    if (info.State.ExitCode == 0 && jobs.Contains(c.Service))
                    {
                        Progress(ctx, "Container", c.Name, "Exited");
                        break;
                    }

                    throw new CliException($"container {c.Name} exited ({info.State.ExitCode})");
                }

                if (info.State.Health?.Status == "unhealthy")
                {
                    throw new CliException($"container {c.Name} is unhealthy");
                }

                if (info.State.Running && (info.State.Health is null || info.State.Health.Status == "healthy"))
                {
                    Progress(ctx, "Container", c.Name, info.State.Health is null ? "Running" : "Healthy");
                    break;
                }

                if (ctx.Time.GetUtcNow() > deadline)
                {
                    throw new CliException($"timeout waiting for container {c.Name} to be running and healthy");
                }

                await ctx.Delay(TimeSpan.FromMilliseconds(250), ct);
            }
        }
    }

    /// <summary>Stops a container; one already stopped (304) is fine, as for docker's own stop.</summary>
    private static async Task StopAsync(CliContext ctx, string id, int? seconds, CancellationToken ct)
    {
        try
        {
            await ctx.Client.PostAsync($"/containers/{Common.Escape(id)}/stop{(seconds is { } t ? $"?t={t}" : "")}", ct: ct);
        }
        catch (DaemonException e) when (e.StatusCode == 304)
        {
            // Already stopped.
        }
    }

    private static async Task StopRemoveQuietAsync(CliContext ctx, string id, TimeSpan? grace, CancellationToken ct)
    {
        await StopAsync(ctx, id, grace is { } gs ? (int)Math.Ceiling(gs.TotalSeconds) : null, ct);
        await ctx.Client.DeleteAsync($"/containers/{Common.Escape(id)}?force=1", ct);
    }

    private static async Task RemoveContainerAsync(CliContext ctx, string id, string name, TimeSpan? grace, CancellationToken ct, bool volumes = false)
    {
        Progress(ctx, "Container", name, "Stopping");
        await StopAsync(ctx, id, grace is { } gs ? (int)Math.Ceiling(gs.TotalSeconds) : null, ct);
        Progress(ctx, "Container", name, "Stopped");
        Progress(ctx, "Container", name, "Removing");
        await ctx.Client.DeleteAsync($"/containers/{Common.Escape(id)}?force=1{(volumes ? "&v=1" : "")}", ct);
        Progress(ctx, "Container", name, "Removed");
    }

    private static Command Down(CliContext ctx, ProjectOptions po)
    {
        var cmd = Common.Cmd("down", "Stop and remove containers, networks");
        var volumes = Common.Flag("--volumes", "-v", "Remove named volumes declared in the \"volumes\" section of the Compose file and anonymous volumes attached to containers");
        var removeOrphans = Common.Flag("--remove-orphans", null, "Remove containers for services not defined in the Compose file");
        var timeout = Common.Int("--timeout", "-t", "Specify a shutdown timeout in seconds");
        cmd.Options.Add(volumes);
        cmd.Options.Add(removeOrphans);
        cmd.Options.Add(timeout);
        cmd.SetAction(async (pr, ct) =>
        {
            // Without a file, `-p NAME` is enough: everything is found by its labels.
            ComposeProject? project = null;
            string name;
            if (pr.GetValue(po.Name) is { Length: > 0 } given && (pr.GetValue(po.Files) ?? []).Length == 0
                && ComposeFileDiscovery.Discover(ctx.WorkingDirectory(), ctx.GetEnv).Files.Count == 0)
            {
                name = ProjectName.Normalize(given);
            }
            else
            {
                project = Load(pr, ctx, po).Project;
                name = project.Name;
            }

            var grace = pr.GetValue(timeout) is { } t ? TimeSpan.FromSeconds(t) : (TimeSpan?)null;
            var containers = await ProjectContainersAsync(ctx, name, all: true, ct);
            var observed = containers.Select(c => Observe(c, name)).OfType<ObservedContainer>().ToList();
            var orphans = project is null ? [] : ComposePlanner.Orphans(project, observed);
            if (orphans.Count > 0 && !pr.GetValue(removeOrphans))
            {
                Warn(ctx, ComposePlanner.OrphanWarning(orphans));
            }

            // Dependants first: the reverse of the start order.
            var order = project is null ? [] : ComposePlanner.StartOrder(project, [], noDeps: false).Select(s => s.Name).ToList();
            var toRemove = observed
                .Where(o => pr.GetValue(removeOrphans) || !orphans.Contains(o))
                .OrderByDescending(o => order.IndexOf(o.Service))
                .ThenBy(o => o.Number);
            foreach (var o in toRemove)
            {
                await RemoveContainerAsync(ctx, o.Id, o.Name, grace ?? project?.Service(o.Service)?.StopGracePeriod, ct, pr.GetValue(volumes));
            }

            var filters = JsonSerializer.Serialize(new Dictionary<string, List<string>> { ["label"] = [$"{ComposeLabels.Project}={name}"] }, SkiffJson.Default.DictionaryStringListString);
            var networks = await ctx.Client.GetAsync("/networks" + new Query().Add("filters", filters), SkiffJson.Default.ListNetworkResource, ct);
            foreach (var n in networks.Where(n => project is null || project.Networks.Values.Any(pn => pn.Name == n.Name && !pn.External)))
            {
                Progress(ctx, "Network", n.Name, "Removing");
                await ctx.Client.DeleteAsync($"/networks/{Common.Escape(n.Id)}", ct);
                Progress(ctx, "Network", n.Name, "Removed");
            }

            if (pr.GetValue(volumes))
            {
                var vols = await ctx.Client.GetAsync("/volumes" + new Query().Add("filters", filters), SkiffJson.Default.VolumeListResponse, ct);
                foreach (var v in vols.Volumes ?? [])
                {
                    if (project is not null && project.Volumes.Values.Any(pv => pv.Name == v.Name && pv.External))
                    {
                        continue;
                    }

                    Progress(ctx, "Volume", v.Name, "Removing");
                    await ctx.Client.DeleteAsync($"/volumes/{Common.Escape(v.Name)}", ct);
                    Progress(ctx, "Volume", v.Name, "Removed");
                }
            }

            return 0;
        });
        return cmd;
    }

    private static Command StartStop(CliContext ctx, ProjectOptions po, string verb, string description)
    {
        var cmd = Common.Cmd(verb, description);
        var timeout = verb == "start" ? null : Common.Int("--timeout", "-t", "Specify a shutdown timeout in seconds");
        if (timeout is not null)
        {
            cmd.Options.Add(timeout);
        }

        var services = Common.Args("SERVICE", 0);
        cmd.Arguments.Add(services);
        cmd.SetAction(async (pr, ct) =>
        {
            var project = Load(pr, ctx, po, print: false).Project;
            var selected = pr.GetValue(services) ?? [];
            var containers = OfServices(await ProjectContainersAsync(ctx, project.Name, all: true, ct), project, selected)
                .Where(c => c.Labels.GetValueOrDefault(ComposeLabels.OneOff) != "True")
                .ToList();
            var order = ComposePlanner.StartOrder(project, [], noDeps: true).Select(s => s.Name).ToList();
            var ordered = verb == "stop"
                ? containers.OrderByDescending(c => order.IndexOf(c.Labels.GetValueOrDefault(ComposeLabels.Service, ""))).ToList()
                : containers.OrderBy(c => order.IndexOf(c.Labels.GetValueOrDefault(ComposeLabels.Service, ""))).ToList();
            var t = timeout is null ? null : pr.GetValue(timeout);
            foreach (var c in ordered)
            {
                var name = Name(c);
                switch (verb)
                {
                    case "start":
                        Progress(ctx, "Container", name, "Starting");
                        await ctx.Client.PostAsync($"/containers/{c.Id}/start", ct: ct);
                        Progress(ctx, "Container", name, "Started");
                        break;
                    case "stop":
                        Progress(ctx, "Container", name, "Stopping");
                        await StopAsync(ctx, c.Id, t, ct);
                        Progress(ctx, "Container", name, "Stopped");
                        break;
                    default:
                        Progress(ctx, "Container", name, "Restarting");
                        await ctx.Client.PostAsync($"/containers/{c.Id}/restart{(t is { } r ? $"?t={r}" : "")}", ct: ct);
                        Progress(ctx, "Container", name, "Started");
                        break;
                }
            }

            return 0;
        });
        return cmd;
    }
}
