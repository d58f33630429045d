using System.Globalization;

namespace Skiff.Compose;

/// <summary>One compose file's content and the name used in positions.</summary>
public sealed record ComposeFileSource(string FileName, string Content);

public sealed class ComposeLoadOptions
{
    /// <summary>Directory relative paths (build context, bind sources, env files) are resolved against.</summary>
    public required string ProjectDirectory { get; init; }

    /// <summary>Name from <c>-p</c>; falls back to <c>COMPOSE_PROJECT_NAME</c>, the file's <c>name</c>, the directory.</summary>
    public string? ProjectName { get; init; }

    /// <summary>Interpolation variables (environment + .env); null looks nothing up.</summary>
    public Func<string, string?>? Lookup { get; init; }

    public string? Home { get; init; }

    /// <summary>Active profiles (<c>--profile</c>); null takes <c>COMPOSE_PROFILES</c> (comma-separated) from <see cref="Lookup"/>. <c>*</c> enables every service.</summary>
    public IReadOnlyList<string>? Profiles { get; init; }

    /// <summary>Services named on the command line: enabled whatever their profiles, which then become active (compose-spec profiles).</summary>
    public IReadOnlyList<string> ExplicitServices { get; init; } = [];

    /// <summary>Reads the files named by <c>extends.file</c>, <c>include</c> and include <c>env_file</c>; default <see cref="File.ReadAllText(string)"/>.</summary>
    public Func<string, string>? ReadFile { get; init; }
}

/// <summary>
/// Builds the typed <see cref="ComposeProject"/>: reads each file, interpolates and schema-validates each document,
/// resolves <c>extends</c> and <c>include</c>, merges the documents (<see cref="ComposeModelLoader"/>), validates keys,
/// types and references (errors name file:line:column and the path), normalises short syntaxes to long ones like
/// compose-go's loader, adds implicit dependencies, rejects dependency cycles and applies profiles.
/// </summary>
public static class ComposeProjectLoader
{
    public const string VersionObsoleteWarning =
        "the attribute `version` is obsolete, it will be ignored, please remove it to avoid potential confusion";

    private static readonly HashSet<string> TopLevelKeys = ["version", "name", "include", "services", "networks", "volumes", "secrets", "configs", "models"];

    private static readonly HashSet<string> ServiceKeys =
    [
        "annotations", "attach", "blkio_config", "build", "cap_add", "cap_drop", "cgroup", "cgroup_parent", "command", "configs",
        "container_name", "cpu_count", "cpu_percent", "cpu_period", "cpu_quota", "cpu_rt_period", "cpu_rt_runtime", "cpu_shares",
        "cpus", "cpuset", "credential_spec", "depends_on", "deploy", "develop", "device_cgroup_rules", "devices", "dns", "dns_opt",
        "dns_search", "domainname", "entrypoint", "env_file", "environment", "expose", "extends", "external_links", "extra_hosts",
        "gpus", "group_add", "healthcheck", "hostname", "image", "init", "ipc", "isolation", "label_file", "labels", "links",
        "logging", "mac_address", "mem_limit", "mem_reservation", "mem_swappiness", "memswap_limit", "models", "network_mode",
        "networks", "oom_kill_disable", "oom_score_adj", "pid", "pids_limit", "platform", "ports", "post_start", "pre_stop",
        "privileged", "profiles", "provider", "pull_policy", "pull_refresh_after", "read_only", "restart", "runtime", "scale",
        "secrets", "security_opt", "shm_size", "stdin_open", "stop_grace_period", "stop_signal", "storage_opt", "sysctls", "tmpfs",
        "tty", "ulimits", "use_api_socket", "user", "userns_mode", "uts", "volumes", "volumes_from", "working_dir",
    ];

    /// <summary>Service keys the model carries; the rest of <see cref="ServiceKeys"/> is valid compose that Skiff
    /// does not act on, listed per service in <see cref="ServiceConfig.UnsupportedKeys"/>.</summary>
    private static readonly HashSet<string> ModelledServiceKeys =
    [
        "build", "cap_add", "cap_drop", "command", "configs", "container_name", "cpus", "depends_on", "deploy", "dns", "entrypoint", "env_file",
        "environment", "expose", "extends", "extra_hosts", "healthcheck", "hostname", "image", "init", "labels", "links", "mem_limit",
        "network_mode", "networks", "ports", "privileged", "profiles", "pull_policy", "read_only", "restart", "scale", "secrets", "stdin_open",
        "stop_grace_period", "stop_signal", "tmpfs", "tty", "user", "volumes", "volumes_from", "working_dir",
    ];

    private static readonly HashSet<string> BuildKeys =
    [
        "additional_contexts", "args", "cache_from", "cache_to", "context", "dockerfile", "dockerfile_inline", "entitlements",
        "extra_hosts", "isolation", "labels", "network", "no_cache", "platforms", "privileged", "provenance", "pull", "sbom",
        "secrets", "shm_size", "ssh", "tags", "target", "ulimits",
    ];

