using Skiff.Api;
using Skiff.Daemon.Api;
using Skiff.Runtime.Build;
using Skiff.Runtime.Containers;
using Skiff.Runtime.Events;
using Skiff.Runtime.Images;
using Skiff.Runtime.Networking;
using Skiff.Runtime.Util;
using Skiff.Runtime.Volumes;

namespace Skiff.Daemon;

/// <summary>The local engine: the parts the Engine API endpoints call, wired once per daemon.</summary>
public sealed class Engine : IAsyncDisposable
{
    public Engine(DaemonOptions options, ILoggerFactory logs, TimeProvider time)
    {
        Options = options;
        Directory.CreateDirectory(options.DataRoot);
        Directory.CreateDirectory(options.ExecRoot);
        Events = new EventBus(time);
        Images = new ImageStore(options.DataRoot, logs.CreateLogger<ImageStore>());
        Images.Changed += e => Events.Publish("image", e.Action, e.Id, e.Name is null ? null : new Dictionary<string, string> { ["name"] = e.Name });
        Volumes = new VolumeStore(options.DataRoot, Events);
        Networks = new NetworkManager(new NetworkManagerOptions(options.DataRoot, options.ExecRoot, options.BridgeName, options.BridgeCidr, options.DefaultBindIp), Events, logs.CreateLogger<NetworkManager>());
        Runc = new Runc(new RuntimePaths(options.ExecRoot), Runc.Find("runc"), Runc.Find("conmon"));
        Containers = new ContainerManager(
            new EngineOptions(options.DataRoot, options.ExecRoot, options.CgroupParent),
            Images, Volumes, Events, Networks, Runc, time, logs.CreateLogger<ContainerManager>());
        Networks.Containers = () => Containers.All;
        Builder = new ImageBuilder(Images, Containers, options.DataRoot, time, logs.CreateLogger<ImageBuilder>());
        Id = LoadOrCreateId(options.DataRoot);
    }

    public DaemonOptions Options { get; }
    public EventBus Events { get; }
    public ImageStore Images { get; }
    public VolumeStore Volumes { get; }
    public NetworkManager Networks { get; }
    public Runc Runc { get; }
    public ContainerManager Containers { get; }
    public ImageBuilder Builder { get; }
    public string Id { get; }

    /// <summary>The Swarm section of /info, set once the swarm part of the daemon exists.</summary>
    public Func<SwarmInfo>? SwarmInfo { get; set; }

    public async Task StartAsync(CancellationToken ct)
    {
        await Networks.StartAsync(ct);
        await Containers.RestoreAsync(ct);
        await Networks.RestoreAsync(ct);
    }

    private static string LoadOrCreateId(string dataRoot)
    {
        var f = Path.Combine(dataRoot, "engine-id");
        if (File.Exists(f))
        {
            return File.ReadAllText(f).Trim();
        }

        var id = Guid.NewGuid().ToString().ToUpperInvariant();
        AtomicFile.WriteAllText(f, id);
        return id;
    }

    public SystemInfo Info()
    {
        static bool Exists(string p) => File.Exists(p);
        static bool One(string p) => SystemEndpoints.ReadTrim(p) == "1";
        var memTotal = 0L;
        foreach (var line in File.ReadLines("/proc/meminfo"))
        {
            if (line.StartsWith("MemTotal:", StringComparison.Ordinal))
            {
                memTotal = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
                break;
            }
        }

        var os = "Linux";
        var osVersion = "";
        if (File.Exists("/etc/os-release"))
        {
            foreach (var line in File.ReadLines("/etc/os-release"))
            {
                if (line.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))
                {
                    os = line[12..].Trim('"');
                }
                else if (line.StartsWith("VERSION_ID=", StringComparison.Ordinal))
                {
                    osVersion = line[11..].Trim('"');
                }
            }
        }

