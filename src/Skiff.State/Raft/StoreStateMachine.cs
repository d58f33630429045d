using System.Buffers;
using DotNext.IO;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using Skiff.Api;

namespace Skiff.State.Raft;

/// <summary>The leader's handle on a proposal, passed as the log entry context.</summary>
internal sealed class Proposal
{
    private readonly TaskCompletionSource<ulong> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<ulong> Done => _done.Task;

    public void Applied(ulong version) => _done.TrySetResult(version);

    public void Refused(Exception error) => _done.TrySetException(error);
}

/// <summary>
/// Applies committed log entries to the <see cref="MemoryStore"/>. Deterministic and idempotent
/// by request id; snapshots are the whole store (see <see cref="StoreSerializer"/>).
/// </summary>
internal sealed class StoreStateMachine(DirectoryInfo snapshotDir, MemoryStore store, int snapshotEvery)
    : SimpleStateMachine(snapshotDir)
{
    private int _sinceSnapshot;

    public MemoryStore Store => store;

    protected override ValueTask<bool> ApplyAsync(LogEntry entry, CancellationToken token)
    {
        // Hazard 4: on restart committed configuration entries replay here before the membership
        // storage is attached; they are DotNext's business, not ours. Empty entries are the no-ops
        // a new leader appends.
        if (entry.IsConfiguration || entry.Length == 0)
        {
            return ValueTask.FromResult(false);
        }

        var command = entry.TryGetPayload(out var payload)
            ? StoreSerializer.DeserializeCommand(payload.IsSingleSegment ? payload.FirstSpan : payload.ToArray())
            : throw new InvalidDataException($"log entry {entry.Index} has no payload");
        var proposal = entry.Context as Proposal;
        try
        {
            store.Apply(command);
            proposal?.Applied(store.Index);
        }
        catch (SkiffException ex)
        {
            // Refused identically on every replica; only the proposer hears why.
            proposal?.Refused(ex);
        }

        return ValueTask.FromResult(++_sinceSnapshot >= snapshotEvery);
    }

    protected override async ValueTask PersistAsync(IAsyncBinaryWriter writer, CancellationToken token)
    {
        _sinceSnapshot = 0;
        await writer.WriteAsync(store.SnapshotBytes(), lengthFormat: null, token);
    }

    protected override async ValueTask RestoreAsync(FileInfo snapshotFile, CancellationToken token)
    {
        await using var stream = snapshotFile.OpenRead();
        await store.RestoreSnapshotAsync(stream, token);
    }
}
