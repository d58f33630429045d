using System.Text.Json;
using System.Text.Json.Serialization;

namespace Skiff.Api;

// Swarm-mode contracts of Engine API v1.41 (swagger definitions Swarm, SwarmSpec, Node, Service,
// ServiceSpec, TaskSpec, Task). Names are Docker's. Durations are integer nanoseconds. Every spec
// type keeps fields it does not model in Extra, so a spec sent by a newer client survives a
// read-modify-write (service update) unchanged.

public sealed class ObjectVersion
{
    public ulong Index { get; set; }
}

public sealed class SwarmOrchestrationConfig
{
    public long? TaskHistoryRetentionLimit { get; set; }
}

public sealed class SwarmRaftConfig
{
    public ulong SnapshotInterval { get; set; }
    public ulong? KeepOldSnapshots { get; set; }
    public ulong LogEntriesForSlowFollowers { get; set; }
    public int ElectionTick { get; set; }
    public int HeartbeatTick { get; set; }
}

public sealed class SwarmDispatcherConfig
{
    public long? HeartbeatPeriod { get; set; }
}

public sealed class SwarmCAConfig
{
    public long? NodeCertExpiry { get; set; }
    public List<JsonElement>? ExternalCAs { get; set; }
    public string? SigningCACert { get; set; }
    public string? SigningCAKey { get; set; }
    public ulong ForceRotate { get; set; }
}

public sealed class SwarmEncryptionConfig
{
    public bool AutoLockManagers { get; set; }
}

public sealed class SwarmTaskDefaults
{
    public LogDriverSpec? LogDriver { get; set; }
}

public sealed class SwarmSpec
{
    public string? Name { get; set; }
    public Dictionary<string, string>? Labels { get; set; }
    public SwarmOrchestrationConfig? Orchestration { get; set; }
    public SwarmRaftConfig? Raft { get; set; }
    public SwarmDispatcherConfig? Dispatcher { get; set; }
    public SwarmCAConfig? CAConfig { get; set; }
    public SwarmEncryptionConfig? EncryptionConfig { get; set; }
    public SwarmTaskDefaults? TaskDefaults { get; set; }
}

public sealed class TlsInfo
{
    public string TrustRoot { get; set; } = "";
    public string CertIssuerSubject { get; set; } = "";
    public string CertIssuerPublicKey { get; set; } = "";
}

public sealed class JoinTokensInfo
{
    public string Worker { get; set; } = "";
    public string Manager { get; set; } = "";
}

/// <summary><c>GET /swarm</c>: ClusterInfo plus the join tokens.</summary>
public sealed class SwarmInspect : ClusterInfo
{
    public JoinTokensInfo? JoinTokens { get; set; }
}

public sealed class SwarmInitRequest
{
    public string ListenAddr { get; set; } = "";
    public string AdvertiseAddr { get; set; } = "";
    public string DataPathAddr { get; set; } = "";
    public uint DataPathPort { get; set; }
    public List<string>? DefaultAddrPool { get; set; }
    public uint SubnetSize { get; set; }
    public bool ForceNewCluster { get; set; }
    public bool AutoLockManagers { get; set; }
    public string Availability { get; set; } = "";
    public SwarmSpec? Spec { get; set; }
}

public sealed class SwarmJoinRequest
{
    public string ListenAddr { get; set; } = "";
    public string AdvertiseAddr { get; set; } = "";
    public string DataPathAddr { get; set; } = "";
    public List<string> RemoteAddrs { get; set; } = [];
    public string JoinToken { get; set; } = "";
    public string Availability { get; set; } = "";
}

/// <summary>The Swarm section of <c>GET /info</c> once in a swarm (ClusterInfo without tokens).</summary>
public class ClusterInfo
{
    public string ID { get; set; } = "";
    public ObjectVersion Version { get; set; } = new();
    public string CreatedAt { get; set; } = "";
    public string UpdatedAt { get; set; } = "";
    public SwarmSpec Spec { get; set; } = new();
    public TlsInfo TLSInfo { get; set; } = new();
    public bool RootRotationInProgress { get; set; }
    public uint DataPathPort { get; set; }
    public List<string> DefaultAddrPool { get; set; } = [];
    public uint SubnetSize { get; set; }
}

// ---- Nodes ----

public sealed class NodeSpecWire
{
    public string? Name { get; set; }
    public Dictionary<string, string>? Labels { get; set; }
    public string? Role { get; set; }
    public string? Availability { get; set; }
}

