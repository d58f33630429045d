using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Skiff.Api;
using Skiff.Manager.ControlApi;
using Skiff.Manager.Dispatch.Proto;
using Skiff.Manager.Orchestration;
using Skiff.Manager.Security;
using Skiff.State;

namespace Skiff.Manager.Dispatch;

/// <summary>
/// Agent sessions (swarmkit <c>manager/dispatcher</c>): registers nodes, streams each node its
/// tasks, takes batched status updates, and marks a node Down when it misses its heartbeats
/// (period x 3). Heartbeats live in memory on the leader only, never in Raft.
/// </summary>
public sealed class Dispatcher(IReplicatedStore replicated, RootCa root, TimeProvider time, ILogger logger) : Proto.Dispatcher.DispatcherBase
{
    /// <summary>Missed periods before a node is Down (swarmkit's grace multiplier).</summary>
    public const int GraceMultiplier = 3;

    /// <summary>Extra time after a manager starts leading for nodes to open their sessions.</summary>
    public static readonly TimeSpan StartupGrace = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<string, SessionState> _sessions = new(StringComparer.Ordinal);
    private DateTimeOffset _leaderSince = time.GetUtcNow();

    private sealed class SessionState(string id, DateTimeOffset at)
    {
        public string Id { get; } = id;

        public DateTimeOffset LastHeartbeat { get; set; } = at;
    }

    public LogBroker Logs { get; } = new();

    public override async Task LogSubscriptions(LogSubscriptionsRequest request, IServerStreamWriter<LogSubscription> responseStream, ServerCallContext context)
    {
        var identity = Authenticate(context);
        var reader = Logs.Listen(identity.NodeId);
        try
        {
            await foreach (var subscription in reader.ReadAllAsync(context.CancellationToken))
            {
                await responseStream.WriteAsync(subscription, context.CancellationToken);
            }
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            Logs.Forget(identity.NodeId, reader);
        }
    }

    public override async Task<PublishLogsResponse> PublishLogs(IAsyncStreamReader<LogMessage> requestStream, ServerCallContext context)
    {
        Authenticate(context);
        await foreach (var message in requestStream.ReadAllAsync(context.CancellationToken))
        {
            Logs.Publish(message);
        }

        return new PublishLogsResponse();
    }

    /// <summary>The addresses of the managers, given to agents for fail-over.</summary>
    public Func<IReadOnlyList<string>> Managers { get; set; } = () => [];

    public TimeSpan HeartbeatPeriod =>
        replicated.Store.View(tx => tx.All<Cluster>().FirstOrDefault())?.Spec.DispatcherHeartbeat ?? TimeSpan.FromSeconds(5);

    public override async Task Session(SessionRequest request, IServerStreamWriter<SessionMessage> responseStream, ServerCallContext context)
    {
        var identity = Authenticate(context);
        var sessionId = Guid.NewGuid().ToString("N");
        var now = time.GetUtcNow();
        var peer = context.GetHttpContext().Connection.RemoteIpAddress?.MapToIPv4().ToString() ?? "";
        var d = request.Description ?? new Proto.NodeDescription();
        await replicated.UpdateAsync(tx =>
        {
            var node = tx.Get<Node>(identity.NodeId)
                ?? throw new RpcException(new Grpc.Core.Status(StatusCode.NotFound, $"node {identity.NodeId} is not a member of this swarm (it was removed): leave and join again"));
            tx.Update(node with
            {
                Hostname = string.IsNullOrEmpty(d.Hostname) ? node.Hostname : d.Hostname,
                Os = string.IsNullOrEmpty(d.Os) ? node.Os : d.Os,
                Architecture = string.IsNullOrEmpty(d.Architecture) ? node.Architecture : d.Architecture,
                NanoCpus = d.NanoCpus,
                MemoryBytes = d.MemoryBytes,
                EngineVersion = d.EngineVersion,
                EngineLabels = d.EngineLabels.ToImmutableSortedDictionary(StringComparer.Ordinal),
                State = NodeState.Ready,
                Message = null,
                Addr = peer,
            });
        }, context.CancellationToken);
        _sessions[identity.NodeId] = new SessionState(sessionId, now);
        logger.LogInformation("node {Node} ({Host}) started session {Session}", identity.NodeId, d.Hostname, sessionId);

        var (initial, watch) = replicated.Store.ViewAndWatch(tx => Assignments(tx, identity.NodeId), e => e is CommitEvent or RestoreEvent);
        using (watch)
        {
            var last = Fingerprint(initial);
            await responseStream.WriteAsync(Message(sessionId, identity.NodeId, initial), context.CancellationToken);
            try
            {
                while (await watch.Events.WaitToReadAsync(context.CancellationToken))
                {
                    while (watch.Events.TryRead(out _))
                    {
                    }

                    if (!_sessions.TryGetValue(identity.NodeId, out var current) || current.Id != sessionId)
                    {
                        return; // superseded by a newer session of the same node
                    }

                    var next = replicated.Store.View(tx => Assignments(tx, identity.NodeId));
                    var fingerprint = Fingerprint(next);
                    if (fingerprint != last)
                    {
                        last = fingerprint;
                        await responseStream.WriteAsync(Message(sessionId, identity.NodeId, next), context.CancellationToken);
                    }
                }
            }
            catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
            {
            }
        }
    }

