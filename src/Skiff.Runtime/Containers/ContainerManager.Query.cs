using System.Globalization;
using Skiff.Api;
using Skiff.Runtime.Util;

namespace Skiff.Runtime.Containers;

public sealed partial class ContainerManager
{
    private static readonly HashSet<string> ListFilters =
    [
        "id", "name", "label", "status", "exited", "ancestor", "before", "since", "volume", "network",
        "publish", "expose", "health", "is-task", "isolation",
    ];

    public IReadOnlyList<ContainerSummary> List(bool all, int limit, bool size, Dictionary<string, Dictionary<string, bool>> filters)
    {
        foreach (var k in filters.Keys)
        {
            if (!ListFilters.Contains(k))
            {
                throw new BadRequestException($"invalid filter '{k}'");
            }
        }

        IEnumerable<ContainerRecord> q = _byId.Values.Where(e => !e.Removed).Select(e => e.Record).OrderByDescending(r => r.Created);
        if (filters.TryGetValue("status", out var st))
        {
            foreach (var s in st.Keys)
            {
                if (s is not ("created" or "restarting" or "running" or "removing" or "paused" or "exited" or "dead"))
                {
                    throw new BadRequestException($"invalid filter 'status={s}'");
                }
            }
        }

        var before = filters.TryGetValue("before", out var b) ? Get(b.Keys.First()).Created : (DateTimeOffset?)null;
        var since = filters.TryGetValue("since", out var sn) ? Get(sn.Keys.First()).Created : (DateTimeOffset?)null;
        q = q.Where(r => Matches(r, filters));
        if (before is not null)
        {
            q = q.Where(r => r.Created < before);
        }

        if (since is not null)
        {
            q = q.Where(r => r.Created > since);
        }

        if (!all && !filters.ContainsKey("status") && !filters.ContainsKey("exited") && limit <= 0)
        {
            q = q.Where(r => r.State.Running);
        }

        if (limit > 0)
        {
            q = q.Take(limit);
        }

        return q.Select(r => Summary(r, size)).ToList();
    }

    private bool Matches(ContainerRecord r, Dictionary<string, Dictionary<string, bool>> f)
    {
        bool Any(string key, Func<string, bool> pred) => !f.TryGetValue(key, out var vals) || vals.Keys.Any(pred);
        var labels = r.Config.Labels ?? [];
        var name = r.Name.TrimStart('/');
        return Any("id", v => r.Id.StartsWith(v, StringComparison.Ordinal))
            && Any("name", v => name.Contains(v.TrimStart('/'), StringComparison.Ordinal) || System.Text.RegularExpressions.Regex.IsMatch(name, v))
            && (!f.TryGetValue("label", out var lv) || lv.Keys.All(v => LabelMatch(labels, v)))
            && Any("status", v => r.State.Status == v)
            && Any("exited", v => !r.State.Running && r.HasBeenStarted && r.State.ExitCode.ToString(CultureInfo.InvariantCulture) == v)
            && Any("ancestor", v => r.Config.Image == v || r.ImageId == v || (_images.TryResolve(v)?.Id == r.ImageId))
            && Any("volume", v => r.Mounts.Any(m => m.Name == v || m.Destination == v || m.Source == v))
            && Any("network", v => r.Networks.Any(n => n.Key == v || n.Value.NetworkID.StartsWith(v, StringComparison.Ordinal)))
            && Any("publish", v => r.Ports.Any(p => p.Value?.Any(x => x.HostPort == v.Split('/')[0]) == true))
            && Any("expose", v => (r.Config.ExposedPorts ?? []).ContainsKey(v.Contains('/', StringComparison.Ordinal) ? v : v + "/tcp"))
            && Any("health", v => (r.State.Health?.Status ?? "none") == v)
            && Any("is-task", v => labels.ContainsKey("com.docker.swarm.task") == (v == "true"))
            && Any("isolation", v => v == "default");
    }

    public static bool LabelMatch(IReadOnlyDictionary<string, string> labels, string filter)
    {
        var kv = filter.Split('=', 2);
        return kv.Length == 1 ? labels.ContainsKey(kv[0]) : labels.TryGetValue(kv[0], out var v) && v == kv[1];
    }

