using System.Collections.Immutable;

namespace Skiff.Manager.Orchestration;

public enum RestartCondition
{
    None = 0,
    OnFailure = 1,
    Any = 2,
}

public enum UpdateFailureAction
{
    Pause = 0,
    Continue = 1,
    Rollback = 2,
}

public enum UpdateOrder
{
    StopFirst = 0,
    StartFirst = 1,
}

public enum EndpointMode
{
    Vip = 0,
    DnsRr = 1,
}

/// <summary>Restart policy; defaults are Docker's (condition any, delay 5 s, unlimited attempts).</summary>
public sealed record RestartPolicyLite
{
    public static readonly TimeSpan DefaultDelay = TimeSpan.FromSeconds(5);

    public RestartCondition Condition { get; init; } = RestartCondition.Any;

    /// <summary>Null means the default, 5 s.</summary>
    public TimeSpan? Delay { get; init; }

    /// <summary>0 means unlimited.</summary>
    public ulong MaxAttempts { get; init; }

    /// <summary>Zero means attempts are counted over the whole life of the slot's spec version.</summary>
    public TimeSpan Window { get; init; }
}

/// <summary>Update or rollback config; defaults are Docker's.</summary>
public sealed record UpdateConfigLite
{
    /// <summary>Slots updated together; 0 means all at once.</summary>
    public int Parallelism { get; init; } = 1;

    public TimeSpan Delay { get; init; }

    public UpdateFailureAction FailureAction { get; init; } = UpdateFailureAction.Pause;

    public TimeSpan Monitor { get; init; } = TimeSpan.FromSeconds(5);

    public double MaxFailureRatio { get; init; }

    public UpdateOrder Order { get; init; } = UpdateOrder.StopFirst;
}

public readonly record struct ResourcesLite(long NanoCpus, long MemoryBytes);

public sealed record PlacementLite
{
    public ImmutableArray<string> Constraints { get; init; } = [];

    /// <summary>Spread descriptors, e.g. <c>node.labels.zone</c>.</summary>
    public ImmutableArray<string> Preferences { get; init; } = [];

    /// <summary>0 means unlimited.</summary>
    public ulong MaxReplicas { get; init; }
}

public readonly record struct PortLite(string Protocol, int TargetPort, int PublishedPort, string PublishMode);

public sealed record EndpointSpecLite
{
    public EndpointMode Mode { get; init; } = EndpointMode.Vip;

    public ImmutableArray<PortLite> Ports { get; init; } = [];
}

/// <summary>
/// The service spec fields that matter to orchestration. Collections are
/// <see cref="ImmutableArray{T}"/>, whose record equality is by reference: compare with
/// <see cref="SpecChange"/>, never with <c>==</c>.
/// </summary>
public sealed record ServiceSpecLite
{
    public string Name { get; init; } = "";

    /// <summary>Service labels (not the container's).</summary>
    public ImmutableSortedDictionary<string, string> Labels { get; init; } = ImmutableSortedDictionary<string, string>.Empty;

    public ulong Replicas { get; init; } = 1;

    // --- TaskTemplate: a change here makes tasks dirty. ---
    public string ContainerImage { get; init; } = "";

    public ImmutableArray<string> Command { get; init; } = [];

    public ImmutableArray<string> Args { get; init; } = [];

    public ImmutableArray<string> Env { get; init; } = [];

    /// <summary>Mounts as canonical strings (<c>type=volume,src=a,dst=/a</c>).</summary>
    public ImmutableArray<string> Mounts { get; init; } = [];

    public string User { get; init; } = "";

    public string WorkingDir { get; init; } = "";

    public string Hostname { get; init; } = "";

    public ImmutableSortedDictionary<string, string> ContainerLabels { get; init; } = ImmutableSortedDictionary<string, string>.Empty;

    public ResourcesLite Limits { get; init; }

    public ResourcesLite Reservations { get; init; }

    public RestartPolicyLite RestartPolicy { get; init; } = new();

    public PlacementLite Placement { get; init; } = new();

    /// <summary>Bumped by <c>service update --force</c>.</summary>
    public ulong ForceUpdate { get; init; }

    /// <summary>Attached network IDs (aliases folded in as <c>id:alias</c>).</summary>
    public ImmutableArray<string> Networks { get; init; } = [];

    // --- Not part of the TaskTemplate, except the endpoint (tasks carry it). ---
    public UpdateConfigLite UpdateConfig { get; init; } = new();

    public UpdateConfigLite RollbackConfig { get; init; } = new();

    public EndpointSpecLite EndpointSpec { get; init; } = new();
}
