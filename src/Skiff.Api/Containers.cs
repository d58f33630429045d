using System.Text.Json.Serialization;

namespace Skiff.Api;

/// <summary>Docker's container Config (also the image config's runnable part).</summary>
public class ContainerConfig
{
    public string? Hostname { get; set; }
    public string? Domainname { get; set; }
    public string? User { get; set; }
    public bool AttachStdin { get; set; }
    public bool AttachStdout { get; set; }
    public bool AttachStderr { get; set; }
    public Dictionary<string, EmptyObject>? ExposedPorts { get; set; }
    public bool Tty { get; set; }
    public bool OpenStdin { get; set; }
    public bool StdinOnce { get; set; }
    public List<string>? Env { get; set; }
    public List<string>? Cmd { get; set; }
    public HealthConfig? Healthcheck { get; set; }
    public string? Image { get; set; }
    public Dictionary<string, EmptyObject>? Volumes { get; set; }
    public string? WorkingDir { get; set; }
    public List<string>? Entrypoint { get; set; }
    public bool? NetworkDisabled { get; set; }
    public Dictionary<string, string>? Labels { get; set; }
    public string? StopSignal { get; set; }
    public int? StopTimeout { get; set; }
}

/// <summary>Serialises as <c>{}</c>: Docker's set-of-keys maps (ExposedPorts, Volumes).</summary>
public sealed class EmptyObject
{
}

public sealed class HealthConfig
{
    public List<string>? Test { get; set; }
    public long Interval { get; set; }
    public long Timeout { get; set; }
    public long StartPeriod { get; set; }
    public int Retries { get; set; }
}

/// <summary>The body of <c>POST /containers/create</c>: Config at the top level plus HostConfig and NetworkingConfig.</summary>
public sealed class ContainerCreateRequest : ContainerConfig
{
    public HostConfig? HostConfig { get; set; }
    public NetworkingConfig? NetworkingConfig { get; set; }
}

public sealed class NetworkingConfig
{
    public Dictionary<string, EndpointSettings>? EndpointsConfig { get; set; }
}

public sealed class HostConfig
{
    public List<string>? Binds { get; set; }
    public string? ContainerIDFile { get; set; }
    public LogConfig? LogConfig { get; set; }
    public string? NetworkMode { get; set; }
    public Dictionary<string, List<PortBinding>?>? PortBindings { get; set; }
    public RestartPolicy? RestartPolicy { get; set; }
    public bool AutoRemove { get; set; }
    public List<string>? VolumesFrom { get; set; }
    public List<Mount>? Mounts { get; set; }
    public List<string>? CapAdd { get; set; }
    public List<string>? CapDrop { get; set; }
    public List<string>? Dns { get; set; }
    public List<string>? DnsOptions { get; set; }
    public List<string>? DnsSearch { get; set; }
    public List<string>? ExtraHosts { get; set; }
    public string? IpcMode { get; set; }
    public List<string>? Links { get; set; }
    public string? PidMode { get; set; }
    public bool Privileged { get; set; }
    public bool PublishAllPorts { get; set; }
    public bool ReadonlyRootfs { get; set; }
    public List<string>? SecurityOpt { get; set; }
    public Dictionary<string, string>? Tmpfs { get; set; }
    public string? UTSMode { get; set; }
    public long ShmSize { get; set; }
    public string? Runtime { get; set; }
    public bool? Init { get; set; }
    // Resources (flattened in Docker's HostConfig).
    public long CpuShares { get; set; }
    public long Memory { get; set; }
    public long NanoCpus { get; set; }
    public long CpuPeriod { get; set; }
    public long CpuQuota { get; set; }
    public string? CpusetCpus { get; set; }
    public long MemorySwap { get; set; }
    public long MemoryReservation { get; set; }
    public long? PidsLimit { get; set; }
    public bool? OomKillDisable { get; set; }
    public List<Ulimit>? Ulimits { get; set; }
    public List<DeviceMapping>? Devices { get; set; }
    public List<string>? MaskedPaths { get; set; }
    public List<string>? ReadonlyPaths { get; set; }
}

public sealed class Ulimit
{
    public string Name { get; set; } = "";
    public long Soft { get; set; }
    public long Hard { get; set; }
}

public sealed class DeviceMapping
{
    public string PathOnHost { get; set; } = "";
    public string PathInContainer { get; set; } = "";
    public string CgroupPermissions { get; set; } = "";
}

public sealed class LogConfig
{
    public string Type { get; set; } = "";
    public Dictionary<string, string>? Config { get; set; }
}