    private ContainerSummary Summary(ContainerRecord r, bool size)
    {
        var s = new ContainerSummary
        {
            Id = r.Id,
            Names = [r.Name],
            Image = r.Config.Image ?? "",
            ImageID = r.ImageId,
            Command = string.Join(' ', new[] { r.Path }.Concat(r.Args).Select(QuoteArg)),
            Created = r.Created.ToUnixTimeSeconds(),
            Labels = r.Config.Labels ?? [],
            State = r.State.Status,
            Status = StatusText(r),
            HostConfig = new SummaryHostConfig { NetworkMode = r.HostConfig.NetworkMode ?? "default" },
            NetworkSettings = new SummaryNetworkSettings { Networks = r.Networks },
            Mounts = r.Mounts,
        };
        foreach (var (key, binds) in r.State.Running ? r.Ports : [])
        {
            var (port, proto) = ParsePortKey(key);
            if (binds is null || binds.Count == 0)
            {
                s.Ports.Add(new ContainerPort { PrivatePort = port, Type = proto });
                continue;
            }

            foreach (var bnd in binds)
            {
                s.Ports.Add(new ContainerPort
                {
                    IP = string.IsNullOrEmpty(bnd.HostIp) ? "0.0.0.0" : bnd.HostIp,
                    PrivatePort = port,
                    PublicPort = int.TryParse(bnd.HostPort, out var hp) ? hp : null,
                    Type = proto,
                });
            }
        }

        if (!r.State.Running)
        {
            foreach (var key in (r.Config.ExposedPorts ?? []).Keys)
            {
                var (port, proto) = ParsePortKey(key);
                s.Ports.Add(new ContainerPort { PrivatePort = port, Type = proto });
            }
        }
        else
        {
            foreach (var key in (r.Config.ExposedPorts ?? []).Keys.Where(k => !r.Ports.ContainsKey(k)))
            {
                var (port, proto) = ParsePortKey(key);
                s.Ports.Add(new ContainerPort { PrivatePort = port, Type = proto });
            }
        }

        if (size)
        {
            s.SizeRw = DirSize(Path.Combine(OverlayDir(r.Id), "diff"));
            s.SizeRootFs = s.SizeRw + (_images.TryResolve(r.ImageId)?.Size ?? 0);
        }

        return s;
    }

    private static string QuoteArg(string a) => a.Contains(' ', StringComparison.Ordinal) || a.Length == 0 ? "\"" + a + "\"" : a;

    private static long DirSize(string dir)
    {
        if (!Directory.Exists(dir))
        {
            return 0;
        }

        long total = 0;
        foreach (var f in Directory.EnumerateFiles(dir, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = true }))
        {
            try
            {
                total += new FileInfo(f).Length;
            }
            catch (IOException)
            {
            }
        }