public sealed class PlatformWire
{
    public string Architecture { get; set; } = "";
    public string OS { get; set; } = "";
}

public sealed class ResourceObject
{
    public long NanoCPUs { get; set; }
    public long MemoryBytes { get; set; }
    public long? Pids { get; set; }
    public List<JsonElement>? GenericResources { get; set; }
}

public sealed class EnginePlugin
{
    public string Type { get; set; } = "";
    public string Name { get; set; } = "";
}

public sealed class EngineDescription
{
    public string EngineVersion { get; set; } = "";
    public Dictionary<string, string>? Labels { get; set; }
    public List<EnginePlugin>? Plugins { get; set; }
}

public sealed class NodeDescription
{
    public string Hostname { get; set; } = "";
    public PlatformWire Platform { get; set; } = new();
    public ResourceObject Resources { get; set; } = new();
    public EngineDescription Engine { get; set; } = new();
    public TlsInfo TLSInfo { get; set; } = new();
}

public sealed class NodeStatusWire
{
    public string State { get; set; } = "unknown";
    public string? Message { get; set; }
    public string Addr { get; set; } = "";
}

public sealed class ManagerStatusWire
{
    public bool Leader { get; set; }
    public string Reachability { get; set; } = "reachable";
    public string Addr { get; set; } = "";
}

public sealed class NodeWire
{
    public string ID { get; set; } = "";
    public ObjectVersion Version { get; set; } = new();
    public string CreatedAt { get; set; } = "";
    public string UpdatedAt { get; set; } = "";
    public NodeSpecWire Spec { get; set; } = new();
    public NodeDescription Description { get; set; } = new();
    public NodeStatusWire Status { get; set; } = new();
    public ManagerStatusWire? ManagerStatus { get; set; }
}

// ---- Services ----

public sealed class DriverWire
{
    public string Name { get; set; } = "";
    public Dictionary<string, string>? Options { get; set; }
}

public sealed class LogDriverSpec
{
    public string Name { get; set; } = "";
    public Dictionary<string, string>? Options { get; set; }
}

public sealed class MountVolumeOptions
{
    public bool NoCopy { get; set; }
    public Dictionary<string, string>? Labels { get; set; }
    public DriverWire? DriverConfig { get; set; }
}

public sealed class MountBindOptions
{
    public string? Propagation { get; set; }
    public bool NonRecursive { get; set; }
}

public sealed class MountTmpfsOptions
{
    public long SizeBytes { get; set; }
    public int Mode { get; set; }
}

public sealed class MountWire
{
    public string Target { get; set; } = "";
    public string Source { get; set; } = "";
    public string Type { get; set; } = "volume";
    public bool ReadOnly { get; set; }
    public string? Consistency { get; set; }
    public MountBindOptions? BindOptions { get; set; }
    public MountVolumeOptions? VolumeOptions { get; set; }
    public MountTmpfsOptions? TmpfsOptions { get; set; }
}

public sealed class HealthConfigWire
{
    public List<string>? Test { get; set; }
    public long Interval { get; set; }
    public long Timeout { get; set; }
    public long StartPeriod { get; set; }
    public int Retries { get; set; }
}

public sealed class SecretFileTarget
{
    public string Name { get; set; } = "";
    public string UID { get; set; } = "0";
    public string GID { get; set; } = "0";
    public uint Mode { get; set; } = 292;
}

public sealed class SecretReference
{
    public SecretFileTarget? File { get; set; }
    public string SecretID { get; set; } = "";
    public string SecretName { get; set; } = "";
}

public sealed class ConfigReferenceWire
{
    public SecretFileTarget? File { get; set; }
    public JsonElement? Runtime { get; set; }
    public string ConfigID { get; set; } = "";
    public string ConfigName { get; set; } = "";
}