        var v2 = File.Exists("/sys/fs/cgroup/cgroup.controllers");
        var all = Containers.All.ToList();
        var running = all.Count(c => c.State.Running && !c.State.Paused);
        var paused = all.Count(c => c.State.Paused);
        var runcPath = Runc.RuncPath;
        return new SystemInfo
        {
            ID = Id,
            Containers = all.Count,
            ContainersRunning = running,
            ContainersPaused = paused,
            ContainersStopped = all.Count - running - paused,
            Images = Images.List().Count,
            Driver = "overlay2",
            DriverStatus = [["Backing Filesystem", "extfs"], ["Supports d_type", "true"], ["Native Overlay Diff", "true"], ["userxattr", "false"]],
            DockerRootDir = Options.DataRoot,
            MemoryLimit = v2 || Exists("/sys/fs/cgroup/memory/memory.limit_in_bytes"),
            SwapLimit = v2 || Exists("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes"),
            KernelMemory = false,
            KernelMemoryTCP = false,
            CpuCfsPeriod = v2 || Exists("/sys/fs/cgroup/cpu/cpu.cfs_period_us"),
            CpuCfsQuota = v2 || Exists("/sys/fs/cgroup/cpu/cpu.cfs_quota_us"),
            CPUShares = v2 || Exists("/sys/fs/cgroup/cpu/cpu.shares"),
            CPUSet = v2 || Exists("/sys/fs/cgroup/cpuset/cpuset.cpus"),
            PidsLimit = v2 || Exists("/sys/fs/cgroup/pids/pids.max") || Directory.Exists("/sys/fs/cgroup/pids"),
            OomKillDisable = !v2 && Exists("/sys/fs/cgroup/memory/memory.oom_control"),
            IPv4Forwarding = One("/proc/sys/net/ipv4/ip_forward"),
            BridgeNfIptables = One("/proc/sys/net/bridge/bridge-nf-call-iptables"),
            BridgeNfIp6tables = One("/proc/sys/net/bridge/bridge-nf-call-ip6tables"),
            NFd = Directory.Exists("/proc/self/fd") ? Directory.GetFiles("/proc/self/fd").Length : 0,
            NGoroutines = ThreadPool.ThreadCount,
            SystemTime = DateTimeOffset.Now.ToString("yyyy-MM-ddTHH:mm:ss.fffffffzzz", System.Globalization.CultureInfo.InvariantCulture),
            LoggingDriver = "json-file",
            CgroupDriver = "cgroupfs",
            CgroupVersion = v2 ? "2" : "1",
            NEventsListener = Events.SubscriberCount,
            KernelVersion = SystemEndpoints.ReadTrim("/proc/sys/kernel/osrelease"),
            OperatingSystem = os,
            OSVersion = osVersion,
            OSType = "linux",
            Architecture = System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.Arm64 ? "aarch64" : "x86_64",
            NCPU = Environment.ProcessorCount,
            MemTotal = memTotal,
            Name = Options.NodeHostname ?? System.Net.Dns.GetHostName(),
            Swarm = SwarmInfo?.Invoke() ?? new SwarmInfo(),
            ServerVersion = SystemEndpoints.EngineVersion,
            Runtimes = new Dictionary<string, RuntimeInfo> { ["runc"] = new() { Path = runcPath } },
            DefaultRuntime = "runc",
            Isolation = "",
            InitBinary = "",
            ContainerdCommit = new CommitInfo { ID = "none (skiffd drives runc through conmon)", Expected = "" },
            RuncCommit = new CommitInfo { ID = "", Expected = "" },
            InitCommit = new CommitInfo { ID = "", Expected = "" },
            SecurityOptions = ["name=cgroupns"],
            RegistryConfig = new RegistryServiceConfig
            {
                InsecureRegistryCIDRs = ["127.0.0.0/8"],
                IndexConfigs = new Dictionary<string, IndexInfo> { ["docker.io"] = new() { Name = "docker.io", Secure = true, Official = true } },
            },
        };
    }

    private int _disposed;

    /// <summary>Idempotent: the host disposes its singletons when it stops, and Program disposes the engine after that.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await Containers.DisposeAsync();
        await Networks.DisposeAsync();
    }
}
