using Skiff.Api;
using Skiff.Compose.Local;

namespace Skiff.Compose.Stack;

/// <summary>A secret or config of a stack: its swarm name, and where its content comes from (a file, or an environment
/// variable), or external (it must exist already).</summary>
public sealed record StackFile(bool IsSecret, string Key, string Name, string? File, string? Environment, bool External)
{
    /// <summary>The object's labels from the file plus the stack's namespace label (docker/cli's AddStackLabel).</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
}

/// <summary>One service of a stack as the swarm should run it.</summary>
public sealed record StackService(string ComposeName, ServiceSpecWire Spec, IReadOnlyList<string> DependsOn);

/// <summary>
/// The compose model to swarm service specs, as docker/cli's `stack deploy` converts it (names
/// <c>STACK_service</c>, the namespace label, deploy -> mode, replicas, resources, restart policy,
/// update/rollback config, placement, endpoint mode), from the same loader as `compose` (so .env,
/// interpolation, extends, include, profiles and merged files all apply). Reads only env files.
/// </summary>
public static class StackConverter
{
    public const string NamespaceLabel = "com.docker.stack.namespace";
    public const string ImageLabel = "com.docker.stack.image";

    public static string ServiceName(string stack, string service) => $"{stack}_{service}";

    /// <summary>Converts every service in dependency order; <paramref name="warnings"/> gets one line per thing the swarm here cannot do yet.</summary>
    /// <exception cref="ComposeEngineException">A service that cannot run on a swarm (no image, secrets...).</exception>
    /// <param name="lookup">The shell's (and .env's) variables, for <c>environment</c> names without a value; env files are read.</param>
    public static IReadOnlyList<StackService> Convert(ComposeProject project, string stack, ICollection<string> warnings, Func<string, string?>? lookup = null)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(warnings);
        var result = new List<StackService>();
        if (project.Services.Any(s => s.NetworkMode is null && s.Networks.Count > 0))
        {
            warnings.Add("networks: the stack's overlay networks are created, but their data plane comes with skiff's networking issue; until then tasks use their node's bridge and services on different nodes do not reach each other by name");
        }

        foreach (var service in ComposePlanner.StartOrder(project, [], noDeps: false))
        {
            result.Add(new StackService(service.Name, ConvertService(project, stack, service, warnings, lookup), ComposePlanner.Dependencies(service)));
        }

