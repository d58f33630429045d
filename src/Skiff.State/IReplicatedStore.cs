namespace Skiff.State;

/// <summary>
/// The store as the control plane sees it: reads and watches on the local replica, writes
/// proposed and applied (through Raft in production). <see cref="Raft.RaftStore"/> implements it;
/// <see cref="LocalReplicatedStore"/> is the same contract over a bare <see cref="MemoryStore"/>
/// for unit tests of the control loops.
/// </summary>
public interface IReplicatedStore
{
    MemoryStore Store { get; }

    /// <summary>Commits <paramref name="write"/>; throws the store's domain exception if refused.</summary>
    Task<ulong> UpdateAsync(Action<WriteTx> write, CancellationToken ct = default);
}

/// <summary>An <see cref="IReplicatedStore"/> without replication (unit tests, benchmarks).</summary>
public sealed class LocalReplicatedStore(MemoryStore store) : IReplicatedStore
{
    public MemoryStore Store => store;

    public Task<ulong> UpdateAsync(Action<WriteTx> write, CancellationToken ct = default)
    {
        ct.ThrowIfCancellationRequested();
        return Task.FromResult(store.Update(write));
    }
}
