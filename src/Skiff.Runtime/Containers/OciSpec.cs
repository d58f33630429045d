using System.Text.Json.Nodes;
using Skiff.Api;

namespace Skiff.Runtime.Containers;

/// <summary>
/// Builds the OCI runtime spec (config.json) for runc from the image config and the container's
/// HostConfig, with Docker's defaults: capabilities, masked and read-only paths, /dev and /proc mounts.
/// A pure function of its inputs so it is unit-tested without runc.
/// </summary>
public static class OciSpec
{
    public static readonly IReadOnlyList<string> DefaultCapabilities =
    [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
        "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
    ];

    public static readonly IReadOnlyList<string> AllCapabilities =
    [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
        "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
        "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT",
        "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
        "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL",
        "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
        "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
    ];

    public static readonly IReadOnlyList<string> DefaultMaskedPaths =
    [
        "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
        "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
    ];

    public static readonly IReadOnlyList<string> DefaultReadonlyPaths =
    [
        "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
    ];

    /// <summary>A bind or volume mount resolved to a host path.</summary>
    public sealed record BindMount(string Source, string Destination, bool ReadOnly, string Type = "bind", IReadOnlyList<string>? ExtraOptions = null);

    public sealed record Inputs(
        string Id,
        string RootfsPath,
        ContainerConfig Config,
        HostConfig HostConfig,
        IReadOnlyList<string> Args,
        IReadOnlyList<string> Env,
        string Cwd,
        ProcessUser User,
        string Hostname,
        string? NetnsPath,
        IReadOnlyList<BindMount> Mounts,
        string CgroupParent);

    public sealed record ProcessUser(uint Uid, uint Gid, IReadOnlyList<uint> AdditionalGids);

    public static JsonObject Build(Inputs i)
    {
        var hc = i.HostConfig;
        var caps = Capabilities(hc);
        var process = new JsonObject
        {
            ["terminal"] = i.Config.Tty,
            ["user"] = new JsonObject
            {
                ["uid"] = i.User.Uid,
                ["gid"] = i.User.Gid,
                ["additionalGids"] = new JsonArray(i.User.AdditionalGids.Select(g => (JsonNode)JsonValue.Create(g)).ToArray()),
            },
            ["args"] = Strings(i.Args),
            ["env"] = Strings(i.Env),
            ["cwd"] = string.IsNullOrEmpty(i.Cwd) ? "/" : i.Cwd,
            ["capabilities"] = new JsonObject
            {
                ["bounding"] = Strings(caps),
                ["effective"] = Strings(caps),
                ["permitted"] = Strings(caps),
            },
            // Like Docker, containers inherit the daemon's limits unless --ulimit says otherwise.
            ["rlimits"] = new JsonArray((i.HostConfig.Ulimits ?? []).Select(u => (JsonNode)new JsonObject
            {
                ["type"] = "RLIMIT_" + u.Name.ToUpperInvariant(),
                ["hard"] = u.Hard,
                ["soft"] = u.Soft,
            }).ToArray()),
            ["noNewPrivileges"] = (hc.SecurityOpt ?? []).Contains("no-new-privileges") || (hc.SecurityOpt ?? []).Contains("no-new-privileges:true"),
        };
        if (i.Config.Tty)
        {
            process["consoleSize"] = new JsonObject { ["height"] = 24, ["width"] = 80 };
        }

        var namespaces = new JsonArray
        {
            new JsonObject { ["type"] = "pid" },
            new JsonObject { ["type"] = "ipc" },
            new JsonObject { ["type"] = "uts" },
            new JsonObject { ["type"] = "mount" },
        };
        var networkMode = hc.NetworkMode ?? "default";
        if (networkMode != "host")
        {
            var ns = new JsonObject { ["type"] = "network" };
            if (i.NetnsPath is not null)
            {
                ns["path"] = i.NetnsPath;
            }

            namespaces.Add(ns);
        }

        var resources = new JsonObject
        {
            ["devices"] = new JsonArray(new JsonObject { ["allow"] = false, ["access"] = "rwm" }),
        };
        if (hc.Memory > 0)
        {
            var mem = new JsonObject { ["limit"] = hc.Memory };
            if (hc.MemorySwap != 0)
            {
                mem["swap"] = hc.MemorySwap;
            }

            if (hc.MemoryReservation > 0)
            {
                mem["reservation"] = hc.MemoryReservation;
            }

            resources["memory"] = mem;
        }

        var cpu = new JsonObject();
        if (hc.CpuShares > 0)
        {
            cpu["shares"] = hc.CpuShares;
        }

        if (hc.NanoCpus > 0)
        {
            const long period = 100_000;
            cpu["period"] = period;
            cpu["quota"] = hc.NanoCpus * period / 1_000_000_000;
        }
        else if (hc.CpuQuota > 0)
        {
            cpu["quota"] = hc.CpuQuota;
            cpu["period"] = hc.CpuPeriod > 0 ? hc.CpuPeriod : 100_000;
        }

        if (!string.IsNullOrEmpty(hc.CpusetCpus))
        {
            cpu["cpus"] = hc.CpusetCpus;
        }

        if (cpu.Count > 0)
        {
            resources["cpu"] = cpu;
        }

        if (hc.PidsLimit is > 0)
        {
            resources["pids"] = new JsonObject { ["limit"] = hc.PidsLimit.Value };
        }

        var linux = new JsonObject
        {
            ["namespaces"] = namespaces,
            ["resources"] = resources,
            ["cgroupsPath"] = $"{i.CgroupParent.TrimEnd('/')}/{i.Id}",
        };
        if (!hc.Privileged)
        {
            linux["maskedPaths"] = Strings(hc.MaskedPaths ?? [.. DefaultMaskedPaths]);
            linux["readonlyPaths"] = Strings(hc.ReadonlyPaths ?? [.. DefaultReadonlyPaths]);
        }

        return new JsonObject
        {
            ["ociVersion"] = "1.0.2",
            ["process"] = process,
            ["root"] = new JsonObject { ["path"] = i.RootfsPath, ["readonly"] = hc.ReadonlyRootfs },
            ["hostname"] = i.Hostname,
            ["mounts"] = Mounts(i),
            ["linux"] = linux,
        };
    }

