using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Skiff.Api;
using Skiff.Cli.Connection;
using Skiff.Cli.Formatting;

namespace Skiff.Cli.Commands;

/// <summary>
/// The flags of <c>service create</c> and <c>service update</c> (docker 28's names) and their translation to a
/// <see cref="ServiceSpecWire"/>: <see cref="BuildCreateSpecAsync"/> is docker's ToService,
/// <see cref="ApplyUpdateAsync"/> its updateService (only the flags given change the spec).
/// </summary>
internal sealed partial class ServiceOptions
{
    private const long DefaultMonitorNs = 5_000_000_000;
    private const long DefaultRestartDelayNs = 5_000_000_000;

    public ServiceOptions(bool update)
    {
        IsUpdate = update;
        var restartSuffix = update ? "" : " (default \"any\")";
        RestartCondition = Common.Str("--restart-condition", null, "Restart when condition is met (\"none\", \"on-failure\", \"any\")" + restartSuffix);
        RestartDelay = Common.Str("--restart-delay", null, "Delay between restart attempts (ns|us|ms|s|m|h)" + (update ? "" : " (default 5s)"));
        StopGracePeriod = Common.Str("--stop-grace-period", null, "Time to wait before force killing a container (ns|us|ms|s|m|h)" + (update ? "" : " (default 10s)"));
        UpdateConfigFlags = new UpdateFlags("update", "updated", "update", update);
        RollbackConfigFlags = new UpdateFlags("rollback", "rolled back", "rollback", update);
        EndpointMode = Common.Str("--endpoint-mode", null, "Endpoint mode (vip or dnsrr)" + (update ? "" : " (default \"vip\")"));
        Mode = Common.Str("--mode", null, "Service mode (\"replicated\", \"global\", \"replicated-job\", \"global-job\") (default \"replicated\")");
    }

    public bool IsUpdate { get; }

    // ---- flags shared by create and update
    public Option<bool> Detach { get; } = Common.Flag("--detach", "-d", "Exit immediately instead of waiting for the service to converge");
    public Option<bool> Quiet { get; } = Common.Flag("--quiet", "-q", "Suppress progress output");
    public Option<string?> Workdir { get; } = Common.Str("--workdir", "-w", "Working directory inside the container");
    public Option<string?> User { get; } = Common.Str("--user", "-u", "Username or UID (format: <name|uid>[:<group|gid>])");
    public Option<string?> Hostname { get; } = Common.Str("--hostname", null, "Container hostname");
    public Option<string?> Entrypoint { get; } = Common.Str("--entrypoint", null, "Overwrite the default ENTRYPOINT of the image");
    public Option<string?> LimitCpu { get; } = Common.Str("--limit-cpu", null, "Limit CPUs");
    public Option<string?> LimitMemory { get; } = Common.Str("--limit-memory", null, "Limit Memory");
    public Option<string?> LimitPids { get; } = Common.Str("--limit-pids", null, "Limit maximum number of processes (default 0 = unlimited)");
    public Option<string?> ReserveCpu { get; } = Common.Str("--reserve-cpu", null, "Reserve CPUs");
    public Option<string?> ReserveMemory { get; } = Common.Str("--reserve-memory", null, "Reserve Memory");
    public Option<string?> StopGracePeriod { get; }
    public Option<string?> Replicas { get; } = Common.Str("--replicas", null, "Number of tasks");
    public Option<string?> MaxConcurrent { get; } = Common.Str("--max-concurrent", null, "Number of job tasks to run concurrently (default equal to --replicas)");
    public Option<string?> MaxReplicas { get; } = Common.Str("--replicas-max-per-node", null, "Maximum number of tasks per node (default 0 = unlimited)");
    public Option<string?> RestartCondition { get; }
    public Option<string?> RestartDelay { get; }
    public Option<string?> RestartMaxAttempts { get; } = Common.Str("--restart-max-attempts", null, "Maximum number of restarts before giving up");
    public Option<string?> RestartWindow { get; } = Common.Str("--restart-window", null, "Window used to evaluate the restart policy (ns|us|ms|s|m|h)");
    public UpdateFlags UpdateConfigFlags { get; }
    public UpdateFlags RollbackConfigFlags { get; }
    public Option<string?> EndpointMode { get; }
    public Option<bool> WithRegistryAuth { get; } = Common.Flag("--with-registry-auth", null, "Send registry authentication details to swarm agents (skiff keeps no registry credentials: accepted, nothing to send)");
    public Option<bool> NoResolveImage { get; } = Common.Flag("--no-resolve-image", null, "Do not query the registry to resolve image digest and supported platforms");
    public Option<string?> HealthCmd { get; } = Common.Str("--health-cmd", null, "Command to run to check health");
    public Option<string?> HealthInterval { get; } = Common.Str("--health-interval", null, "Time between running the check (ms|s|m|h)");
    public Option<string?> HealthTimeout { get; } = Common.Str("--health-timeout", null, "Maximum time to allow one check to run (ms|s|m|h)");
    public Option<string?> HealthRetries { get; } = Common.Str("--health-retries", null, "Consecutive failures needed to report unhealthy");
    public Option<string?> HealthStartPeriod { get; } = Common.Str("--health-start-period", null, "Start period for the container to initialize before counting retries towards unstable (ms|s|m|h)");
    public Option<bool> NoHealthcheck { get; } = Common.Flag("--no-healthcheck", null, "Disable any container-specified HEALTHCHECK");
    public Option<string?> StopSignal { get; } = Common.Str("--stop-signal", null, "Signal to stop the container");
    public Option<bool> Tty { get; } = Common.Flag("--tty", "-t", "Allocate a pseudo-TTY");
    public Option<bool> Init { get; } = Common.Flag("--init", null, "Use an init inside each service container to forward signals and reap processes");

    // ---- create only
    public Option<string?> Name { get; } = Common.Str("--name", null, "Service name");
    public Option<string?> Mode { get; }
    public Option<string[]> Label { get; } = Common.List("--label", "-l", "Service labels");
    public Option<string[]> ContainerLabel { get; } = Common.List("--container-label", null, "Container labels");
    public Option<string[]> Env { get; } = Common.List("--env", "-e", "Set environment variables");
    public Option<string[]> EnvFile { get; } = Common.List("--env-file", null, "Read in a file of environment variables");
    public Option<string[]> Mount { get; } = Common.List("--mount", null, "Attach a filesystem mount to the service");
    public Option<string[]> Constraint { get; } = Common.List("--constraint", null, "Placement constraints");
    public Option<string[]> PlacementPref { get; } = Common.List("--placement-pref", null, "Add a placement preference");
    public Option<string[]> Network { get; } = Common.List("--network", null, "Network attachments");
    public Option<string[]> Publish { get; } = Common.List("--publish", "-p", "Publish a port as a node port");
    public Option<string[]> Secret { get; } = Common.List("--secret", null, "Specify secrets to expose to the service");
    public Option<string[]> Config { get; } = Common.List("--config", null, "Specify configurations to expose to the service");
    public Argument<string> ImageArg { get; } = new("IMAGE");
    public Argument<string[]> CommandArg { get; } = new("COMMAND") { Arity = ArgumentArity.ZeroOrMore };