        return total;
    }

    /// <summary>Docker's human status: "Up 5 minutes", "Exited (0) 2 hours ago", "Created", "Restarting (1) 3 seconds ago".</summary>
    public string StatusText(ContainerRecord r)
    {
        var now = _time.GetUtcNow();
        var s = r.State;
        if (s.Running)
        {
            Rfc3339.TryParse(s.StartedAt, out var started);
            var health = s.Health is null ? "" : s.Health.Status switch
            {
                "starting" => " (health: starting)",
                "healthy" => " (healthy)",
                "unhealthy" => " (unhealthy)",
                _ => "",
            };
            return "Up " + HumanDuration(now - started) + (s.Paused ? " (Paused)" : "") + health;
        }

        if (s.Restarting)
        {
            Rfc3339.TryParse(s.FinishedAt, out var f);
            return $"Restarting ({s.ExitCode}) {HumanDuration(now - f)} ago";
        }

        if (s.Status == "removing")
        {
            return "Removal In Progress";
        }

        if (!r.HasBeenStarted || s.FinishedAt == Rfc3339.ZeroTime)
        {
            return "Created";
        }

        Rfc3339.TryParse(s.FinishedAt, out var fin);
        return $"Exited ({s.ExitCode}) {HumanDuration(now - fin)} ago";
    }

    /// <summary>go-units HumanDuration.</summary>
    public static string HumanDuration(TimeSpan d)
    {
        var seconds = (long)d.TotalSeconds;
        if (seconds < 1)
        {
            return "Less than a second";
        }

        if (seconds == 1)
        {
            return "1 second";
        }

        if (seconds < 60)
        {
            return $"{seconds} seconds";
        }

        var minutes = (long)d.TotalMinutes;
        if (minutes == 1)
        {
            return "About a minute";
        }

        if (minutes < 60)
        {
            return $"{minutes} minutes";
        }

        // Go: int(d.Hours() + 0.5), i.e. half up (Math.Round would round 2.5 h to even: "2 hours").
        var hours = (long)(d.TotalHours + 0.5);
        if (hours == 1)
        {
            return "About an hour";
        }

        if (hours < 48)
        {
            return $"{hours} hours";
        }

        if (hours < 24 * 7 * 2)
        {
            return $"{hours / 24} days";
        }

        if (hours < 24 * 30 * 2)
        {
            return $"{hours / 24 / 7} weeks";
        }

        if (hours < 24 * 365 * 2)
        {
            return $"{hours / 24 / 30} months";
        }

        // Go uses the truncated hours here: int(d.Hours())/24/365.
        return $"{(long)d.TotalHours / 24 / 365} years";
    }

    public ContainerInspect Inspect(string idOrName, bool size = false)
    {
        var r = Get(idOrName);
        var dir = ContainerDir(r.Id);
        var ov = OverlayDir(r.Id);
        var image = _images.TryResolve(r.ImageId);
        var lowers = image is null ? "" : string.Join(':', _images.LayerDirectories(image).Reverse());
        var primary = r.Networks.FirstOrDefault(n => n.Key == "bridge").Value;
        var ns = new NetworkSettings
        {
            Bridge = "",
            SandboxID = r.NetnsPath is null ? "" : r.Id,
            SandboxKey = r.NetnsPath ?? "",
            Ports = r.State.Running ? r.Ports : (r.Config.ExposedPorts ?? []).Keys.ToDictionary(k => k, _ => (List<PortBinding>?)null),
            Networks = r.Networks,
            EndpointID = primary?.EndpointID ?? "",
            Gateway = primary?.Gateway ?? "",
            IPAddress = primary?.IPAddress ?? "",
            IPPrefixLen = primary?.IPPrefixLen ?? 0,
            MacAddress = primary?.MacAddress ?? "",
        };
        return new ContainerInspect
        {
            Id = r.Id,
            Created = Rfc3339.Format(r.Created),
            Path = r.Path,
            Args = r.Args,
            State = r.State,
            Image = r.ImageId,
            ResolvConfPath = Path.Combine(dir, "resolv.conf"),
            HostnamePath = Path.Combine(dir, "hostname"),
            HostsPath = Path.Combine(dir, "hosts"),
            LogPath = r.LogPath,
            Name = r.Name,
            RestartCount = r.RestartCount,
            HostConfig = r.HostConfig,
            GraphDriver = new GraphDriverData
            {
                Name = "overlay2",
                Data = new Dictionary<string, string>
                {
                    ["LowerDir"] = lowers,
                    ["MergedDir"] = Path.Combine(ov, "merged"),
                    ["UpperDir"] = Path.Combine(ov, "diff"),
                    ["WorkDir"] = Path.Combine(ov, "work"),
                },
            },
            Mounts = r.Mounts,
            Config = r.Config,
            NetworkSettings = ns,
            ExecIDs = _execs.Values.Where(x => x.ContainerId == r.Id).Select(x => x.Id).ToList() is { Count: > 0 } l ? l : null,
        };
    }

    public IAsyncEnumerable<LogLine> Logs(string idOrName, LogOptions options, CancellationToken ct)
    {
        var e = Find(idOrName);
        return LogFile.ReadAsync(e.Record.LogPath, options, () => e.Record.State.Running || e.Record.State.Restarting, ct);
    }

    public bool IsTty(string idOrName) => Get(idOrName).Config.Tty;

    public async Task<ContainerTopResponse> TopAsync(string idOrName, string? psArgs, CancellationToken ct)
    {
        var r = Get(idOrName);
        if (!r.State.Running)
        {
            throw new ConflictException($"Container {r.Id} is not running");
        }

        var pids = (await _runc.PidsAsync(r.Id, ct)).ToHashSet();
        var args = string.IsNullOrWhiteSpace(psArgs) ? "-ef" : psArgs;
        var res = await Proc.RunAsync("ps", args.Split(' ', StringSplitOptions.RemoveEmptyEntries), ct);
        if (res.ExitCode != 0)
        {
            throw new SkiffException(500, $"Error running ps: {res.Stderr.Trim()}");
        }

        var lines = res.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var titles = lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
        var pidCol = titles.IndexOf("PID");
        if (pidCol < 0)
        {
            throw new BadRequestException("Couldn't find PID field in ps output");
        }

        var top = new ContainerTopResponse { Titles = titles };
        foreach (var line in lines.Skip(1))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < titles.Count || !int.TryParse(fields[pidCol], out var pid) || !pids.Contains(pid))
            {
                continue;
            }

            // The last column (CMD) keeps its spaces.
            var row = fields.Take(titles.Count - 1).ToList();
            row.Add(string.Join(' ', fields.Skip(titles.Count - 1)));
            top.Processes.Add(row);
        }

        return top;
    }

    public async Task<ContainerPruneResponse> PruneAsync(Dictionary<string, Dictionary<string, bool>> filters, CancellationToken ct)
    {
        foreach (var k in filters.Keys)
        {
            if (k is not ("label" or "until"))
            {
                throw new BadRequestException($"invalid filter '{k}'");
            }
        }

        var resp = new ContainerPruneResponse();
        foreach (var r in All.Where(r => !r.State.Running && !r.State.Restarting).ToList())
        {
            if (filters.TryGetValue("label", out var l) && !l.Keys.All(v => LabelMatch(r.Config.Labels ?? [], v)))
            {
                continue;
            }

            resp.SpaceReclaimed += DirSize(Path.Combine(OverlayDir(r.Id), "diff"));
            await RemoveAsync(r.Id, force: false, removeVolumes: false, ct);
            resp.ContainersDeleted.Add(r.Id);
        }

        return resp;
    }
}
