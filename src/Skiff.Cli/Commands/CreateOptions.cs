using System.CommandLine;
using System.Globalization;
using Skiff.Api;
using Skiff.Cli.Connection;
using Skiff.Cli.Formatting;

namespace Skiff.Cli.Commands;

/// <summary>The flags of <c>run</c>/<c>create</c> (docker's names and help) and their translation to <see cref="ContainerCreateRequest"/>.</summary>
internal sealed class CreateOptions
{
    public Option<string[]> AddHost { get; } = Common.List("--add-host", null, "Add a custom host-to-IP mapping (host:ip)");
    public Option<string[]> CapAdd { get; } = Common.List("--cap-add", null, "Add Linux capabilities");
    public Option<string[]> CapDrop { get; } = Common.List("--cap-drop", null, "Drop Linux capabilities");
    public Option<long?> CpuShares { get; } = new("--cpu-shares", "-c") { Description = "CPU shares (relative weight)" };
    public Option<string?> Cpus { get; } = Common.Str("--cpus", null, "Number of CPUs");
    public Option<string[]> Dns { get; } = Common.List("--dns", null, "Set custom DNS servers");
    public Option<string?> Entrypoint { get; } = Common.Str("--entrypoint", null, "Overwrite the default ENTRYPOINT of the image");
    public Option<string[]> Env { get; } = Common.List("--env", "-e", "Set environment variables");
    public Option<string[]> EnvFile { get; } = Common.List("--env-file", null, "Read in a file of environment variables");
    public Option<string[]> Expose { get; } = Common.List("--expose", null, "Expose a port or a range of ports");
    public Option<string?> HealthCmd { get; } = Common.Str("--health-cmd", null, "Command to run to check health");
    public Option<string?> HealthInterval { get; } = Common.Str("--health-interval", null, "Time between running the check (ms|s|m|h) (default 0s)");
    public Option<int?> HealthRetries { get; } = Common.Int("--health-retries", null, "Consecutive failures needed to report unhealthy");
    public Option<string?> HealthStartPeriod { get; } = Common.Str("--health-start-period", null, "Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)");
    public Option<string?> HealthTimeout { get; } = Common.Str("--health-timeout", null, "Maximum time to allow one check to run (ms|s|m|h) (default 0s)");
    public Option<string?> Hostname { get; } = Common.Str("--hostname", "-h", "Container host name");
    public Option<bool> Init { get; } = Common.Flag("--init", null, "Run an init inside the container that forwards signals and reaps processes");
    public Option<bool> Interactive { get; } = Common.Flag("--interactive", "-i", "Keep STDIN open even if not attached");
    public Option<string[]> Label { get; } = Common.List("--label", "-l", "Set meta data on a container");
    public Option<string[]> LabelFile { get; } = Common.List("--label-file", null, "Read in a line delimited file of labels");
    public Option<string?> Memory { get; } = Common.Str("--memory", "-m", "Memory limit");
    public Option<string[]> Mount { get; } = Common.List("--mount", null, "Attach a filesystem mount to the container");
    public Option<string?> Name { get; } = Common.Str("--name", null, "Assign a name to the container");
    public Option<string?> Network { get; } = new("--network", "--net") { Description = "Connect a container to a network" };
    public Option<string[]> NetworkAlias { get; } = new("--network-alias", "--net-alias") { Description = "Add network-scoped alias for the container", DefaultValueFactory = _ => [] };
    public Option<bool> NoHealthcheck { get; } = Common.Flag("--no-healthcheck", null, "Disable any container-specified HEALTHCHECK");
    public Option<long?> PidsLimit { get; } = new("--pids-limit") { Description = "Tune container pids limit (set -1 for unlimited)" };
    public Option<string?> Platform { get; } = Common.Str("--platform", null, "Set platform if server is multi-platform capable");
    public Option<bool> Privileged { get; } = Common.Flag("--privileged", null, "Give extended privileges to this container");
    public Option<string[]> Publish { get; } = Common.List("--publish", "-p", "Publish a container's port(s) to the host");
    public Option<bool> PublishAll { get; } = Common.Flag("--publish-all", "-P", "Publish all exposed ports to random ports");
    public Option<string?> Pull { get; } = Common.Str("--pull", null, "Pull image before running (\"always\", \"missing\", \"never\") (default \"missing\")");
    public Option<bool> Quiet { get; } = Common.Flag("--quiet", "-q", "Suppress the pull output");
    public Option<bool> ReadOnly { get; } = Common.Flag("--read-only", null, "Mount the container's root filesystem as read only");
    public Option<string?> Restart { get; } = Common.Str("--restart", null, "Restart policy to apply when a container exits (default \"no\")");
    public Option<bool> Rm { get; } = Common.Flag("--rm", null, "Automatically remove the container and its associated anonymous volumes when it exits");
    public Option<string?> StopSignal { get; } = Common.Str("--stop-signal", null, "Signal to stop the container");
    public Option<int?> StopTimeout { get; } = Common.Int("--stop-timeout", null, "Timeout (in seconds) to stop a container");
    public Option<string[]> Tmpfs { get; } = Common.List("--tmpfs", null, "Mount a tmpfs directory");
    public Option<bool> Tty { get; } = Common.Flag("--tty", "-t", "Allocate a pseudo-TTY");
    public Option<string?> User { get; } = Common.Str("--user", "-u", "Username or UID (format: <name|uid>[:<group|gid>])");
    public Option<string[]> Volume { get; } = Common.List("--volume", "-v", "Bind mount a volume");
    public Option<string?> Workdir { get; } = Common.Str("--workdir", "-w", "Working directory inside the container");

