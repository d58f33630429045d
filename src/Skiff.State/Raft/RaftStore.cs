using System.Net;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using Microsoft.Extensions.Logging;
using DotNextNotLeader = DotNext.Net.Cluster.Consensus.Raft.NotLeaderException;

namespace Skiff.State.Raft;

/// <summary>How to run one manager's replicated store.</summary>
public sealed record RaftStoreOptions
{
    /// <summary>Holds the log (<c>wal/</c>), snapshots, membership and the bootstrap marker.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>The Raft (manager-to-manager) address this node listens on.</summary>
    public required IPEndPoint EndPoint { get; init; }

    /// <summary>Entries between snapshots (swarmkit: 10,000).</summary>
    public int SnapshotEvery { get; init; } = 10_000;

    public TimeSpan LowerElectionTimeout { get; init; } = TimeSpan.FromMilliseconds(150);

    public TimeSpan UpperElectionTimeout { get; init; } = TimeSpan.FromMilliseconds(300);

    public TimeProvider Time { get; init; } = TimeProvider.System;

    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>
    /// Set when this member joins an existing cluster (the leader adds it with
    /// <see cref="RaftStore.AddMemberAsync"/>): it never cold-starts, and records this cluster id.
    /// </summary>
    public string? JoinClusterId { get; init; }
}

/// <summary>
/// The store replicated by DotNext Raft: reads and watches go to <see cref="Store"/> (the local
/// replica, applied in log order); writes go through <see cref="ProposeAsync"/> on the leader.
/// </summary>
public sealed class RaftStore : IReplicatedStore, IAsyncDisposable
{
    private const string MarkerFile = "bootstrapped";

    private readonly RaftCluster _cluster;
    private readonly DurableLog _log;
    private readonly StoreStateMachine _stateMachine;
    private readonly MembershipStorage _membership;
    private bool _stopped;

    private RaftStore(RaftCluster cluster, DurableLog log, StoreStateMachine stateMachine, MembershipStorage membership, string clusterId, bool coldStart)
    {
        _cluster = cluster;
        _log = log;
        _stateMachine = stateMachine;
        _membership = membership;
        ClusterId = clusterId;
        StartedCold = coldStart;
    }

    /// <summary>The local replica: read with View, follow with Watch/ViewAndWatch.</summary>
    public MemoryStore Store => _stateMachine.Store;

    /// <summary>Made once at the very first bootstrap and kept in the marker file.</summary>
    public string ClusterId { get; }

    /// <summary>Whether this start bootstrapped a new cluster (ColdStart); only ever the first.</summary>
    public bool StartedCold { get; }

    public bool IsLeader => !_cluster.LeadershipToken.IsCancellationRequested;

    /// <summary>Cancelled when this node stops leading (or is not leading now).</summary>
    public CancellationToken LeadershipToken => _cluster.LeadershipToken;

    public EndPoint? Leader => _cluster.Leader?.EndPoint;

    /// <summary>Opens the data directory and joins (or, the very first time, bootstraps) the cluster.</summary>
    public static async Task<RaftStore> StartAsync(RaftStoreOptions options, CancellationToken ct = default)
    {
        var root = Directory.CreateDirectory(options.DataDirectory);
        var markerPath = Path.Combine(root.FullName, MarkerFile);

        // Hazard 2: ColdStart defaults to true and a restarted node that cold-starts forms a new
        // one-node cluster (split brain). Only the very first start of the first manager does.
        var bootstrapped = File.Exists(markerPath);
        var coldStart = !bootstrapped && options.JoinClusterId is null;
        var clusterId = bootstrapped ? (await File.ReadAllTextAsync(markerPath, ct)).Trim() : options.JoinClusterId ?? NewClusterId();

        var store = new MemoryStore(options.Time);
        var stateMachine = new StoreStateMachine(root.CreateSubdirectory("snapshots"), store, options.SnapshotEvery);
        await stateMachine.RestoreAsync(ct);
        var log = new DurableLog(
            new WriteAheadLog.Options
            {
                Location = Path.Combine(root.FullName, "wal"),
                HashAlgorithm = WriteAheadLog.IntegrityHashAlgorithm.Crc32,
            },
            stateMachine);
        var membership = new MembershipStorage(Path.Combine(root.FullName, "members"));
        var config = new RaftCluster.TcpConfiguration(options.EndPoint)
        {
            ColdStart = coldStart,
            ConfigurationStorage = membership,
            LowerElectionTimeout = (int)options.LowerElectionTimeout.TotalMilliseconds,
            UpperElectionTimeout = (int)options.UpperElectionTimeout.TotalMilliseconds,
            LoggerFactory = options.LoggerFactory,
        };
        var cluster = new RaftCluster(config) { AuditTrail = log };
        var raft = new RaftStore(cluster, log, stateMachine, membership, clusterId, coldStart);
        try
        {
            await cluster.StartAsync(ct);
            if (!bootstrapped && !coldStart)
            {
                // A joiner: from now on its membership file says who its peers are.
                await WriteMarkerAsync(markerPath, clusterId, ct);
            }

            if (coldStart)
            {
                // The marker is written only once this node leads (its membership is then on
                // disk); a crash before it just repeats the first bootstrap.
                await raft.WaitForLeadershipAsync(TimeSpan.FromSeconds(30), ct);
                await WriteMarkerAsync(markerPath, clusterId, ct);
            }

            return raft;
        }
        catch
        {
            await raft.DisposeAsync();
            throw;
        }
    }

