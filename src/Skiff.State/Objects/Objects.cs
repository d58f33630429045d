using System.Collections.Immutable;
using System.Text.Json.Serialization;

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

    public string? Addr { get; init; }

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

public sealed record ServiceSpec
{
    public required string Name { get; init; }

    public ImmutableSortedDictionary<string, string> Labels { get; init; } = ImmutableSortedDictionary<string, string>.Empty;

    public ServiceMode Mode { get; init; }

    /// <summary>Replica count for replicated modes; null for global modes.</summary>
    public ulong? Replicas { get; init; }

    public string Image { get; init; } = "";
}

public sealed record Service : IStoreObject<Service>
{
    public required string Id { get; init; }

    public ObjectMeta Meta { get; init; } = new();

    public required ServiceSpec Spec { get; init; }

    public ServiceSpec? PreviousSpec { get; init; }

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
}

/// <summary>A task (named so to avoid System.Threading.Tasks.Task).</summary>
public sealed record SwarmTask : IStoreObject<SwarmTask>
{
    public required string Id { get; init; }

    public ObjectMeta Meta { get; init; } = new();

    public required string ServiceId { get; init; }

    /// <summary>Slot for replicated services (1..N); 0 for global services (keyed by node).</summary>
    public int Slot { get; init; }

    public string? NodeId { get; init; }

    public TaskState DesiredState { get; init; }

    public TaskStatus Status { get; init; } = new();

    public string Image { get; init; } = "";

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
}

public sealed record Cluster : IStoreObject<Cluster>
{
    public required string Id { get; init; }

    public ObjectMeta Meta { get; init; } = new();

    public ClusterSpec Spec { get; init; } = new();

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