    public Argument<string> Image { get; } = new("IMAGE");
    public Argument<string[]> Command { get; } = new("COMMAND") { Arity = ArgumentArity.ZeroOrMore };

    public void AddTo(Command cmd)
    {
        Option[] all =
        [
            AddHost, CapAdd, CapDrop, CpuShares, Cpus, Dns, Entrypoint, Env, EnvFile, Expose, HealthCmd, HealthInterval,
            HealthRetries, HealthStartPeriod, HealthTimeout, Hostname, Init, Interactive, Label, LabelFile, Memory, Mount,
            Name, Network, NetworkAlias, NoHealthcheck, PidsLimit, Platform, Privileged, Publish, PublishAll, Pull, Quiet,
            ReadOnly, Restart, Rm, StopSignal, StopTimeout, Tmpfs, Tty, User, Volume, Workdir,
        ];
        foreach (var o in all)
        {
            cmd.Options.Add(o);
        }
        cmd.Arguments.Add(Image);
        cmd.Arguments.Add(Command);
    }

    private static CliException Usage(string message) => new(message, CliApp.UsageExitCode);

    /// <summary>The create request, as docker's <c>opts.parse</c> builds it.</summary>
    public ContainerCreateRequest BuildRequest(ParseResult pr, Func<string, string?> getEnv, bool detach)
    {
        var image = pr.GetValue(Image) ?? "";
        var args = pr.GetValue(Command) ?? [];
        var req = new ContainerCreateRequest
        {
            Image = image,
            Cmd = args.Length > 0 ? [.. args] : null,
            Hostname = pr.GetValue(Hostname) ?? "",
            Domainname = "",
            User = pr.GetValue(User) ?? "",
            WorkingDir = pr.GetValue(Workdir) ?? "",
            Tty = pr.GetValue(Tty),
            OpenStdin = pr.GetValue(Interactive),
            StopSignal = pr.GetValue(StopSignal),
            StopTimeout = pr.GetValue(StopTimeout),
        };
        var hc = new HostConfig
        {
            NetworkMode = pr.GetValue(Network) is { Length: > 0 } net ? net : "default",
            Privileged = pr.GetValue(Privileged),
            PublishAllPorts = pr.GetValue(PublishAll),
            ReadonlyRootfs = pr.GetValue(ReadOnly),
            AutoRemove = pr.GetValue(Rm),
            CpuShares = pr.GetValue(CpuShares) ?? 0,
            PidsLimit = pr.GetValue(PidsLimit),
        };
        req.HostConfig = hc;

        // Attach streams: stdout/stderr unless detached; stdin with -i.
        if (!detach)
        {
            req.AttachStdout = true;
            req.AttachStderr = true;
            req.AttachStdin = req.OpenStdin;
            req.StdinOnce = req.OpenStdin;
        }

        // Environment: --env-file first, then -e; a bare name takes its value from our environment.
        var env = new List<string>();
        foreach (var file in pr.GetValue(EnvFile) ?? [])
        {
            env.AddRange(Common.ReadKeyValueFile(file, getEnv, envLookup: true));
        }
        foreach (var e in pr.GetValue(Env) ?? [])
        {
            if (e.StartsWith('='))
            {
                throw Usage($"invalid argument \"{e}\" for \"-e, --env\" flag: invalid environment variable: {e}");
            }
            if (!e.Contains('=', StringComparison.Ordinal) && getEnv(e) is { } value)
            {
                env.Add(e + "=" + value);
            }
            else
            {
                env.Add(e);
            }
        }
        req.Env = env.Count > 0 ? env : null;

        var labels = new List<string>();
        foreach (var file in pr.GetValue(LabelFile) ?? [])
        {
            labels.AddRange(Common.ReadKeyValueFile(file, getEnv, envLookup: false));
        }
        labels.AddRange(pr.GetValue(Label) ?? []);
        req.Labels = Common.KeyValues(labels) ?? [];

        if (pr.GetResult(Entrypoint) is { Implicit: false })
        {
            var ep = pr.GetValue(Entrypoint) ?? "";
            req.Entrypoint = [ep];
        }

        // Ports.
        var publish = pr.GetValue(Publish) ?? [];
        ParsedPortSpecs ports;
        try
        {
            ports = PortSpec.ParseSpecs(publish);
        }
        catch (SkiffException e)
        {
            throw Usage(e.Message);
        }
        var exposed = new Dictionary<string, EmptyObject>(ports.ExposedPorts);
        foreach (var e in pr.GetValue(Expose) ?? [])
        {
            var (proto, port) = PortSpec.SplitProtoPort(e);
            if (!PortSpec.TryParsePortRange(port, out var start, out var end))
            {
                throw Usage($"invalid range format for --expose: {e}, error: invalid port range");
            }
            for (var p = start; p <= end; p++)
            {
                exposed.TryAdd($"{p}/{proto}", new EmptyObject());
            }
        }
        req.ExposedPorts = exposed.Count > 0 ? exposed : null;
        hc.PortBindings = ports.PortBindings.Count > 0
            ? ports.PortBindings.ToDictionary(kv => kv.Key, kv => (List<PortBinding>?)kv.Value)
            : null;

        // Volumes: "src:dst[:mode]" are binds, a lone path is an anonymous volume.
        var binds = new List<string>();
        var volumes = new Dictionary<string, EmptyObject>();
        foreach (var v in pr.GetValue(Volume) ?? [])
        {
            var colon = v.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                var host = v[..colon];
                if (host.StartsWith('.'))
                {
                    host = Path.GetFullPath(host);
                }
                binds.Add(host + v[colon..]);
            }
            else if (v.Length == 0)
            {
                throw Usage("invalid argument \"\" for \"-v, --volume\" flag: invalid empty volume spec");
            }
            else
            {
                volumes[v] = new EmptyObject();
            }
        }
        hc.Binds = binds.Count > 0 ? binds : null;
        req.Volumes = volumes.Count > 0 ? volumes : null;
        var mounts = (pr.GetValue(Mount) ?? []).Select(ParseMount).ToList();
        hc.Mounts = mounts.Count > 0 ? mounts : null;

