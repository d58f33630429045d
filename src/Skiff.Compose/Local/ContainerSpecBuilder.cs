using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Skiff.Api;

namespace Skiff.Compose.Local;

/// <summary>What a service's containers need besides the service itself: the image, resolved names of
/// the project's other containers, and the environment after <c>env_file</c> and the OS lookup.</summary>
public sealed record ContainerContext(
    string Image,
    string ImageId,
    IReadOnlyDictionary<string, string> Environment,
    IReadOnlyList<string> ConfigFiles,
    Func<string, string?> FirstContainerOfService);

/// <summary>
/// Turns one compose service into the Engine API create body of its containers (pure). The config hash is
/// computed over the body shared by all replicas plus the image id, so `up` recreates a container exactly when
/// what it would be created with differs (a rebuilt image under the same tag counts, as in compose v2).
/// </summary>
public static class ContainerSpecBuilder
{
    /// <summary>The template body (no name, no number) and its hash.</summary>
    public static (ContainerCreateRequest Template, string Hash) Template(ComposeProject project, ServiceConfig service, ContainerContext context)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(context);
        var request = Build(project, service, context);
        var json = JsonSerializer.Serialize(request, SkiffJson.Default.ContainerCreateRequest);
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(json + "\n" + context.ImageId)));
        return (request, hash);
    }

    /// <summary>The body of container <paramref name="number"/>: the template plus its labels.</summary>
    public static ContainerCreateRequest ForReplica(ContainerCreateRequest template, string hash, int number, bool oneOff = false)
    {
        ArgumentNullException.ThrowIfNull(template);
        var json = JsonSerializer.Serialize(template, SkiffJson.Default.ContainerCreateRequest);
        var copy = JsonSerializer.Deserialize(json, SkiffJson.Default.ContainerCreateRequest)!;
        copy.Labels![ComposeLabels.ConfigHash] = hash;
        copy.Labels[ComposeLabels.ContainerNumber] = number.ToString(CultureInfo.InvariantCulture);
        copy.Labels[ComposeLabels.OneOff] = oneOff ? "True" : "False";
        return copy;
    }

    /// <summary>Name of container <paramref name="number"/>: <c>container_name</c> or <c>project-service-n</c>.</summary>
    public static string ContainerName(ComposeProject project, ServiceConfig service, int number) =>
        service.ContainerName ?? ComposeLabels.ContainerName(project.Name, service.Name, number);

    /// <summary>
    /// Compose v2 on one host: a file-based secret is bind-mounted read-only at <c>/run/secrets/TARGET</c> and a config
    /// at <c>/TARGET</c> (absolute targets as given). External ones live only in a swarm and environment-based ones are
    /// not written by skiff compose yet: both are refused with what to do instead.
    /// </summary>
    private static IEnumerable<Mount> FileMounts(ServiceConfig service, IReadOnlyDictionary<string, FileObjectConfig> all, IReadOnlyList<ServiceFileReference> refs, bool secret)
    {
        var noun = secret ? "secret" : "config";
        foreach (var r in refs)
        {
            if (!all.TryGetValue(r.Source, out var f))
            {
                throw new ComposeEngineException($"service \"{service.Name}\" refers to undefined {noun} {r.Source}: invalid compose project");
            }

            if (f.External)
            {
                throw new ComposeEngineException($"service \"{service.Name}\": {noun} \"{r.Source}\" is external, which exists only in a swarm; use `skiff stack deploy`, or give it a file");
            }

            if (f.File is null)
            {
                throw new ComposeEngineException($"service \"{service.Name}\": {noun} \"{r.Source}\" comes from the environment, which skiff compose does not write into containers yet; give it a file");
            }

            var target = string.IsNullOrEmpty(r.Target) ? r.Source : r.Target;
            var path = target.StartsWith('/') ? target : (secret ? "/run/secrets/" : "/") + target;
            yield return new Mount { Type = "bind", Source = f.File, Target = path, ReadOnly = true };
        }
    }

    /// <summary>Networks the service joins, as engine network names, the first one given at create.</summary>
    public static IReadOnlyList<(string Name, IReadOnlyList<string> Aliases)> Networks(ComposeProject project, ServiceConfig service)
    {
        var result = new List<(string, IReadOnlyList<string>)>();
        if (service.NetworkMode is not null)
        {
            return result;
        }

        foreach (var (key, attrs) in service.Networks)
        {
            var name = project.Networks.TryGetValue(key, out var n) ? n.Name : $"{project.Name}_{key}";
            result.Add((name, [service.Name, .. attrs?.Aliases ?? []]));
        }

        return result;
    }

    private static ContainerCreateRequest Build(ComposeProject project, ServiceConfig service, ContainerContext context)
    {
        var labels = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in service.Labels)
        {
            labels[k] = v;
        }

        labels[ComposeLabels.Project] = project.Name;
        labels[ComposeLabels.Service] = service.Name;
        labels[ComposeLabels.WorkingDir] = project.WorkingDirectory;
        labels[ComposeLabels.ConfigFiles] = string.Join(',', context.ConfigFiles);
        labels[ComposeLabels.Version] = ComposeLabels.SkiffComposeVersion;
        labels[ComposeLabels.Image] = context.ImageId;
        labels[ComposeLabels.DependsOn] = string.Join(',', service.DependsOn.Select(d => $"{d.Key}:{d.Value.Condition}:{(d.Value.Restart ? "true" : "false")}"));

        var exposed = new SortedDictionary<string, EmptyObject>(StringComparer.Ordinal);
        var bindings = new SortedDictionary<string, List<PortBinding>?>(StringComparer.Ordinal);
        foreach (var port in service.Ports)
        {
            var key = $"{port.Target}/{port.Protocol}";
            exposed[key] = new EmptyObject();
            if (!bindings.TryGetValue(key, out var list) || list is null)
            {
                list = [];
                bindings[key] = list;
            }

            list.Add(new PortBinding { HostIp = port.HostIp ?? "", HostPort = port.Published ?? "" });
        }

        foreach (var e in service.Expose)
        {
            exposed[e.Contains('/', StringComparison.Ordinal) ? e : e + "/tcp"] = new EmptyObject();
        }

        var binds = new List<string>();
        var mounts = new List<Mount>();
        foreach (var v in service.Volumes)
        {
            switch (v.Type)
            {
                case VolumeType.Bind when v.CreateHostPath:
                    // Binds (not Mounts) so the engine creates a missing host path, as compose's short syntax does.
                    binds.Add($"{v.Source}:{v.Target}{(v.ReadOnly ? ":ro" : "")}");
                    break;
                case VolumeType.Bind:
                    mounts.Add(new Mount { Type = "bind", Source = v.Source, Target = v.Target, ReadOnly = v.ReadOnly });
                    break;
                case VolumeType.Volume:
                    var source = v.Source is null ? null : project.Volumes.TryGetValue(v.Source, out var vc) ? vc.Name : v.Source;
                    mounts.Add(new Mount
                    {
                        Type = "volume",
                        Source = source,
                        Target = v.Target,
                        ReadOnly = v.ReadOnly,
                        VolumeOptions = v.NoCopy ? new VolumeOptions { NoCopy = true } : null,
                    });
                    break;
                case VolumeType.Tmpfs:
                    mounts.Add(new Mount { Type = "tmpfs", Target = v.Target });
                    break;
            }
        }

        mounts.AddRange(FileMounts(service, project.Secrets, service.Secrets, secret: true));
        mounts.AddRange(FileMounts(service, project.Configs, service.Configs, secret: false));
        var deploy = service.Deploy;
        var host = new HostConfig
        {
            Binds = binds.Count > 0 ? binds : null,
            Mounts = mounts.Count > 0 ? mounts : null,
            PortBindings = bindings.Count > 0 ? new Dictionary<string, List<PortBinding>?>(bindings) : null,
            RestartPolicy = RestartPolicy(service),
            NetworkMode = NetworkMode(project, service, context),
            VolumesFrom = service.VolumesFrom.Count > 0 ? service.VolumesFrom.Select(f => VolumesFrom(f, context)).ToList() : null,
            CapAdd = service.CapAdd.Count > 0 ? [.. service.CapAdd] : null,
            CapDrop = service.CapDrop.Count > 0 ? [.. service.CapDrop] : null,
            Dns = service.Dns.Count > 0 ? [.. service.Dns] : null,
            ExtraHosts = service.ExtraHosts.Count > 0 ? [.. service.ExtraHosts] : null,
            Privileged = service.Privileged,
            ReadonlyRootfs = service.ReadOnly,
            Init = service.Init,
            Tmpfs = service.Tmpfs.Count > 0 ? service.Tmpfs.ToDictionary(t => t.Split(':', 2)[0], t => t.Contains(':', StringComparison.Ordinal) ? t.Split(':', 2)[1] : "", StringComparer.Ordinal) : null,
            Memory = deploy?.Limits?.MemoryBytes ?? service.MemLimit ?? 0,
            NanoCpus = deploy?.Limits?.NanoCpus ?? service.NanoCpus ?? 0,
            PidsLimit = deploy?.Limits?.Pids,
            MemoryReservation = deploy?.Reservations?.MemoryBytes ?? 0,
        };

        var request = new ContainerCreateRequest
        {
            Image = context.Image,
            Hostname = service.Hostname,
            User = service.User,
            WorkingDir = service.WorkingDir,
            Cmd = service.Command?.ToList(),
            Entrypoint = service.Entrypoint?.ToList(),
            Env = context.Environment.Count > 0 ? context.Environment.Select(kv => $"{kv.Key}={kv.Value}").ToList() : null,
            Tty = service.Tty,
            OpenStdin = service.StdinOpen,
            AttachStdout = true,
            AttachStderr = true,
            ExposedPorts = exposed.Count > 0 ? new Dictionary<string, EmptyObject>(exposed) : null,
            Labels = new Dictionary<string, string>(labels),
            StopSignal = service.StopSignal,
            StopTimeout = service.StopGracePeriod is { } g ? (int)Math.Ceiling(g.TotalSeconds) : null,
            Healthcheck = Healthcheck(service.Healthcheck),
            HostConfig = host,
        };

        var networks = Networks(project, service);
        if (networks.Count > 0)
        {
            var (name, aliases) = networks[0];
            request.NetworkingConfig = new NetworkingConfig
            {
                EndpointsConfig = new Dictionary<string, EndpointSettings> { [name] = new EndpointSettings { Aliases = [.. aliases] } },
            };
        }

        return request;
    }

    private static string? NetworkMode(ComposeProject project, ServiceConfig service, ContainerContext context)
    {
        if (service.NetworkMode is { } mode)
        {
            if (mode.StartsWith("service:", StringComparison.Ordinal))
            {
                var other = mode["service:".Length..];
                var container = context.FirstContainerOfService(other)
                    ?? throw new ComposeEngineException($"service \"{service.Name}\" uses the network stack of service \"{other}\", which has no container");
                return "container:" + container;
            }

            return mode;
        }

        var networks = Networks(project, service);
        return networks.Count > 0 ? networks[0].Name : null;
    }

    private static string VolumesFrom(string entry, ContainerContext context)
    {
        if (entry.StartsWith("container:", StringComparison.Ordinal))
        {
            return entry["container:".Length..];
        }

        var parts = entry.Split(':', 2);
        var container = context.FirstContainerOfService(parts[0])
            ?? throw new ComposeEngineException($"volumes_from: service \"{parts[0]}\" has no container");
        return parts.Length == 2 ? $"{container}:{parts[1]}" : container;
    }

    /// <summary><c>restart</c>, else <c>deploy.restart_policy</c> (none -> no, on-failure, any -> always), as compose v2.</summary>
    private static Api.RestartPolicy? RestartPolicy(ServiceConfig service)
    {
        if (service.Restart is { } restart)
        {
            if (restart.StartsWith("on-failure:", StringComparison.Ordinal))
            {
                return new Api.RestartPolicy { Name = "on-failure", MaximumRetryCount = int.Parse(restart["on-failure:".Length..], CultureInfo.InvariantCulture) };
            }

            return new Api.RestartPolicy { Name = restart };
        }

        return service.Deploy?.RestartPolicy is { } p
            ? p.Condition switch
            {
                "none" => new Api.RestartPolicy { Name = "no" },
                "on-failure" => new Api.RestartPolicy { Name = "on-failure", MaximumRetryCount = p.MaxAttempts ?? 0 },
                _ => new Api.RestartPolicy { Name = "always" },
            }
            : null;
    }

    private static HealthConfig? Healthcheck(HealthcheckConfig? h)
    {
        if (h is null)
        {
            return null;
        }

        if (h.Disable)
        {
            return new HealthConfig { Test = ["NONE"] };
        }

        static long Ns(TimeSpan? t) => t is { } v ? v.Ticks * 100 : 0;
        return new HealthConfig
        {
            Test = h.Test?.ToList(),
            Interval = Ns(h.Interval),
            Timeout = Ns(h.Timeout),
            StartPeriod = Ns(h.StartPeriod),
            Retries = h.Retries ?? 0,
        };
    }
}

/// <summary>A project that cannot be brought up as written (a missing dependency container...).</summary>
public sealed class ComposeEngineException : Exception
{
    public ComposeEngineException()
    {
    }

    public ComposeEngineException(string message)
        : base(message)
    {
    }

    public ComposeEngineException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