    private static List<string> Capabilities(HostConfig hc)
    {
        if (hc.Privileged)
        {
            return [.. AllCapabilities];
        }

        static string Norm(string c)
        {
            var u = c.ToUpperInvariant();
            return u == "ALL" ? u : u.StartsWith("CAP_", StringComparison.Ordinal) ? u : "CAP_" + u;
        }

        var drop = (hc.CapDrop ?? []).Select(Norm).ToHashSet();
        var add = (hc.CapAdd ?? []).Select(Norm).ToList();
        IEnumerable<string> caps = drop.Contains("ALL") ? [] : DefaultCapabilities.Where(c => !drop.Contains(c));
        caps = add.Contains("ALL") ? AllCapabilities : caps.Concat(add.Where(c => c != "ALL"));
        return caps.Distinct().ToList();
    }

    private static JsonArray Mounts(Inputs i)
    {
        var hc = i.HostConfig;
        var list = new JsonArray
        {
            Mount("/proc", "proc", "proc", ["nosuid", "noexec", "nodev"]),
            Mount("/dev", "tmpfs", "tmpfs", ["nosuid", "strictatime", "mode=755", "size=65536k"]),
            Mount("/dev/pts", "devpts", "devpts", ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]),
            Mount("/dev/shm", "tmpfs", "shm", ["nosuid", "noexec", "nodev", "mode=1777", $"size={(hc.ShmSize > 0 ? hc.ShmSize : 64 * 1024 * 1024)}"]),
            Mount("/dev/mqueue", "mqueue", "mqueue", ["nosuid", "noexec", "nodev"]),
            Mount("/sys", "sysfs", "sysfs", ["nosuid", "noexec", "nodev", hc.Privileged ? "rw" : "ro"]),
            Mount("/sys/fs/cgroup", "cgroup", "cgroup", ["nosuid", "noexec", "nodev", "relatime", hc.Privileged ? "rw" : "ro"]),
        };
        foreach (var (target, opts) in hc.Tmpfs ?? [])
        {
            var o = new List<string> { "nosuid", "nodev", "noexec" };
            if (!string.IsNullOrEmpty(opts))
            {
                o = [.. opts.Split(',', StringSplitOptions.RemoveEmptyEntries)];
            }

            list.Add(Mount(target, "tmpfs", "tmpfs", o));
        }

        foreach (var m in i.Mounts)
        {
            var o = new List<string> { "rbind", m.ReadOnly ? "ro" : "rw" };
            if (m.ExtraOptions is not null)
            {
                o.AddRange(m.ExtraOptions);
            }

            list.Add(m.Type == "tmpfs" ? Mount(m.Destination, "tmpfs", "tmpfs", m.ExtraOptions ?? ["nosuid", "nodev"]) : Mount(m.Destination, "bind", m.Source, o));
        }

        return list;
    }

    private static JsonObject Mount(string dest, string type, string source, IEnumerable<string> options) => new()
    {
        ["destination"] = dest,
        ["type"] = type,
        ["source"] = source,
        ["options"] = Strings(options),
    };

    private static JsonArray Strings(IEnumerable<string> s) => new(s.Select(x => (JsonNode?)JsonValue.Create(x)).ToArray());
}
