using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using Skiff.Api;
using Skiff.Manager.ControlApi;
using Skiff.Manager.Scheduling;
using Skiff.Manager.Security;
using Skiff.State;

namespace Skiff.Manager.Orchestration;

/// <summary>
/// The leader's control loop: on every store change (and on a short timer for delays) it reads one
/// snapshot, asks the pure deciders (reconcilers, restart and update supervisors, scheduler, task
/// reaper) what to do, and commits their decisions in one proposal. State that only the leader
/// needs (restart history, rolling update runs) is kept here; a new leader rebuilds it from the
/// store as swarmkit does (an update in progress restarts from its remaining dirty slots).
/// </summary>
public sealed class Orchestrator(IReplicatedStore replicated, TimeProvider time, ILogger logger)
{
    public const string PendingMessage = "pending task scheduling";
    public const string AssignedMessage = "scheduler assigned task to node";

    private static readonly TimeSpan IdleTick = TimeSpan.FromMilliseconds(250);

    private readonly Dictionary<(string Service, int Slot, string Node, ulong SpecVersion), List<DateTimeOffset>> _restarts = [];
    private readonly Dictionary<string, ActiveUpdate> _updates = new(StringComparer.Ordinal);

    private sealed record ActiveUpdate(ulong SpecVersion, UpdateRun Run);

    /// <summary>Runs until <paramref name="ct"/> (the leadership token) is cancelled.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        using var watch = replicated.Store.Watch(e => e is CommitEvent or RestoreEvent);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await TickAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is SkiffException or Skiff.State.Raft.NotLeaderException)
            {
                logger.LogWarning("orchestrator: {Message}", ex.Message);
            }