        var tmpfs = new Dictionary<string, string>();
        foreach (var t in pr.GetValue(Tmpfs) ?? [])
        {
            var colon = t.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                tmpfs[t] = "";
            }
            else
            {
                tmpfs[t[..colon]] = t[(colon + 1)..];
            }
        }
        hc.Tmpfs = tmpfs.Count > 0 ? tmpfs : null;

        // Resources.
        if (pr.GetValue(Memory) is { Length: > 0 } mem)
        {
            try
            {
                hc.Memory = Units.RamInBytes(mem);
            }
            catch (FormatException e)
            {
                throw Usage($"invalid argument \"{mem}\" for \"-m, --memory\" flag: {e.Message}");
            }
        }
        if (pr.GetValue(Cpus) is { Length: > 0 } cpus)
        {
            hc.NanoCpus = ParseCpus(cpus);
        }

        // Restart policy.
        var restart = pr.GetValue(Restart);
        hc.RestartPolicy = ParseRestartPolicy(restart);
        if (hc.AutoRemove && hc.RestartPolicy.Name is not ("" or "no"))
        {
            throw Usage("Conflicting options: cannot specify both --restart and --rm");
        }

        hc.CapAdd = NullIfEmpty(pr.GetValue(CapAdd));
        hc.CapDrop = NullIfEmpty(pr.GetValue(CapDrop));
        hc.Dns = NullIfEmpty(pr.GetValue(Dns));
        var hosts = (pr.GetValue(AddHost) ?? []).Select(ValidateExtraHost).ToList();
        hc.ExtraHosts = hosts.Count > 0 ? hosts : null;
        if (pr.GetResult(Init) is { Implicit: false })
        {
            hc.Init = pr.GetValue(Init);
        }

        // Health check.
        var healthCmd = pr.GetValue(HealthCmd) ?? "";
        var interval = Duration(pr, HealthInterval, "--health-interval");
        var timeout = Duration(pr, HealthTimeout, "--health-timeout");
        var startPeriod = Duration(pr, HealthStartPeriod, "--health-start-period");
        var retries = pr.GetValue(HealthRetries) ?? 0;
        var haveHealth = healthCmd.Length > 0 || interval != 0 || timeout != 0 || startPeriod != 0 || retries != 0;
        if (pr.GetValue(NoHealthcheck))
        {
            if (haveHealth)
            {
                throw Usage("--no-healthcheck conflicts with --health-* options");
            }
            req.Healthcheck = new HealthConfig { Test = ["NONE"] };
        }
        else if (haveHealth)
        {
            if (interval < 0)
            {
                throw Usage("--health-interval cannot be negative");
            }
            if (timeout < 0)
            {
                throw Usage("--health-timeout cannot be negative");
            }
            if (retries < 0)
            {
                throw Usage("--health-retries cannot be negative");
            }
            if (startPeriod < 0)
            {
                throw Usage("--health-start-period cannot be negative");
            }
            req.Healthcheck = new HealthConfig
            {
                Test = healthCmd.Length > 0 ? ["CMD-SHELL", healthCmd] : null,
                Interval = interval,
                Timeout = timeout,
                StartPeriod = startPeriod,
                Retries = retries,
            };
        }

        // Networking config: aliases on the chosen user-defined network.
        var aliases = pr.GetValue(NetworkAlias) ?? [];
        if (aliases.Length > 0)
        {
            var network = hc.NetworkMode;
            if (network is "default" or "bridge" or "host" or "none")
            {
                throw Usage("network-scoped aliases are only supported for user-defined networks");
            }
            req.NetworkingConfig = new NetworkingConfig
            {
                EndpointsConfig = new Dictionary<string, EndpointSettings> { [network] = new EndpointSettings { Aliases = [.. aliases] } },
            };
        }
        return req;
    }

    private static List<string>? NullIfEmpty(string[]? values) => values is { Length: > 0 } ? [.. values] : null;

    private static long Duration(ParseResult pr, Option<string?> option, string name)
    {
        var text = pr.GetValue(option);
        if (string.IsNullOrEmpty(text))
        {
            return 0;
        }
        if (!Units.TryParseGoDuration(text, out var d))
        {
            throw Usage($"invalid argument \"{text}\" for \"{name}\" flag: time: invalid duration \"{text}\"");
        }
        return Units.ToNanoseconds(d);
    }

    /// <summary>docker's opts.ParseCPUs: decimal CPUs to NanoCPUs, at most 9 decimals.</summary>
    internal static long ParseCpus(string value)
    {
        if (!decimal.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var cpus))
        {
            throw Usage($"invalid argument \"{value}\" for \"--cpus\" flag: failed to parse {value} as a rational number");
        }
        var nano = cpus * 1_000_000_000m;
        if (nano != decimal.Truncate(nano))
        {
            throw Usage($"invalid argument \"{value}\" for \"--cpus\" flag: value is too precise");
        }
        return (long)nano;
    }

    /// <summary>docker's opts.ParseRestartPolicy.</summary>
    internal static RestartPolicy ParseRestartPolicy(string? policy)
    {
        if (string.IsNullOrEmpty(policy))
        {
            return new RestartPolicy { Name = "no" };
        }
        var parts = policy.Split(':');
        if (parts.Length > 2)
        {
            throw Usage($"invalid restart policy format: {policy}");
        }
        var result = new RestartPolicy { Name = parts[0] };
        if (parts.Length == 2)
        {
            if (parts[1].Length == 0)
            {
                throw Usage("invalid restart policy format: no policy provided before colon");
            }
            if (!int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var count))
            {
                throw Usage($"invalid restart policy format: maximum retry count must be an integer");
            }
            if (parts[0] != "on-failure")
            {
                throw Usage($"invalid restart policy format: maximum retry count can only be used with 'on-failure'");
            }
            result.MaximumRetryCount = count;
        }
        if (result.Name is not ("no" or "always" or "unless-stopped" or "on-failure"))
        {
            throw Usage($"invalid restart policy: unknown policy '{result.Name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'");
        }
        return result;
    }

    /// <summary>docker's opts.ValidateExtraHost: "host:ip" or "host=ip".</summary>
    internal static string ValidateExtraHost(string value)
    {
        var sep = value.IndexOf('=', StringComparison.Ordinal);
        if (sep < 0)
        {
            sep = value.IndexOf(':', StringComparison.Ordinal);
        }
        if (sep <= 0 || sep == value.Length - 1)
        {
            throw Usage($"invalid argument \"{value}\" for \"--add-host\" flag: bad format for add-host: \"{value}\"");
        }
        var ip = value[(sep + 1)..];
        if (ip.StartsWith('[') && ip.EndsWith(']'))
        {
            ip = ip[1..^1];
        }
        if (ip != "host-gateway" && !System.Net.IPAddress.TryParse(ip, out _))
        {
            throw Usage($"invalid argument \"{value}\" for \"--add-host\" flag: invalid IP address in add-host: \"{ip}\"");
        }
        return value[..sep] + ":" + ip;
    }

    /// <summary>docker's --mount CSV: type=,source=,target=,readonly,bind-propagation=,volume-nocopy,volume-label=,tmpfs-size=,tmpfs-mode=.</summary>
    internal static Mount ParseMount(string value)
    {
        var mount = new Mount { Type = "volume" };
        foreach (var field in value.Split(','))
        {
            var eq = field.IndexOf('=', StringComparison.Ordinal);
            var key = (eq < 0 ? field : field[..eq]).Trim().ToLowerInvariant();
            var val = eq < 0 ? null : field[(eq + 1)..];
            bool Bool() => val == null || val is "1" or "true" or "True" or "TRUE"
                ? true
                : val is "0" or "false" or "False" or "FALSE" ? false : throw Usage($"invalid argument \"{value}\" for \"--mount\" flag: invalid value for {key}: {val}");
            switch (key)
            {
                case "type":
                    mount.Type = val ?? "";
                    break;
                case "source" or "src":
                    mount.Source = val;
                    break;
                case "target" or "destination" or "dst":
                    mount.Target = val ?? "";
                    break;
                case "readonly" or "ro":
                    mount.ReadOnly = Bool();
                    break;
                case "consistency":
                    mount.Consistency = val;
                    break;
                case "bind-propagation":
                    mount.BindOptions ??= new BindOptions();
                    mount.BindOptions.Propagation = val;
                    break;
                case "volume-nocopy":
                    mount.VolumeOptions ??= new VolumeOptions();
                    mount.VolumeOptions.NoCopy = Bool();
                    break;
                case "volume-label":
                    {
                        mount.VolumeOptions ??= new VolumeOptions();
                        mount.VolumeOptions.Labels ??= [];
                        var kv = val ?? "";
                        var i = kv.IndexOf('=', StringComparison.Ordinal);
                        mount.VolumeOptions.Labels[i < 0 ? kv : kv[..i]] = i < 0 ? "" : kv[(i + 1)..];
                        break;
                    }
                case "tmpfs-size":
                    mount.TmpfsOptions ??= new TmpfsOptions();
                    try
                    {
                        mount.TmpfsOptions.SizeBytes = Units.RamInBytes(val ?? "");
                    }
                    catch (FormatException e)
                    {
                        throw Usage($"invalid argument \"{value}\" for \"--mount\" flag: {e.Message}");
                    }
                    break;
                case "tmpfs-mode":
                    mount.TmpfsOptions ??= new TmpfsOptions();
                    try
                    {
                        mount.TmpfsOptions.Mode = Convert.ToInt32(val ?? "", 8);
                    }
                    catch (FormatException)
                    {
                        throw Usage($"invalid argument \"{value}\" for \"--mount\" flag: invalid tmpfs-mode: {val}");
                    }
                    break;
                default:
                    throw Usage($"invalid argument \"{value}\" for \"--mount\" flag: unexpected key '{key}' in '{field}'");
            }
        }
        if (mount.Type is not ("bind" or "volume" or "tmpfs" or "npipe"))
        {
            throw Usage($"invalid argument \"{value}\" for \"--mount\" flag: invalid mount type: {mount.Type}");
        }
        if (mount.Target.Length == 0)
        {
            throw Usage($"invalid argument \"{value}\" for \"--mount\" flag: target is required");
        }
        return mount;
    }
}
