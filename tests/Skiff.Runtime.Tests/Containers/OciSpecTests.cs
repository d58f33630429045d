using System.Text.Json.Nodes;
using Skiff.Api;
using Skiff.Runtime.Containers;

namespace Skiff.Runtime.Tests.Containers;

public sealed class OciSpecTests
{
    private static OciSpec.Inputs Inputs(HostConfig? hc = null, string? netns = "/run/skiff/netns/abc", IReadOnlyList<OciSpec.BindMount>? mounts = null, bool tty = false) => new(
        Id: "abc123",
        RootfsPath: "/var/lib/skiff/overlay/abc123/merged",
        Config: new ContainerConfig { Tty = tty },
        HostConfig: hc ?? new HostConfig(),
        Args: ["/bin/sh", "-c", "true"],
        Env: ["PATH=/bin", "A=1"],
        Cwd: "",
        User: new OciSpec.ProcessUser(1000, 1000, [10, 29]),
        Hostname: "abc123",
        NetnsPath: netns,
        Mounts: mounts ?? [],
        CgroupParent: "/skiff/");

    private static List<string> Strings(JsonNode? node) => node!.AsArray().Select(n => n!.GetValue<string>()).ToList();

    private static List<string> Caps(JsonObject spec) => Strings(spec["process"]!["capabilities"]!["bounding"]);

    private static JsonObject? MountAt(JsonObject spec, string dest) =>
        spec["mounts"]!.AsArray().Select(m => m!.AsObject()).SingleOrDefault(m => m["destination"]!.GetValue<string>() == dest);

    [Fact]
    public void Build_Defaults_ProcessRootHostnameAndCgroup()
    {
        var spec = OciSpec.Build(Inputs());

        Assert.Equal("1.0.2", spec["ociVersion"]!.GetValue<string>());
        var process = spec["process"]!;
        Assert.False(process["terminal"]!.GetValue<bool>());
        Assert.Null(process["consoleSize"]);
        Assert.Equal(["/bin/sh", "-c", "true"], Strings(process["args"]));
        Assert.Equal(["PATH=/bin", "A=1"], Strings(process["env"]));
        Assert.Equal("/", process["cwd"]!.GetValue<string>());
        Assert.Equal(1000u, process["user"]!["uid"]!.GetValue<uint>());
        Assert.Equal(1000u, process["user"]!["gid"]!.GetValue<uint>());
        Assert.Equal([10u, 29u], process["user"]!["additionalGids"]!.AsArray().Select(g => g!.GetValue<uint>()));
        Assert.False(process["noNewPrivileges"]!.GetValue<bool>());
        Assert.Empty(process["rlimits"]!.AsArray());
        Assert.Equal("/var/lib/skiff/overlay/abc123/merged", spec["root"]!["path"]!.GetValue<string>());
        Assert.False(spec["root"]!["readonly"]!.GetValue<bool>());
        Assert.Equal("abc123", spec["hostname"]!.GetValue<string>());
        Assert.Equal("/skiff/abc123", spec["linux"]!["cgroupsPath"]!.GetValue<string>());
        Assert.Null(spec["linux"]!["resources"]!["memory"]);
        Assert.Null(spec["linux"]!["resources"]!["cpu"]);
        Assert.Null(spec["linux"]!["resources"]!["pids"]);
    }

    [Fact]
    public void Build_Tty_SetsTerminalAndConsoleSize()
    {
        var spec = OciSpec.Build(Inputs(tty: true));

        Assert.True(spec["process"]!["terminal"]!.GetValue<bool>());
        Assert.Equal(80, spec["process"]!["consoleSize"]!["width"]!.GetValue<int>());
    }

    [Fact]
    public void Build_Defaults_HasDockerDefaultCapabilitiesInAllSets()
    {
        var spec = OciSpec.Build(Inputs());

        var caps = spec["process"]!["capabilities"]!;
        Assert.Equal(OciSpec.DefaultCapabilities, Strings(caps["bounding"]));
        Assert.Equal(OciSpec.DefaultCapabilities, Strings(caps["effective"]));
        Assert.Equal(OciSpec.DefaultCapabilities, Strings(caps["permitted"]));
        Assert.Equal(14, OciSpec.DefaultCapabilities.Count);
        Assert.DoesNotContain("CAP_SYS_ADMIN", Strings(caps["bounding"]));
        Assert.DoesNotContain("CAP_NET_ADMIN", Strings(caps["bounding"]));
    }

