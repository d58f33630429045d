using System.Net;
using DotNext.Buffers;
using DotNext.IO.Log;
using DotNext.Net;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.Membership;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;

namespace Skiff.State.Raft;

/// <summary>
/// The write-ahead log, flushed before a follower acknowledges an append. Hazard 1 of
/// dotnext-raft-notes.md: DotNext 6.12 flushes only up to the commit index before answering
/// AppendEntries, so killing every manager at once lost acknowledged writes. This re-implements
/// the interface method DotNext's replication path calls; it leans on that internal call path,
/// so the version is pinned and the crash test must stay in CI.
/// </summary>
internal sealed class DurableLog(WriteAheadLog.Options options, IStateMachine stateMachine)
    : WriteAheadLog(options, stateMachine), IAuditTrail<IRaftLogEntry>
{
    async ValueTask IAuditTrail<IRaftLogEntry>.AppendAsync<TEntry>(
        ILogEntryProducer<TEntry> entries, long startIndex, bool skipCommitted, CancellationToken token)
    {
        await AppendAsync(entries, startIndex, skipCommitted, token);
        await FlushAsync(token);
    }
}

/// <summary>Membership kept in a file so a restarted manager still knows its peers (hazard 3).</summary>
internal sealed class MembershipStorage(string path) : PersistentClusterConfigurationStorage<EndPoint>(path)
{
    protected override void Encode(EndPoint address, ref BufferWriterSlim<byte> output) => output.WriteEndPoint(address);

    protected override EndPoint Decode(ref SequenceReader reader) => reader.ReadEndPoint();
}