    public override Task<HeartbeatResponse> Heartbeat(HeartbeatRequest request, ServerCallContext context)
    {
        var identity = Authenticate(context);
        if (!_sessions.TryGetValue(identity.NodeId, out var session) || session.Id != request.SessionId)
        {
            throw new RpcException(new Grpc.Core.Status(StatusCode.NotFound, "session invalid: start a new one"));
        }

        session.LastHeartbeat = time.GetUtcNow();
        return Task.FromResult(new HeartbeatResponse { PeriodMs = (long)HeartbeatPeriod.TotalMilliseconds });
    }

    public override async Task<UpdateTaskStatusResponse> UpdateTaskStatus(UpdateTaskStatusRequest request, ServerCallContext context)
    {
        var identity = Authenticate(context);
        if (!_sessions.TryGetValue(identity.NodeId, out var session) || session.Id != request.SessionId)
        {
            throw new RpcException(new Grpc.Core.Status(StatusCode.NotFound, "session invalid: start a new one"));
        }

        await replicated.UpdateAsync(tx =>
        {
            foreach (var u in request.Updates)
            {
                if (tx.Get<SwarmTask>(u.TaskId) is not { } task || task.NodeId != identity.NodeId
                    || !WireConvert.TryParseTaskState(u.State, out var state))
                {
                    continue; // deleted meanwhile, or not this node's: ignore, as swarmkit does
                }

                // States only move forward (a late "running" never overwrites "shutdown").
                if (state < task.Status.State || (state == task.Status.State && u.Message == task.Status.Message && u.Err == (task.Status.Err ?? "")))
                {
                    continue;
                }

                tx.Update(task with
                {
                    Status = new Skiff.State.TaskStatus
                    {
                        State = state,
                        Message = u.Message,
                        Err = string.IsNullOrEmpty(u.Err) ? null : u.Err,
                        Timestamp = u.TimestampUnixMs > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(u.TimestampUnixMs) : time.GetUtcNow(),
                        ContainerId = string.IsNullOrEmpty(u.ContainerId) ? task.Status.ContainerId : u.ContainerId,
                        Pid = u.Pid,
                        ExitCode = u.ExitCode,
                        Ports = [.. u.Ports.Select(p => new TaskPort(p.Protocol, p.TargetPort, p.PublishedPort, p.PublishMode))],
                    },
                });
            }
        }, context.CancellationToken);
        return new UpdateTaskStatusResponse();
    }

    /// <summary>Called when this manager starts leading: every known node gets a full grace period from now.</summary>
    public void ResetHeartbeats()
    {
        _leaderSince = time.GetUtcNow();
        foreach (var s in _sessions.Values)
        {
            s.LastHeartbeat = _leaderSince;
        }
    }

    /// <summary>Marks nodes Down whose heartbeats stopped; runs on the leader until <paramref name="ct"/>.</summary>
    public async Task MonitorAsync(CancellationToken ct)
    {
        ResetHeartbeats();
        while (!ct.IsCancellationRequested)
        {
            var period = HeartbeatPeriod;
            try
            {
                await Task.Delay(period / 2, time, ct);
                await CheckHeartbeatsAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is SkiffException or Skiff.State.Raft.NotLeaderException)
            {
                logger.LogWarning("dispatcher: {Message}", ex.Message);
            }
        }
    }

    /// <summary>One check (public for tests with a fake clock).</summary>
    public async Task CheckHeartbeatsAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var deadline = HeartbeatPeriod * GraceMultiplier;
        var nodes = replicated.Store.View(tx => tx.All<Node>().Where(n => n.State != NodeState.Down).ToList());
        // A node with no session yet (this manager just started leading) gets extra time to find it.
        var expired = nodes.Where(n => _sessions.TryGetValue(n.Id, out var s)
            ? now - s.LastHeartbeat > deadline
            : now - _leaderSince > deadline + StartupGrace).ToList();
        if (expired.Count == 0)
        {
            return;
        }