public sealed class ContainerSpecWire
{
    public string Image { get; set; } = "";
    public Dictionary<string, string>? Labels { get; set; }
    public List<string>? Command { get; set; }
    public List<string>? Args { get; set; }
    public string? Hostname { get; set; }
    public List<string>? Env { get; set; }
    public string? Dir { get; set; }
    public string? User { get; set; }
    public List<string>? Groups { get; set; }
    public bool TTY { get; set; }
    public bool OpenStdin { get; set; }
    public bool ReadOnly { get; set; }
    public List<MountWire>? Mounts { get; set; }
    public string? StopSignal { get; set; }
    public long? StopGracePeriod { get; set; }
    public HealthConfigWire? Healthcheck { get; set; }
    public List<string>? Hosts { get; set; }
    public JsonElement? DNSConfig { get; set; }
    public List<SecretReference>? Secrets { get; set; }
    public List<ConfigReferenceWire>? Configs { get; set; }
    public string? Isolation { get; set; }
    public bool? Init { get; set; }
    public JsonElement? Privileges { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}

public sealed class LimitsWire
{
    public long NanoCPUs { get; set; }
    public long MemoryBytes { get; set; }
    public long Pids { get; set; }
}

public sealed class ResourceRequirements
{
    public LimitsWire? Limits { get; set; }
    public ResourceObject? Reservations { get; set; }
}

public sealed class RestartPolicyWire
{
    public string? Condition { get; set; }
    public long? Delay { get; set; }
    public ulong? MaxAttempts { get; set; }
    public long? Window { get; set; }
}

public sealed class SpreadOver
{
    public string SpreadDescriptor { get; set; } = "";
}

public sealed class PlacementPreference
{
    public SpreadOver? Spread { get; set; }
}

public sealed class PlacementWire
{
    public List<string>? Constraints { get; set; }
    public List<PlacementPreference>? Preferences { get; set; }
    public ulong MaxReplicas { get; set; }
    public List<PlatformWire>? Platforms { get; set; }
}

public sealed class NetworkAttachmentConfig
{
    public string Target { get; set; } = "";
    public List<string>? Aliases { get; set; }
    public Dictionary<string, string>? DriverOpts { get; set; }
}

public sealed class TaskSpecWire
{
    public ContainerSpecWire? ContainerSpec { get; set; }
    public ResourceRequirements? Resources { get; set; }
    public RestartPolicyWire? RestartPolicy { get; set; }
    public PlacementWire? Placement { get; set; }
    public List<NetworkAttachmentConfig>? Networks { get; set; }
    public LogDriverSpec? LogDriver { get; set; }
    public ulong ForceUpdate { get; set; }
    public string? Runtime { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}

public sealed class ReplicatedMode
{
    public ulong? Replicas { get; set; }
}

public sealed class GlobalMode;

public sealed class ReplicatedJobMode
{
    public ulong? MaxConcurrent { get; set; }
    public ulong? TotalCompletions { get; set; }
}

public sealed class GlobalJobMode;

public sealed class ServiceModeWire
{
    public ReplicatedMode? Replicated { get; set; }
    public GlobalMode? Global { get; set; }
    public ReplicatedJobMode? ReplicatedJob { get; set; }
    public GlobalJobMode? GlobalJob { get; set; }
}

public sealed class UpdateConfigWire
{
    public ulong Parallelism { get; set; }
    public long Delay { get; set; }
    public string? FailureAction { get; set; }
    public long Monitor { get; set; }
    public double MaxFailureRatio { get; set; }
    public string? Order { get; set; }
}

public sealed class PortConfig
{
    public string? Name { get; set; }
    public string Protocol { get; set; } = "tcp";
    public uint TargetPort { get; set; }
    public uint PublishedPort { get; set; }
    public string PublishMode { get; set; } = "ingress";
}

public sealed class EndpointSpecWire
{
    public string? Mode { get; set; }
    public List<PortConfig>? Ports { get; set; }
}

public sealed class ServiceSpecWire
{
    public string Name { get; set; } = "";
    public Dictionary<string, string>? Labels { get; set; }
    public TaskSpecWire TaskTemplate { get; set; } = new();
    public ServiceModeWire? Mode { get; set; }
    public UpdateConfigWire? UpdateConfig { get; set; }
    public UpdateConfigWire? RollbackConfig { get; set; }
    public List<NetworkAttachmentConfig>? Networks { get; set; }
    public EndpointSpecWire? EndpointSpec { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}

public sealed class VirtualIp
{
    public string NetworkID { get; set; } = "";
    public string Addr { get; set; } = "";
}

public sealed class EndpointWire
{
    public EndpointSpecWire Spec { get; set; } = new();
    public List<PortConfig>? Ports { get; set; }
    public List<VirtualIp>? VirtualIPs { get; set; }
}

public sealed class UpdateStatusWire
{
    public string State { get; set; } = "";
    public string? StartedAt { get; set; }
    public string? CompletedAt { get; set; }
    public string Message { get; set; } = "";
}

public sealed class ServiceStatusWire
{
    public ulong RunningTasks { get; set; }
    public ulong DesiredTasks { get; set; }
    public ulong CompletedTasks { get; set; }
}

public sealed class JobStatusWire
{
    public ObjectVersion JobIteration { get; set; } = new();
    public string LastExecution { get; set; } = "";
}

public sealed class ServiceWire
{
    public string ID { get; set; } = "";
    public ObjectVersion Version { get; set; } = new();
    public string CreatedAt { get; set; } = "";
    public string UpdatedAt { get; set; } = "";
    public ServiceSpecWire Spec { get; set; } = new();
    public ServiceSpecWire? PreviousSpec { get; set; }
    public EndpointWire? Endpoint { get; set; }
    public UpdateStatusWire? UpdateStatus { get; set; }
    public ServiceStatusWire? ServiceStatus { get; set; }
    public JobStatusWire? JobStatus { get; set; }
}

public sealed class ServiceCreateResponse
{
    public string ID { get; set; } = "";
    public List<string>? Warnings { get; set; }
}

public sealed class ServiceUpdateResponse
{
    public List<string>? Warnings { get; set; }
}

// ---- Tasks ----

public sealed class ContainerStatusWire
{
    public string ContainerID { get; set; } = "";
    public int PID { get; set; }
    public int ExitCode { get; set; }
}

public sealed class PortStatusWire
{
    public List<PortConfig>? Ports { get; set; }
}

public sealed class TaskStatusWire
{
    public string Timestamp { get; set; } = "";
    public string State { get; set; } = "new";
    public string Message { get; set; } = "";
    public string? Err { get; set; }
    public ContainerStatusWire? ContainerStatus { get; set; }
    public PortStatusWire PortStatus { get; set; } = new();
}

public sealed class TaskWire
{
    public string ID { get; set; } = "";
    public ObjectVersion Version { get; set; } = new();
    public string CreatedAt { get; set; } = "";
    public string UpdatedAt { get; set; } = "";
    public string? Name { get; set; }
    public Dictionary<string, string> Labels { get; set; } = [];
    public TaskSpecWire Spec { get; set; } = new();
    public string ServiceID { get; set; } = "";
    public int Slot { get; set; }
    public string? NodeID { get; set; }
    public TaskStatusWire Status { get; set; } = new();
    public string DesiredState { get; set; } = "running";
    public ObjectVersion? JobIteration { get; set; }
}

// ---- Secrets and configs ----

/// <summary>The spec of a secret or a config (Docker's SecretSpec and ConfigSpec have the same fields). Data is
/// base64 on the wire; a secret's is never returned by the daemon, a config's is.</summary>
public sealed class SwarmFileSpecWire
{
    public string Name { get; set; } = "";
    public Dictionary<string, string>? Labels { get; set; }
    public byte[]? Data { get; set; }
    public JsonElement? Driver { get; set; }
    public JsonElement? Templating { get; set; }
}

/// <summary>A secret or a config as <c>GET /secrets/{id}</c> and <c>GET /configs/{id}</c> return it.</summary>
public sealed class SwarmFileWire
{
    public string ID { get; set; } = "";
    public ObjectVersion Version { get; set; } = new();
    public string CreatedAt { get; set; } = "";
    public string UpdatedAt { get; set; } = "";
    public SwarmFileSpecWire Spec { get; set; } = new();
}

/// <summary><c>POST /secrets/create</c> and <c>/configs/create</c> answer <c>{"ID": ...}</c> (not <c>Id</c>).</summary>
public sealed class SwarmCreateResponse
{
    public string ID { get; set; } = "";
}

/// <summary>Deep copies of the mutable wire types (objects read from the store are never changed in place).</summary>
public static class WireCopy
{
    public static ServiceSpecWire Clone(this ServiceSpecWire spec) =>
        System.Text.Json.JsonSerializer.Deserialize(
            System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(spec, SkiffJson.Default.ServiceSpecWire), SkiffJson.Default.ServiceSpecWire)!;

    public static TaskSpecWire Clone(this TaskSpecWire spec) =>
        System.Text.Json.JsonSerializer.Deserialize(
            System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(spec, SkiffJson.Default.TaskSpecWire), SkiffJson.Default.TaskSpecWire)!;

    /// <summary>Canonical bytes of a spec, for equality (same serializer, same property order).</summary>
    public static string Canonical(TaskSpecWire spec) => System.Text.Json.JsonSerializer.Serialize(spec, SkiffJson.Default.TaskSpecWire);

    public static string Canonical(ServiceSpecWire spec) => System.Text.Json.JsonSerializer.Serialize(spec, SkiffJson.Default.ServiceSpecWire);
}