        return result;
    }

    /// <summary>The overlay networks the stack's services use, as the swarm names them, with the labels docker/cli sets.</summary>
    public static IReadOnlyList<NetworkCreateRequest> Networks(ComposeProject project, string stack)
    {
        ArgumentNullException.ThrowIfNull(project);
        var used = project.Services.Where(s => s.NetworkMode is null).SelectMany(s => s.Networks.Keys).Distinct(StringComparer.Ordinal);
        var result = new List<NetworkCreateRequest>();
        foreach (var key in used)
        {
            var network = project.Networks.TryGetValue(key, out var n) ? n : new NetworkConfig($"{stack}_{key}", null, false, new Dictionary<string, string>());
            if (network.External)
            {
                continue;
            }

            result.Add(new NetworkCreateRequest
            {
                Name = NetworkName(project, stack, key),
                Driver = network.Driver ?? "overlay",
                Scope = "swarm",
                Labels = new Dictionary<string, string>(network.Labels, StringComparer.Ordinal) { [NamespaceLabel] = stack },
            });
        }

        return result;
    }

    /// <summary>
    /// The stack's top-level secrets and configs, named as docker/cli names them (<c>STACK_key</c>, or the file's
    /// <c>name:</c>; an external one keeps its name). Like docker/cli, every non-external entry is created, used or
    /// not; external ones are returned when a service uses them (they must exist).
    /// </summary>
    public static IReadOnlyList<StackFile> Files(ComposeProject project, string stack)
    {
        ArgumentNullException.ThrowIfNull(project);
        var result = new List<StackFile>();
        foreach (var (isSecret, all, used) in new[]
        {
            (true, project.Secrets, project.Services.SelectMany(s => s.Secrets)),
            (false, project.Configs, project.Services.SelectMany(s => s.Configs)),
        })
        {
            var usedKeys = used.Select(r => r.Source).ToHashSet(StringComparer.Ordinal);
            foreach (var (key, f) in all.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                if (f.External && !usedKeys.Contains(key))
                {
                    continue;
                }

                if (!f.External && f.File is null && f.Environment is null)
                {
                    throw new ComposeEngineException($"{(isSecret ? "secret" : "config")} \"{key}\" has neither file nor environment: a stack needs one (or external: true)");
                }

                result.Add(new StackFile(isSecret, key, FileObjectName(project, stack, key, f), f.File, f.Environment, f.External)
                {
                    Labels = new Dictionary<string, string>(f.Labels, StringComparer.Ordinal) { [NamespaceLabel] = stack },
                });
            }
        }

        return result;
    }

    private static string FileObjectName(ComposeProject project, string stack, string key, FileObjectConfig f) =>
        f.External || f.Name != $"{project.Name}_{key}" ? f.Name : $"{stack}_{key}";

    private static string FileObject(ComposeProject project, IReadOnlyDictionary<string, FileObjectConfig> all, string stack, string key, ServiceConfig service, string noun) =>
        all.TryGetValue(key, out var f)
            ? FileObjectName(project, stack, key, f)
            : throw new ComposeEngineException($"service \"{service.Name}\" refers to undefined {noun} {key}: invalid compose project");

    /// <summary>docker/cli's file target: the target, else the source's name; uid/gid default 0, mode 0444 (octal in compose).</summary>
    private static SecretFileTarget FileTarget(ServiceConfig service, ServiceFileReference r, string noun)
    {
        uint mode = 292;
        if (r.Mode is { Length: > 0 } m)
        {
            var octal = m.StartsWith("0o", StringComparison.OrdinalIgnoreCase) ? m[2..] : m.Length > 1 && m[0] == '0' ? m[1..] : null;
            var ok = octal is not null
                ? octal.Length > 0 && octal.All(c => c is >= '0' and <= '7')
                : uint.TryParse(m, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out mode);
            if (!ok)
            {
                throw new ComposeEngineException($"service \"{service.Name}\": {noun} {r.Source}: invalid mode \"{m}\"");
            }

            if (octal is not null)
            {
                mode = System.Convert.ToUInt32(octal, 8);
            }
        }

        return new SecretFileTarget { Name = string.IsNullOrEmpty(r.Target) ? r.Source : r.Target, UID = r.Uid ?? "0", GID = r.Gid ?? "0", Mode = mode };
    }

    public static ServiceSpecWire ConvertService(ComposeProject project, string stack, ServiceConfig service, ICollection<string> warnings, Func<string, string?>? lookup = null)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(warnings);
        var image = service.Image ?? throw new ComposeEngineException($"service \"{service.Name}\" has no image: a swarm service needs an image every node can get (add `image:` next to `build:`)");
        if (service.NetworkMode is { } mode && mode != "host" && mode != "bridge")
        {
            throw new ComposeEngineException($"service \"{service.Name}\": network_mode \"{mode}\" cannot be used in a swarm stack");
        }

        var deploy = service.Deploy;
        var labels = new Dictionary<string, string>(deploy?.Labels ?? new Dictionary<string, string>(), StringComparer.Ordinal) { [NamespaceLabel] = stack };
        var containerLabels = new Dictionary<string, string>(service.Labels, StringComparer.Ordinal) { [NamespaceLabel] = stack };
        // docker/cli resolves env_file and value-less names into the service's Env, as compose does for containers.
        var env = ServiceEnvironment.Resolve(service, lookup ?? (_ => null)).Select(kv => $"{kv.Key}={kv.Value}").Order(StringComparer.Ordinal).ToList();
        foreach (var key in service.UnsupportedKeys)
        {
            warnings.Add($"service \"{service.Name}\": {key} is not supported by skiff and is ignored");
        }

        var spec = new ServiceSpecWire
        {
            Name = ServiceName(stack, service.Name),
            Labels = labels,
            TaskTemplate = new TaskSpecWire
            {
                ContainerSpec = new ContainerSpecWire
                {
                    Image = image,
                    Labels = new Dictionary<string, string>(containerLabels) { [ImageLabel] = image },
                    Command = service.Entrypoint?.ToList(),
                    Args = service.Command?.ToList(),
                    Hostname = service.Hostname,
                    Env = env.Count > 0 ? env : null,
                    Dir = service.WorkingDir,
                    User = service.User,
                    TTY = service.Tty,
                    OpenStdin = service.StdinOpen,
                    ReadOnly = service.ReadOnly,
                    Mounts = Mounts(project, stack, service),
                    StopSignal = service.StopSignal,
                    StopGracePeriod = service.StopGracePeriod is { } g ? g.Ticks * 100 : null,
                    Healthcheck = Healthcheck(service.Healthcheck),
                    Hosts = service.ExtraHosts.Count > 0 ? service.ExtraHosts.Select(HostsEntry).ToList() : null,
                    Init = service.Init,
                    Secrets = service.Secrets.Count == 0 ? null : [.. service.Secrets.Select(r => new SecretReference
                    {
                        File = FileTarget(service, r, "secret"),
                        SecretName = FileObject(project, project.Secrets, stack, r.Source, service, "secret"),
                    })],
                    Configs = service.Configs.Count == 0 ? null : [.. service.Configs.Select(r => new ConfigReferenceWire
                    {
                        File = FileTarget(service, r, "config"),
                        ConfigName = FileObject(project, project.Configs, stack, r.Source, service, "config"),
                    })],
                },
                Resources = Resources(service),
                RestartPolicy = Restart(service),
                Placement = deploy?.Placement is { } p
                    ? new PlacementWire
                    {
                        Constraints = p.Constraints.Count > 0 ? [.. p.Constraints] : null,
                        Preferences = p.PreferenceSpreads.Count > 0 ? p.PreferenceSpreads.Select(s => new PlacementPreference { Spread = new SpreadOver { SpreadDescriptor = s } }).ToList() : null,
                        MaxReplicas = (ulong)(p.MaxReplicasPerNode ?? 0),
                    }
                    : null,
            },
            Mode = (deploy?.Mode ?? "replicated") switch
            {
                "global" => new ServiceModeWire { Global = new GlobalMode() },
                "replicated-job" => new ServiceModeWire { ReplicatedJob = new ReplicatedJobMode { MaxConcurrent = 1, TotalCompletions = (ulong)(deploy?.Replicas ?? 1) } },
                "global-job" => new ServiceModeWire { GlobalJob = new GlobalJobMode() },
                "replicated" => new ServiceModeWire { Replicated = new ReplicatedMode { Replicas = (ulong)(deploy?.Replicas ?? service.Scale ?? 1) } },
                var m => throw new ComposeEngineException($"service \"{service.Name}\": unknown deploy.mode \"{m}\""),
            },
            UpdateConfig = Update(deploy?.UpdateConfig),
            RollbackConfig = Update(deploy?.RollbackConfig),
            EndpointSpec = Endpoint(service, deploy, warnings),
        };
        if (service.NetworkMode is null && service.Networks.Count > 0)
        {
            spec.TaskTemplate.Networks = service.Networks
                .Select(kv => new NetworkAttachmentConfig
                {
                    Target = NetworkName(project, stack, kv.Key),
                    Aliases = [service.Name, .. kv.Value?.Aliases ?? []],
                })
                .ToList();
        }

        return spec;
    }

    /// <summary>A network's name on the swarm: its explicit <c>name</c> (or external name), else <c>STACK_key</c>.</summary>
    public static string NetworkName(ComposeProject project, string stack, string key)
    {
        ArgumentNullException.ThrowIfNull(project);
        return project.Networks.TryGetValue(key, out var n) && (n.External || n.Name != $"{project.Name}_{key}") ? n.Name : $"{stack}_{key}";
    }

    /// <summary><c>host:ip</c> to the <c>ip host</c> form of the swarm's Hosts list.</summary>
    private static string HostsEntry(string hostColonIp)
    {
        var i = hostColonIp.IndexOf(':', StringComparison.Ordinal);
        return i < 0 ? hostColonIp : $"{hostColonIp[(i + 1)..]} {hostColonIp[..i]}";
    }

    private static List<MountWire>? Mounts(ComposeProject project, string stack, ServiceConfig service)
    {
        var mounts = new List<MountWire>();
        foreach (var v in service.Volumes)
        {
            switch (v.Type)
            {
                case VolumeType.Bind:
                    mounts.Add(new MountWire { Type = "bind", Source = v.Source ?? "", Target = v.Target, ReadOnly = v.ReadOnly });
                    break;
                case VolumeType.Volume:
                    var external = v.Source is not null && project.Volumes.TryGetValue(v.Source, out var vc) && vc.External;
                    var source = v.Source is null ? "" : external ? project.Volumes[v.Source].Name : $"{stack}_{v.Source}";
                    mounts.Add(new MountWire
                    {
                        Type = "volume",
                        Source = source,
                        Target = v.Target,
                        ReadOnly = v.ReadOnly,
                        VolumeOptions = external || v.Source is null ? null : new MountVolumeOptions { NoCopy = v.NoCopy, Labels = new Dictionary<string, string> { [NamespaceLabel] = stack } },
                    });
                    break;
                case VolumeType.Tmpfs:
                    mounts.Add(new MountWire { Type = "tmpfs", Target = v.Target });
                    break;
            }
        }

        return mounts.Count > 0 ? mounts : null;
    }

    private static HealthConfigWire? Healthcheck(HealthcheckConfig? h)
    {
        if (h is null)
        {
            return null;
        }

        if (h.Disable)
        {
            return new HealthConfigWire { Test = ["NONE"] };
        }

        static long Ns(TimeSpan? t) => t is { } v ? v.Ticks * 100 : 0;
        return new HealthConfigWire { Test = h.Test?.ToList(), Interval = Ns(h.Interval), Timeout = Ns(h.Timeout), StartPeriod = Ns(h.StartPeriod), Retries = h.Retries ?? 0 };
    }

    private static ResourceRequirements? Resources(ServiceConfig service)
    {
        var limits = service.Deploy?.Limits;
        var reservations = service.Deploy?.Reservations;
        var nano = limits?.NanoCpus ?? service.NanoCpus;
        var memory = limits?.MemoryBytes ?? service.MemLimit;
        if (nano is null && memory is null && limits?.Pids is null && reservations is null)
        {
            return null;
        }

        return new ResourceRequirements
        {
            Limits = nano is null && memory is null && limits?.Pids is null ? null : new LimitsWire { NanoCPUs = nano ?? 0, MemoryBytes = memory ?? 0, Pids = limits?.Pids ?? 0 },
            Reservations = reservations is null ? null : new ResourceObject { NanoCPUs = reservations.NanoCpus ?? 0, MemoryBytes = reservations.MemoryBytes ?? 0 },
        };
    }

    /// <summary><c>deploy.restart_policy</c>, else the service's <c>restart</c> as docker/cli maps it.</summary>
    private static RestartPolicyWire? Restart(ServiceConfig service)
    {
        if (service.Deploy?.RestartPolicy is { } p)
        {
            return new RestartPolicyWire
            {
                Condition = p.Condition ?? "any",
                Delay = p.Delay is { } d ? d.Ticks * 100 : null,
                MaxAttempts = p.MaxAttempts is { } m ? (ulong)m : null,
                Window = p.Window is { } w ? w.Ticks * 100 : null,
            };
        }

        return service.Restart switch
        {
            null => null,
            "no" => new RestartPolicyWire { Condition = "none" },
            "always" or "unless-stopped" => new RestartPolicyWire { Condition = "any" },
            "on-failure" => new RestartPolicyWire { Condition = "on-failure" },
            var r when r.StartsWith("on-failure:", StringComparison.Ordinal) =>
                new RestartPolicyWire { Condition = "on-failure", MaxAttempts = ulong.Parse(r["on-failure:".Length..], System.Globalization.CultureInfo.InvariantCulture) },
            var r => throw new ComposeEngineException($"service \"{service.Name}\": unknown restart policy \"{r}\""),
        };
    }

    private static UpdateConfigWire? Update(UpdateConfig? u) => u is null
        ? null
        : new UpdateConfigWire
        {
            Parallelism = (ulong)(u.Parallelism ?? 1),
            Delay = u.Delay is { } d ? d.Ticks * 100 : 0,
            FailureAction = u.FailureAction,
            Monitor = u.Monitor is { } m ? m.Ticks * 100 : 0,
            MaxFailureRatio = u.MaxFailureRatio ?? 0,
            Order = u.Order,
        };

    /// <summary>
    /// Published ports. The routing mesh (ingress) needs overlay networking, which Skiff's swarm does not have yet,
    /// so ports are published in host mode: each node running a task answers on the port (and runs at most one
    /// task of the service per published port).
    /// </summary>
    private static EndpointSpecWire? Endpoint(ServiceConfig service, DeployConfig? deploy, ICollection<string> warnings)
    {
        if (service.Ports.Count == 0 && deploy?.EndpointMode is null)
        {
            return null;
        }

        var ports = new List<PortConfig>();
        foreach (var p in service.Ports)
        {
            if (p.Published is { } pub && pub.Contains('-', StringComparison.Ordinal))
            {
                throw new ComposeEngineException($"service \"{service.Name}\": published port ranges (\"{pub}\") are not supported by swarm services");
            }

            var published = uint.TryParse(p.Published, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : 0;
            if (p.Mode != "host" && published != 0)
            {
                warnings.Add($"service \"{service.Name}\": port {published} is published in host mode (the routing mesh comes with overlay networking): it answers on each node that runs a task, and a node runs at most one such task");
            }

            ports.Add(new PortConfig { Protocol = p.Protocol, TargetPort = (uint)p.Target, PublishedPort = published, PublishMode = "host" });
        }

        return new EndpointSpecWire { Mode = deploy?.EndpointMode ?? "vip", Ports = ports.Count > 0 ? ports : null };
    }
}