public sealed class PortBinding
{
    public string? HostIp { get; set; }
    public string? HostPort { get; set; }
}

public sealed class RestartPolicy
{
    public string Name { get; set; } = "";
    public int MaximumRetryCount { get; set; }
}

public sealed class Mount
{
    public string Type { get; set; } = "volume";
    public string? Source { get; set; }
    public string Target { get; set; } = "";
    public bool ReadOnly { get; set; }
    public string? Consistency { get; set; }
    public BindOptions? BindOptions { get; set; }
    public VolumeOptions? VolumeOptions { get; set; }
    public TmpfsOptions? TmpfsOptions { get; set; }
}

public sealed class BindOptions
{
    public string? Propagation { get; set; }
}

public sealed class VolumeOptions
{
    public bool NoCopy { get; set; }
    public Dictionary<string, string>? Labels { get; set; }
}

public sealed class TmpfsOptions
{
    public long SizeBytes { get; set; }
    public int Mode { get; set; }
}

public sealed class EndpointSettings
{
    public EndpointIpamConfig? IPAMConfig { get; set; }
    public List<string>? Links { get; set; }
    public List<string>? Aliases { get; set; }
    public string NetworkID { get; set; } = "";
    public string EndpointID { get; set; } = "";
    public string Gateway { get; set; } = "";
    public string IPAddress { get; set; } = "";
    public int IPPrefixLen { get; set; }
    public string IPv6Gateway { get; set; } = "";
    public string GlobalIPv6Address { get; set; } = "";
    public int GlobalIPv6PrefixLen { get; set; }
    public string MacAddress { get; set; } = "";
    public Dictionary<string, string>? DriverOpts { get; set; }
}

public sealed class EndpointIpamConfig
{
    public string? IPv4Address { get; set; }
    public string? IPv6Address { get; set; }
}

public sealed class ContainerCreateResponse
{
    public string Id { get; set; } = "";
    public List<string> Warnings { get; set; } = [];
}

public sealed class ContainerPort
{
    public string? IP { get; set; }
    public int PrivatePort { get; set; }
    public int? PublicPort { get; set; }
    public string Type { get; set; } = "tcp";
}

/// <summary>A row of <c>GET /containers/json</c>.</summary>
public sealed class ContainerSummary
{
    public string Id { get; set; } = "";
    public List<string> Names { get; set; } = [];
    public string Image { get; set; } = "";
    public string ImageID { get; set; } = "";
    public string Command { get; set; } = "";
    public long Created { get; set; }
    public List<ContainerPort> Ports { get; set; } = [];
    public long? SizeRw { get; set; }
    public long? SizeRootFs { get; set; }
    public Dictionary<string, string> Labels { get; set; } = [];
    public string State { get; set; } = "";
    public string Status { get; set; } = "";
    public SummaryHostConfig HostConfig { get; set; } = new();
    public SummaryNetworkSettings NetworkSettings { get; set; } = new();
    public List<MountPoint> Mounts { get; set; } = [];
}

public sealed class SummaryHostConfig
{
    public string NetworkMode { get; set; } = "default";
}

public sealed class SummaryNetworkSettings
{
    public Dictionary<string, EndpointSettings> Networks { get; set; } = [];
}

public sealed class MountPoint
{
    public string Type { get; set; } = "";
    public string? Name { get; set; }
    public string Source { get; set; } = "";
    public string Destination { get; set; } = "";
    public string Driver { get; set; } = "";
    public string Mode { get; set; } = "";
    public bool RW { get; set; }
    public string Propagation { get; set; } = "";
}

public sealed class ContainerState
{
    public string Status { get; set; } = "created";
    public bool Running { get; set; }
    public bool Paused { get; set; }
    public bool Restarting { get; set; }
    public bool OOMKilled { get; set; }
    public bool Dead { get; set; }
    public int Pid { get; set; }
    public int ExitCode { get; set; }
    public string Error { get; set; } = "";
    public string StartedAt { get; set; } = "0001-01-01T00:00:00Z";
    public string FinishedAt { get; set; } = "0001-01-01T00:00:00Z";
    public HealthState? Health { get; set; }
}

public sealed class HealthState
{
    public string Status { get; set; } = "";
    public int FailingStreak { get; set; }
    public List<HealthLog> Log { get; set; } = [];
}

public sealed class HealthLog
{
    public string Start { get; set; } = "";
    public string End { get; set; } = "";
    public int ExitCode { get; set; }
    public string Output { get; set; } = "";
}