    /// <summary>Adds a member (one at a time; only on the leader). The member must be started with <see cref="RaftStoreOptions.JoinClusterId"/>.</summary>
    public async Task AddMemberAsync(EndPoint member, CancellationToken ct = default)
    {
        try
        {
            if (!await _cluster.AddMemberAsync(member, ct))
            {
                throw new InvalidOperationException($"Raft member {member} was not added (already a member, or it did not catch up)");
            }
        }
        catch (DotNextNotLeader ex)
        {
            throw new NotLeaderException(Leader, ex);
        }
    }

    /// <summary>The current members' Raft addresses.</summary>
    public IReadOnlyList<EndPoint> Members => [.. _cluster.Members.Select(m => m.EndPoint)];

    /// <summary>Waits until this node leads, or throws <see cref="TimeoutException"/> saying so.</summary>
    public async Task WaitForLeadershipAsync(TimeSpan timeout, CancellationToken ct = default)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            await _cluster.WaitForLeadershipAsync(cts.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"this node did not become the Raft leader within {timeout}");
        }
    }

    /// <summary>Waits until everything committed before this call is applied locally (a linearizable read point).</summary>
    public async Task ReadBarrierAsync(CancellationToken ct = default)
    {
        try
        {
            await _cluster.ApplyReadBarrierAsync(ct);
        }
        catch (DotNextNotLeader ex)
        {
            throw new NotLeaderException(Leader, ex);
        }
    }

    /// <summary>Builds the command for <paramref name="write"/> against the local replica and proposes it.</summary>
    public Task<ulong> UpdateAsync(Action<WriteTx> write, CancellationToken ct = default) => ProposeAsync(Store.Prepare(write), ct);

    /// <summary>
    /// Replicates <paramref name="command"/> and returns the store version once it is applied on
    /// this (leader) node. Throws the store's domain exception if the command was refused at
    /// apply, and <see cref="NotLeaderException"/> if this node does not lead.
    /// </summary>
    public async Task<ulong> ProposeAsync(StoreCommand command, CancellationToken ct = default)
    {
        var proposal = new Proposal();
        var payload = StoreSerializer.SerializeCommand(command);
        try
        {
            await _cluster.ReplicateAsync(new ReadOnlyMemory<byte>(payload), proposal, ct);
        }
        catch (DotNextNotLeader ex)
        {
            throw new NotLeaderException(Leader, ex);
        }
        catch (OperationCanceledException ex) when (!ct.IsCancellationRequested)
        {
            // Cancelled by lost leadership rather than by the caller.
            throw new NotLeaderException(Leader, ex);
        }

        // Applied on the leader before ReplicateAsync returns; a duplicate request id leaves the
        // proposal unresolved (the original already took effect), so answer with the current index.
        return proposal.Done.IsCompleted ? await proposal.Done : Store.Index;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            try
            {
                await _cluster.StopAsync(CancellationToken.None);
            }
            catch (InvalidOperationException)
            {
                // Never started.
            }
        }

        _cluster.Dispose();
        await _log.DisposeAsync();
        await _stateMachine.DisposeAsync();
        _membership.Dispose();
    }

    private static string NewClusterId() => Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());

    private static async Task WriteMarkerAsync(string path, string clusterId, CancellationToken ct)
    {
        var temp = path + ".tmp";
        await using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 4096, FileOptions.WriteThrough))
        {
            await file.WriteAsync(System.Text.Encoding.UTF8.GetBytes(clusterId), ct);
            file.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
    }
}