    [Fact]
    public void Build_CapAddAndDrop_NormalisesNamesAndApplies()
    {
        var spec = OciSpec.Build(Inputs(new HostConfig { CapAdd = ["net_admin", "CAP_SYS_PTRACE"], CapDrop = ["chown", "CAP_KILL"] }));

        var caps = Caps(spec);
        Assert.Contains("CAP_NET_ADMIN", caps);
        Assert.Contains("CAP_SYS_PTRACE", caps);
        Assert.DoesNotContain("CAP_CHOWN", caps);
        Assert.DoesNotContain("CAP_KILL", caps);
        Assert.Equal(14 - 2 + 2, caps.Count);
    }

    [Fact]
    public void Build_CapDropAll_LeavesOnlyAdded()
    {
        var spec = OciSpec.Build(Inputs(new HostConfig { CapDrop = ["ALL"], CapAdd = ["NET_BIND_SERVICE"] }));

        Assert.Equal(["CAP_NET_BIND_SERVICE"], Caps(spec));
    }

    [Fact]
    public void Build_CapDropAllLowercase_DropsEverything()
    {
        var spec = OciSpec.Build(Inputs(new HostConfig { CapDrop = ["all"] }));

        Assert.Empty(Caps(spec));
    }

    [Fact]
    public void Build_CapAddAll_GivesEveryCapability()
    {
        var spec = OciSpec.Build(Inputs(new HostConfig { CapAdd = ["ALL"] }));

        Assert.Equal(OciSpec.AllCapabilities.Order(StringComparer.Ordinal), Caps(spec).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Build_Privileged_AllCapsNoMaskedPathsWritableSys()
    {
        var spec = OciSpec.Build(Inputs(new HostConfig { Privileged = true, CapDrop = ["ALL"] }));

        Assert.Equal(OciSpec.AllCapabilities, Caps(spec));
        Assert.Null(spec["linux"]!["maskedPaths"]);
        Assert.Null(spec["linux"]!["readonlyPaths"]);
        Assert.Contains("rw", Strings(MountAt(spec, "/sys")!["options"]));
        Assert.Contains("rw", Strings(MountAt(spec, "/sys/fs/cgroup")!["options"]));
    }

    [Fact]
    public void Build_Unprivileged_DefaultMaskedAndReadonlyPathsReadOnlySys()
    {
        var spec = OciSpec.Build(Inputs());

        Assert.Equal(OciSpec.DefaultMaskedPaths, Strings(spec["linux"]!["maskedPaths"]));
        Assert.Equal(OciSpec.DefaultReadonlyPaths, Strings(spec["linux"]!["readonlyPaths"]));
        Assert.Contains("/proc/kcore", Strings(spec["linux"]!["maskedPaths"]));
        Assert.Contains("/proc/sys", Strings(spec["linux"]!["readonlyPaths"]));
        Assert.Contains("ro", Strings(MountAt(spec, "/sys")!["options"]));
    }

    [Fact]
    public void Build_ExplicitMaskedAndReadonlyPaths_ReplaceDefaults()
    {
        var spec = OciSpec.Build(Inputs(new HostConfig { MaskedPaths = ["/proc/x"], ReadonlyPaths = [] }));

        Assert.Equal(["/proc/x"], Strings(spec["linux"]!["maskedPaths"]));
        Assert.Empty(spec["linux"]!["readonlyPaths"]!.AsArray());
    }

    [Theory]
    [InlineData(1_500_000_000L, 150_000L)]
    [InlineData(500_000_000L, 50_000L)]
    [InlineData(2_000_000_000L, 200_000L)]
    [InlineData(10_000_000L, 1_000L)]
    public void Build_NanoCpus_QuotaOverHundredMsPeriod(long nanoCpus, long quota)
    {
        var spec = OciSpec.Build(Inputs(new HostConfig { NanoCpus = nanoCpus }));

        var cpu = spec["linux"]!["resources"]!["cpu"]!;
        Assert.Equal(100_000L, cpu["period"]!.GetValue<long>());
        Assert.Equal(quota, cpu["quota"]!.GetValue<long>());
    }

    [Fact]
    public void Build_CpuQuotaSharesAndCpuset_PassedThrough()
    {
        var spec = OciSpec.Build(Inputs(new HostConfig { CpuQuota = 20_000, CpuShares = 512, CpusetCpus = "0-1" }));

        var cpu = spec["linux"]!["resources"]!["cpu"]!;
        Assert.Equal(20_000L, cpu["quota"]!.GetValue<long>());
        Assert.Equal(100_000L, cpu["period"]!.GetValue<long>());
        Assert.Equal(512L, cpu["shares"]!.GetValue<long>());
        Assert.Equal("0-1", cpu["cpus"]!.GetValue<string>());
    }

    [Fact]
    public void Build_Memory_LimitSwapReservation()
    {
        var spec = OciSpec.Build(Inputs(new HostConfig { Memory = 64 * 1024 * 1024, MemorySwap = 128 * 1024 * 1024, MemoryReservation = 32 * 1024 * 1024 }));

        var mem = spec["linux"]!["resources"]!["memory"]!;
        Assert.Equal(64L * 1024 * 1024, mem["limit"]!.GetValue<long>());
        Assert.Equal(128L * 1024 * 1024, mem["swap"]!.GetValue<long>());
        Assert.Equal(32L * 1024 * 1024, mem["reservation"]!.GetValue<long>());
    }

    [Fact]
    public void Build_MemoryWithoutSwap_OmitsSwap()
    {
        var spec = OciSpec.Build(Inputs(new HostConfig { Memory = 64 * 1024 * 1024 }));

        var mem = spec["linux"]!["resources"]!["memory"]!;
        Assert.Null(mem["swap"]);
        Assert.Null(mem["reservation"]);
    }

    [Fact]
    public void Build_MemorySwapUnlimited_PassesMinusOne()
    {
        var spec = OciSpec.Build(Inputs(new HostConfig { Memory = 64 * 1024 * 1024, MemorySwap = -1 }));

        Assert.Equal(-1L, spec["linux"]!["resources"]!["memory"]!["swap"]!.GetValue<long>());
    }

    [Fact]
    public void Build_PidsLimit_SetsPids()
    {
        var spec = OciSpec.Build(Inputs(new HostConfig { PidsLimit = 100 }));

        Assert.Equal(100L, spec["linux"]!["resources"]!["pids"]!["limit"]!.GetValue<long>());
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-1L)]
    public void Build_PidsLimitZeroOrUnlimited_OmitsPids(long limit)
    {
        var spec = OciSpec.Build(Inputs(new HostConfig { PidsLimit = limit }));

        Assert.Null(spec["linux"]!["resources"]!["pids"]);
    }

    [Fact]
    public void Build_ReadonlyRootfs_RootIsReadonly()
    {
        var spec = OciSpec.Build(Inputs(new HostConfig { ReadonlyRootfs = true }));

        Assert.True(spec["root"]!["readonly"]!.GetValue<bool>());
    }

    private static List<JsonObject> Namespaces(JsonObject spec) => spec["linux"]!["namespaces"]!.AsArray().Select(n => n!.AsObject()).ToList();

    [Fact]
    public void Build_HostNetwork_HasNoNetworkNamespace()
    {
        var spec = OciSpec.Build(Inputs(new HostConfig { NetworkMode = "host" }, netns: null));

        var types = Namespaces(spec).Select(n => n["type"]!.GetValue<string>()).ToList();
        Assert.Equal(["pid", "ipc", "uts", "mount"], types);
    }

    [Fact]
    public void Build_BridgeNetwork_JoinsTheNetnsPath()
    {
        var spec = OciSpec.Build(Inputs(new HostConfig { NetworkMode = "bridge" }, netns: "/run/skiff/netns/c1"));

        var net = Namespaces(spec).Single(n => n["type"]!.GetValue<string>() == "network");
        Assert.Equal("/run/skiff/netns/c1", net["path"]!.GetValue<string>());
    }

    [Fact]
    public void Build_NoNetnsPath_NewNetworkNamespace()
    {
        var spec = OciSpec.Build(Inputs(new HostConfig { NetworkMode = "none" }, netns: null));

        var net = Namespaces(spec).Single(n => n["type"]!.GetValue<string>() == "network");
        Assert.Null(net["path"]);
    }

    [Fact]
    public void Build_Defaults_StandardMountsAndDeviceDenyAll()
    {
        var spec = OciSpec.Build(Inputs());

        foreach (var dest in new[] { "/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/sys/fs/cgroup" })
        {
            Assert.NotNull(MountAt(spec, dest));
        }

        Assert.Contains("size=67108864", Strings(MountAt(spec, "/dev/shm")!["options"]));
        var devices = spec["linux"]!["resources"]!["devices"]!.AsArray().Single()!;
        Assert.False(devices["allow"]!.GetValue<bool>());
        Assert.Equal("rwm", devices["access"]!.GetValue<string>());
    }

    [Fact]
    public void Build_ShmSize_SetsShmMountSize()
    {
        var spec = OciSpec.Build(Inputs(new HostConfig { ShmSize = 1024 * 1024 }));

        Assert.Contains("size=1048576", Strings(MountAt(spec, "/dev/shm")!["options"]));
    }

    [Fact]
    public void Build_TmpfsMounts_DefaultAndExplicitOptions()
    {
        var spec = OciSpec.Build(Inputs(new HostConfig { Tmpfs = new Dictionary<string, string> { ["/run"] = "", ["/cache"] = "rw,size=64m,mode=1777" } }));

        var run = MountAt(spec, "/run")!;
        Assert.Equal("tmpfs", run["type"]!.GetValue<string>());
        Assert.Equal(["nosuid", "nodev", "noexec"], Strings(run["options"]));
        var cache = MountAt(spec, "/cache")!;
        Assert.Equal("tmpfs", cache["type"]!.GetValue<string>());
        Assert.Equal(["rw", "size=64m", "mode=1777"], Strings(cache["options"]));
    }

    [Fact]
    public void Build_BindMounts_RoAndRwWithRbind()
    {
        var spec = OciSpec.Build(Inputs(mounts:
        [
            new OciSpec.BindMount("/host/ro", "/ro", ReadOnly: true),
            new OciSpec.BindMount("/host/rw", "/rw", ReadOnly: false, ExtraOptions: ["rprivate"]),
        ]));

        var ro = MountAt(spec, "/ro")!;
        Assert.Equal("bind", ro["type"]!.GetValue<string>());
        Assert.Equal("/host/ro", ro["source"]!.GetValue<string>());
        Assert.Equal(["rbind", "ro"], Strings(ro["options"]));
        var rw = MountAt(spec, "/rw")!;
        Assert.Equal("/host/rw", rw["source"]!.GetValue<string>());
        Assert.Equal(["rbind", "rw", "rprivate"], Strings(rw["options"]));
    }

    [Fact]
    public void Build_TmpfsTypedMount_IsTmpfsNotBind()
    {
        var spec = OciSpec.Build(Inputs(mounts: [new OciSpec.BindMount("", "/scratch", ReadOnly: false, Type: "tmpfs")]));

        var m = MountAt(spec, "/scratch")!;
        Assert.Equal("tmpfs", m["type"]!.GetValue<string>());
        Assert.Equal(["nosuid", "nodev"], Strings(m["options"]));
    }

    [Fact]
    public void Build_Ulimits_BecomeRlimits()
    {
        var spec = OciSpec.Build(Inputs(new HostConfig { Ulimits = [new Ulimit { Name = "nofile", Soft = 1024, Hard = 4096 }, new Ulimit { Name = "nproc", Soft = 10, Hard = 20 }] }));

        var rl = spec["process"]!["rlimits"]!.AsArray().Select(r => r!.AsObject()).ToList();
        Assert.Equal(2, rl.Count);
        Assert.Equal("RLIMIT_NOFILE", rl[0]["type"]!.GetValue<string>());
        Assert.Equal(1024L, rl[0]["soft"]!.GetValue<long>());
        Assert.Equal(4096L, rl[0]["hard"]!.GetValue<long>());
        Assert.Equal("RLIMIT_NPROC", rl[1]["type"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("no-new-privileges")]
    [InlineData("no-new-privileges:true")]
    public void Build_NoNewPrivileges_SetsFlag(string opt)
    {
        var spec = OciSpec.Build(Inputs(new HostConfig { SecurityOpt = [opt] }));

        Assert.True(spec["process"]!["noNewPrivileges"]!.GetValue<bool>());
    }

    [Fact]
    public void Build_Output_SerialisesToJson()
    {
        var json = OciSpec.Build(Inputs(new HostConfig { NanoCpus = 1_000_000_000, Memory = 1 << 30 })).ToJsonString();

        Assert.Contains("\"ociVersion\":\"1.0.2\"", json, StringComparison.Ordinal);
    }
}