    private static readonly HashSet<string> DeployKeys = ["endpoint_mode", "labels", "mode", "placement", "replicas", "resources", "restart_policy", "rollback_config", "update_config"];
    private static readonly HashSet<string> HealthcheckKeys = ["disable", "interval", "retries", "start_interval", "start_period", "test", "timeout"];
    private static readonly HashSet<string> PortKeys = ["name", "mode", "host_ip", "target", "published", "protocol", "app_protocol"];
    private static readonly HashSet<string> VolumeKeys = ["type", "source", "target", "read_only", "consistency", "bind", "volume", "tmpfs", "image"];
    private static readonly HashSet<string> DependsOnKeys = ["condition", "required", "restart"];
    private static readonly HashSet<string> ResourcesKeys = ["limits", "reservations"];
    private static readonly HashSet<string> ResourceKeys = ["cpus", "memory", "pids", "devices", "generic_resources"];
    private static readonly HashSet<string> RestartPolicyKeys = ["condition", "delay", "max_attempts", "window"];
    private static readonly HashSet<string> UpdateKeys = ["parallelism", "delay", "failure_action", "monitor", "max_failure_ratio", "order"];
    private static readonly HashSet<string> PlacementKeys = ["constraints", "preferences", "max_replicas_per_node"];

    /// <summary>Reads, interpolates, merges and converts the given files (later files override earlier ones).</summary>
    /// <exception cref="ComposeFileException">Syntax, structure, type or validation error.</exception>
    /// <exception cref="InterpolationException">Invalid interpolation or missing required variable.</exception>
    public static ComposeProject Load(IReadOnlyList<ComposeFileSource> files, ComposeLoadOptions options)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(options);
        var warnings = new List<string>();
        var lookup = options.Lookup ?? (_ => null);
        var loader = new ComposeModelLoader(options.ReadFile ?? File.ReadAllText, options.Home, warnings);
        var merged = loader.Load(files, options.ProjectDirectory, lookup, []);
        foreach (var name in loader.UnsetVariables)
        {
            warnings.Add(Interpolation.UnsetVariableWarning(name));
        }

        var fromFile = merged["name"] is ComposeScalar { IsNull: false } n ? n.Value : null;
        var projectName = ProjectName.Resolve(options.ProjectName, lookup(ProjectName.EnvironmentVariable), fromFile, options.ProjectDirectory);
        var profiles = options.Profiles
            ?? (lookup(ProfilesEnvironmentVariable) ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        return Build(merged, projectName, options.ProjectDirectory, options.Home, warnings, (profiles, options.ExplicitServices));
    }

    public const string ProfilesEnvironmentVariable = "COMPOSE_PROFILES";

    /// <summary>
    /// Converts an already interpolated and merged tree (no schema validation, extends or include; every service
    /// is kept whatever its profiles); a <c>version</c> key yields the obsolete warning.
    /// </summary>
    /// <exception cref="ComposeFileException">Type or validation error.</exception>
    public static ComposeProject FromTree(ComposeMapping tree, string projectName, string projectDirectory, string? home = null)
    {
        ArgumentNullException.ThrowIfNull(tree);
        var warnings = new List<string>();
        if (tree["version"] is { } version)
        {
            warnings.Add($"{version.File}: {VersionObsoleteWarning}");
        }

        return Build(tree, projectName, projectDirectory, home, warnings);
    }

