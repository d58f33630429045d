using System.Collections.Immutable;

namespace Skiff.State;

/// <summary>
/// The whole store as one immutable value: tables, the global index and the recent request ids.
/// Applying actions is a pure function of (state, actions), the same on every replica.
/// </summary>
internal sealed class StoreState
{
    /// <summary>How many recent request ids are remembered for idempotence.</summary>
    public const int RecentRequestCapacity = 4096;

    private StoreState(
        ImmutableArray<StoreTable> tables, ulong index, ImmutableQueue<string> recentOrder, ImmutableHashSet<string> recent)
    {
        Tables = tables;
        Index = index;
        RecentOrder = recentOrder;
        Recent = recent;
    }

    public static StoreState Empty { get; } = new(
        [.. StoreIndexes.Kinds.Select(k => StoreTable.Empty(k, StoreIndexes.For(k)))],
        0,
        [],
        ImmutableHashSet.Create<string>(StringComparer.Ordinal));

    /// <summary>Tables by <see cref="ObjectKind"/> - 1.</summary>
    public ImmutableArray<StoreTable> Tables { get; }

    /// <summary>The version of the last commit (0 for an empty store).</summary>
    public ulong Index { get; }

    /// <summary>Recent request ids, oldest first (bounded by <see cref="RecentRequestCapacity"/>).</summary>
    public ImmutableQueue<string> RecentOrder { get; }

    private ImmutableHashSet<string> Recent { get; }

    public StoreTable Table(ObjectKind kind) => Tables[(int)kind - 1];

    public bool HasApplied(string requestId) => Recent.Contains(requestId);

    public StoreState WithTable(StoreTable table) =>
        new(Tables.SetItem((int)table.Kind - 1, table), Index, RecentOrder, Recent);

    /// <summary>Seals a commit: the new index and the request id remembered.</summary>
    public StoreState Commit(ulong index, string requestId)
    {
        var order = RecentOrder.Enqueue(requestId);
        var recent = Recent.Add(requestId);
        while (recent.Count > RecentRequestCapacity)
        {
            order = order.Dequeue(out var oldest);
            recent = recent.Remove(oldest);
        }

        return new StoreState(Tables, index, order, recent);
    }

    /// <summary>A state rebuilt from snapshot contents (indexes are derived, never stored).</summary>
    public static StoreState Build(ulong index, IEnumerable<IStoreObject> objects, IEnumerable<string> recentOrder)
    {
        var state = Empty;
        foreach (var obj in objects)
        {
            state = state.WithTable(state.Table(obj.Kind).Put(obj));
        }

        var order = ImmutableQueue.CreateRange(recentOrder);
        return new StoreState(state.Tables, index, order, ImmutableHashSet.CreateRange(StringComparer.Ordinal, order));
    }

    /// <summary>
    /// Applies one action as part of the commit of <paramref name="version"/>. Throws a domain
    /// exception (and changes nothing) when the action is invalid against this state.
    /// </summary>
    public StoreState ApplyAction(StoreAction action, ulong version, List<StoreEvent> changes)
    {
        var table = Table(action.Kind);
        var existing = table.Get(action.Id);
        switch (action.Action)
        {
            case StoreActionKind.Create:
            {
                var obj = CheckObject(action);
                if (existing is not null)
                {
                    throw new ObjectExistsException(action.Kind, action.Id);
                }

                var stamped = obj.WithMeta(obj.Meta with { Version = version });
                CheckUnique(table, stamped);
                changes.Add(new ObjectChange(StoreActionKind.Create, action.Kind, null, stamped, version));
                return WithTable(table.Put(stamped));
            }

            case StoreActionKind.Update:
            {
                var obj = CheckObject(action);
                if (existing is null)
                {
                    throw new ObjectNotFoundException(action.Kind, action.Id);
                }

                if (obj.Meta.Version != existing.Meta.Version)
                {
                    throw new SequenceException();
                }

                var stamped = obj.WithMeta(obj.Meta with { Version = version, CreatedAt = existing.Meta.CreatedAt });
                CheckUnique(table, stamped);
                changes.Add(new ObjectChange(StoreActionKind.Update, action.Kind, existing, stamped, version));
                return WithTable(table.Put(stamped));
            }

            case StoreActionKind.Delete:
                if (existing is null)
                {
                    throw new ObjectNotFoundException(action.Kind, action.Id);
                }

                changes.Add(new ObjectChange(StoreActionKind.Delete, action.Kind, existing, null, version));
                return WithTable(table.Remove(action.Id));

            default:
                throw new InvalidOperationException($"unknown store action {action.Action}");
        }
    }

    private static IStoreObject CheckObject(StoreAction action)
    {
        var obj = action.Object ?? throw new InvalidOperationException($"{action.Action} of {action.Kind} {action.Id} carries no object");
        if (obj.Kind != action.Kind || obj.Id != action.Id)
        {
            throw new InvalidOperationException($"{action.Action} of {action.Kind} {action.Id} carries {obj.Kind} {obj.Id}");
        }

        return obj;
    }

    private static void CheckUnique(StoreTable table, IStoreObject obj)
    {
        if (table.FindUniqueConflict(obj) is { } conflict)
        {
            var name = obj switch
            {
                Service s => s.Spec.Name,
                Network n => n.Spec.Name,
                Cluster c => c.Spec.Name,
                Secret s => s.Spec.Name,
                Config c => c.Spec.Name,
                _ => conflict.Key,
            };
            throw new NameConflictException(obj.Kind, name);
        }
    }
}
