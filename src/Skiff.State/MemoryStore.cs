using System.Collections.Immutable;
using Skiff.Api;

namespace Skiff.State;

/// <summary>
/// The in-memory object store: an immutable <see cref="StoreState"/> swapped atomically on every
/// commit, with watchers fed in commit order. Pure (no I/O); time comes from the injected
/// <see cref="TimeProvider"/>. Replication wraps it: the Raft state machine calls
/// <see cref="Apply"/> with committed commands.
/// </summary>
public sealed class MemoryStore
{
    /// <summary>Changes per commit in <see cref="Batch"/> (swarmkit uses 200).</summary>
    public const int MaxChangesPerBatchCommit = 200;

    private readonly Lock _commitLock = new();
    private readonly TimeProvider _time;
    private readonly int _watchCapacity;
    private volatile StoreState _state = StoreState.Empty;
    private ImmutableArray<StoreWatch> _watchers = [];

    public MemoryStore(TimeProvider? time = null, int watchCapacity = 10_000)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(watchCapacity);
        _time = time ?? TimeProvider.System;
        _watchCapacity = watchCapacity;
    }

    /// <summary>The version of the last commit.</summary>
    public ulong Index => _state.Index;

    public TimeProvider Time => _time;

    public T View<T>(Func<ReadTx, T> read) => read(new ReadTx(_state));

    /// <summary>Runs <paramref name="write"/> and commits its changes atomically; returns the commit version (or the current one if nothing changed).</summary>
    public ulong Update(Action<WriteTx> write)
    {
        lock (_commitLock)
        {
            var tx = new WriteTx(_state, _time);
            write(tx);
            return Commit(tx, Guid.NewGuid().ToString("N"));
        }
    }

    /// <summary>
    /// Runs many small writes, committing every <see cref="MaxChangesPerBatchCommit"/> changes. A
    /// step that throws is undone alone and its exception propagates after earlier steps commit.
    /// </summary>
    public void Batch(Action<StoreBatch> steps)
    {
        // The commit lock is held throughout (it is reentrant), so no other writer can make the
        // pending transaction stale between steps; readers are never blocked.
        lock (_commitLock)
        {
            var batch = new StoreBatch(this);
            try
            {
                steps(batch);
            }
            finally
            {
                batch.Flush();
            }
        }
    }

    /// <summary>Builds the command for <paramref name="write"/> against the current state without committing it (the Raft path proposes it).</summary>
    public StoreCommand Prepare(Action<WriteTx> write)
    {
        var tx = new WriteTx(_state, _time);
        write(tx);
        return new StoreCommand { RequestId = Guid.NewGuid().ToString("N"), Actions = [.. tx.Actions] };
    }

    /// <summary>
    /// Applies a command deterministically. Returns false when its request id was already seen
    /// (a no-op). Throws the domain exception when an action is invalid: the command then changes
    /// nothing but its request id is remembered, so a replay is a no-op too.
    /// </summary>
    public bool Apply(StoreCommand command)
    {
        lock (_commitLock)
        {
            if (_state.HasApplied(command.RequestId))
            {
                return false;
            }

            var tx = new WriteTx(_state, _time);
            var state = _state;
            var changes = new List<StoreEvent>();
            try
            {
                foreach (var action in command.Actions)
                {
                    state = state.ApplyAction(action, tx.Version, changes);
                }
            }
            catch (SkiffException)
            {
                // Remember refused commands too: replayed over a later snapshot (which may already
                // hold newer entries) a refused command must stay refused, not suddenly apply.
                _state = _state.Commit(_state.Index, command.RequestId);
                throw;
            }

            Publish(command.Actions.IsEmpty ? _state : state.Commit(tx.Version, command.RequestId), changes);
            return true;
        }
    }

    /// <summary>Subscribes to changes committed from now on. The predicate sees every event, commits included.</summary>
    public StoreWatch Watch(Func<StoreEvent, bool>? predicate = null)
    {
        lock (_commitLock)
        {
            return Subscribe(predicate);
        }
    }

    /// <summary>Atomically reads a snapshot and subscribes to every change after it.</summary>
    public (T Result, StoreWatch Watch) ViewAndWatch<T>(Func<ReadTx, T> read, Func<StoreEvent, bool>? predicate = null)
    {
        lock (_commitLock)
        {
            return (read(new ReadTx(_state)), Subscribe(predicate));
        }
    }

    /// <summary>Writes the whole store (objects, index, recent request ids) to <paramref name="stream"/>.</summary>
    public Task WriteSnapshotAsync(Stream stream, CancellationToken ct = default) =>
        stream.WriteAsync(SnapshotBytes(), ct).AsTask();

    /// <summary>The canonical snapshot encoding: equal bytes mean equal stores.</summary>
    public byte[] SnapshotBytes() => StoreSerializer.SerializeSnapshot(_state);

    /// <summary>Replaces the whole store from a snapshot; watchers get a <see cref="RestoreEvent"/>.</summary>
    public async Task RestoreSnapshotAsync(Stream stream, CancellationToken ct = default)
    {
        var state = await StoreSerializer.DeserializeSnapshotAsync(stream, ct);
        lock (_commitLock)
        {
            _state = state;
            foreach (var watcher in _watchers)
            {
                watcher.Publish(new RestoreEvent(state.Index));
            }
        }
    }

    internal ulong Commit(WriteTx tx, string requestId)
    {
        if (tx.Actions.Count == 0)
        {
            return _state.Index;
        }

        Publish(tx.State.Commit(tx.Version, requestId), tx.Changes);
        return tx.Version;
    }

    internal StoreState State => _state;

    private void Publish(StoreState state, IReadOnlyList<StoreEvent> changes)
    {
        var changed = state != _state;
        _state = state;
        if (!changed)
        {
            return;
        }

        foreach (var watcher in _watchers)
        {
            foreach (var change in changes)
            {
                watcher.Publish(change);
            }

            watcher.Publish(new CommitEvent(state.Index));
        }
    }

    private StoreWatch Subscribe(Func<StoreEvent, bool>? predicate)
    {
        var watch = new StoreWatch(predicate, _watchCapacity, Unsubscribe);
        ImmutableInterlocked.Update(ref _watchers, w => w.Add(watch));
        return watch;
    }

    private void Unsubscribe(StoreWatch watch) => ImmutableInterlocked.Update(ref _watchers, w => w.Remove(watch));
}

/// <summary>The steps of <see cref="MemoryStore.Batch"/>.</summary>
public sealed class StoreBatch
{
    private readonly MemoryStore _store;
    private WriteTx? _tx;

    internal StoreBatch(MemoryStore store) => _store = store;

    /// <summary>Runs one step; commits the accumulated steps once they reach the batch size.</summary>
    public void Update(Action<WriteTx> step)
    {
        _tx ??= new WriteTx(_store.State, _store.Time);
        var mark = _tx.Mark;
        var changes = _tx.ChangeCount;
        var before = _tx.State;
        try
        {
            step(_tx);
        }
        catch
        {
            _tx.Rollback(mark, before, changes);
            throw;
        }

        if (_tx.Actions.Count >= MemoryStore.MaxChangesPerBatchCommit)
        {
            Flush();
        }
    }

    internal void Flush()
    {
        if (_tx is not null)
        {
            _store.Commit(_tx, Guid.NewGuid().ToString("N"));
            _tx = null;
        }
    }
}