    /// <param name="selection">Active profiles and services named on the command line; null keeps every service.</param>
    private static ComposeProject Build(ComposeMapping tree, string projectName, string projectDirectory, string? home, List<string> warnings, (IReadOnlyList<string> Profiles, IReadOnlyList<string> Explicit)? selection = null)
    {
        var r = new Reader(projectDirectory, home);
        r.CheckKeys(tree, "", TopLevelKeys);
        var networkNodes = r.OptionalMap(tree["networks"], "networks");
        var volumeNodes = r.OptionalMap(tree["volumes"], "volumes");
        var declaredNetworks = networkNodes?.Keys.ToHashSet(StringComparer.Ordinal) ?? [];
        var declaredVolumes = volumeNodes?.Keys.ToHashSet(StringComparer.Ordinal) ?? [];
        var services = new List<ServiceConfig>();
        var serviceMap = r.OptionalMap(tree["services"], "services");
        var serviceNames = serviceMap?.Keys.ToHashSet(StringComparer.Ordinal) ?? [];
        foreach (var entry in serviceMap?.Entries ?? [])
        {
            services.Add(r.Service(entry.Key, entry.Value, declaredNetworks, declaredVolumes, serviceNames));
        }

        ComposeGraph.CheckFileObjectReferences(serviceMap, tree);
        ComposeGraph.CheckCycles(services, serviceMap);
        if (selection is { } s)
        {
            services = ComposeGraph.EnabledServices(services, s.Profiles, s.Explicit, serviceMap);
        }

        // Only enabled services bring in the default network, as compose creates it only when one of them uses it.
        var usesDefault = services.Any(service => service.Networks.ContainsKey("default"));

        var networks = new Dictionary<string, NetworkConfig>(StringComparer.Ordinal);
        foreach (var entry in networkNodes?.Entries ?? [])
        {
            var m = r.MapOrNull(entry.Value, "networks." + entry.Key);
            var external = r.Bool(m?["external"], $"networks.{entry.Key}.external") ?? false;
            var name = r.Str(m?["name"], $"networks.{entry.Key}.name") ?? (external ? entry.Key : $"{projectName}_{entry.Key}");
            networks[entry.Key] = new NetworkConfig(name, r.Str(m?["driver"], $"networks.{entry.Key}.driver"), external, r.StringMap(m?["labels"], $"networks.{entry.Key}.labels"));
        }

        if (usesDefault && !networks.ContainsKey("default"))
        {
            networks["default"] = new NetworkConfig($"{projectName}_default", null, false, new Dictionary<string, string>());
        }

        var volumes = new Dictionary<string, VolumeConfig>(StringComparer.Ordinal);
        foreach (var entry in volumeNodes?.Entries ?? [])
        {
            var m = r.MapOrNull(entry.Value, "volumes." + entry.Key);
            var external = r.Bool(m?["external"], $"volumes.{entry.Key}.external") ?? false;
            var name = r.Str(m?["name"], $"volumes.{entry.Key}.name") ?? (external ? entry.Key : $"{projectName}_{entry.Key}");
            volumes[entry.Key] = new VolumeConfig(name, r.Str(m?["driver"], $"volumes.{entry.Key}.driver"), external, r.StringMap(m?["labels"], $"volumes.{entry.Key}.labels"));
        }

        return new ComposeProject
        {
            Name = projectName,
            WorkingDirectory = projectDirectory,
            Services = services,
            Networks = networks,
            Volumes = volumes,
            Secrets = r.FileObjects(tree["secrets"], "secrets", projectName),
            Configs = r.FileObjects(tree["configs"], "configs", projectName),
            Warnings = warnings,
        };
    }

    private sealed class Reader(string projectDirectory, string? home)
    {
        private readonly string _projectDirectory = projectDirectory;
        private readonly string? _home = home;

        public static ComposeFileException Error(ComposeNode node, string path, string problem) =>
            new(node.File, node.Line, node.Column, path.Length == 0 ? problem : $"{path}: {problem}");

        public void CheckKeys(ComposeMapping map, string path, HashSet<string> allowed)
        {
            foreach (var entry in map.Entries)
            {
                if (!allowed.Contains(entry.Key) && !entry.Key.StartsWith("x-", StringComparison.Ordinal))
                {
                    var where = path.Length == 0 ? "" : path + ".";
                    throw new ComposeFileException(map.File, entry.KeyLine, entry.KeyColumn, $"{where}{entry.Key}: additional property \"{entry.Key}\" is not allowed");
                }
            }
        }

        public ComposeMapping? OptionalMap(ComposeNode? node, string path) => node switch
        {
            null or ComposeScalar { IsNull: true } => null,
            ComposeMapping m => m,
            _ => throw Error(node, path, "must be a mapping"),
        };

        public ComposeMapping? MapOrNull(ComposeNode? node, string path) => OptionalMap(node, path);

        public ComposeMapping Map(ComposeNode node, string path, HashSet<string> allowed)
        {
            if (node is not ComposeMapping m)
            {
                throw Error(node, path, "must be a mapping");
            }

            CheckKeys(m, path, allowed);
            return m;
        }

        public string? Str(ComposeNode? node, string path) => node switch
        {
            null or ComposeScalar { IsNull: true } => null,
            ComposeScalar s => s.Value,
            _ => throw Error(node, path, "must be a string"),
        };

        public bool? Bool(ComposeNode? node, string path) => Str(node, path) switch
        {
            null => null,
            "true" or "True" or "TRUE" => true,
            "false" or "False" or "FALSE" => false,
            var v => throw Error(node!, path, $"must be a boolean, got \"{v}\""),
        };

        public int? Int(ComposeNode? node, string path) => Str(node, path) switch
        {
            null => null,
            var v when int.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i) => i,
            var v => throw Error(node!, path, $"must be an integer, got \"{v}\""),
        };

        public double? Double(ComposeNode? node, string path) => Str(node, path) switch
        {
            null => null,
            var v when double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
            var v => throw Error(node!, path, $"must be a number, got \"{v}\""),
        };

        public TimeSpan? Duration(ComposeNode? node, string path) => Convert(node, path, ComposeUnits.ParseDuration, "duration");