        await replicated.UpdateAsync(tx =>
        {
            foreach (var n in expired)
            {
                if (tx.Get<Node>(n.Id) is { } current && current.State != NodeState.Down)
                {
                    logger.LogWarning("node {Node} ({Host}) missed its heartbeats (last {Age} ms ago): marked down", n.Id, n.Hostname,
                        (int)(now - (_sessions.TryGetValue(n.Id, out var s) ? s.LastHeartbeat : _leaderSince)).TotalMilliseconds);
                    tx.Update(current with { State = NodeState.Down, Message = "heartbeat failure" });
                }

                _sessions.TryRemove(n.Id, out _);
            }
        }, ct);
    }

    private NodeIdentity Authenticate(ServerCallContext context)
    {
        var certificate = context.GetHttpContext().Connection.ClientCertificate
            ?? throw new RpcException(new Grpc.Core.Status(StatusCode.Unauthenticated, "a node certificate is required"));
        try
        {
            return root.Validate(certificate);
        }
        catch (NodeCertificateException e)
        {
            throw new RpcException(new Grpc.Core.Status(StatusCode.PermissionDenied, e.Message));
        }
    }

    private static List<SwarmTask> Assignments(ReadTx tx, string nodeId) =>
        [.. tx.TasksByNode(nodeId).Where(t => t.Status.State >= TaskState.Assigned).OrderBy(t => t.Id, StringComparer.Ordinal)];

    /// <summary>Secrets and configs are immutable and referenced by id in a task's (immutable) spec, so the task
    /// versions already say when the files to send change.</summary>
    private static string Fingerprint(List<SwarmTask> tasks) =>
        string.Join(';', tasks.Select(t => $"{t.Id}:{t.DesiredState}:{t.Meta.Version}"));

    /// <summary>
    /// The secrets and configs the node needs, each once, with their data, as swarmkit's dispatcher sends them: only
    /// for tasks that should run (a task being shut down gets none). Read at send time, so the data is never held per
    /// task or per commit.
    /// </summary>
    private List<TaskFile> Files(List<SwarmTask> tasks)
    {
        var wanted = tasks.Where(t => t.DesiredState < TaskState.Shutdown && t.Spec?.ContainerSpec is not null)
            .SelectMany(t => (t.Spec!.ContainerSpec!.Secrets ?? []).Select(r => ("secret", r.SecretID))
                .Concat((t.Spec.ContainerSpec.Configs ?? []).Select(r => ("config", r.ConfigID))))
            .Distinct()
            .ToList();
        if (wanted.Count == 0)
        {
            return [];
        }

        return replicated.Store.View(tx => wanted
            .Select(w => w.Item1 == "secret"
                ? tx.Get<Secret>(w.Item2) is { } s ? new TaskFile { Kind = "secret", Id = s.Id, Data = Google.Protobuf.ByteString.CopyFrom(s.Spec.Data.AsSpan()) } : null
                : tx.Get<Config>(w.Item2) is { } c ? new TaskFile { Kind = "config", Id = c.Id, Data = Google.Protobuf.ByteString.CopyFrom(c.Spec.Data.AsSpan()) } : null)
            .OfType<TaskFile>()
            .ToList());
    }

    private SessionMessage Message(string sessionId, string nodeId, List<SwarmTask> tasks)
    {
        var m = new SessionMessage { SessionId = sessionId, NodeId = nodeId, HeartbeatPeriodMs = (long)HeartbeatPeriod.TotalMilliseconds };
        m.Managers.AddRange(Managers());
        foreach (var t in tasks)
        {
            var a = new Assignment
            {
                TaskId = t.Id,
                ServiceId = t.ServiceId,
                ServiceName = t.ServiceName,
                Slot = t.Slot,
                DesiredState = WireConvert.Name(t.DesiredState),
                ObservedState = WireConvert.Name(t.Status.State),
                SpecJson = JsonSerializer.Serialize(t.Spec ?? new TaskSpecWire(), SkiffJson.Default.TaskSpecWire),
            };
            a.Ports.AddRange(t.EndpointPorts.Select(p => new Port { Protocol = p.Protocol, TargetPort = p.TargetPort, PublishedPort = p.PublishedPort, PublishMode = p.PublishMode }));
            m.Tasks.Add(a);
        }

        m.Files.AddRange(Files(tasks));
        return m;
    }
}