    // ---- update only
    public Option<string?> Image { get; } = Common.Str("--image", null, "Service image tag");
    public Option<string?> Args { get; } = Common.Str("--args", null, "Service command args");
    public Option<bool> Rollback { get; } = Common.Flag("--rollback", null, "Rollback to previous specification");
    public Option<bool> Force { get; } = Common.Flag("--force", null, "Force update even if no changes require it");
    public Option<string[]> EnvAdd { get; } = Common.List("--env-add", null, "Add or update an environment variable");
    public Option<string[]> EnvRm { get; } = Common.List("--env-rm", null, "Remove an environment variable");
    public Option<string[]> LabelAdd { get; } = Common.List("--label-add", null, "Add or update a service label");
    public Option<string[]> LabelRm { get; } = Common.List("--label-rm", null, "Remove a label by its key");
    public Option<string[]> ContainerLabelAdd { get; } = Common.List("--container-label-add", null, "Add or update a container label");
    public Option<string[]> ContainerLabelRm { get; } = Common.List("--container-label-rm", null, "Remove a container label by its key");
    public Option<string[]> ConstraintAdd { get; } = Common.List("--constraint-add", null, "Add or update a placement constraint");
    public Option<string[]> ConstraintRm { get; } = Common.List("--constraint-rm", null, "Remove a constraint");
    public Option<string[]> PlacementPrefAdd { get; } = Common.List("--placement-pref-add", null, "Add a placement preference");
    public Option<string[]> PlacementPrefRm { get; } = Common.List("--placement-pref-rm", null, "Remove a placement preference");
    public Option<string[]> PublishAdd { get; } = Common.List("--publish-add", null, "Add or update a published port");
    public Option<string[]> PublishRm { get; } = Common.List("--publish-rm", null, "Remove a published port by its target port");
    public Option<string[]> MountAdd { get; } = Common.List("--mount-add", null, "Add or update a mount on a service");
    public Option<string[]> MountRm { get; } = Common.List("--mount-rm", null, "Remove a mount by its target path");
    public Option<string[]> NetworkAdd { get; } = Common.List("--network-add", null, "Add a network");
    public Option<string[]> NetworkRm { get; } = Common.List("--network-rm", null, "Remove a network");
    public Option<string[]> SecretAdd { get; } = Common.List("--secret-add", null, "Add or update a secret on a service");
    public Option<string[]> SecretRm { get; } = Common.List("--secret-rm", null, "Remove a secret");
    public Option<string[]> ConfigAdd { get; } = Common.List("--config-add", null, "Add or update a config file on a service");
    public Option<string[]> ConfigRm { get; } = Common.List("--config-rm", null, "Remove a configuration file");

    /// <summary>The six <c>--update-*</c> or <c>--rollback-*</c> flags.</summary>
    internal sealed class UpdateFlags
    {
        public UpdateFlags(string prefix, string verb, string noun, bool update)
        {
            string D(string text) => update ? "" : text;
            Parallelism = Common.Str($"--{prefix}-parallelism", null, $"Maximum number of tasks {verb} simultaneously (0 to {(prefix == "update" ? "update" : "roll back")} all at once){D(" (default 1)")}");
            Delay = Common.Str($"--{prefix}-delay", null, $"Delay between {(prefix == "update" ? "updates" : "task rollbacks")} (ns|us|ms|s|m|h){D(" (default 0s)")}");
            Monitor = Common.Str($"--{prefix}-monitor", null, $"Duration after each task {noun} to monitor for failure (ns|us|ms|s|m|h){D(" (default 5s)")}");
            FailureAction = Common.Str($"--{prefix}-failure-action", null, prefix == "update"
                ? $"Action on update failure (\"pause\", \"continue\", \"rollback\"){D(" (default \"pause\")")}"
                : $"Action on rollback failure (\"pause\", \"continue\"){D(" (default \"pause\")")}");
            MaxFailureRatio = Common.Str($"--{prefix}-max-failure-ratio", null, $"Failure rate to tolerate during {(prefix == "update" ? "an update" : "a rollback")}{D(" (default 0)")}");
            Order = Common.Str($"--{prefix}-order", null, $"{(prefix == "update" ? "Update" : "Rollback")} order (\"start-first\", \"stop-first\"){D(" (default \"stop-first\")")}");
        }

        public Option<string?> Parallelism { get; }
        public Option<string?> Delay { get; }
        public Option<string?> Monitor { get; }
        public Option<string?> FailureAction { get; }
        public Option<string?> MaxFailureRatio { get; }
        public Option<string?> Order { get; }

        public Option[] All => [Parallelism, Delay, Monitor, FailureAction, MaxFailureRatio, Order];