        public T? Convert<T>(ComposeNode? node, string path, Func<string, T> parse, string what)
            where T : struct
        {
            var text = Str(node, path);
            if (text is null)
            {
                return null;
            }

            try
            {
                return parse(text);
            }
            catch (FormatException)
            {
                throw Error(node!, path, $"invalid {what} \"{text}\"");
            }
        }

        public IReadOnlyList<string> StringList(ComposeNode? node, string path, bool allowSingle = false)
        {
            switch (node)
            {
                case null or ComposeScalar { IsNull: true }:
                    return [];
                case ComposeScalar s when allowSingle:
                    return [s.Value];
                case ComposeSequence seq:
                    return seq.Items.Select((item, i) => Str(item, $"{path}[{i}]") ?? throw Error(item, $"{path}[{i}]", "must be a string")).ToList();
                default:
                    throw Error(node, path, "must be a list of strings");
            }
        }

        public IReadOnlyDictionary<string, string?> KeyValues(ComposeNode? node, string path)
        {
            var result = new Dictionary<string, string?>(StringComparer.Ordinal);
            switch (node)
            {
                case null or ComposeScalar { IsNull: true }:
                    break;
                case ComposeMapping m:
                    foreach (var e in m.Entries)
                    {
                        result[e.Key] = Str(e.Value, $"{path}.{e.Key}");
                    }

                    break;
                case ComposeSequence seq:
                    for (var i = 0; i < seq.Items.Count; i++)
                    {
                        var item = Str(seq.Items[i], $"{path}[{i}]") ?? "";
                        var eq = item.IndexOf('=', StringComparison.Ordinal);
                        if (eq < 0)
                        {
                            result[item] = null;
                        }
                        else
                        {
                            result[item[..eq]] = item[(eq + 1)..];
                        }
                    }

                    break;
                default:
                    throw Error(node, path, "must be a mapping or a list of KEY=VALUE");
            }

            return result;
        }

        public IReadOnlyDictionary<string, string> StringMap(ComposeNode? node, string path) =>
            KeyValues(node, path).ToDictionary(kv => kv.Key, kv => kv.Value ?? "", StringComparer.Ordinal);

        public IReadOnlyList<string>? CommandLine(ComposeNode? node, string path)
        {
            switch (node)
            {
                case null or ComposeScalar { IsNull: true }:
                    return null;
                case ComposeScalar s:
                    try
                    {
                        return ComposeUnits.SplitCommand(s.Value);
                    }
                    catch (FormatException e)
                    {
                        throw Error(s, path, e.Message);
                    }

                default:
                    return StringList(node, path);
            }
        }

        public string Resolve(string path) => VolumeParser.ResolvePath(path, _projectDirectory, _home);

