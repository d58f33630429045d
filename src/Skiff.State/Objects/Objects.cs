using System.Collections.Immutable;
using System.Text.Json.Serialization;
using Skiff.Api;

namespace Skiff.State;

// Minimal skeletons of the swarm objects; later issues flesh out the specs. Every record is
// immutable and compared by value except for collections (compare canonical snapshots instead).

public enum NodeRole
{
    Worker = 0,
    Manager = 1,
}

public enum NodeAvailability
{
    Active = 0,
    Pause = 1,
    Drain = 2,
}

public enum NodeState
{
    Unknown = 0,
    Down = 1,
    Ready = 2,
    Disconnected = 3,
}

public sealed record NodeSpec
{
    /// <summary>Optional user-given name; the index falls back to the hostname.</summary>
    public string? Name { get; init; }

    public ImmutableSortedDictionary<string, string> Labels { get; init; } = ImmutableSortedDictionary<string, string>.Empty;

    public NodeRole Role { get; init; }

    public NodeAvailability Availability { get; init; }
}

public sealed record Node : IStoreObject<Node>
{
    public required string Id { get; init; }

    public ObjectMeta Meta { get; init; } = new();

    public NodeSpec Spec { get; init; } = new();

    public string Hostname { get; init; } = "";

    public NodeState State { get; init; }

    /// <summary>Why the node is in its state ("heartbeat failure", "node left the swarm").</summary>
    public string? Message { get; init; }

    /// <summary>The address the node's agent connects from (Status.Addr).</summary>
    public string? Addr { get; init; }

    /// <summary>The role in the node's current certificate (Spec.Role is the desired one).</summary>
    public NodeRole ObservedRole { get; init; }

    /// <summary>For managers, the swarm address other nodes dial (ManagerStatus.Addr).</summary>
    public string? ManagerAddr { get; init; }

    public string Os { get; init; } = "linux";

    public string Architecture { get; init; } = "x86_64";

    public long NanoCpus { get; init; }

    public long MemoryBytes { get; init; }

    public string EngineVersion { get; init; } = "";

    public ImmutableSortedDictionary<string, string> EngineLabels { get; init; } = ImmutableSortedDictionary<string, string>.Empty;

    /// <summary>The name shown by <c>node ls</c>: the spec name, else the hostname.</summary>
    [JsonIgnore]
    public string Name => string.IsNullOrEmpty(Spec.Name) ? Hostname : Spec.Name;

    [JsonIgnore]
    public ObjectKind Kind => ObjectKind.Node;

    public static ObjectKind TableKind => ObjectKind.Node;

    public IStoreObject WithMeta(ObjectMeta meta) => this with { Meta = meta };
}

/// <summary>Service modes. Persisted: explicit values.</summary>
public enum ServiceMode
{
    Replicated = 0,
    Global = 1,
    ReplicatedJob = 2,
    GlobalJob = 3,
}

/// <summary>A service's rolling update or rollback, as <c>UpdateStatus</c> shows it.</summary>
public sealed record ServiceUpdateStatus
{
    /// <summary>updating, paused, completed, rollback_started, rollback_paused, rollback_completed.</summary>
    public required string State { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? CompletedAt { get; init; }

    public string Message { get; init; } = "";
}

/// <summary>
/// A service. <see cref="Spec"/> is the Engine API spec as the client sent it (defaults filled
/// in by the control API). The wire types are mutable classes: never change one read from the
/// store, clone it (<c>WireCopy</c>) and write the copy.
/// </summary>
public sealed record Service : IStoreObject<Service>
{
    public required string Id { get; init; }

    public ObjectMeta Meta { get; init; } = new();

    public required ServiceSpecWire Spec { get; init; }

    public ServiceSpecWire? PreviousSpec { get; init; }

    /// <summary>Rises on every spec change (not on status writes); tasks record the one they were made from.</summary>
    public ulong SpecVersion { get; init; }

    public ServiceUpdateStatus? UpdateStatus { get; init; }

    [JsonIgnore]
    public ServiceMode Mode => Spec.Mode switch
    {
        { Global: not null } => ServiceMode.Global,
        { ReplicatedJob: not null } => ServiceMode.ReplicatedJob,
        { GlobalJob: not null } => ServiceMode.GlobalJob,
        _ => ServiceMode.Replicated,
    };

    /// <summary>Desired replicas of a replicated service (1 when unset, as Docker stores it).</summary>
    [JsonIgnore]
    public ulong Replicas => Spec.Mode?.Replicated?.Replicas ?? 1;

    [JsonIgnore]
    public ObjectKind Kind => ObjectKind.Service;

    public static ObjectKind TableKind => ObjectKind.Service;

    public IStoreObject WithMeta(ObjectMeta meta) => this with { Meta = meta };
}

/// <summary>
/// Task states in swarmkit's order and with its numbers, so "never goes backwards" is a
/// comparison. Persisted: explicit values.
/// </summary>
public enum TaskState
{
    New = 0,
    Pending = 64,
    Allocated = 128,
    Assigned = 192,
    Accepted = 256,
    Preparing = 320,
    Ready = 384,
    Starting = 448,
    Running = 512,
    Complete = 576,
    Shutdown = 640,
    Failed = 704,
    Rejected = 768,
    Remove = 800,
    Orphaned = 832,
}

public sealed record TaskStatus
{
    public TaskState State { get; init; }

    public DateTimeOffset Timestamp { get; init; }

    public string Message { get; init; } = "";

    public string? Err { get; init; }

    public string? ContainerId { get; init; }

    public int Pid { get; init; }

    public int ExitCode { get; init; }

