using Skiff.State;

namespace Skiff.Manager.Scheduling;

/// <summary>Transport protocol of a published port.</summary>
public enum PortProtocol
{
    Tcp = 0,
    Udp = 1,
    Sctp = 2,
}

/// <summary>An OS/architecture pair; an empty field in a task's platform list is a wildcard.</summary>
public readonly record struct Platform(string OS, string Architecture);

/// <summary>CPU (in units of 1e-9 CPUs) and memory. Only reservations are scheduled, never usage.</summary>
public readonly record struct Resources(long NanoCpus, long MemoryBytes)
{
    public bool IsZero => NanoCpus == 0 && MemoryBytes == 0;

    public static Resources operator +(Resources left, Resources right) =>
        new(left.NanoCpus + right.NanoCpus, left.MemoryBytes + right.MemoryBytes);

    public static Resources operator -(Resources left, Resources right) =>
        new(left.NanoCpus - right.NanoCpus, left.MemoryBytes - right.MemoryBytes);

    public static Resources Add(Resources left, Resources right) => left + right;

    public static Resources Subtract(Resources left, Resources right) => left - right;

    /// <summary>True when <paramref name="request"/> fits in this (available) amount.</summary>
    public bool Fits(Resources request) => request.NanoCpus <= NanoCpus && request.MemoryBytes <= MemoryBytes;
}

/// <summary>A published port in mode=host: (protocol, published port).</summary>
public readonly record struct HostPort(PortProtocol Protocol, int Port);

/// <summary>A task of (service, spec version) that failed on a node at <see cref="At"/>.</summary>
public sealed record TaskFailure(string ServiceId, long SpecVersion, DateTimeOffset At);

/// <summary>
/// The scheduler's immutable view of one node. Built by an adapter from the store; the scheduler
/// derives updated copies (<c>with</c>) as it places tasks, never mutating the caller's objects.
/// </summary>
public sealed record NodeInfo
{
    public required string Id { get; init; }

    public string Hostname { get; init; } = "";

    public NodeRole Role { get; init; } = NodeRole.Worker;

    public NodeAvailability Availability { get; init; } = NodeAvailability.Active;

    public NodeState State { get; init; } = NodeState.Ready;

    public Platform Platform { get; init; } = new("linux", "amd64");

    /// <summary><c>node.labels</c> (set by operators with <c>docker node update --label-add</c>).</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = EmptyLabels;

    /// <summary><c>engine.labels</c> (reported by the node's engine).</summary>
    public IReadOnlyDictionary<string, string> EngineLabels { get; init; } = EmptyLabels;

    /// <summary>Total resources of the node.</summary>
    public Resources Resources { get; init; }

    /// <summary>Sum of the reservations of the tasks already on the node.</summary>
    public Resources Reserved { get; init; }

    /// <summary>Host-mode published ports already bound on the node.</summary>
    public IReadOnlySet<HostPort> HostPortsInUse { get; init; } = EmptyPorts;

    /// <summary>Active (assigned..running) tasks on the node, per service id.</summary>
    public IReadOnlyDictionary<string, int> TasksByService { get; init; } = EmptyCounts;

    /// <summary>All active tasks on the node.</summary>
    public int TotalTasks { get; init; }

    /// <summary>Recent task failures on this node; only those of the same service and spec version count.</summary>
    public IReadOnlyList<TaskFailure> RecentFailures { get; init; } = [];

    public Resources Available => Resources - Reserved;

    public int TasksOf(string serviceId) => TasksByService.TryGetValue(serviceId, out var n) ? n : 0;

    internal static readonly IReadOnlyDictionary<string, string> EmptyLabels = new Dictionary<string, string>();
    internal static readonly IReadOnlySet<HostPort> EmptyPorts = new HashSet<HostPort>();
    internal static readonly IReadOnlyDictionary<string, int> EmptyCounts = new Dictionary<string, int>();
}

/// <summary>A pending task to place. Tasks of one (service, spec version) share their placement spec.</summary>
public sealed record TaskRequest
{
    public required string TaskId { get; init; }

    public required string ServiceId { get; init; }

    public long SpecVersion { get; init; }

    public Resources Reservations { get; init; }

    /// <summary>Constraint expressions, ANDed (<c>node.labels.type==db</c>).</summary>
    public IReadOnlyList<string> Constraints { get; init; } = [];

    /// <summary>Placement preferences, highest precedence first (<c>spread=node.labels.zone</c>).</summary>
    public IReadOnlyList<string> Preferences { get; init; } = [];

    /// <summary>Platforms the image supports; empty means any.</summary>
    public IReadOnlyList<Platform> Platforms { get; init; } = [];

    /// <summary>Ports published in mode=host.</summary>
    public IReadOnlyList<HostPort> HostPorts { get; init; } = [];

    /// <summary>Maximum tasks of this service per node; 0 means unlimited.</summary>
    public int MaxReplicasPerNode { get; init; }
}