        public ServiceConfig Service(string name, ComposeNode node, HashSet<string> networks, HashSet<string> volumes, HashSet<string> services)
        {
            var p = "services." + name;
            var m = node is ComposeScalar { IsNull: true } ? new ComposeMapping([], node.File, node.Line, node.Column) : Map(node, p, ServiceKeys);
            var image = Str(m["image"], p + ".image");
            var build = Build(m["build"], p + ".build");
            if (image is null && build is null)
            {
                throw Error(m, p, "service has neither an image nor a build context specified");
            }

            var serviceVolumes = Volumes(m["volumes"], p + ".volumes", volumes);
            var dependsOn = DependsOn(m["depends_on"], p + ".depends_on", services);
            ComposeGraph.AddImplicitDependencies(dependsOn, m, name, services);
            Dictionary<string, ServiceNetwork?> serviceNetworks = [];
            switch (m["networks"])
            {
                case null or ComposeScalar { IsNull: true }:
                    if (m["network_mode"] is null)
                    {
                        serviceNetworks["default"] = null;
                    }

                    break;
                case ComposeSequence seq:
                    foreach (var (n, i) in StringList(seq, p + ".networks").Select((n, i) => (n, i)))
                    {
                        CheckDeclared(seq.Items[i], name, n, networks, "network");
                        serviceNetworks[n] = null;
                    }

                    break;
                case ComposeMapping nm:
                    foreach (var e in nm.Entries)
                    {
                        CheckDeclared(e.Value, name, e.Key, networks, "network");
                        var np = $"{p}.networks.{e.Key}";
                        var attrs = OptionalMap(e.Value, np);
                        serviceNetworks[e.Key] = attrs is null ? null : new ServiceNetwork(StringList(attrs["aliases"], np + ".aliases"));
                    }

                    break;
                case var other:
                    throw Error(other, p + ".networks", "must be a list or a mapping");
            }

            return new ServiceConfig
            {
                Name = name,
                Image = image,
                Build = build,
                Command = CommandLine(m["command"], p + ".command"),
                Entrypoint = CommandLine(m["entrypoint"], p + ".entrypoint"),
                Environment = KeyValues(m["environment"], p + ".environment"),
                EnvFiles = EnvFiles(m["env_file"], p + ".env_file"),
                Ports = Ports(m["ports"], p + ".ports"),
                Volumes = serviceVolumes,
                Links = StringList(m["links"], p + ".links"),
                DependsOn = dependsOn,
                Networks = serviceNetworks,
                Deploy = Deploy(m["deploy"], p + ".deploy"),
                Healthcheck = Healthcheck(m["healthcheck"], p + ".healthcheck"),
                Labels = StringMap(m["labels"], p + ".labels"),
                Restart = Restart(m["restart"], p + ".restart"),
                Hostname = Str(m["hostname"], p + ".hostname"),
                WorkingDir = Str(m["working_dir"], p + ".working_dir"),
                User = Str(m["user"], p + ".user"),
                Profiles = StringList(m["profiles"], p + ".profiles"),
                Scale = Int(m["scale"], p + ".scale"),
                ContainerName = Str(m["container_name"], p + ".container_name"),
                NetworkMode = Str(m["network_mode"], p + ".network_mode"),
                VolumesFrom = StringList(m["volumes_from"], p + ".volumes_from"),
                StopGracePeriod = Duration(m["stop_grace_period"], p + ".stop_grace_period"),
                StopSignal = Str(m["stop_signal"], p + ".stop_signal"),
                Tty = Bool(m["tty"], p + ".tty") ?? false,
                StdinOpen = Bool(m["stdin_open"], p + ".stdin_open") ?? false,
                Privileged = Bool(m["privileged"], p + ".privileged") ?? false,
                ReadOnly = Bool(m["read_only"], p + ".read_only") ?? false,
                Init = Bool(m["init"], p + ".init"),
                Expose = StringList(m["expose"], p + ".expose"),
                ExtraHosts = ExtraHostList(m["extra_hosts"], p + ".extra_hosts"),
                Dns = StringList(m["dns"], p + ".dns", allowSingle: true),
                CapAdd = StringList(m["cap_add"], p + ".cap_add"),
                CapDrop = StringList(m["cap_drop"], p + ".cap_drop"),
                Tmpfs = StringList(m["tmpfs"], p + ".tmpfs", allowSingle: true),
                MemLimit = Convert(m["mem_limit"], p + ".mem_limit", ComposeUnits.ParseBytes, "memory size"),
                NanoCpus = Convert(m["cpus"], p + ".cpus", ComposeUnits.ParseNanoCpus, "cpus"),
                PullPolicy = Str(m["pull_policy"], p + ".pull_policy"),
                UnsupportedKeys = m.Entries.Select(e => e.Key).Where(k => !ModelledServiceKeys.Contains(k) && !k.StartsWith("x-", StringComparison.Ordinal)).ToList(),
                Secrets = FileReferences(m["secrets"], p + ".secrets"),
                Configs = FileReferences(m["configs"], p + ".configs"),
            };
        }

        /// <summary>Service <c>secrets</c>/<c>configs</c>: a name, or <c>{source, target, uid, gid, mode}</c>.</summary>
        private List<ServiceFileReference> FileReferences(ComposeNode? node, string path)
        {
            var result = new List<ServiceFileReference>();
            if (node is null or ComposeScalar { IsNull: true })
            {
                return result;
            }

            if (node is not ComposeSequence seq)
            {
                throw Error(node, path, "must be a list");
            }

            for (var i = 0; i < seq.Items.Count; i++)
            {
                var ip = $"{path}[{i}]";
                if (seq.Items[i] is ComposeScalar s)
                {
                    result.Add(new ServiceFileReference(s.Value, null, null, null, null));
                    continue;
                }

                var rm = Map(seq.Items[i], ip, ["source", "target", "uid", "gid", "mode"]);
                result.Add(new ServiceFileReference(
                    Str(rm["source"], ip + ".source") ?? throw Error(rm, ip, "source is required"),
                    Str(rm["target"], ip + ".target"),
                    Str(rm["uid"], ip + ".uid"),
                    Str(rm["gid"], ip + ".gid"),
                    Str(rm["mode"], ip + ".mode")));
            }

            return result;
        }

        /// <summary><c>extra_hosts</c> as a list (<c>host:ip</c> or <c>host=ip</c>) or a mapping; normalised to <c>host:ip</c>.</summary>
        private IReadOnlyList<string> ExtraHostList(ComposeNode? node, string path)
        {
            if (node is ComposeMapping)
            {
                return KeyValues(node, path).Select(kv => $"{kv.Key}:{kv.Value}").ToList();
            }

            return StringList(node, path).Select(h =>
            {
                var eq = h.IndexOf('=', StringComparison.Ordinal);
                return eq > 0 ? $"{h[..eq]}:{h[(eq + 1)..]}" : h;
            }).ToList();
        }

        private static void CheckDeclared(ComposeNode at, string service, string name, HashSet<string> declared, string what)
        {
            if (!declared.Contains(name) && !(what == "network" && name == "default"))
            {
                throw new ComposeFileException(at.File, at.Line, at.Column, $"service \"{service}\" refers to undefined {what} {name}: invalid compose project");
            }
        }

