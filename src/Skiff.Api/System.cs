using System.Text.Json.Serialization;

namespace Skiff.Api;

public sealed class VersionComponent
{
    public string Name { get; set; } = "";
    public string Version { get; set; } = "";
    public Dictionary<string, string>? Details { get; set; }
}

public sealed class SystemVersion
{
    public PlatformName? Platform { get; set; }
    public List<VersionComponent>? Components { get; set; }
    public string Version { get; set; } = "";
    public string ApiVersion { get; set; } = "";
    public string MinAPIVersion { get; set; } = "";
    public string GitCommit { get; set; } = "";
    public string GoVersion { get; set; } = "";
    public string Os { get; set; } = "";
    public string Arch { get; set; } = "";
    public string KernelVersion { get; set; } = "";
    public string BuildTime { get; set; } = "";
}

public sealed class PlatformName
{
    public string Name { get; set; } = "";
}

public sealed class SystemInfo
{
    public string ID { get; set; } = "";
    public int Containers { get; set; }
    public int ContainersRunning { get; set; }
    public int ContainersPaused { get; set; }
    public int ContainersStopped { get; set; }
    public int Images { get; set; }
    public string Driver { get; set; } = "overlay2";
    public List<List<string>> DriverStatus { get; set; } = [];
    public string DockerRootDir { get; set; } = "";
    public PluginsInfo Plugins { get; set; } = new();
    public bool MemoryLimit { get; set; }
    public bool SwapLimit { get; set; }
    public bool KernelMemory { get; set; }
    public bool KernelMemoryTCP { get; set; }
    public bool CpuCfsPeriod { get; set; }
    public bool CpuCfsQuota { get; set; }
    public bool CPUShares { get; set; }
    public bool CPUSet { get; set; }
    public bool PidsLimit { get; set; }
    public bool OomKillDisable { get; set; }
    public bool IPv4Forwarding { get; set; }
    public bool BridgeNfIptables { get; set; }
    public bool BridgeNfIp6tables { get; set; }
    public bool Debug { get; set; }
    public int NFd { get; set; }
    public int NGoroutines { get; set; }
    public string SystemTime { get; set; } = "";
    public string LoggingDriver { get; set; } = "json-file";
    public string CgroupDriver { get; set; } = "cgroupfs";
    public string CgroupVersion { get; set; } = "1";
    public int NEventsListener { get; set; }
    public string KernelVersion { get; set; } = "";
    public string OperatingSystem { get; set; } = "";
    public string OSVersion { get; set; } = "";
    public string OSType { get; set; } = "linux";
    public string Architecture { get; set; } = "";
    public string IndexServerAddress { get; set; } = "https://index.docker.io/v1/";
    public RegistryServiceConfig RegistryConfig { get; set; } = new();
    public int NCPU { get; set; }
    public long MemTotal { get; set; }
    public List<string> GenericResources { get; set; } = [];
    public string HttpProxy { get; set; } = "";
    public string HttpsProxy { get; set; } = "";
    public string NoProxy { get; set; } = "";
    public string Name { get; set; } = "";
    public List<string> Labels { get; set; } = [];
    public bool ExperimentalBuild { get; set; }
    public string ServerVersion { get; set; } = "";
    public Dictionary<string, RuntimeInfo> Runtimes { get; set; } = [];
    public string DefaultRuntime { get; set; } = "runc";
    public SwarmInfo Swarm { get; set; } = new();
    public bool LiveRestoreEnabled { get; set; }
    public string Isolation { get; set; } = "";
    public string InitBinary { get; set; } = "";
    public CommitInfo ContainerdCommit { get; set; } = new();
    public CommitInfo RuncCommit { get; set; } = new();
    public CommitInfo InitCommit { get; set; } = new();
    public List<string> SecurityOptions { get; set; } = [];
    public List<string>? Warnings { get; set; }
}

public sealed class PluginsInfo
{
    public List<string> Volume { get; set; } = ["local"];
    public List<string> Network { get; set; } = ["bridge", "host", "null"];
    public List<string>? Authorization { get; set; }
    public List<string> Log { get; set; } = ["json-file", "k8s-file"];
}

public sealed class RegistryServiceConfig
{
    public List<string> InsecureRegistryCIDRs { get; set; } = ["127.0.0.0/8"];
    public Dictionary<string, IndexInfo> IndexConfigs { get; set; } = [];
    public List<string> Mirrors { get; set; } = [];
}

public sealed class IndexInfo
{
    public string Name { get; set; } = "";
    public List<string> Mirrors { get; set; } = [];
    public bool Secure { get; set; }
    public bool Official { get; set; }
}

public sealed class RuntimeInfo
{
    [JsonPropertyName("path")]
    public string Path { get; set; } = "";
}

public sealed class CommitInfo
{
    public string ID { get; set; } = "";
    public string Expected { get; set; } = "";
}

public sealed class SwarmInfo
{
    public string NodeID { get; set; } = "";
    public string NodeAddr { get; set; } = "";
    public string LocalNodeState { get; set; } = "inactive";
    public bool ControlAvailable { get; set; }
    public string Error { get; set; } = "";
    public List<PeerNode>? RemoteManagers { get; set; }
    public int? Nodes { get; set; }
    public int? Managers { get; set; }
    public ClusterInfo? Cluster { get; set; }
}

public sealed class PeerNode
{
    public string NodeID { get; set; } = "";
    public string Addr { get; set; } = "";
}

/// <summary>One event of <c>GET /events</c>.</summary>
public sealed class EventMessage
{
    public string Type { get; set; } = "";
    public string Action { get; set; } = "";
    public EventActor Actor { get; set; } = new();
    [JsonPropertyName("scope")]
    public string Scope { get; set; } = "local";
    [JsonPropertyName("time")]
    public long Time { get; set; }
    [JsonPropertyName("timeNano")]
    public long TimeNano { get; set; }
    // Legacy fields the 20.10 CLI still reads for containers.
    [JsonPropertyName("status")]
    public string? Status { get; set; }
    [JsonPropertyName("id")]
    public string? Id { get; set; }
    [JsonPropertyName("from")]
    public string? From { get; set; }
}

public sealed class EventActor
{
    public string ID { get; set; } = "";
    public Dictionary<string, string> Attributes { get; set; } = [];
}

/// <summary>A line of Docker's JSON progress stream (pull, push, load, import).</summary>
public sealed class JsonMessage
{
    [JsonPropertyName("status")]
    public string? Status { get; set; }
    [JsonPropertyName("progress")]
    public string? Progress { get; set; }
    [JsonPropertyName("progressDetail")]
    public ProgressDetail? ProgressDetail { get; set; }
    [JsonPropertyName("id")]
    public string? Id { get; set; }
    [JsonPropertyName("stream")]
    public string? Stream { get; set; }
    // errorDetail before error: the order of dockerd's JSONMessage, which clients' golden files compare.
    [JsonPropertyName("errorDetail")]
    public ErrorDetail? ErrorDetail { get; set; }
    [JsonPropertyName("error")]
    public string? Error { get; set; }
    [JsonPropertyName("aux")]
    public Dictionary<string, string>? Aux { get; set; }
}

public sealed class ProgressDetail
{
    [JsonPropertyName("current")]
    public long? Current { get; set; }
    [JsonPropertyName("total")]
    public long? Total { get; set; }
}

public sealed class ErrorDetail
{
    /// <summary>A build step's exit code (a failed RUN), as dockerd sends it.</summary>
    [JsonPropertyName("code")]
    public int? Code { get; set; }
    [JsonPropertyName("message")]
    public string Message { get; set; } = "";
}