            // Wake on the next commit or after a short tick (restart delays, update delays, monitors).
            using var tick = CancellationTokenSource.CreateLinkedTokenSource(ct);
            tick.CancelAfter(IdleTick);
            try
            {
                await watch.Events.WaitToReadAsync(tick.Token);
                while (watch.Events.TryRead(out _))
                {
                }
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
            }
        }
    }

    /// <summary>One pass: decide from a snapshot, commit the decisions. Public for tests (fake clock).</summary>
    public async Task TickAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var snapshot = replicated.Store.View(tx => new Snapshot(
            tx.All<Cluster>().FirstOrDefault(),
            tx.All<Node>().ToList(),
            tx.All<Service>().ToList(),
            tx.All<SwarmTask>().ToList()));
        var writes = new List<Action<WriteTx>>();
        var tasksByService = snapshot.Tasks.ToLookup(t => t.ServiceId);
        var nodesById = snapshot.Nodes.ToDictionary(n => n.Id);
        var nodeLites = snapshot.Nodes.Select(ToLite).ToList();

        foreach (var service in snapshot.Services)
        {
            var tasks = tasksByService[service.Id].ToList();
            Restart(service, tasks, nodesById, now, writes);
            Promote(tasks, nodesById, now, writes);
            Reconcile(service, tasks, snapshot.Nodes, nodeLites, now, writes);
            Update(service, tasks, nodesById, now, writes);
        }

        // Tasks of deleted services, and tasks marked for removal, go once stopped.
        var limit = snapshot.Cluster?.Spec.TaskHistoryRetentionLimit ?? TaskReaper.DefaultRetentionLimit;
        foreach (var group in tasksByService)
        {
            var serviceGone = snapshot.Services.All(s => s.Id != group.Key);
            foreach (var id in TaskReaper.Plan(group.Select(ToLite).ToList(), limit))
            {
                writes.Add(tx => DeleteIfPresent(tx, id));
            }

            foreach (var t in group.Where(t => t.DesiredState == TaskState.Remove && IsGone(t, nodesById)))
            {
                writes.Add(tx => DeleteIfPresent(tx, t.Id));
            }

            if (serviceGone)
            {
                foreach (var t in group.Where(t => t.DesiredState != TaskState.Remove))
                {
                    writes.Add(tx => Change(tx, t.Id, x => x with { DesiredState = TaskState.Remove }));
                }
            }
        }

        Schedule(snapshot, now, writes);
        if (writes.Count > 0)
        {
            await replicated.UpdateAsync(tx =>
            {
                foreach (var w in writes)
                {
                    w(tx);
                }
            }, ct);
        }
    }

    /// <summary>
    /// swarmkit's IsTaskDirty: the task was made from another TaskTemplate or endpoint than the
    /// service's current one. A placement-only change leaves a task alone if its node still fits.
    /// </summary>
    public static bool IsDirty(Service service, SwarmTask task, Node? node)
    {
        if (task.SpecVersion == service.SpecVersion)
        {
            return false;
        }

        if (!task.EndpointPorts.SequenceEqual(WireConvert.PortsOf(service.Spec)))
        {
            return true;
        }

        var current = service.Spec.TaskTemplate;
        var mine = task.Spec ?? new TaskSpecWire();
        if (WireCopy.Canonical(current) == WireCopy.Canonical(mine))
        {
            return false;
        }

        var a = current.Clone();
        var b = mine.Clone();
        a.Placement = null;
        b.Placement = null;
        if (WireCopy.Canonical(a) != WireCopy.Canonical(b) || node is null)
        {
            return true;
        }

        var constraints = current.Placement?.Constraints ?? [];
        return !constraints.All(c => Constraint.TryParse(c, out var parsed, out _) && parsed.Matches(NodeInfoOf(node)));
    }

    // ---- restart ----

    private void Restart(Service service, List<SwarmTask> tasks, Dictionary<string, Node> nodes, DateTimeOffset now, List<Action<WriteTx>> writes)
    {
        var policy = RestartPolicyOf(service.Spec);
        foreach (var t in tasks.Where(t => t.DesiredState <= TaskState.Running && TaskLifecycle.IsTerminal(t.Status.State)))
        {
            if (service.Mode is ServiceMode.ReplicatedJob or ServiceMode.GlobalJob && t.Status.State == TaskState.Complete)
            {
                // A job's task that completed is done for good.
                writes.Add(tx => Change(tx, t.Id, x => x with { DesiredState = TaskState.Complete }));
                continue;
            }

            var key = (service.Id, t.Slot, t.Slot == 0 ? t.NodeId ?? "" : "", service.SpecVersion);
            var history = _restarts.TryGetValue(key, out var h) ? h : _restarts[key] = [];
            var drained = t.NodeId is not null && nodes.TryGetValue(t.NodeId, out var n) && n.Spec.Availability == NodeAvailability.Drain;
            var decision = RestartSupervisor.Decide(policy, history, ToLite(t), now, drained);
            if (decision.Verdict != RestartVerdict.Restart)
            {
                continue;
            }

            history.Add(now);
            var replacement = NewTask(service, t.Slot, service.Mode is ServiceMode.Global or ServiceMode.GlobalJob ? t.NodeId : null, now)
                with { DesiredState = TaskState.Ready, StartAfter = decision.StartAt };
            writes.Add(tx =>
            {
                Change(tx, t.Id, x => x with { DesiredState = TaskState.Shutdown });
                tx.Create(replacement);
            });
        }
    }

    /// <summary>A task waiting as desired Ready may run once its delay passed and its slot's older task stopped (stop-first).</summary>
    private static void Promote(List<SwarmTask> tasks, Dictionary<string, Node> nodes, DateTimeOffset now, List<Action<WriteTx>> writes)
    {
        foreach (var t in tasks.Where(t => t.DesiredState == TaskState.Ready && !TaskLifecycle.IsTerminal(t.Status.State)))
        {
            if (t.StartAfter is { } after && after > now)
            {
                continue;
            }

            var blocked = tasks.Any(o => o.Id != t.Id && SameSlot(o, t) && o.Meta.CreatedAt <= t.Meta.CreatedAt
                && o.NodeId is not null && !TaskLifecycle.IsTerminal(o.Status.State) && o.Status.State > TaskState.Assigned
                && o.DesiredState > TaskState.Running
                && nodes.TryGetValue(o.NodeId, out var node) && node.State != NodeState.Down);
            if (!blocked)
            {
                writes.Add(tx => Change(tx, t.Id, x => x.DesiredState == TaskState.Ready ? x with { DesiredState = TaskState.Running } : x));
            }
        }
    }

    private static bool SameSlot(SwarmTask a, SwarmTask b) =>
        a.ServiceId == b.ServiceId && (a.Slot > 0 ? a.Slot == b.Slot : b.Slot == 0 && a.NodeId == b.NodeId);

    // ---- replicas ----

    private static void Reconcile(Service service, List<SwarmTask> tasks, List<Node> nodes, List<NodeLite> nodeLites, DateTimeOffset now, List<Action<WriteTx>> writes)
    {
        ReconcilePlan plan;
        switch (service.Mode)
        {
            case ServiceMode.Replicated:
                plan = ReplicatedReconciler.Plan(new ReplicatedServiceLite(service.Id, service.Replicas, (long)service.SpecVersion), tasks.Select(ToLite).ToList(), nodeLites, now);
                break;
            case ServiceMode.ReplicatedJob:
                {
                    var job = service.Spec.Mode!.ReplicatedJob!;
                    var completed = tasks.Count(t => t.Status.State == TaskState.Complete);
                    var active = tasks.Count(t => t.DesiredState <= TaskState.Running && !TaskLifecycle.IsTerminal(t.Status.State));
                    var wanted = (int)Math.Min((ulong)Math.Max(0, (long)(job.TotalCompletions ?? 1) - completed), job.MaxConcurrent ?? 1) - active;
                    var used = tasks.Select(t => t.Slot).ToHashSet();
                    var creates = new List<TaskCreate>();
                    for (var slot = 1; creates.Count < wanted; slot++)
                    {
                        if (!used.Contains(slot))
                        {
                            creates.Add(new TaskCreate(slot, null, null));
                        }
                    }

                    plan = new ReconcilePlan(creates, [], now);
                    break;
                }

            default:
                {
                    var constraints = service.Spec.TaskTemplate.Placement?.Constraints ?? [];
                    var parsed = constraints.Select(c => Constraint.TryParse(c, out var x, out _) ? x : null).ToList();
                    var byId = nodes.ToDictionary(n => n.Id);
                    bool Fits(NodeLite n) => parsed.All(c => c is not null && byId.TryGetValue(n.Id, out var node) && c.Matches(NodeInfoOf(node)));
                    var lites = tasks.Select(ToLite).ToList();
                    if (service.Mode == ServiceMode.GlobalJob)
                    {
                        // A node that ran the job (to completion) does not get another task.
                        lites = [.. lites.Select(t => t.ObservedState == TaskState.Complete ? t with { DesiredState = TaskState.Running } : t)];
                    }

                    plan = GlobalReconciler.Plan(lites, nodeLites, Fits, now);
                    break;
                }
        }

        foreach (var s in plan.Shutdowns)
        {
            writes.Add(tx => Change(tx, s.TaskId, x => x.DesiredState < s.DesiredState ? x with { DesiredState = s.DesiredState } : x));
        }

        foreach (var c in plan.Creates)
        {
            var task = NewTask(service, c.Slot, c.NodeId, now);
            writes.Add(tx => tx.Create(task));
        }
    }

    // ---- rolling updates ----

    private void Update(Service service, List<SwarmTask> tasks, Dictionary<string, Node> nodes, DateTimeOffset now, List<Action<WriteTx>> writes)
    {
        if (service.Mode is ServiceMode.ReplicatedJob or ServiceMode.GlobalJob)
        {
            return;
        }

        var status = service.UpdateStatus;
        if (status?.State is "paused" or "rollback_paused" or "completed" or "rollback_completed")
        {
            _updates.Remove(service.Id);
            return;
        }

        var runnable = tasks.Where(t => t.DesiredState <= TaskState.Running).ToList();
        if (!_updates.TryGetValue(service.Id, out var active) || active.SpecVersion != service.SpecVersion)
        {
            var dirtySlots = runnable
                .Where(t => IsDirty(service, t, t.NodeId is null ? null : nodes.GetValueOrDefault(t.NodeId)))
                .Select(SlotKey)
                .Distinct()
                .Order()
                .ToList();
            if (dirtySlots.Count == 0)
            {
                _updates.Remove(service.Id);
                if (status?.State is "updating" or "rollback_started")
                {
                    var done = status.State == "updating" ? UpdateSupervisor.UpdateCompleted : UpdateSupervisor.RollbackCompleted;
                    var state = status.State == "updating" ? "completed" : "rollback_completed";
                    writes.Add(tx => ChangeService(tx, service.Id, s => s with { UpdateStatus = new ServiceUpdateStatus { State = state, StartedAt = status.StartedAt, CompletedAt = now, Message = done } }));
                }

                return;
            }

            var rollback = status?.State == "rollback_started";
            var run = rollback
                ? UpdateSupervisor.StartRollback(dirtySlots, UpdateConfigOf(service.Spec.RollbackConfig), now, status!.Message)
                : UpdateSupervisor.Start(dirtySlots, UpdateConfigOf(service.Spec.UpdateConfig), now);
            active = new ActiveUpdate(service.SpecVersion, run);
            _updates[service.Id] = active;
            if (!rollback)
            {
                writes.Add(tx => ChangeService(tx, service.Id, s => s with { UpdateStatus = new ServiceUpdateStatus { State = "updating", StartedAt = now, Message = UpdateSupervisor.UpdateInProgress } }));
            }
        }

        // Observe the new task of every started slot. Each step may start a batch: keep them all.
        var current = active.Run;
        var batch = new List<int>();
        foreach (var (slot, progress) in current.Started)
        {
            var fresh = tasks.Where(t => SlotKey(t) == slot && t.SpecVersion == service.SpecVersion).OrderByDescending(t => t.Meta.CreatedAt).FirstOrDefault();
            if (fresh is null)
            {
                continue;
            }

            UpdateObservation? observation = fresh.Status.State == TaskState.Running
                ? new TaskRunningObservation(slot, fresh.Id)
                : TaskLifecycle.IsTerminal(fresh.Status.State) ? new TaskFailedObservation(slot, fresh.Id) : null;
            if (observation is not null)
            {
                var observed = UpdateSupervisor.Next(current, observation, now);
                current = observed.State;
                batch.AddRange(observed.Batch);
            }
        }

        var step = UpdateSupervisor.Next(current, null, now);
        current = step.State;
        batch.AddRange(step.Batch);
        _updates[service.Id] = active with { Run = current };
        var order = current.Config.Order;
        foreach (var slot in batch)
        {
            var old = runnable.Where(t => SlotKey(t) == slot && t.SpecVersion != service.SpecVersion).ToList();
            var nodeId = service.Mode == ServiceMode.Global ? old.FirstOrDefault()?.NodeId : null;
            var fresh = NewTask(service, service.Mode == ServiceMode.Global ? 0 : slot, nodeId, now)
                with { DesiredState = order == UpdateOrder.StopFirst && old.Count > 0 ? TaskState.Ready : TaskState.Running };
            writes.Add(tx =>
            {
                if (order == UpdateOrder.StopFirst)
                {
                    foreach (var o in old)
                    {
                        Change(tx, o.Id, x => x.DesiredState < TaskState.Shutdown ? x with { DesiredState = TaskState.Shutdown } : x);
                    }
                }

                tx.Create(fresh);
            });
        }

        if (order == UpdateOrder.StartFirst)
        {
            // Start-first: an old task goes once its slot's new task runs.
            foreach (var slot in current.Started.Where(kv => kv.Value.RunningSince is not null).Select(kv => kv.Key))
            {
                foreach (var o in runnable.Where(t => SlotKey(t) == slot && t.SpecVersion != service.SpecVersion))
                {
                    writes.Add(tx => Change(tx, o.Id, x => x.DesiredState < TaskState.Shutdown ? x with { DesiredState = TaskState.Shutdown } : x));
                }
            }
        }

        if (current.RollbackRequested && service.PreviousSpec is not null)
        {
            _updates.Remove(service.Id);
            var message = current.Status.Message;
            writes.Add(tx => ChangeService(tx, service.Id, s => s with
            {
                Spec = s.PreviousSpec ?? s.Spec,
                PreviousSpec = s.Spec,
                SpecVersion = s.SpecVersion + 1,
                UpdateStatus = new ServiceUpdateStatus { State = "rollback_started", StartedAt = now, Message = message },
            }));
            return;
        }

        if (current.Status != active.Run.Status)
        {
            var st = current.Status;
            var wire = new ServiceUpdateStatus
            {
                State = st.State switch
                {
                    UpdateState.Updating => "updating",
                    UpdateState.Paused => "paused",
                    UpdateState.Completed => "completed",
                    UpdateState.RollbackStarted => "rollback_started",
                    UpdateState.RollbackPaused => "rollback_paused",
                    _ => "rollback_completed",
                },
                StartedAt = st.StartedAt,
                CompletedAt = st.CompletedAt,
                Message = st.Message,
            };
            writes.Add(tx => ChangeService(tx, service.Id, s => s.SpecVersion == service.SpecVersion ? s with { UpdateStatus = wire } : s));
        }
    }

    private static int SlotKey(SwarmTask t) => t.Slot > 0 ? t.Slot : StableNodeSlot(t.NodeId);

    /// <summary>Global tasks have no slot; the update supervisor works on ints, so nodes get a stable one.</summary>
    private static int StableNodeSlot(string? nodeId)
    {
        var hash = 17;
        foreach (var ch in nodeId ?? "")
        {
            hash = unchecked((hash * 31) + ch);
        }

        return -Math.Abs(hash == int.MinValue ? 1 : hash) - 1;
    }

    // ---- scheduling ----

    private static void Schedule(Snapshot snapshot, DateTimeOffset now, List<Action<WriteTx>> writes)
    {
        var pending = snapshot.Tasks.Where(t => t.Status.State == TaskState.Pending && t.DesiredState <= TaskState.Running && string.IsNullOrEmpty(t.NodeId)).ToList();
        var globalPending = snapshot.Tasks.Where(t => t.Status.State == TaskState.Pending && t.DesiredState <= TaskState.Running && !string.IsNullOrEmpty(t.NodeId)).ToList();
        foreach (var t in globalPending)
        {
            // Global tasks come with their node: they only need the state change.
            writes.Add(tx => Change(tx, t.Id, x => x.Status.State == TaskState.Pending
                ? x with { Status = x.Status with { State = TaskState.Assigned, Message = AssignedMessage, Err = null, Timestamp = now } }
                : x));
        }

        if (pending.Count == 0)
        {
            return;
        }

        var active = snapshot.Tasks.Where(t => t.NodeId is { Length: > 0 } && t.DesiredState <= TaskState.Running && !TaskLifecycle.IsTerminal(t.Status.State)).ToList();
        var nodes = snapshot.Nodes.Select(n =>
        {
            var mine = active.Where(t => t.NodeId == n.Id).ToList();
            return NodeInfoOf(n) with
            {
                Reserved = mine.Aggregate(default(Resources), (acc, t) => acc + ReservationOf(t.Spec)),
                HostPortsInUse = mine.SelectMany(t => t.EndpointPorts.Where(p => p.PublishMode == "host" && p.PublishedPort > 0)
                    .Select(p => new HostPort(ProtocolOf(p.Protocol), (int)p.PublishedPort))).ToHashSet(),
                TasksByService = mine.GroupBy(t => t.ServiceId).ToDictionary(g => g.Key, g => g.Count()),
                TotalTasks = mine.Count,
                RecentFailures = snapshot.Tasks
                    .Where(t => t.NodeId == n.Id && t.Status.State is TaskState.Failed or TaskState.Rejected && now - t.Status.Timestamp < Scheduler.FailureWindow)
                    .Select(t => new TaskFailure(t.ServiceId, (long)t.SpecVersion, t.Status.Timestamp))
                    .ToList(),
            };
        }).ToList();
        var requests = pending.OrderBy(t => t.Meta.CreatedAt).ThenBy(t => t.Id, StringComparer.Ordinal).Select(t => new TaskRequest
        {
            TaskId = t.Id,
            ServiceId = t.ServiceId,
            SpecVersion = (long)t.SpecVersion,
            Reservations = ReservationOf(t.Spec),
            Constraints = t.Spec?.Placement?.Constraints ?? [],
            Preferences = (t.Spec?.Placement?.Preferences ?? []).Where(p => p.Spread is not null).Select(p => "spread=" + p.Spread!.SpreadDescriptor).ToList(),
            HostPorts = t.EndpointPorts.Where(p => p.PublishMode == "host" && p.PublishedPort > 0).Select(p => new HostPort(ProtocolOf(p.Protocol), (int)p.PublishedPort)).ToList(),
            MaxReplicasPerNode = (int)Math.Min(int.MaxValue, t.Spec?.Placement?.MaxReplicas ?? 0),
        }).ToList();
        var plan = Scheduler.Schedule(nodes, requests, now);
        foreach (var a in plan.Assignments)
        {
            writes.Add(tx => Change(tx, a.TaskId, x => x.Status.State == TaskState.Pending && string.IsNullOrEmpty(x.NodeId)
                ? x with { NodeId = a.NodeId, Status = x.Status with { State = TaskState.Assigned, Message = AssignedMessage, Err = null, Timestamp = now } }
                : x));
        }

        foreach (var u in plan.Unassigned)
        {
            writes.Add(tx => Change(tx, u.TaskId, x => x.Status.Err == u.Explanation ? x : x with { Status = x.Status with { Err = u.Explanation } }));
        }
    }

    // ---- adapters ----

    private static SwarmTask NewTask(Service service, int slot, string? nodeId, DateTimeOffset now) => new()
    {
        Id = SwarmIds.New(),
        ServiceId = service.Id,
        ServiceName = service.Spec.Name,
        Slot = service.Mode is ServiceMode.Global or ServiceMode.GlobalJob ? 0 : slot,
        NodeId = nodeId,
        DesiredState = TaskState.Running,
        Spec = service.Spec.TaskTemplate.Clone(),
        EndpointPorts = WireConvert.PortsOf(service.Spec),
        SpecVersion = service.SpecVersion,
        Status = new Skiff.State.TaskStatus { State = TaskState.Pending, Message = PendingMessage, Timestamp = now },
    };

    internal static NodeInfo NodeInfoOf(Node n) => new()
    {
        Id = n.Id,
        Hostname = n.Hostname,
        Role = n.Spec.Role,
        Availability = n.Spec.Availability,
        State = n.State,
        Platform = new Platform(n.Os, n.Architecture),
        Labels = n.Spec.Labels,
        EngineLabels = n.EngineLabels,
        Resources = new Resources(n.NanoCpus, n.MemoryBytes),
    };

    private static Resources ReservationOf(TaskSpecWire? spec) =>
        spec?.Resources?.Reservations is { } r ? new Resources(r.NanoCPUs, r.MemoryBytes) : default;

    private static PortProtocol ProtocolOf(string p) => p switch
    {
        "udp" => PortProtocol.Udp,
        "sctp" => PortProtocol.Sctp,
        _ => PortProtocol.Tcp,
    };

    private static TaskLite ToLite(SwarmTask t) => new()
    {
        Id = t.Id,
        Slot = t.Slot,
        NodeId = t.NodeId,
        DesiredState = t.DesiredState,
        ObservedState = t.Status.State,
        SpecVersion = (long)t.SpecVersion,
        CreatedAt = t.Meta.CreatedAt,
        StatusTimestamp = t.Status.Timestamp,
    };

    private static NodeLite ToLite(Node n) => new()
    {
        Id = n.Id,
        State = n.State,
        Availability = n.Spec.Availability,
        Labels = n.Spec.Labels,
    };

    public static RestartPolicyLite RestartPolicyOf(ServiceSpecWire spec)
    {
        var rp = spec.TaskTemplate.RestartPolicy;
        return new RestartPolicyLite
        {
            Condition = rp?.Condition switch
            {
                "none" => RestartCondition.None,
                "on-failure" => RestartCondition.OnFailure,
                _ => RestartCondition.Any,
            },
            Delay = rp?.Delay is { } d ? TimeSpan.FromTicks(d / 100) : null,
            MaxAttempts = rp?.MaxAttempts ?? 0,
            Window = rp?.Window is { } w ? TimeSpan.FromTicks(w / 100) : TimeSpan.Zero,
        };
    }

    public static UpdateConfigLite UpdateConfigOf(UpdateConfigWire? u) => u is null
        ? new UpdateConfigLite()
        : new UpdateConfigLite
        {
            Parallelism = (int)Math.Min(int.MaxValue, u.Parallelism),
            Delay = TimeSpan.FromTicks(u.Delay / 100),
            FailureAction = u.FailureAction switch
            {
                "continue" => UpdateFailureAction.Continue,
                "rollback" => UpdateFailureAction.Rollback,
                _ => UpdateFailureAction.Pause,
            },
            Monitor = u.Monitor == 0 ? TimeSpan.FromSeconds(5) : TimeSpan.FromTicks(u.Monitor / 100),
            MaxFailureRatio = u.MaxFailureRatio,
            Order = u.Order == "start-first" ? UpdateOrder.StartFirst : UpdateOrder.StopFirst,
        };

    private static bool IsGone(SwarmTask t, Dictionary<string, Node> nodes) =>
        TaskLifecycle.IsTerminal(t.Status.State) || t.Status.State < TaskState.Assigned || string.IsNullOrEmpty(t.NodeId)
        || !nodes.TryGetValue(t.NodeId, out var n) || n.State == NodeState.Down;

    private static void DeleteIfPresent(WriteTx tx, string id)
    {
        if (tx.Get<SwarmTask>(id) is not null)
        {
            tx.Delete<SwarmTask>(id);
        }
    }

    /// <summary>Applies <paramref name="change"/> to the task as it is now in the transaction (earlier writes of this pass included).</summary>
    private static void Change(WriteTx tx, string id, Func<SwarmTask, SwarmTask> change)
    {
        if (tx.Get<SwarmTask>(id) is { } t)
        {
            var next = change(t);
            if (!ReferenceEquals(next, t) && next != t)
            {
                tx.Update(next);
            }
        }
    }

    private static void ChangeService(WriteTx tx, string id, Func<Service, Service> change)
    {
        if (tx.Get<Service>(id) is { } s)
        {
            var next = change(s);
            if (!ReferenceEquals(next, s))
            {
                tx.Update(next);
            }
        }
    }

    private sealed record Snapshot(Cluster? Cluster, List<Node> Nodes, List<Service> Services, List<SwarmTask> Tasks);
}