        /// <summary>docker's updateConfigFromDefaults plus the flags given (null when none was).</summary>
        public UpdateConfigWire? Apply(ParseResult pr, UpdateConfigWire? existing)
        {
            if (!All.Any(o => Changed(pr, o)))
            {
                return existing;
            }
            var c = existing ?? new UpdateConfigWire { Parallelism = 1, Delay = 0, Monitor = DefaultMonitorNs, FailureAction = "pause", MaxFailureRatio = 0, Order = "stop-first" };
            if (Changed(pr, Parallelism))
            {
                c.Parallelism = ParseUint(pr, Parallelism, bitSize: 64);
            }
            if (Changed(pr, Delay))
            {
                c.Delay = ParseDuration(pr, Delay, positive: false);
            }
            if (Changed(pr, Monitor))
            {
                c.Monitor = ParseDuration(pr, Monitor, positive: false);
            }
            if (Changed(pr, FailureAction))
            {
                c.FailureAction = pr.GetValue(FailureAction) ?? "";
            }
            if (Changed(pr, MaxFailureRatio))
            {
                var text = pr.GetValue(MaxFailureRatio) ?? "";
                if (!GoText.TryParseFloat(text, out var ratio, out var error))
                {
                    throw Invalid(MaxFailureRatio, text, error);
                }
                c.MaxFailureRatio = ratio;
            }
            if (Changed(pr, Order))
            {
                c.Order = pr.GetValue(Order) ?? "";
            }
            return c;
        }
    }

    public void AddTo(Command cmd)
    {
        var common = new List<Option>
        {
            Detach, Quiet, Workdir, User, Hostname, Entrypoint, LimitCpu, LimitMemory, LimitPids, ReserveCpu, ReserveMemory,
            StopGracePeriod, Replicas, MaxConcurrent, MaxReplicas, RestartCondition, RestartDelay, RestartMaxAttempts, RestartWindow,
            EndpointMode, WithRegistryAuth, NoResolveImage, HealthCmd, HealthInterval, HealthTimeout, HealthRetries, HealthStartPeriod,
            NoHealthcheck, StopSignal, Tty, Init,
        };
        common.AddRange(UpdateConfigFlags.All);
        common.AddRange(RollbackConfigFlags.All);
        if (IsUpdate)
        {
            common.AddRange([
                Image, Args, Rollback, Force, EnvAdd, EnvRm, LabelAdd, LabelRm, ContainerLabelAdd, ContainerLabelRm, ConstraintAdd,
                ConstraintRm, PlacementPrefAdd, PlacementPrefRm, PublishAdd, PublishRm, MountAdd, MountRm, NetworkAdd, NetworkRm,
                SecretAdd, SecretRm, ConfigAdd, ConfigRm,
            ]);
        }
        else
        {
            common.AddRange([Name, Mode, Label, ContainerLabel, Env, EnvFile, Mount, Constraint, PlacementPref, Network, Publish, Secret, Config]);
        }
        foreach (var o in common)
        {
            cmd.Options.Add(o);
        }
        if (!IsUpdate)
        {
            cmd.Arguments.Add(ImageArg);
            cmd.Arguments.Add(CommandArg);
        }
    }

    /// <summary>True when the flag was given on the command line (pflag's Changed).</summary>
    public static bool Changed(ParseResult pr, Option option) => pr.GetResult(option) is { Implicit: false };

    /// <summary>"-e, --env" or "--name": how pflag names a flag in its errors.</summary>
    public static string Display(Option option)
    {
        var shortName = option.Aliases.FirstOrDefault(a => a.Length == 2 && a[0] == '-' && a[1] != '-');
        return shortName != null ? $"{shortName}, {option.Name}" : option.Name;
    }

    /// <summary>pflag's error for a value a flag rejects: one line, exit 125 like docker's flag errors.</summary>
    public static CliException Invalid(Option option, string value, string error) =>
        new($"invalid argument \"{value}\" for \"{Display(option)}\" flag: {error}", CliApp.UsageExitCode);

    // ------------------------------------------------------------------ value parsers (docker's flag types)

    public static long ParseDuration(ParseResult pr, Option<string?> option, bool positive)
    {
        var text = pr.GetValue(option) ?? "";
        if (!Units.TryParseGoDuration(text, out var d))
        {
            throw Invalid(option, text, $"time: invalid duration {GoText.Quote(text)}");
        }
        if (positive && d < TimeSpan.Zero)
        {
            throw Invalid(option, text, "duration cannot be negative");
        }
        return Units.ToNanoseconds(d);
    }

    public static ulong ParseUint(ParseResult pr, Option<string?> option, int bitSize)
    {
        var text = pr.GetValue(option) ?? "";
        if (!GoText.TryParseUint(text, base0: true, bitSize, out var v, out var error))
        {
            throw Invalid(option, text, error);
        }
        return v;
    }

    public static long ParseInt(ParseResult pr, Option<string?> option)
    {
        var text = pr.GetValue(option) ?? "";
        if (!GoText.TryParseInt(text, out var v, out var error))
        {
            throw Invalid(option, text, error);
        }
        return v;
    }

    /// <summary>docker's opts.NanoCPUs: a rational number of CPUs, at most 9 decimals.</summary>
    public static long ParseNanoCpus(ParseResult pr, Option<string?> option)
    {
        var text = pr.GetValue(option) ?? "";
        decimal cpus;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash > 0 && decimal.TryParse(text[..slash], NumberStyles.Integer, CultureInfo.InvariantCulture, out var num)
            && decimal.TryParse(text[(slash + 1)..], NumberStyles.Integer, CultureInfo.InvariantCulture, out var den) && den != 0)
        {
            cpus = num / den;
        }
        else if (!decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out cpus))
        {
            throw Invalid(option, text, $"failed to parse {text} as a rational number");
        }
        var nano = cpus * 1_000_000_000m;
        if (nano != decimal.Truncate(nano))
        {
            throw Invalid(option, text, "value is too precise");
        }
        return (long)nano;
    }

    public static long ParseMemory(ParseResult pr, Option<string?> option)
    {
        var text = pr.GetValue(option) ?? "";
        if (!GoText.TryRamInBytes(text, out var bytes, out var error))
        {
            throw Invalid(option, text, error);
        }
        return bytes;
    }

    /// <summary>docker's opts.ValidateEnv: a bare name takes its value from our environment.</summary>
    public static string ValidateEnv(Option option, string value, Func<string, string?> getEnv)
    {
        var eq = value.IndexOf('=', StringComparison.Ordinal);
        var key = eq < 0 ? value : value[..eq];
        if (key.Length == 0)
        {
            throw Invalid(option, value, "invalid environment variable: " + value);
        }
        if (eq >= 0)
        {
            return value;
        }
        return getEnv(key) is { } v ? key + "=" + v : value;
    }

    /// <summary>docker's opts.ValidateLabel: a non-empty key without whitespace.</summary>
    public static string ValidateLabel(Option option, string value)
    {
        var eq = value.IndexOf('=', StringComparison.Ordinal);
        var key = (eq < 0 ? value : value[..eq]).Trim();
        if (key.Length == 0)
        {
            throw Invalid(option, value, $"invalid label '{value}': empty name");
        }
        if (key.Any(char.IsWhiteSpace))
        {
            throw Invalid(option, value, $"label '{key}' contains whitespaces");
        }
        return value;
    }

    private static Dictionary<string, string> KeyValueMap(IEnumerable<string> items)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            var eq = item.IndexOf('=', StringComparison.Ordinal);
            map[eq < 0 ? item : item[..eq]] = eq < 0 ? "" : item[(eq + 1)..];
        }
        return Sorted(map);
    }

    /// <summary>Keys in order, as Go marshals a map.</summary>
    private static Dictionary<string, string> Sorted(Dictionary<string, string> map) =>
        map.OrderBy(p => p.Key, StringComparer.Ordinal).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);

    [GeneratedRegex(@"\w+=\w+(,\w+=\w+)*")]
    private static partial Regex LongSyntax();

    /// <summary>docker's opts.PortOpt: <c>8080:80[/udp]</c>, ranges, or <c>mode=host,published=8080,target=80,protocol=tcp</c>.</summary>
    public static List<PortConfig> ParsePort(Option option, string value)
    {
        if (LongSyntax().IsMatch(value))
        {
            var port = new PortConfig { Protocol = "", PublishMode = "" };
            foreach (var field in value.Split(','))
            {
                var eq = field.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0)
                {
                    throw Invalid(option, value, "invalid field " + field);
                }
                var key = field[..eq];
                var val = field[(eq + 1)..];
                switch (key)
                {
                    case "protocol":
                        if (val is not ("tcp" or "udp" or "sctp"))
                        {
                            throw Invalid(option, value, "invalid protocol value " + val);
                        }
                        port.Protocol = val;
                        break;
                    case "mode":
                        if (val is not ("ingress" or "host"))
                        {
                            throw Invalid(option, value, "invalid publish mode value " + val);
                        }
                        port.PublishMode = val;
                        break;
                    case "target":
                    case "published":
                        if (!GoText.TryParseUint(val, base0: false, 16, out var p, out var error))
                        {
                            throw Invalid(option, value, error);
                        }
                        if (key == "target")
                        {
                            port.TargetPort = (uint)p;
                        }
                        else
                        {
                            port.PublishedPort = (uint)p;
                        }
                        break;
                    default:
                        throw Invalid(option, value, "invalid field key " + key);
                }
            }
            if (port.TargetPort == 0)
            {
                throw Invalid(option, value, "missing mandatory field 'target'");
            }
            port.PublishMode = port.PublishMode.Length == 0 ? "ingress" : port.PublishMode;
            port.Protocol = port.Protocol.Length == 0 ? "tcp" : port.Protocol;
            return [port];
        }
        List<PortMapping> mappings;
        try
        {
            mappings = PortSpec.ParseSpec(value);
        }
        catch (SkiffException e)
        {
            // go-connections' wording ("Invalid ip address" is the daemon-side spelling in PortSpec).
            throw Invalid(option, value, e.Message.StartsWith("Invalid ip address: ", StringComparison.Ordinal)
                ? "invalid IP address: " + e.Message["Invalid ip address: ".Length..]
                : e.Message);
        }
        if (mappings.Any(m => !string.IsNullOrEmpty(m.Binding.HostIp)))
        {
            throw Invalid(option, value, "hostip is not supported");
        }
        var result = new List<PortConfig>();
        foreach (var m in mappings)
        {
            var (proto, portText) = PortSpec.SplitProtoPort(m.Port);
            var target = uint.Parse(portText, CultureInfo.InvariantCulture);
            var hostPort = m.Binding.HostPort ?? "";
            uint start = 0, end = 0;
            if (hostPort.Length > 0 && !PortSpec.TryParsePortRange(hostPort, out start, out end))
            {
                throw Invalid(option, value, $"invalid hostport binding ({hostPort}) for port ({portText})");
            }
            for (var published = start; published <= end; published++)
            {
                result.Add(new PortConfig { Protocol = proto.ToLowerInvariant(), TargetPort = target, PublishedPort = published, PublishMode = "ingress" });
            }
        }
        return result;
    }

    /// <summary>docker's --mount CSV (type defaults to volume; target is required).</summary>
    public static MountWire ParseMount(Option option, string value)
    {
        Mount m;
        try
        {
            m = CreateOptions.ParseMount(value);
        }
        catch (CliException e)
        {
            throw new CliException(e.Message.Replace("\"--mount\"", "\"" + Display(option) + "\"", StringComparison.Ordinal), CliApp.UsageExitCode);
        }
        return new MountWire
        {
            Type = m.Type,
            Source = m.Source ?? "",
            Target = m.Target,
            ReadOnly = m.ReadOnly,
            Consistency = m.Consistency,
            BindOptions = m.BindOptions == null ? null : new MountBindOptions { Propagation = m.BindOptions.Propagation },
            VolumeOptions = m.VolumeOptions == null ? null : new MountVolumeOptions { NoCopy = m.VolumeOptions.NoCopy, Labels = m.VolumeOptions.Labels },
            TmpfsOptions = m.TmpfsOptions == null ? null : new MountTmpfsOptions { SizeBytes = m.TmpfsOptions.SizeBytes, Mode = m.TmpfsOptions.Mode },
        };
    }

    /// <summary>docker's placementPrefOpts: only <c>spread=&lt;label&gt;</c>.</summary>
    public static PlacementPreference ParsePlacementPref(Option option, string value)
    {
        var eq = value.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0)
        {
            throw Invalid(option, value, "placement preference must be of the format \"<strategy>=<arg>\"");
        }
        var strategy = value[..eq];
        if (strategy != "spread")
        {
            throw Invalid(option, value, $"unsupported placement preference {strategy} (only spread is supported)");
        }
        return new PlacementPreference { Spread = new SpreadOver { SpreadDescriptor = value[(eq + 1)..] } };
    }

    /// <summary>docker's NetworkOpt: a name, or <c>name=…,alias=…,driver-opt=k=v</c>.</summary>
    public static NetworkAttachmentConfig ParseNetwork(Option option, string value)
    {
        if (!LongSyntax().IsMatch(value))
        {
            return new NetworkAttachmentConfig { Target = value };
        }
        var result = new NetworkAttachmentConfig { Aliases = [] };
        foreach (var field in value.Split(','))
        {
            var lower = field.ToLowerInvariant();
            var eq = lower.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw Invalid(option, value, "invalid field " + field);
            }
            var key = lower[..eq].Trim();
            var val = lower[(eq + 1)..].Trim();
            switch (key)
            {
                case "name":
                    result.Target = val;
                    break;
                case "alias":
                    result.Aliases.Add(val);
                    break;
                case "driver-opt":
                    {
                        var i = val.IndexOf('=', StringComparison.Ordinal);
                        if (i < 0)
                        {
                            throw Invalid(option, value, "invalid key value pair format in driver options");
                        }
                        result.DriverOpts ??= new Dictionary<string, string>(StringComparer.Ordinal);
                        result.DriverOpts[val[..i].Trim().ToLowerInvariant()] = val[(i + 1)..].Trim().ToLowerInvariant();
                        break;
                    }
                default:
                    throw Invalid(option, value, "invalid field key " + key);
            }
        }
        if (result.Target.Length == 0)
        {
            throw Invalid(option, value, "network name/id is not specified");
        }
        return result;
    }

    public static List<string> Shlex(Option option, string value)
    {
        try
        {
            return GoText.ShlexSplit(value);
        }
        catch (FormatException e)
        {
            throw Invalid(option, value, e.Message);
        }
    }

    private static async Task<string> ResolveNetworkIdAsync(CliContext ctx, string nameOrId, CancellationToken ct)
    {
        var network = await ctx.Client.GetAsync($"/networks/{Common.Escape(nameOrId)}?scope=swarm", SkiffJson.Default.NetworkResource, ct);
        return network.Id;
    }

    /// <summary>An empty JSON object (ContainerSpec.DNSConfig is always sent as <c>{}</c>, as docker does).</summary>
    private static JsonElement EmptyObject()
    {
        using var doc = JsonDocument.Parse("{}");
        return doc.RootElement.Clone();
    }

    // ------------------------------------------------------------------ create (docker's ToService)

    /// <summary>docker's makeEnv: --env-file lines then -e values, later keys replacing earlier ones.</summary>
    private List<string> MakeEnv(ParseResult pr, Func<string, string?> getEnv)
    {
        var all = new List<string>();
        foreach (var file in pr.GetValue(EnvFile) ?? [])
        {
            all.AddRange(Common.ReadKeyValueFile(file, getEnv, envLookup: true));
        }
        all.AddRange((pr.GetValue(Env) ?? []).Select(e => ValidateEnv(Env, e, getEnv)));
        var current = new List<string>();
        foreach (var env in all)
        {
            var key = env.Split('=', 2)[0];
            current.RemoveAll(c => c != env && c.StartsWith(key + "=", StringComparison.Ordinal));
            current.Add(env);
        }
        return current;
    }

    private HealthConfigWire? BuildHealth(ParseResult pr)
    {
        var cmd = pr.GetValue(HealthCmd) ?? "";
        var interval = Changed(pr, HealthInterval) ? ParseDuration(pr, HealthInterval, positive: true) : (long?)null;
        var timeout = Changed(pr, HealthTimeout) ? ParseDuration(pr, HealthTimeout, positive: true) : (long?)null;
        var start = Changed(pr, HealthStartPeriod) ? ParseDuration(pr, HealthStartPeriod, positive: true) : (long?)null;
        var retries = Changed(pr, HealthRetries) ? (int)ParseInt(pr, HealthRetries) : 0;
        var have = cmd.Length > 0 || interval != null || timeout != null || start != null || retries != 0;
        if (pr.GetValue(NoHealthcheck))
        {
            if (have)
            {
                throw new CliException("--no-healthcheck conflicts with --health-* options");
            }
            return new HealthConfigWire { Test = ["NONE"] };
        }
        if (!have)
        {
            return null;
        }
        return new HealthConfigWire
        {
            Test = cmd.Length > 0 ? ["CMD-SHELL", cmd] : null,
            Interval = interval ?? 0,
            Timeout = timeout ?? 0,
            StartPeriod = start ?? 0,
            Retries = retries,
        };
    }

    /// <summary>docker's ToServiceMode.</summary>
    private ServiceModeWire BuildMode(ParseResult pr)
    {
        var mode = Changed(pr, Mode) ? pr.GetValue(Mode) ?? "" : "replicated";
        ulong? replicas = Changed(pr, Replicas) ? ParseUint(pr, Replicas, 64) : null;
        ulong? concurrent = Changed(pr, MaxConcurrent) ? ParseUint(pr, MaxConcurrent, 64) : null;
        var maxReplicas = Changed(pr, MaxReplicas) ? ParseUint(pr, MaxReplicas, 64) : 0;
        switch (mode)
        {
            case "global":
                if (replicas != null)
                {
                    throw new CliException("replicas can only be used with replicated or replicated-job mode");
                }
                if (maxReplicas > 0)
                {
                    throw new CliException("replicas-max-per-node can only be used with replicated or replicated-job mode");
                }
                if (concurrent != null)
                {
                    throw new CliException("max-concurrent can only be used with replicated-job mode");
                }
                return new ServiceModeWire { Global = new GlobalMode() };
            case "replicated":
                if (concurrent != null)
                {
                    throw new CliException("max-concurrent can only be used with replicated-job mode");
                }
                return new ServiceModeWire { Replicated = new ReplicatedMode { Replicas = replicas } };
            case "replicated-job":
                return new ServiceModeWire { ReplicatedJob = new ReplicatedJobMode { MaxConcurrent = concurrent ?? replicas, TotalCompletions = replicas } };
            case "global-job":
                if (maxReplicas > 0)
                {
                    throw new CliException("replicas-max-per-node can only be used with replicated or replicated-job mode");
                }
                if (concurrent != null)
                {
                    throw new CliException("max-concurrent can only be used with replicated-job mode");
                }
                if (replicas != null)
                {
                    throw new CliException("replicas can only be used with replicated or replicated-job mode");
                }
                return new ServiceModeWire { GlobalJob = new GlobalJobMode() };
            default:
                throw new CliException($"Unknown mode: {mode}, only replicated and global supported");
        }
    }

    private RestartPolicyWire? ApplyRestart(ParseResult pr, RestartPolicyWire? existing)
    {
        if (!new Option[] { RestartCondition, RestartDelay, RestartMaxAttempts, RestartWindow }.Any(o => Changed(pr, o)))
        {
            return existing;
        }
        var rp = existing ?? new RestartPolicyWire { Condition = "any", Delay = DefaultRestartDelayNs, MaxAttempts = 0 };
        if (Changed(pr, RestartCondition))
        {
            rp.Condition = pr.GetValue(RestartCondition) ?? "";
        }
        if (Changed(pr, RestartDelay))
        {
            rp.Delay = ParseDuration(pr, RestartDelay, positive: false);
        }
        if (Changed(pr, RestartMaxAttempts))
        {
            rp.MaxAttempts = ParseUint(pr, RestartMaxAttempts, 64);
        }
        if (Changed(pr, RestartWindow))
        {
            rp.Window = ParseDuration(pr, RestartWindow, positive: false);
        }
        return rp;
    }

    /// <summary>Parses every value-typed flag given, so a bad value fails before any request (as pflag does).</summary>
    private void ValidateFlagValues(ParseResult pr)
    {
        foreach (var o in new[] { StopGracePeriod, RestartDelay, RestartWindow })
        {
            if (Changed(pr, o))
            {
                ParseDuration(pr, o, positive: false);
            }
        }
        foreach (var o in new[] { HealthInterval, HealthTimeout, HealthStartPeriod })
        {
            if (Changed(pr, o))
            {
                ParseDuration(pr, o, positive: true);
            }
        }
        foreach (var o in new[] { Replicas, MaxConcurrent, MaxReplicas, RestartMaxAttempts })
        {
            if (Changed(pr, o))
            {
                ParseUint(pr, o, 64);
            }
        }
        foreach (var o in new[] { LimitPids, HealthRetries })
        {
            if (Changed(pr, o))
            {
                ParseInt(pr, o);
            }
        }
        foreach (var o in new[] { LimitCpu, ReserveCpu })
        {
            if (Changed(pr, o))
            {
                ParseNanoCpus(pr, o);
            }
        }
        foreach (var o in new[] { LimitMemory, ReserveMemory })
        {
            if (Changed(pr, o))
            {
                ParseMemory(pr, o);
            }
        }
        UpdateConfigFlags.Apply(pr, null);
        RollbackConfigFlags.Apply(pr, null);
        if (Changed(pr, Entrypoint))
        {
            Shlex(Entrypoint, pr.GetValue(Entrypoint) ?? "");
        }
    }

    /// <summary>docker's ToService for <c>service create</c> (network names resolved to IDs through the daemon).</summary>
    public async Task<ServiceSpecWire> BuildCreateSpecAsync(ParseResult pr, CliContext ctx, CancellationToken ct)
    {
        ValidateFlagValues(pr);
        var labels = (pr.GetValue(Label) ?? []).Select(l => ValidateLabel(Label, l)).ToList();
        var containerLabels = (pr.GetValue(ContainerLabel) ?? []).Select(l => ValidateLabel(ContainerLabel, l)).ToList();
        var ports = (pr.GetValue(Publish) ?? []).SelectMany(p => ParsePort(Publish, p)).ToList();
        var mounts = (pr.GetValue(Mount) ?? []).Select(m => ParseMount(Mount, m)).ToList();
        var prefs = (pr.GetValue(PlacementPref) ?? []).Select(p => ParsePlacementPref(PlacementPref, p)).ToList();
        var networks = (pr.GetValue(Network) ?? []).Select(n => ParseNetwork(Network, n)).ToList();
        var env = MakeEnv(pr, ctx.GetEnv);
        var health = BuildHealth(pr);
        var mode = BuildMode(pr);
        var updateConfig = UpdateConfigFlags.Apply(pr, null);
        var rollbackConfig = RollbackConfigFlags.Apply(pr, null);
        if ((mode.ReplicatedJob != null || mode.GlobalJob != null) && (updateConfig != null || rollbackConfig != null))
        {
            throw new CliException("update and rollback configuration is not supported for jobs");
        }
        foreach (var n in networks)
        {
            n.Target = await ResolveNetworkIdAsync(ctx, n.Target, ct);
        }
        networks.Sort((a, b) => string.CompareOrdinal(a.Target, b.Target));
        var secrets = await ParseSecretsAsync(pr, Secret, ctx, ct);
        var configs = await ParseConfigsAsync(pr, Config, ctx, ct);
        var args = pr.GetValue(CommandArg) ?? [];
        var spec = new ServiceSpecWire
        {
            Name = pr.GetValue(Name) ?? "",
            Labels = KeyValueMap(labels),
            TaskTemplate = new TaskSpecWire
            {
                ContainerSpec = new ContainerSpecWire
                {
                    Image = pr.GetValue(ImageArg) ?? "",
                    Args = args.Length > 0 ? [.. args] : null,
                    Command = Changed(pr, Entrypoint) ? Shlex(Entrypoint, pr.GetValue(Entrypoint) ?? "") : null,
                    Env = env.Count > 0 ? env : null,
                    Hostname = NullIfEmpty(pr.GetValue(Hostname)),
                    Labels = containerLabels.Count > 0 ? KeyValueMap(containerLabels) : null,
                    Dir = NullIfEmpty(pr.GetValue(Workdir)),
                    User = NullIfEmpty(pr.GetValue(User)),
                    StopSignal = NullIfEmpty(pr.GetValue(StopSignal)),
                    TTY = pr.GetValue(Tty),
                    Mounts = mounts.Count > 0 ? mounts : null,
                    Init = pr.GetValue(Init),
                    DNSConfig = EmptyObject(),
                    StopGracePeriod = Changed(pr, StopGracePeriod) ? ParseDuration(pr, StopGracePeriod, positive: false) : null,
                    Healthcheck = health,
                    Secrets = secrets.Count > 0 ? secrets : null,
                    Configs = configs.Count > 0 ? configs : null,
                },
                Networks = networks.Count > 0 ? networks : null,
                Resources = new ResourceRequirements
                {
                    Limits = new LimitsWire
                    {
                        NanoCPUs = Changed(pr, LimitCpu) ? ParseNanoCpus(pr, LimitCpu) : 0,
                        MemoryBytes = Changed(pr, LimitMemory) ? ParseMemory(pr, LimitMemory) : 0,
                        Pids = Changed(pr, LimitPids) ? ParseInt(pr, LimitPids) : 0,
                    },
                    Reservations = new ResourceObject
                    {
                        NanoCPUs = Changed(pr, ReserveCpu) ? ParseNanoCpus(pr, ReserveCpu) : 0,
                        MemoryBytes = Changed(pr, ReserveMemory) ? ParseMemory(pr, ReserveMemory) : 0,
                    },
                },
                RestartPolicy = ApplyRestart(pr, null),
                Placement = new PlacementWire
                {
                    Constraints = pr.GetValue(Constraint) is { Length: > 0 } c ? [.. c] : null,
                    Preferences = prefs.Count > 0 ? prefs : null,
                    MaxReplicas = Changed(pr, MaxReplicas) ? ParseUint(pr, MaxReplicas, 64) : 0,
                },
            },
            Mode = mode,
            UpdateConfig = updateConfig,
            RollbackConfig = rollbackConfig,
            EndpointSpec = new EndpointSpecWire
            {
                Mode = (Changed(pr, EndpointMode) ? pr.GetValue(EndpointMode) ?? "" : "vip").ToLowerInvariant(),
                Ports = ports.Count > 0 ? ports : null,
            },
        };
        return spec;
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    /// <summary>docker's ParseSecrets: each <c>--secret</c> resolved to an id by exact name; targets must differ.</summary>
    private static Task<List<SecretReference>> ParseSecretsAsync(ParseResult pr, Option<string[]> option, CliContext ctx, CancellationToken ct)
        => ParseFileReferencesAsync(pr, option, ctx, secret: true, r => r.File!.Name,
            (file, name, id) => new SecretReference { File = file, SecretName = name, SecretID = id }, ct);

    /// <summary>docker's ParseConfigs: the same for <c>--config</c> (the target defaults to the config's name).</summary>
    private static Task<List<ConfigReferenceWire>> ParseConfigsAsync(ParseResult pr, Option<string[]> option, CliContext ctx, CancellationToken ct)
        => ParseFileReferencesAsync(pr, option, ctx, secret: false, r => r.File!.Name,
            (file, name, id) => new ConfigReferenceWire { File = file, ConfigName = name, ConfigID = id }, ct);

    private static async Task<List<T>> ParseFileReferencesAsync<T>(
        ParseResult pr, Option<string[]> option, CliContext ctx, bool secret, Func<T, string?> target,
        Func<SecretFileTarget, string, string, T> make, CancellationToken ct)
    {
        var list = new List<T>();
        foreach (var value in pr.GetValue(option) ?? [])
        {
            var (source, file) = SecretCommands.ParseReference(Display(option), secret, value);
            if (list.Any(r => target(r) == file.Name))
            {
                throw new CliException($"duplicate {(secret ? "secret" : "config")} target for {source} not allowed");
            }

            list.Add(make(file, source, await SecretCommands.ResolveIdAsync(ctx, secret, source, ct)));
        }

        return list;
    }

    /// <summary>docker's getUpdatedSecrets/getUpdatedConfigs: drop the names given to <c>-rm</c>, then append the <c>-add</c> ones.</summary>
    private async Task UpdateSecretsAndConfigsAsync(ParseResult pr, ContainerSpecWire cs, CliContext ctx, CancellationToken ct)
    {
        if (Changed(pr, SecretAdd) || Changed(pr, SecretRm))
        {
            var remove = (pr.GetValue(SecretRm) ?? []).ToHashSet(StringComparer.Ordinal);
            var secrets = (cs.Secrets ?? []).Where(r => !remove.Contains(r.SecretName)).ToList();
            secrets.AddRange(await ParseSecretsAsync(pr, SecretAdd, ctx, ct));
            cs.Secrets = secrets.Count > 0 ? secrets : null;
        }

        if (Changed(pr, ConfigAdd) || Changed(pr, ConfigRm))
        {
            var remove = (pr.GetValue(ConfigRm) ?? []).ToHashSet(StringComparer.Ordinal);
            var configs = (cs.Configs ?? []).Where(r => !remove.Contains(r.ConfigName)).ToList();
            configs.AddRange(await ParseConfigsAsync(pr, ConfigAdd, ctx, ct));
            cs.Configs = configs.Count > 0 ? configs : null;
        }
    }

    // ------------------------------------------------------------------ update (docker's updateService)

    /// <summary>Flags that may accompany <c>--rollback</c>.</summary>
    public bool OtherFlagsThanRollback(ParseResult pr, Command cmd) =>
        cmd.Options.Any(o => o != Rollback && o != Detach && o != Quiet && Changed(pr, o));

    /// <summary>docker's updateService: applies only the flags given to <paramref name="spec"/>.</summary>
    public async Task ApplyUpdateAsync(ParseResult pr, ServiceSpecWire spec, CliContext ctx, CancellationToken ct)
    {
        ValidateFlagValues(pr);
        var task = spec.TaskTemplate;
        var cs = task.ContainerSpec ??= new ContainerSpecWire();

        // Labels and container labels: remove, then add.
        spec.Labels = UpdateLabels(pr, spec.Labels, LabelAdd, LabelRm);
        cs.Labels = UpdateLabels(pr, cs.Labels, ContainerLabelAdd, ContainerLabelRm);
        if (Changed(pr, Image))
        {
            cs.Image = pr.GetValue(Image) ?? "";
        }
        if (Changed(pr, Args))
        {
            cs.Args = Shlex(Args, pr.GetValue(Args) ?? "");
        }
        if (Changed(pr, Entrypoint))
        {
            cs.Command = Shlex(Entrypoint, pr.GetValue(Entrypoint) ?? "");
        }
        UpdateEnv(pr, cs, ctx.GetEnv);
        if (Changed(pr, Workdir))
        {
            cs.Dir = pr.GetValue(Workdir);
        }
        if (Changed(pr, User))
        {
            cs.User = pr.GetValue(User);
        }
        if (Changed(pr, Hostname))
        {
            cs.Hostname = pr.GetValue(Hostname);
        }
        if (Changed(pr, Init))
        {
            cs.Init = pr.GetValue(Init);
        }
        UpdateMounts(pr, cs);
        await UpdateSecretsAndConfigsAsync(pr, cs, ctx, ct);

        if (Changed(pr, LimitCpu) || Changed(pr, LimitMemory) || Changed(pr, LimitPids))
        {
            var res = EnsureResources(task);
            if (Changed(pr, LimitCpu))
            {
                res.Limits!.NanoCPUs = ParseNanoCpus(pr, LimitCpu);
            }
            if (Changed(pr, LimitMemory))
            {
                res.Limits!.MemoryBytes = ParseMemory(pr, LimitMemory);
            }
            if (Changed(pr, LimitPids))
            {
                res.Limits!.Pids = ParseInt(pr, LimitPids);
            }
        }
        if (Changed(pr, ReserveCpu) || Changed(pr, ReserveMemory))
        {
            var res = EnsureResources(task);
            if (Changed(pr, ReserveCpu))
            {
                res.Reservations!.NanoCPUs = ParseNanoCpus(pr, ReserveCpu);
            }
            if (Changed(pr, ReserveMemory))
            {
                res.Reservations!.MemoryBytes = ParseMemory(pr, ReserveMemory);
            }
        }
        if (Changed(pr, StopGracePeriod))
        {
            cs.StopGracePeriod = ParseDuration(pr, StopGracePeriod, positive: false);
        }
        task.RestartPolicy = ApplyRestart(pr, task.RestartPolicy);

        if (Changed(pr, ConstraintAdd) || Changed(pr, ConstraintRm))
        {
            task.Placement ??= new PlacementWire();
            var constraints = new List<string>(task.Placement.Constraints ?? []);
            constraints.AddRange(pr.GetValue(ConstraintAdd) ?? []);
            var remove = (pr.GetValue(ConstraintRm) ?? []).ToHashSet(StringComparer.Ordinal);
            var kept = constraints.Where(c => !remove.Contains(c)).ToList();
            kept.Sort(StringComparer.Ordinal);
            task.Placement.Constraints = kept;
        }
        if (Changed(pr, PlacementPrefAdd) || Changed(pr, PlacementPrefRm))
        {
            task.Placement ??= new PlacementWire();
            var removals = (pr.GetValue(PlacementPrefRm) ?? []).Select(p => ParsePlacementPref(PlacementPrefRm, p).Spread!.SpreadDescriptor).ToHashSet(StringComparer.Ordinal);
            var prefs = (task.Placement.Preferences ?? [])
                .Where(p => !Changed(pr, PlacementPrefRm) || p.Spread == null || !removals.Contains(p.Spread.SpreadDescriptor))
                .ToList();
            prefs.AddRange((pr.GetValue(PlacementPrefAdd) ?? []).Select(p => ParsePlacementPref(PlacementPrefAdd, p)));
            task.Placement.Preferences = prefs.Count > 0 ? prefs : null;
        }
        if (Changed(pr, NetworkAdd) || Changed(pr, NetworkRm))
        {
            await UpdateNetworksAsync(pr, spec, ctx, ct);
        }
        if (Changed(pr, Replicas))
        {
            if (spec.Mode?.Replicated == null)
            {
                throw new CliException("replicas can only be used with replicated mode");
            }
            spec.Mode.Replicated.Replicas = ParseUint(pr, Replicas, 64);
        }
        if (Changed(pr, MaxConcurrent))
        {
            if (spec.Mode?.ReplicatedJob == null)
            {
                throw new CliException("max-concurrent can only be used with replicated-job mode");
            }
            spec.Mode.ReplicatedJob.MaxConcurrent = ParseUint(pr, MaxConcurrent, 64);
        }
        if (Changed(pr, MaxReplicas))
        {
            task.Placement ??= new PlacementWire();
            task.Placement.MaxReplicas = ParseUint(pr, MaxReplicas, 64);
        }
        spec.UpdateConfig = UpdateConfigFlags.Apply(pr, spec.UpdateConfig);
        spec.RollbackConfig = RollbackConfigFlags.Apply(pr, spec.RollbackConfig);
        if (Changed(pr, EndpointMode))
        {
            spec.EndpointSpec ??= new EndpointSpecWire();
            spec.EndpointSpec.Mode = pr.GetValue(EndpointMode) ?? "";
        }
        if (Changed(pr, PublishAdd) || Changed(pr, PublishRm))
        {
            spec.EndpointSpec ??= new EndpointSpecWire();
            spec.EndpointSpec.Ports = UpdatePorts(pr, spec.EndpointSpec.Ports ?? []);
        }
        if (pr.GetValue(Force))
        {
            task.ForceUpdate++;
        }
        UpdateHealth(pr, cs);
        if (Changed(pr, Tty))
        {
            cs.TTY = pr.GetValue(Tty);
        }
        if (Changed(pr, StopSignal))
        {
            cs.StopSignal = pr.GetValue(StopSignal);
        }
    }

    private static ResourceRequirements EnsureResources(TaskSpecWire task)
    {
        task.Resources ??= new ResourceRequirements();
        task.Resources.Limits ??= new LimitsWire();
        task.Resources.Reservations ??= new ResourceObject();
        return task.Resources;
    }

    private static Dictionary<string, string>? UpdateLabels(ParseResult pr, Dictionary<string, string>? labels, Option<string[]> add, Option<string[]> rm)
    {
        if (labels != null && Changed(pr, rm))
        {
            foreach (var key in pr.GetValue(rm) ?? [])
            {
                labels.Remove(key);
            }
        }
        if (Changed(pr, add))
        {
            labels ??= new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (k, v) in KeyValueMap((pr.GetValue(add) ?? []).Select(l => ValidateLabel(add, l))))
            {
                labels[k] = v;
            }
        }
        return labels == null ? null : Sorted(labels);
    }

    private void UpdateEnv(ParseResult pr, ContainerSpecWire cs, Func<string, string?> getEnv)
    {
        if (!Changed(pr, EnvAdd) && !Changed(pr, EnvRm))
        {
            return;
        }
        static string Key(string e) => e.Split('=', 2)[0];
        var remove = (pr.GetValue(EnvRm) ?? []).ToHashSet(StringComparer.Ordinal);
        var env = (cs.Env ?? []).Where(e => !remove.Contains(Key(e))).ToList();
        foreach (var add in (pr.GetValue(EnvAdd) ?? []).Select(e => ValidateEnv(EnvAdd, e, getEnv)))
        {
            var i = env.FindIndex(e => Key(e) == Key(add));
            if (i >= 0)
            {
                env[i] = add;
            }
            else
            {
                env.Add(add);
            }
        }
        cs.Env = env;
    }

    private void UpdateMounts(ParseResult pr, ContainerSpecWire cs)
    {
        if (!Changed(pr, MountAdd) && !Changed(pr, MountRm))
        {
            return;
        }
        var byTarget = new Dictionary<string, MountWire>(StringComparer.Ordinal);
        foreach (var m in (pr.GetValue(MountAdd) ?? []).Select(v => ParseMount(MountAdd, v)))
        {
            if (!byTarget.TryAdd(m.Target, m))
            {
                throw new CliException("duplicate mount target");
            }
        }
        foreach (var m in cs.Mounts ?? [])
        {
            byTarget.TryAdd(m.Target, m);
        }
        var remove = (pr.GetValue(MountRm) ?? []).ToHashSet(StringComparer.Ordinal);
        var mounts = byTarget.Values.Where(m => !remove.Contains(m.Target))
            .OrderBy(m => m.Source, StringComparer.Ordinal)
            .ThenBy(m => m.Target, StringComparer.Ordinal)
            .ToList();
        cs.Mounts = mounts;
    }

    private List<PortConfig> UpdatePorts(ParseResult pr, List<PortConfig> current)
    {
        static string Key(PortConfig p) => $"{p.PublishedPort}:{p.TargetPort}/{p.Protocol}/{p.PublishMode}";
        var set = new Dictionary<string, PortConfig>(StringComparer.Ordinal);
        foreach (var p in current)
        {
            set.TryAdd(Key(p), p);
        }
        var remove = (pr.GetValue(PublishRm) ?? []).SelectMany(v => ParsePort(PublishRm, v)).ToList();
        static bool SameProtocol(string a, string b) => a == b || (a.Length == 0 && b == "tcp") || (b.Length == 0 && a == "tcp");
        static bool SameMode(string a, string b) => a == b || (a.Length == 0 && b == "ingress") || (b.Length == 0 && a == "ingress");
        var ports = set.Values
            .Where(p => !remove.Any(r => SameProtocol(p.Protocol, r.Protocol) && p.TargetPort == r.TargetPort && SameMode(p.PublishMode, r.PublishMode)))
            .ToList();
        foreach (var add in (pr.GetValue(PublishAdd) ?? []).SelectMany(v => ParsePort(PublishAdd, v)))
        {
            if (!set.ContainsKey(Key(add)))
            {
                ports.Add(add);
            }
        }
        ports.Sort((a, b) => string.CompareOrdinal(Key(a), Key(b)));
        return ports;
    }

    private void UpdateHealth(ParseResult pr, ContainerSpecWire cs)
    {
        var healthFlags = new Option[] { HealthCmd, HealthInterval, HealthRetries, HealthTimeout, HealthStartPeriod };
        if (!Changed(pr, NoHealthcheck) && !healthFlags.Any(o => Changed(pr, o)))
        {
            return;
        }
        cs.Healthcheck ??= new HealthConfigWire();
        if (pr.GetValue(NoHealthcheck))
        {
            if (healthFlags.Any(o => Changed(pr, o)))
            {
                throw new CliException("--no-healthcheck conflicts with --health-* options");
            }
            cs.Healthcheck = new HealthConfigWire { Test = ["NONE"] };
            return;
        }
        var hc = cs.Healthcheck;
        if (hc.Test is { Count: > 0 } && hc.Test[0] == "NONE")
        {
            hc.Test = null;
        }
        if (Changed(pr, HealthInterval))
        {
            hc.Interval = ParseDuration(pr, HealthInterval, positive: true);
        }
        if (Changed(pr, HealthTimeout))
        {
            hc.Timeout = ParseDuration(pr, HealthTimeout, positive: true);
        }
        if (Changed(pr, HealthStartPeriod))
        {
            hc.StartPeriod = ParseDuration(pr, HealthStartPeriod, positive: true);
        }
        if (Changed(pr, HealthRetries))
        {
            hc.Retries = (int)ParseInt(pr, HealthRetries);
        }
        if (Changed(pr, HealthCmd))
        {
            var cmd = pr.GetValue(HealthCmd) ?? "";
            hc.Test = cmd.Length > 0 ? ["CMD-SHELL", cmd] : null;
        }
    }

    private async Task UpdateNetworksAsync(ParseResult pr, ServiceSpecWire spec, CliContext ctx, CancellationToken ct)
    {
        var current = spec.TaskTemplate.Networks is { Count: > 0 } tn ? tn : spec.Networks ?? [];
        spec.Networks = null;
        var removeIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in pr.GetValue(NetworkRm) ?? [])
        {
            removeIds.Add(await ResolveNetworkIdAsync(ctx, name, ct));
        }
        var networks = current.Where(n => !removeIds.Contains(n.Target)).ToList();
        var existing = networks.Select(n => n.Target).ToHashSet(StringComparer.Ordinal);
        foreach (var add in (pr.GetValue(NetworkAdd) ?? []).Select(v => ParseNetwork(NetworkAdd, v)))
        {
            var id = await ResolveNetworkIdAsync(ctx, add.Target, ct);
            if (!existing.Add(id))
            {
                throw new CliException("service is already attached to network " + add.Target);
            }
            add.Target = id;
            networks.Add(add);
        }
        networks.Sort((a, b) => string.CompareOrdinal(a.Target, b.Target));
        spec.TaskTemplate.Networks = networks;
    }
}
