using System.Collections.Immutable;

namespace Skiff.State;

/// <summary>What a store action does. Persisted: explicit values, only grow.</summary>
public enum StoreActionKind
{
    Create = 1,
    Update = 2,
    Delete = 3,
}

/// <summary>
/// One change in a command. Create and Update carry the whole object as the proposer built it
/// (timestamps included, so every replica applies the same bytes); Update carries the version it
/// read. The applying store assigns the new version.
/// </summary>
public sealed record StoreAction
{
    public required StoreActionKind Action { get; init; }

    public required ObjectKind Kind { get; init; }

    public required string Id { get; init; }

    public IStoreObject? Object { get; init; }
}

/// <summary>
/// The unit of replication: the actions of one transaction plus a request id that makes applying
/// it idempotent (a proposal that failed with NotLeader may still commit and be retried).
/// </summary>
public sealed record StoreCommand
{
    public required string RequestId { get; init; }

    public ImmutableArray<StoreAction> Actions { get; init; } = [];
}

/// <summary>Changes announced to watchers, in commit order.</summary>
public abstract record StoreEvent(ulong Version);

/// <summary>An object was created, updated or deleted by the commit of <see cref="StoreEvent.Version"/>.</summary>
public sealed record ObjectChange(StoreActionKind Action, ObjectKind Kind, IStoreObject? Old, IStoreObject? New, ulong Version)
    : StoreEvent(Version);

/// <summary>Follows the changes of one commit.</summary>
public sealed record CommitEvent(ulong Version) : StoreEvent(Version);

/// <summary>The whole store was replaced from a snapshot: re-read everything.</summary>
public sealed record RestoreEvent(ulong Version) : StoreEvent(Version);
