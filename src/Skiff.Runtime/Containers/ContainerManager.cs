using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Skiff.Api;
using Skiff.Runtime.Events;
using Skiff.Runtime.Images;
using Skiff.Runtime.Util;
using Skiff.Runtime.Volumes;

namespace Skiff.Runtime.Containers;

public sealed record EngineOptions(string DataRoot, string ExecRoot, string CgroupParent = "/skiff");

/// <summary>
/// The local engine's containers: create, start, stop, restart policies, exec, logs. State lives in memory
/// (one record per container, guarded by a per-container lock) and on disk, so a restarted skiffd adopts
/// the containers conmon kept running.
/// </summary>
public sealed partial class ContainerManager : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Entry> _byId = new();
    private readonly ConcurrentDictionary<string, string> _byName = new();
    private readonly Lock _nameGate = new();
    private readonly EngineOptions _options;
    private readonly IImageStore _images;
    private readonly VolumeStore _volumes;
    private readonly EventBus _events;
    private readonly IContainerNetworking _network;
    private readonly Runc _runc;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stopping = new();
    private FileSystemWatcher? _exitWatcher;

    public ContainerManager(EngineOptions options, IImageStore images, VolumeStore volumes, EventBus events, IContainerNetworking network, Runc runc, TimeProvider time, ILogger<ContainerManager> log)
    {
        _options = options;
        _images = images;
        _volumes = volumes;
        _events = events;
        _network = network;
        _runc = runc;
        _time = time;
        _log = log;
        Directory.CreateDirectory(ContainersRoot);
    }

    private string ContainersRoot => Path.Combine(_options.DataRoot, "containers");

    private string ContainerDir(string id) => Path.Combine(ContainersRoot, id);

    private string OverlayDir(string id) => Path.Combine(_options.DataRoot, "overlay", id);

    /// <summary>One container: its record, a lifecycle lock, and a signal for waiters.</summary>
    private sealed class Entry(ContainerRecord record)
    {
        public ContainerRecord Record { get; } = record;
        public SemaphoreSlim Lock { get; } = new(1, 1);
        public TaskCompletionSource StateChanged { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public CancellationTokenSource? RestartTimer { get; set; }
        public bool Removed { get; set; }
        public TimeSpan LastRestartDelay { get; set; }
        /// <summary>How many exits were handled; waiters for "next-exit" compare it.</summary>
        public long Exits { get; set; }
        public CancellationTokenSource? Health { get; set; }
    }

    [GeneratedRegex("^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$")]
    private static partial Regex ValidName();

    public int Count => _byId.Count;

    public int CountInState(string status) => _byId.Values.Count(e => e.Record.State.Status == status);

    /// <summary>Is any container (running or not) using this image id?</summary>
    public bool ImageInUse(string imageId) => _byId.Values.Any(e => e.Record.ImageId == imageId);

    public IReadOnlyList<string> ContainersUsingVolume(string name) =>
        _byId.Values.Where(e => e.Record.Mounts.Any(m => m.Type == "volume" && m.Name == name)).Select(e => e.Record.Id).ToList();

    public IEnumerable<ContainerRecord> All => _byId.Values.Select(e => e.Record);

    /// <summary>By full id, unique id prefix, or name (with or without the leading slash), as Docker resolves.</summary>
    public ContainerRecord Get(string idOrName) => Find(idOrName).Record;

    private Entry Find(string idOrName)
    {
        if (string.IsNullOrEmpty(idOrName))
        {
            throw new NotFoundException("No such container: ");
        }

        if (_byId.TryGetValue(idOrName, out var e))
        {
            return e;
        }

        if (_byName.TryGetValue(idOrName.TrimStart('/'), out var id) && _byId.TryGetValue(id, out e))
        {
            return e;
        }

        var matches = _byId.Values.Where(x => x.Record.Id.StartsWith(idOrName, StringComparison.Ordinal)).Take(2).ToList();
        if (matches.Count == 1)
        {
            return matches[0];
        }

        if (matches.Count > 1)
        {
            throw new BadRequestException($"multiple IDs found with provided prefix: {idOrName}");
        }

        throw new NotFoundException($"No such container: {idOrName}");
    }

    // ---------------------------------------------------------------- create

    public Task<ContainerCreateResponse> CreateAsync(ContainerCreateRequest req, string? name, CancellationToken ct) =>
        Task.FromResult(Create(req, name));

    private ContainerCreateResponse Create(ContainerCreateRequest req, string? name)
    {
        if (string.IsNullOrEmpty(req.Image))
        {
            throw new BadRequestException("Config cannot be empty in order to create a container");
        }

        var image = _images.TryResolve(req.Image) ?? throw new NotFoundException($"No such image: {NormaliseForMessage(req.Image)}");
        var hc = req.HostConfig ?? new HostConfig();
        ValidateHostConfig(hc);
        var warnings = new List<string>();

        var id = Ids.NewHexId();
        var imgCfg = image.Config.Config ?? new ContainerConfig();
        var cfg = MergeConfig(req, imgCfg);
        var entrypoint = cfg.Entrypoint ?? [];
        var cmd = cfg.Cmd ?? [];
        var argv = entrypoint.Concat(cmd).ToList();
        if (argv.Count == 0)
        {
            throw new BadRequestException("no command specified");
        }

        var record = new ContainerRecord
        {
            Id = id,
            Created = _time.GetUtcNow(),
            Path = argv[0],
            Args = argv.Skip(1).ToList(),
            Config = cfg,
            HostConfig = hc,
            ImageId = image.Id,
            LogPath = Path.Combine(ContainerDir(id), id + "-json.log"),
        };
        record.Config.Image = req.Image;
        if (string.IsNullOrEmpty(record.Config.Hostname))
        {
            record.Config.Hostname = hc.NetworkMode == "host" ? System.Net.Dns.GetHostName() : id[..12];
        }

        if (req.NetworkingConfig?.EndpointsConfig is { } eps)
        {
            foreach (var (net, ep) in eps)
            {
                record.Networks[net] = ep;
            }
        }

        _network.PrepareCreate(record);

        // Reserve the name before touching the disk so two creates cannot both take it.
        var wanted = string.IsNullOrEmpty(name) ? null : name.TrimStart('/');
        if (wanted is not null && !ValidName().IsMatch(wanted))
        {
            throw new BadRequestException($"Invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
        }

        lock (_nameGate)
        {
            wanted ??= NameGenerator.Generate(n => _byName.ContainsKey(n));
            if (_byName.TryGetValue(wanted, out var other))
            {
                throw new ConflictException($"Conflict. The container name \"/{wanted}\" is already in use by container \"{other}\". You have to remove (or rename) that container to be able to reuse that name.");
            }

            _byName[wanted] = id;
        }

        record.Name = "/" + wanted;
        try
        {
            Directory.CreateDirectory(ContainerDir(id));
            Directory.CreateDirectory(Path.Combine(OverlayDir(id), "diff"));
            Directory.CreateDirectory(Path.Combine(OverlayDir(id), "work"));
            Directory.CreateDirectory(Path.Combine(OverlayDir(id), "merged"));
            record.Mounts = ResolveMounts(record, imgCfg);
            Save(record);
        }
        catch
        {
            _byName.TryRemove(wanted, out _);
            TryDeleteDir(ContainerDir(id));
            TryDeleteDir(OverlayDir(id));
            throw;
        }

        _byId[id] = new Entry(record);
        Publish(record, "create");
        return new ContainerCreateResponse { Id = id, Warnings = warnings };
    }

    private static string NormaliseForMessage(string image) =>
        image.Contains(':', StringComparison.Ordinal) || image.Contains('@', StringComparison.Ordinal) ? image : image + ":latest";

    private static void ValidateHostConfig(HostConfig hc)
    {
        if (hc.Memory is > 0 and < 6 * 1024 * 1024)
        {
            throw new BadRequestException("Minimum memory limit allowed is 6MB");
        }

        if (hc.NanoCpus < 0 || hc.CpuShares < 0 || hc.Memory < 0)
        {
            throw new BadRequestException("Range of CPUs or memory is negative");
        }

        if (hc.NanoCpus > 0 && (hc.CpuQuota > 0 || hc.CpuPeriod > 0))
        {
            throw new BadRequestException("Conflicting options: Nano CPUs and CPU Period cannot both be set");
        }

        var nanoMax = Environment.ProcessorCount * 1_000_000_000L;
        if (hc.NanoCpus > nanoMax)
        {
            throw new BadRequestException($"Range of CPUs is from 0.01 to {Environment.ProcessorCount}.00, as there are only {Environment.ProcessorCount} CPUs available");
        }

        RestartPolicies.Validate(hc.RestartPolicy, hc.AutoRemove);
        if (hc.LogConfig is { Type: var t } && !string.IsNullOrEmpty(t) && t != "json-file" && t != "k8s-file" && t != "local")
        {
            throw new BadRequestException($"logging driver \"{t}\" is not supported by skiffd (json-file, local and k8s-file are kept as conmon's k8s-file log)");
        }

        if (hc.Devices is { Count: > 0 })
        {
            throw new BadRequestException("--device is not supported by skiffd yet");
        }

        if (!string.IsNullOrEmpty(hc.PidMode) || !string.IsNullOrEmpty(hc.IpcMode) && hc.IpcMode is not ("private" or "shareable"))
        {
            throw new BadRequestException("--pid and --ipc modes other than the default are not supported by skiffd yet");
        }

        foreach (var p in hc.PortBindings ?? [])
        {
            ParsePortKey(p.Key);
            foreach (var b in p.Value ?? [])
            {
                if (!string.IsNullOrEmpty(b.HostPort) && !int.TryParse(b.HostPort.Split('-')[0], out _))
                {
                    throw new BadRequestException($"invalid hostPort: {b.HostPort}");
                }
            }
        }
    }

    /// <summary>"80/tcp" -> (80, "tcp"); throws for a malformed key.</summary>
    public static (int Port, string Proto) ParsePortKey(string key)
    {
        var parts = key.Split('/');
        var proto = parts.Length > 1 ? parts[1] : "tcp";
        if (!int.TryParse(parts[0], out var port) || port is < 1 or > 65535 || proto is not ("tcp" or "udp" or "sctp"))
        {
            throw new BadRequestException($"invalid port specification: \"{key}\"");
        }

        return (port, proto);
    }

    private static ContainerConfig MergeConfig(ContainerCreateRequest req, ContainerConfig img)
    {
        var env = new List<string>();
        var keys = new Dictionary<string, int>(StringComparer.Ordinal);
        void AddEnv(string kv)
        {
            var k = kv.Split('=', 2)[0];
            if (keys.TryGetValue(k, out var i))
            {
                env[i] = kv;
            }
            else
            {
                keys[k] = env.Count;
                env.Add(kv);
            }
        }

        foreach (var e in img.Env ?? [])
        {
            AddEnv(e);
        }

        foreach (var e in req.Env ?? [])
        {
            // "KEY" without '=' means: take it from the client's environment; the CLI resolves it, so drop it here.
            if (e.Contains('=', StringComparison.Ordinal))
            {
                AddEnv(e);
            }
        }

        if (!keys.ContainsKey("PATH"))
        {
            AddEnv("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        }

        // Docker: an explicit Entrypoint resets the image's Cmd unless Cmd is given too.
        var entrypoint = req.Entrypoint ?? img.Entrypoint;
        var cmd = req.Cmd is { Count: > 0 } ? req.Cmd : req.Entrypoint is not null ? null : img.Cmd;
        if (req.Entrypoint is { Count: 1 } && req.Entrypoint[0] == "")
        {
            entrypoint = null;
        }

        var labels = new Dictionary<string, string>(img.Labels ?? []);
        foreach (var (k, v) in req.Labels ?? [])
        {
            labels[k] = v;
        }

        var exposed = new Dictionary<string, EmptyObject>(img.ExposedPorts ?? []);
        foreach (var p in req.ExposedPorts ?? [])
        {
            exposed[p.Key] = p.Value;
        }

        foreach (var p in req.HostConfig?.PortBindings ?? [])
        {
            exposed.TryAdd(p.Key, new EmptyObject());
        }

        var volumes = new Dictionary<string, EmptyObject>(img.Volumes ?? []);
        foreach (var v in req.Volumes ?? [])
        {
            volumes[v.Key] = v.Value;
        }

        return new ContainerConfig
        {
            Hostname = req.Hostname,
            Domainname = req.Domainname ?? "",
            User = string.IsNullOrEmpty(req.User) ? img.User ?? "" : req.User,
            AttachStdin = req.AttachStdin,
            AttachStdout = req.AttachStdout,
            AttachStderr = req.AttachStderr,
            ExposedPorts = exposed.Count > 0 ? exposed : null,
            Tty = req.Tty,
            OpenStdin = req.OpenStdin,
            StdinOnce = req.StdinOnce,
            Env = env,
            Cmd = cmd,
            Healthcheck = req.Healthcheck ?? img.Healthcheck,
            Image = req.Image,
            Volumes = volumes.Count > 0 ? volumes : null,
            WorkingDir = string.IsNullOrEmpty(req.WorkingDir) ? img.WorkingDir ?? "" : req.WorkingDir,
            Entrypoint = entrypoint,
            Labels = labels,
            StopSignal = req.StopSignal ?? img.StopSignal,
            StopTimeout = req.StopTimeout,
        };
    }

    /// <summary>Binds ("src:dst[:opts]"), Mounts and the image's VOLUMEs turned into mount points.</summary>
    private List<MountPoint> ResolveMounts(ContainerRecord c, ContainerConfig imgCfg)
    {
        var result = new List<MountPoint>();
        var targets = new HashSet<string>(StringComparer.Ordinal);
        void Add(MountPoint m)
        {
            if (!targets.Add(m.Destination))
            {
                throw new BadRequestException($"Duplicate mount point: {m.Destination}");
            }

            result.Add(m);
        }

        foreach (var b in c.HostConfig.Binds ?? [])
        {
            var parts = b.Split(':');
            if (parts.Length is < 2 or > 3 || parts[1].Length == 0 || parts[1][0] != '/')
            {
                throw new BadRequestException($"invalid volume specification: '{b}'");
            }

            var mode = parts.Length == 3 ? parts[2] : "";
            var ro = mode.Split(',').Contains("ro");
            if (parts[0].StartsWith('/'))
            {
                if (!Directory.Exists(parts[0]) && !File.Exists(parts[0]))
                {
                    Directory.CreateDirectory(parts[0]);
                }

                Add(new MountPoint { Type = "bind", Source = parts[0], Destination = parts[1], Mode = mode, RW = !ro, Propagation = "rprivate" });
            }
            else
            {
                var v = _volumes.Exists(parts[0]) ? _volumes.Inspect(parts[0]) : _volumes.Create(parts[0], null, null, null);
                Add(new MountPoint { Type = "volume", Name = v.Name, Source = v.Mountpoint, Destination = parts[1], Driver = "local", Mode = mode == "" ? "z" : mode, RW = !ro });
            }
        }

        foreach (var m in c.HostConfig.Mounts ?? [])
        {
            if (string.IsNullOrEmpty(m.Target) || m.Target[0] != '/')
            {
                throw new BadRequestException($"invalid mount config for type \"{m.Type}\": invalid mount path: '{m.Target}' mount path must be absolute");
            }

            switch (m.Type)
            {
                case "bind":
                    if (string.IsNullOrEmpty(m.Source) || !(Directory.Exists(m.Source) || File.Exists(m.Source)))
                    {
                        throw new BadRequestException($"invalid mount config for type \"bind\": bind source path does not exist: {m.Source}");
                    }

                    Add(new MountPoint { Type = "bind", Source = m.Source, Destination = m.Target, RW = !m.ReadOnly, Propagation = "rprivate" });
                    break;
                case "volume":
                    {
                        var v = string.IsNullOrEmpty(m.Source)
                            ? _volumes.Create(null, m.VolumeOptions?.Labels, null, null, anonymous: true)
                            : _volumes.Exists(m.Source) ? _volumes.Inspect(m.Source) : _volumes.Create(m.Source, m.VolumeOptions?.Labels, null, null);
                        Add(new MountPoint { Type = "volume", Name = v.Name, Source = v.Mountpoint, Destination = m.Target, Driver = "local", RW = !m.ReadOnly });
                        break;
                    }

                case "tmpfs":
                    Add(new MountPoint { Type = "tmpfs", Source = "", Destination = m.Target, RW = true });
                    break;
                default:
                    throw new BadRequestException($"invalid mount config: mount type unknown: \"{m.Type}\"");
            }
        }

        foreach (var path in (c.Config.Volumes ?? []).Keys.Concat((imgCfg.Volumes ?? []).Keys).Distinct())
        {
            if (targets.Contains(path))
            {
                continue;
            }

            var v = _volumes.Create(null, null, null, null, anonymous: true);
            Add(new MountPoint { Type = "volume", Name = v.Name, Source = v.Mountpoint, Destination = path, Driver = "local", RW = true });
        }

        return result;
    }

    // ---------------------------------------------------------------- persistence

    private void Save(ContainerRecord r)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(r, RuntimeJson.Default.ContainerRecord);
        AtomicFile.WriteAllBytes(Path.Combine(ContainerDir(r.Id), "container.json"), json);
    }

    private static void TryDeleteDir(string dir)
    {
        try
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private void Publish(ContainerRecord r, string action, Dictionary<string, string>? extra = null)
    {
        var attrs = new Dictionary<string, string>(r.Config.Labels ?? [])
        {
            ["image"] = r.Config.Image ?? "",
            ["name"] = r.Name.TrimStart('/'),
        };
        foreach (var (k, v) in extra ?? [])
        {
            attrs[k] = v;
        }

        _events.Publish("container", action, r.Id, attrs);
    }

    private void Signal(Entry e)
    {
        var old = e.StateChanged;
        e.StateChanged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        old.TrySetResult();
    }

    private int _disposed;

    /// <summary>Idempotent: the daemon disposes the engine on SIGTERM and the host disposes it again.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stopping.CancelAsync();
        _exitWatcher?.Dispose();
        foreach (var e in _byId.Values)
        {
            e.RestartTimer?.Cancel();
        }

        _stopping.Dispose();
    }
}