        private string? Restart(ComposeNode? node, string path)
        {
            var value = Str(node, path);
            if (value is null or "no" or "always" or "unless-stopped" or "on-failure")
            {
                return value;
            }

            if (value.StartsWith("on-failure:", StringComparison.Ordinal) && int.TryParse(value["on-failure:".Length..], CultureInfo.InvariantCulture, out _))
            {
                return value;
            }

            throw Error(node!, path, $"invalid restart policy \"{value}\"");
        }

        private BuildConfig? Build(ComposeNode? node, string path)
        {
            switch (node)
            {
                case null or ComposeScalar { IsNull: true }:
                    return null;
                case ComposeScalar s:
                    return new BuildConfig(Context(s.Value), "Dockerfile", new Dictionary<string, string?>());
                default:
                    var m = Map(node, path, BuildKeys);
                    return new BuildConfig(
                        Context(Str(m["context"], path + ".context") ?? "."),
                        Str(m["dockerfile"], path + ".dockerfile") ?? "Dockerfile",
                        KeyValues(m["args"], path + ".args"));
            }
        }

        private string Context(string context) =>
            context.Contains("://", StringComparison.Ordinal) || context.StartsWith("git@", StringComparison.Ordinal) ? context : Resolve(context);

        private List<EnvFileRef> EnvFiles(ComposeNode? node, string path)
        {
            var result = new List<EnvFileRef>();
            switch (node)
            {
                case null or ComposeScalar { IsNull: true }:
                    break;
                case ComposeScalar s:
                    result.Add(new EnvFileRef(Resolve(s.Value), true));
                    break;
                case ComposeSequence seq:
                    for (var i = 0; i < seq.Items.Count; i++)
                    {
                        var ip = $"{path}[{i}]";
                        if (seq.Items[i] is ComposeMapping em)
                        {
                            CheckKeys(em, ip, ["path", "required", "format"]);
                            var file = Str(em["path"], ip + ".path") ?? throw Error(em, ip, "path is required");
                            var format = Str(em["format"], ip + ".format");
                            if (format is not null and not "raw")
                            {
                                throw Error(em["format"]!, ip + ".format", $"unsupported env_file format \"{format}\" (compose knows \"raw\", or none for the .env rules)");
                            }

                            result.Add(new EnvFileRef(Resolve(file), Bool(em["required"], ip + ".required") ?? true, format));
                        }
                        else
                        {
                            result.Add(new EnvFileRef(Resolve(Str(seq.Items[i], ip) ?? ""), true));
                        }
                    }

                    break;
                default:
                    throw Error(node, path, "must be a string or a list");
            }

            return result;
        }

        private List<ServicePort> Ports(ComposeNode? node, string path)
        {
            var result = new List<ServicePort>();
            if (node is null or ComposeScalar { IsNull: true })
            {
                return result;
            }

            if (node is not ComposeSequence seq)
            {
                throw Error(node, path, "must be a list");
            }

            for (var i = 0; i < seq.Items.Count; i++)
            {
                var ip = $"{path}[{i}]";
                switch (seq.Items[i])
                {
                    case ComposeScalar s:
                        try
                        {
                            result.AddRange(PortParser.ParseShort(s.Value));
                        }
                        catch (FormatException e)
                        {
                            throw Error(s, ip, $"invalid port \"{s.Value}\": {e.Message}");
                        }

                        break;
                    case var item:
                        var m = Map(item, ip, PortKeys);
                        var target = Int(m["target"], ip + ".target") ?? throw Error(m, ip, "target is required");
                        if (target is < 1 or > 65535)
                        {
                            throw Error(m["target"]!, ip + ".target", $"invalid port {target}");
                        }

                        var mode = Str(m["mode"], ip + ".mode") ?? "ingress";
                        if (mode is not ("ingress" or "host"))
                        {
                            throw Error(m["mode"]!, ip + ".mode", $"invalid mode \"{mode}\"");
                        }

                        result.Add(new ServicePort(mode, target, Str(m["published"], ip + ".published"), Str(m["protocol"], ip + ".protocol") ?? "tcp", Str(m["host_ip"], ip + ".host_ip")));
                        break;
                }
            }

            return result;
        }

