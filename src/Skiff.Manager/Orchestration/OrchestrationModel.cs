using System.Collections.Immutable;
using Skiff.State;

namespace Skiff.Manager.Orchestration;

/// <summary>
/// The orchestrators' immutable view of one task. An adapter builds it from the store; the
/// decision functions never see store objects.
/// </summary>
public sealed record TaskLite
{
    public required string Id { get; init; }

    /// <summary>1..N for replicated services; 0 for global services (keyed by node).</summary>
    public int Slot { get; init; }

    public string? NodeId { get; init; }

    public TaskState DesiredState { get; init; } = TaskState.Running;

    public TaskState ObservedState { get; init; } = TaskState.New;

    /// <summary>The service spec version the task was created from.</summary>
    public long SpecVersion { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When <see cref="ObservedState"/> was last reported.</summary>
    public DateTimeOffset StatusTimestamp { get; init; }

    /// <summary>swarmkit's "runnable": the orchestrator still wants this task to run.</summary>
    public bool IsDesiredRunnable => TaskLifecycle.IsRunningOrEarlier(DesiredState);
}

/// <summary>The orchestrators' view of one node.</summary>
public sealed record NodeLite
{
    public required string Id { get; init; }

    public NodeState State { get; init; } = NodeState.Ready;

    public NodeAvailability Availability { get; init; } = NodeAvailability.Active;

    public ImmutableSortedDictionary<string, string> Labels { get; init; } = ImmutableSortedDictionary<string, string>.Empty;

    /// <summary>swarmkit's <c>InvalidNode</c>: down or drained (a missing node is invalid too).</summary>
    public bool IsInvalid => State == NodeState.Down || Availability == NodeAvailability.Drain;
}

/// <summary>A task to shut down (desired state raised) and why.</summary>
public readonly record struct TaskShutdown(string TaskId, int Slot, TaskState DesiredState, string Reason);

/// <summary>A new task to create: a slot for replicated services, a node for global ones.</summary>
public readonly record struct TaskCreate(int Slot, string? NodeId, string? Replaces);