/// <summary>Join and renewal (swarmkit <c>ca/server.go</c>): root certificate, tokens for certificates.</summary>
public sealed class CaService(IReplicatedStore replicated, RootCa root, TimeProvider time, ILogger logger) : Proto.Ca.CaBase
{
    public Func<IReadOnlyList<string>> Managers { get; set; } = () => [];

    public override Task<RootCertificateResponse> GetRootCertificate(RootCertificateRequest request, ServerCallContext context) =>
        Task.FromResult(new RootCertificateResponse { CertificateDer = Google.Protobuf.ByteString.CopyFrom(root.Certificate.RawData) });

    public override async Task<IssueNodeCertificateResponse> IssueNodeCertificate(IssueNodeCertificateRequest request, ServerCallContext context)
    {
        var cluster = replicated.Store.View(tx => tx.All<Cluster>().First());
        var tokens = new JoinTokens(JoinToken.Parse(cluster.WorkerJoinToken), JoinToken.Parse(cluster.ManagerJoinToken));
        var role = tokens.RoleFor(request.Token)
            ?? throw new RpcException(new Grpc.Core.Status(StatusCode.InvalidArgument, "A valid join token is necessary to join this cluster"));
        if (role == NodeRole.Manager)
        {
            throw new RpcException(new Grpc.Core.Status(StatusCode.Unimplemented,
                "joining as a manager is not supported by skiffd yet (this swarm runs one manager); join with the worker token"));
        }

        var availability = request.Availability switch
        {
            "" or "active" => NodeAvailability.Active,
            "pause" => NodeAvailability.Pause,
            "drain" => NodeAvailability.Drain,
            var a => throw new RpcException(new Grpc.Core.Status(StatusCode.InvalidArgument, $"invalid availability {a}")),
        };
        var nodeId = SwarmIds.New();
        X509Certificate2 issued;
        try
        {
            issued = root.IssueNodeCertificateFromCsr(request.CsrPem, nodeId, role, cluster.Id, cluster.Spec.NodeCertExpiry, time.GetUtcNow());
        }
        catch (NodeCertificateException e)
        {
            throw new RpcException(new Grpc.Core.Status(StatusCode.InvalidArgument, e.Message));
        }

        using (issued)
        {
            await replicated.UpdateAsync(tx => tx.Create(new Node
            {
                Id = nodeId,
                Hostname = request.Hostname,
                Spec = new Skiff.State.NodeSpec { Role = role, Availability = availability },
                ObservedRole = role,
                State = NodeState.Unknown,
            }), context.CancellationToken);
            logger.LogInformation("node {Node} ({Host}) joined as {Role}", nodeId, request.Hostname, role);
            var response = new IssueNodeCertificateResponse { NodeId = nodeId, CertificatePem = issued.ExportCertificatePem(), Role = WireConvert.Name(role) };
            response.Managers.AddRange(Managers());
            return response;
        }
    }

    public override Task<IssueNodeCertificateResponse> RenewNodeCertificate(RenewNodeCertificateRequest request, ServerCallContext context)
    {
        var certificate = context.GetHttpContext().Connection.ClientCertificate
            ?? throw new RpcException(new Grpc.Core.Status(StatusCode.Unauthenticated, "renewal needs the node's current certificate"));
        NodeIdentity identity;
        try
        {
            identity = root.Validate(certificate);
        }
        catch (NodeCertificateException e)
        {
            throw new RpcException(new Grpc.Core.Status(StatusCode.PermissionDenied, e.Message));
        }

        var (cluster, node) = replicated.Store.View(tx => (tx.All<Cluster>().First(), tx.Get<Node>(identity.NodeId)));
        if (node is null)
        {
            throw new RpcException(new Grpc.Core.Status(StatusCode.NotFound, $"node {identity.NodeId} was removed from the swarm"));
        }

        using var issued = root.IssueNodeCertificateFromCsr(request.CsrPem, identity.NodeId, node.Spec.Role, cluster.Id, cluster.Spec.NodeCertExpiry, time.GetUtcNow());
        var response = new IssueNodeCertificateResponse { NodeId = identity.NodeId, CertificatePem = issued.ExportCertificatePem(), Role = WireConvert.Name(node.Spec.Role) };
        response.Managers.AddRange(Managers());
        return Task.FromResult(response);
    }
}