        private List<ServiceVolume> Volumes(ComposeNode? node, string path, HashSet<string> declared)
        {
            var result = new List<ServiceVolume>();
            if (node is null or ComposeScalar { IsNull: true })
            {
                return result;
            }

            if (node is not ComposeSequence seq)
            {
                throw Error(node, path, "must be a list");
            }

            var service = path.Split('.')[1];
            for (var i = 0; i < seq.Items.Count; i++)
            {
                var ip = $"{path}[{i}]";
                ServiceVolume volume;
                if (seq.Items[i] is ComposeScalar s)
                {
                    try
                    {
                        volume = VolumeParser.ParseShort(s.Value, _projectDirectory, _home);
                    }
                    catch (FormatException e)
                    {
                        throw Error(s, ip, $"invalid volume \"{s.Value}\": {e.Message}");
                    }
                }
                else
                {
                    var m = Map(seq.Items[i], ip, VolumeKeys);
                    var typeText = Str(m["type"], ip + ".type") ?? throw Error(m, ip, "type is required");
                    var type = typeText switch
                    {
                        "bind" => VolumeType.Bind,
                        "volume" => VolumeType.Volume,
                        "tmpfs" => VolumeType.Tmpfs,
                        _ => throw Error(m["type"]!, ip + ".type", $"unsupported volume type \"{typeText}\""),
                    };
                    var target = Str(m["target"], ip + ".target") ?? throw Error(m, ip, "target is required");
                    var source = Str(m["source"], ip + ".source");
                    if (type == VolumeType.Bind)
                    {
                        source = Resolve(source ?? throw Error(m, ip, "source is required for a bind mount"));
                    }

                    var bind = OptionalMap(m["bind"], ip + ".bind");
                    var vol = OptionalMap(m["volume"], ip + ".volume");
                    volume = new ServiceVolume(type, source, target, Bool(m["read_only"], ip + ".read_only") ?? false)
                    {
                        CreateHostPath = Bool(bind?["create_host_path"], ip + ".bind.create_host_path") ?? false,
                        NoCopy = Bool(vol?["nocopy"], ip + ".volume.nocopy") ?? false,
                    };
                }

                if (volume is { Type: VolumeType.Volume, Source: { } named })
                {
                    CheckDeclared(seq.Items[i], service, named, declared, "volume");
                }

                result.Add(volume);
            }

            return result;
        }

        private Dictionary<string, ServiceDependency> DependsOn(ComposeNode? node, string path, HashSet<string> services)
        {
            var result = new Dictionary<string, ServiceDependency>(StringComparer.Ordinal);
            var service = path.Split('.')[1];
            void Check(ComposeNode at, string name)
            {
                if (!services.Contains(name))
                {
                    throw new ComposeFileException(at.File, at.Line, at.Column, $"service \"{service}\" depends on undefined service \"{name}\": invalid compose project");
                }
            }

            switch (node)
            {
                case null or ComposeScalar { IsNull: true }:
                    break;
                case ComposeSequence seq:
                    var names = StringList(seq, path);
                    for (var i = 0; i < names.Count; i++)
                    {
                        Check(seq.Items[i], names[i]);
                        result[names[i]] = new ServiceDependency("service_started", true, false);
                    }

                    break;
                case ComposeMapping m:
                    foreach (var e in m.Entries)
                    {
                        var ep = $"{path}.{e.Key}";
                        Check(e.Value, e.Key);
                        var dm = e.Value is ComposeScalar { IsNull: true } ? null : Map(e.Value, ep, DependsOnKeys);
                        var condition = Str(dm?["condition"], ep + ".condition") ?? "service_started";
                        if (condition is not ("service_started" or "service_healthy" or "service_completed_successfully"))
                        {
                            throw Error(dm!["condition"]!, ep + ".condition", $"invalid condition \"{condition}\"");
                        }

                        result[e.Key] = new ServiceDependency(condition, Bool(dm?["required"], ep + ".required") ?? true, Bool(dm?["restart"], ep + ".restart") ?? false);
                    }

                    break;
                default:
                    throw Error(node, path, "must be a list or a mapping");
            }

            return result;
        }

