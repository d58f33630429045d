namespace Skiff.State;

/// <summary>
/// A transaction being built: reads see its own writes; each write is checked at once (so the
/// caller gets the conflict where it made it) and recorded as a <see cref="StoreAction"/>.
/// Nothing is visible to others until the store commits the resulting command.
/// </summary>
public sealed class WriteTx : ReadTx
{
    private readonly List<StoreAction> _actions = [];
    private readonly List<StoreEvent> _changes = [];
    private readonly TimeProvider _time;

    internal WriteTx(StoreState state, TimeProvider time)
        : base(state)
    {
        _time = time;
        Version = state.Index + 1;
    }

    /// <summary>The version objects written by this transaction get if it commits.</summary>
    public ulong Version { get; }

    internal IReadOnlyList<StoreAction> Actions => _actions;

    internal IReadOnlyList<StoreEvent> Changes => _changes;

    /// <summary>Creates an object; its metadata is the store's (version and timestamps are stamped).</summary>
    public T Create<T>(T obj)
        where T : class, IStoreObject<T>
    {
        var now = _time.GetUtcNow();
        var stamped = obj.WithMeta(new ObjectMeta { CreatedAt = now, UpdatedAt = now });
        Apply(new StoreAction { Action = StoreActionKind.Create, Kind = T.TableKind, Id = obj.Id, Object = stamped });
        return Get<T>(obj.Id)!;
    }

    /// <summary>
    /// Updates an object; <paramref name="obj"/> must carry the version it was read at, else
    /// <see cref="SequenceException"/>.
    /// </summary>
    public T Update<T>(T obj)
        where T : class, IStoreObject<T>
    {
        var stamped = obj.WithMeta(obj.Meta with { UpdatedAt = _time.GetUtcNow() });
        Apply(new StoreAction { Action = StoreActionKind.Update, Kind = T.TableKind, Id = obj.Id, Object = stamped });
        return Get<T>(obj.Id)!;
    }

    public void Delete<T>(string id)
        where T : class, IStoreObject<T> =>
        Apply(new StoreAction { Action = StoreActionKind.Delete, Kind = T.TableKind, Id = id });

    internal int Mark => _actions.Count;

    /// <summary>Undoes the writes made after <paramref name="mark"/> (a failed batch step).</summary>
    internal void Rollback(int mark, StoreState stateAtMark, int changesAtMark)
    {
        _actions.RemoveRange(mark, _actions.Count - mark);
        _changes.RemoveRange(changesAtMark, _changes.Count - changesAtMark);
        State = stateAtMark;
    }

    internal int ChangeCount => _changes.Count;

    private void Apply(StoreAction action)
    {
        // ApplyAction throws before anything changes, so a refused write leaves the tx intact.
        State = State.ApplyAction(action, Version, _changes);
        _actions.Add(action);
    }
}