public sealed class ContainerInspect
{
    public string Id { get; set; } = "";
    public string Created { get; set; } = "";
    public string Path { get; set; } = "";
    public List<string> Args { get; set; } = [];
    public ContainerState State { get; set; } = new();
    public string Image { get; set; } = "";
    public string ResolvConfPath { get; set; } = "";
    public string HostnamePath { get; set; } = "";
    public string HostsPath { get; set; } = "";
    public string LogPath { get; set; } = "";
    public string Name { get; set; } = "";
    public int RestartCount { get; set; }
    public string Driver { get; set; } = "overlay2";
    public string Platform { get; set; } = "linux";
    public string MountLabel { get; set; } = "";
    public string ProcessLabel { get; set; } = "";
    public string AppArmorProfile { get; set; } = "";
    public List<string>? ExecIDs { get; set; }
    public HostConfig HostConfig { get; set; } = new();
    public GraphDriverData GraphDriver { get; set; } = new();
    public List<MountPoint> Mounts { get; set; } = [];
    public ContainerConfig Config { get; set; } = new();
    public NetworkSettings NetworkSettings { get; set; } = new();
}

public sealed class GraphDriverData
{
    public string Name { get; set; } = "overlay2";
    public Dictionary<string, string> Data { get; set; } = [];
}

public sealed class NetworkSettings
{
    public string Bridge { get; set; } = "";
    public string SandboxID { get; set; } = "";
    public bool HairpinMode { get; set; }
    public string LinkLocalIPv6Address { get; set; } = "";
    public int LinkLocalIPv6PrefixLen { get; set; }
    public Dictionary<string, List<PortBinding>?> Ports { get; set; } = [];
    public string SandboxKey { get; set; } = "";
    public string EndpointID { get; set; } = "";
    public string Gateway { get; set; } = "";
    public string GlobalIPv6Address { get; set; } = "";
    public int GlobalIPv6PrefixLen { get; set; }
    public string IPAddress { get; set; } = "";
    public int IPPrefixLen { get; set; }
    public string IPv6Gateway { get; set; } = "";
    public string MacAddress { get; set; } = "";
    public Dictionary<string, EndpointSettings> Networks { get; set; } = [];
}

public sealed class ContainerWaitResponse
{
    public int StatusCode { get; set; }
    public WaitError? Error { get; set; }
}

public sealed class WaitError
{
    public string Message { get; set; } = "";
}

public sealed class ContainerTopResponse
{
    public List<string> Titles { get; set; } = [];
    public List<List<string>> Processes { get; set; } = [];
}

public sealed class ExecCreateRequest
{
    public bool AttachStdin { get; set; }
    public bool AttachStdout { get; set; }
    public bool AttachStderr { get; set; }
    public string? DetachKeys { get; set; }
    public bool Tty { get; set; }
    public List<string>? Env { get; set; }
    public List<string> Cmd { get; set; } = [];
    public bool Privileged { get; set; }
    public string? User { get; set; }
    public string? WorkingDir { get; set; }
    public List<int>? ConsoleSize { get; set; }
}

public sealed class ExecStartRequest
{
    public bool Detach { get; set; }
    public bool Tty { get; set; }
    public List<int>? ConsoleSize { get; set; }
}

public sealed class IdResponse
{
    public string Id { get; set; } = "";
}

public sealed class ExecInspect
{
    public bool CanRemove { get; set; }
    public string ContainerID { get; set; } = "";
    public string DetachKeys { get; set; } = "";
    public int? ExitCode { get; set; }
    public string ID { get; set; } = "";
    public bool OpenStderr { get; set; }
    public bool OpenStdin { get; set; }
    public bool OpenStdout { get; set; }
    public bool Running { get; set; }
    public int Pid { get; set; }
    public ExecProcessConfig ProcessConfig { get; set; } = new();
}

public sealed class ExecProcessConfig
{
    [JsonPropertyName("arguments")]
    public List<string> Arguments { get; set; } = [];
    [JsonPropertyName("entrypoint")]
    public string Entrypoint { get; set; } = "";
    [JsonPropertyName("privileged")]
    public bool Privileged { get; set; }
    [JsonPropertyName("tty")]
    public bool Tty { get; set; }
    [JsonPropertyName("user")]
    public string User { get; set; } = "";
}

public sealed class ContainerPruneResponse
{
    public List<string> ContainersDeleted { get; set; } = [];
    public long SpaceReclaimed { get; set; }
}
