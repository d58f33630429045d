using System.Net;
using Skiff.Api;

namespace Skiff.State.Raft;

/// <summary>
/// This manager cannot accept the write: it is not the Raft leader, or lost leadership while the
/// write was in flight (the write may still commit: commands are idempotent by request id).
/// </summary>
public sealed class NotLeaderException(EndPoint? leader, Exception? inner = null)
    : SkiffException(503, leader is null
        ? "this manager is not the leader and no leader is known; the swarm may not have a quorum"
        : $"this manager is not the leader; the leader is {leader}")
{
    /// <summary>The Raft address of the leader, if known.</summary>
    public EndPoint? Leader { get; } = leader;

    public Exception? Cause { get; } = inner;
}