        private DeployConfig? Deploy(ComposeNode? node, string path)
        {
            if (node is null or ComposeScalar { IsNull: true })
            {
                return null;
            }

            var m = Map(node, path, DeployKeys);
            ResourceSpec? limits = null, reservations = null;
            if (OptionalMap(m["resources"], path + ".resources") is { } res)
            {
                CheckKeys(res, path + ".resources", ResourcesKeys);
                limits = Resource(res["limits"], path + ".resources.limits");
                reservations = Resource(res["reservations"], path + ".resources.reservations");
            }

            RestartPolicy? restart = null;
            if (m["restart_policy"] is { } rpn && rpn is not ComposeScalar { IsNull: true })
            {
                var rp = Map(rpn, path + ".restart_policy", RestartPolicyKeys);
                var rpp = path + ".restart_policy";
                var condition = Str(rp["condition"], rpp + ".condition");
                if (condition is not (null or "none" or "on-failure" or "any"))
                {
                    throw Error(rp["condition"]!, rpp + ".condition", $"invalid condition \"{condition}\"");
                }

                restart = new RestartPolicy(condition, Duration(rp["delay"], rpp + ".delay"), Int(rp["max_attempts"], rpp + ".max_attempts"), Duration(rp["window"], rpp + ".window"));
            }

            Placement? placement = null;
            if (m["placement"] is { } pn && pn is not ComposeScalar { IsNull: true })
            {
                var pp = path + ".placement";
                var pm = Map(pn, pp, PlacementKeys);
                var spreads = new List<string>();
                if (pm["preferences"] is ComposeSequence prefs)
                {
                    for (var i = 0; i < prefs.Items.Count; i++)
                    {
                        var pref = Map(prefs.Items[i], $"{pp}.preferences[{i}]", ["spread"]);
                        spreads.Add(Str(pref["spread"], $"{pp}.preferences[{i}].spread") ?? "");
                    }
                }

                placement = new Placement(StringList(pm["constraints"], pp + ".constraints"), spreads, Int(pm["max_replicas_per_node"], pp + ".max_replicas_per_node"));
            }

            var mode = Str(m["mode"], path + ".mode");
            if (mode is not (null or "replicated" or "global" or "replicated-job" or "global-job"))
            {
                throw Error(m["mode"]!, path + ".mode", $"invalid mode \"{mode}\"");
            }

            var endpointMode = Str(m["endpoint_mode"], path + ".endpoint_mode");
            if (endpointMode is not (null or "vip" or "dnsrr"))
            {
                throw Error(m["endpoint_mode"]!, path + ".endpoint_mode", $"invalid endpoint mode \"{endpointMode}\"");
            }

            return new DeployConfig
            {
                Mode = mode,
                Replicas = Int(m["replicas"], path + ".replicas"),
                Labels = StringMap(m["labels"], path + ".labels"),
                UpdateConfig = Update(m["update_config"], path + ".update_config"),
                RollbackConfig = Update(m["rollback_config"], path + ".rollback_config"),
                Limits = limits,
                Reservations = reservations,
                RestartPolicy = restart,
                Placement = placement,
                EndpointMode = endpointMode,
            };
        }

        private ResourceSpec? Resource(ComposeNode? node, string path)
        {
            if (node is null or ComposeScalar { IsNull: true })
            {
                return null;
            }

            var m = Map(node, path, ResourceKeys);
            var cpus = Str(m["cpus"], path + ".cpus");
            return new ResourceSpec(
                cpus,
                Convert(m["cpus"], path + ".cpus", ComposeUnits.ParseNanoCpus, "cpus"),
                Convert(m["memory"], path + ".memory", ComposeUnits.ParseBytes, "memory size"),
                Convert(m["pids"], path + ".pids", t => long.Parse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture), "pids"));
        }

        private UpdateConfig? Update(ComposeNode? node, string path)
        {
            if (node is null or ComposeScalar { IsNull: true })
            {
                return null;
            }

            var m = Map(node, path, UpdateKeys);
            var order = Str(m["order"], path + ".order");
            if (order is not (null or "start-first" or "stop-first"))
            {
                throw Error(m["order"]!, path + ".order", $"invalid order \"{order}\"");
            }

            return new UpdateConfig(
                Int(m["parallelism"], path + ".parallelism"),
                Duration(m["delay"], path + ".delay"),
                Str(m["failure_action"], path + ".failure_action"),
                Duration(m["monitor"], path + ".monitor"),
                Double(m["max_failure_ratio"], path + ".max_failure_ratio"),
                order);
        }

        private HealthcheckConfig? Healthcheck(ComposeNode? node, string path)
        {
            if (node is null or ComposeScalar { IsNull: true })
            {
                return null;
            }

            var m = Map(node, path, HealthcheckKeys);
            var test = m["test"] switch
            {
                null or ComposeScalar { IsNull: true } => null,
                ComposeScalar s => ["CMD-SHELL", s.Value],
                var t => StringList(t, path + ".test"),
            };
            return new HealthcheckConfig(
                test,
                Duration(m["interval"], path + ".interval"),
                Duration(m["timeout"], path + ".timeout"),
                Duration(m["start_period"], path + ".start_period"),
                Duration(m["start_interval"], path + ".start_interval"),
                Int(m["retries"], path + ".retries"),
                Bool(m["disable"], path + ".disable") ?? false);
        }

        public Dictionary<string, FileObjectConfig> FileObjects(ComposeNode? node, string path, string projectName)
        {
            var result = new Dictionary<string, FileObjectConfig>(StringComparer.Ordinal);
            foreach (var e in OptionalMap(node, path)?.Entries ?? [])
            {
                var ep = $"{path}.{e.Key}";
                var m = OptionalMap(e.Value, ep);
                var external = Bool(m?["external"], ep + ".external") ?? false;
                var file = Str(m?["file"], ep + ".file");
                result[e.Key] = new FileObjectConfig(
                    Str(m?["name"], ep + ".name") ?? (external ? e.Key : $"{projectName}_{e.Key}"),
                    file is null ? null : Resolve(file),
                    Str(m?["environment"], ep + ".environment"),
                    external)
                {
                    Labels = StringMap(m?["labels"], ep + ".labels"),
                };
            }

            return result;
        }
    }
}