    /// <summary>Ports the task published in mode=host, once running.</summary>
    public ImmutableArray<TaskPort> Ports { get; init; } = [];
}

/// <summary>A port bound on the node for a task (PortStatus).</summary>
public readonly record struct TaskPort(string Protocol, uint TargetPort, uint PublishedPort, string PublishMode);

/// <summary>A task (named so to avoid System.Threading.Tasks.Task).</summary>
public sealed record SwarmTask : IStoreObject<SwarmTask>
{
    public required string Id { get; init; }

    public ObjectMeta Meta { get; init; } = new();

    public required string ServiceId { get; init; }

    /// <summary>The service name when the task was made (container names, labels).</summary>
    public string ServiceName { get; init; } = "";

    /// <summary>Slot for replicated services (1..N); 0 for global services (keyed by node).</summary>
    public int Slot { get; init; }

    public string? NodeId { get; init; }

    public TaskState DesiredState { get; init; }

    public TaskStatus Status { get; init; } = new();

    /// <summary>The service's TaskTemplate when the task was made.</summary>
    public TaskSpecWire? Spec { get; init; }

    /// <summary>The service's published ports when the task was made.</summary>
    public ImmutableArray<TaskPort> EndpointPorts { get; init; } = [];

    /// <summary>The <see cref="Service.SpecVersion"/> the task was made from.</summary>
    public ulong SpecVersion { get; init; }

    /// <summary>Not before this time may the agent start it (restart delay).</summary>
    public DateTimeOffset? StartAfter { get; init; }

    [JsonIgnore]
    public ObjectKind Kind => ObjectKind.Task;

    public static ObjectKind TableKind => ObjectKind.Task;

    public IStoreObject WithMeta(ObjectMeta meta) => this with { Meta = meta };
}

public sealed record NetworkSpec
{
    public required string Name { get; init; }

    public ImmutableSortedDictionary<string, string> Labels { get; init; } = ImmutableSortedDictionary<string, string>.Empty;

    public string Driver { get; init; } = "overlay";

    public bool Ingress { get; init; }

    public bool Attachable { get; init; }
}

public sealed record Network : IStoreObject<Network>
{
    public required string Id { get; init; }

    public ObjectMeta Meta { get; init; } = new();

    public required NetworkSpec Spec { get; init; }

    [JsonIgnore]
    public ObjectKind Kind => ObjectKind.Network;

    public static ObjectKind TableKind => ObjectKind.Network;

    public IStoreObject WithMeta(ObjectMeta meta) => this with { Meta = meta };
}

public sealed record ClusterSpec
{
    public string Name { get; init; } = "default";

    public ImmutableSortedDictionary<string, string> Labels { get; init; } = ImmutableSortedDictionary<string, string>.Empty;

    public int TaskHistoryRetentionLimit { get; init; } = 5;

    public TimeSpan DispatcherHeartbeat { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan NodeCertExpiry { get; init; } = TimeSpan.FromDays(90);

    public ulong SnapshotInterval { get; init; } = 10_000;

    public ulong KeepOldSnapshots { get; init; }

    public ulong LogEntriesForSlowFollowers { get; init; } = 500;

    public int ElectionTick { get; init; } = 10;

    public int HeartbeatTick { get; init; } = 1;

    public bool AutoLockManagers { get; init; }
}

public sealed record Cluster : IStoreObject<Cluster>
{
    public required string Id { get; init; }

    public ObjectMeta Meta { get; init; } = new();

    public ClusterSpec Spec { get; init; } = new();

    public string RootCaCertificatePem { get; init; } = "";

    /// <summary>The root CA key; in Raft like swarmkit's (encrypted at rest only with autolock, which we do not offer yet).</summary>
    public string RootCaKeyPem { get; init; } = "";

    public string WorkerJoinToken { get; init; } = "";

    public string ManagerJoinToken { get; init; } = "";

    public ImmutableArray<string> DefaultAddrPool { get; init; } = ["10.0.0.0/8"];

    public uint SubnetSize { get; init; } = 24;

    public uint DataPathPort { get; init; } = 4789;

    [JsonIgnore]
    public ObjectKind Kind => ObjectKind.Cluster;

    public static ObjectKind TableKind => ObjectKind.Cluster;

    public IStoreObject WithMeta(ObjectMeta meta) => this with { Meta = meta };
}

public sealed record SecretSpec
{
    public required string Name { get; init; }

    public ImmutableSortedDictionary<string, string> Labels { get; init; } = ImmutableSortedDictionary<string, string>.Empty;

    public ImmutableArray<byte> Data { get; init; } = [];
}

public sealed record Secret : IStoreObject<Secret>
{
    public required string Id { get; init; }

    public ObjectMeta Meta { get; init; } = new();

    public required SecretSpec Spec { get; init; }

    [JsonIgnore]
    public ObjectKind Kind => ObjectKind.Secret;

    public static ObjectKind TableKind => ObjectKind.Secret;

    public IStoreObject WithMeta(ObjectMeta meta) => this with { Meta = meta };
}

public sealed record ConfigSpec
{
    public required string Name { get; init; }

    public ImmutableSortedDictionary<string, string> Labels { get; init; } = ImmutableSortedDictionary<string, string>.Empty;

    public ImmutableArray<byte> Data { get; init; } = [];
}

public sealed record Config : IStoreObject<Config>
{
    public required string Id { get; init; }

    public ObjectMeta Meta { get; init; } = new();

    public required ConfigSpec Spec { get; init; }

    [JsonIgnore]
    public ObjectKind Kind => ObjectKind.Config;

    public static ObjectKind TableKind => ObjectKind.Config;

    public IStoreObject WithMeta(ObjectMeta meta) => this with { Meta = meta };
}
