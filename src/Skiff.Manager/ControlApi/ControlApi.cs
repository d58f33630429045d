using System.Collections.Immutable;
using Skiff.Api;
using Skiff.Manager.Security;
using Skiff.State;

namespace Skiff.Manager.ControlApi;

/// <summary>
/// The manager's validated reads and writes of swarm objects (swarmkit <c>manager/controlapi</c>),
/// in Engine API shapes. Every write is one proposal; stale versions are refused with Docker's
/// text; lookups accept an id, a name or a unique id prefix as dockerd does.
/// </summary>
public sealed partial class ControlApi(IReplicatedStore replicated, Func<string?> leaderNodeId, TimeProvider time)
{
    private MemoryStore Store => replicated.Store;

    // ---- swarm ----

    public Cluster Cluster() => Store.View(tx => tx.All<Cluster>().FirstOrDefault())
        ?? throw new SkiffException(503, "the swarm has no cluster object yet: the manager is still starting");

    public SwarmInspect InspectSwarm() => WireConvert.Swarm(Cluster(), withTokens: true);

    public async Task UpdateSwarmAsync(ulong version, SwarmSpec spec, bool rotateWorker, bool rotateManager, CancellationToken ct)
    {
        var cluster = Cluster();
        var next = cluster.Spec;
        if (spec.Orchestration?.TaskHistoryRetentionLimit is { } limit)
        {
            next = next with { TaskHistoryRetentionLimit = (int)Math.Clamp(limit, -1, int.MaxValue) };
        }

        if (spec.Dispatcher?.HeartbeatPeriod is { } hb)
        {
            if (hb < 0)
            {
                throw SpecDefaults.Invalid("heartbeat period cannot be negative");
            }

            next = next with { DispatcherHeartbeat = hb == 0 ? TimeSpan.FromSeconds(5) : TimeSpan.FromTicks(hb / 100) };
        }

        if (spec.CAConfig?.NodeCertExpiry is { } expiry && expiry != 0)
        {
            var value = TimeSpan.FromTicks(expiry / 100);
            if (value < TimeSpan.FromHours(1))
            {
                throw SpecDefaults.Invalid("minimum certificate expiry time is 1h0m0s");
            }

            next = next with { NodeCertExpiry = value };
        }

        if (spec.EncryptionConfig?.AutoLockManagers == true)
        {
            throw SpecDefaults.Invalid("autolock is not supported by skiffd yet");
        }

        next = next with { Labels = spec.Labels is null ? next.Labels : spec.Labels.ToImmutableSortedDictionary() };
        var updated = cluster with { Spec = next, Meta = cluster.Meta with { Version = version } };
        if (rotateWorker || rotateManager)
        {
            var tokens = new JoinTokens(JoinToken.Parse(cluster.WorkerJoinToken), JoinToken.Parse(cluster.ManagerJoinToken));
            tokens = rotateWorker ? tokens.Rotate(NodeRole.Worker) : tokens;
            tokens = rotateManager ? tokens.Rotate(NodeRole.Manager) : tokens;
            updated = updated with { WorkerJoinToken = tokens.Worker.ToString(), ManagerJoinToken = tokens.Manager.ToString() };
        }

        await WriteAsync(tx => tx.Update(updated), ct);
    }

    // ---- nodes ----

    public IReadOnlyList<NodeWire> ListNodes(Dictionary<string, Dictionary<string, bool>> filters)
    {
        var f = new FilterSet(filters, "id", "name", "label", "role", "membership", "node.label");
        var tls = WireConvert.TlsInfo(Cluster().RootCaCertificatePem);
        var leader = leaderNodeId();
        return Store.View(tx => tx.All<Node>())
            .Where(n => f.Prefix("id", n.Id) && f.Prefix("name", n.Name)
                && f.Exact("role", WireConvert.Name(n.Spec.Role)) && f.Exact("membership", "accepted")
                && f.Labels("label", n.EngineLabels) && f.Labels("node.label", n.Spec.Labels))
            .Select(n => WireConvert.Node(n, leader, tls))
            .ToList();
    }

    public Node GetNode(string idOrName) => Store.View(tx => Resolve(tx, idOrName, tx.All<Node>(), n => n.Name, "node"));

    public NodeWire InspectNode(string idOrName) =>
        WireConvert.Node(GetNode(idOrName), leaderNodeId(), WireConvert.TlsInfo(Cluster().RootCaCertificatePem));

    public async Task UpdateNodeAsync(string idOrName, ulong version, NodeSpecWire spec, CancellationToken ct)
    {
        var node = GetNode(idOrName);
        var role = spec.Role switch
        {
            null or "" => node.Spec.Role,
            "worker" => NodeRole.Worker,
            "manager" => NodeRole.Manager,
            var r => throw SpecDefaults.Invalid($"invalid role {r}: must be worker or manager"),
        };
        var availability = spec.Availability switch
        {
            null or "" => node.Spec.Availability,
            "active" => NodeAvailability.Active,
            "pause" => NodeAvailability.Pause,
            "drain" => NodeAvailability.Drain,
            var a => throw SpecDefaults.Invalid($"invalid availability {a}: must be active, pause or drain"),
        };
        if (role != node.Spec.Role)
        {
            // Promotion needs a second Raft member and demotion a quorum check: the HA work. Refuse
            // rather than pretend.
            throw new SkiffException(400, role == NodeRole.Manager
                ? $"rpc error: code = Unimplemented desc = promoting node {node.Id} to manager is not supported by skiffd yet: this swarm runs one manager"
                : $"rpc error: code = FailedPrecondition desc = attempting to demote the last manager of the swarm");
        }

        var updated = node with
        {
            Meta = node.Meta with { Version = version },
            Spec = node.Spec with
            {
                Name = string.IsNullOrEmpty(spec.Name) ? null : spec.Name,
                Labels = (spec.Labels ?? []).ToImmutableSortedDictionary(StringComparer.Ordinal),
                Role = role,
                Availability = availability,
            },
        };
        await WriteAsync(tx => tx.Update(updated), ct);
    }

    public async Task RemoveNodeAsync(string idOrName, bool force, CancellationToken ct)
    {
        var node = GetNode(idOrName);
        if (node.Spec.Role == NodeRole.Manager || node.ObservedRole == NodeRole.Manager)
        {
            throw new SkiffException(400, $"rpc error: code = FailedPrecondition desc = node {node.Id} is a cluster manager and is a member of the raft cluster. It must be demoted to worker before removal");
        }

        if (!force && node.State != NodeState.Down)
        {
            throw new SkiffException(400, $"rpc error: code = FailedPrecondition desc = node {node.Id} is not down and can't be removed");
        }

        await WriteAsync(tx =>
        {
            foreach (var t in tx.TasksByNode(node.Id))
            {
                // Its tasks are orphaned: the orchestrators replace them, the reaper drops them.
                if (t.DesiredState <= TaskState.Running || !Orchestration.TaskLifecycle.IsTerminal(t.Status.State))
                {
                    tx.Update(t with
                    {
                        DesiredState = t.DesiredState < TaskState.Shutdown ? TaskState.Shutdown : t.DesiredState,
                        Status = t.Status with { State = TaskState.Orphaned, Message = "node removed", Timestamp = time.GetUtcNow() },
                    });
                }
            }

            tx.Delete<Node>(node.Id);
        }, ct);
    }

    // ---- services ----

    public async Task<string> CreateServiceAsync(ServiceSpecWire input, CancellationToken ct)
    {
        var spec = SpecDefaults.Normalise(input);
        var id = SwarmIds.New();
        await WriteAsync(tx =>
        {
            CheckPortConflicts(tx, spec, id);
            ResolveNetworks(tx, spec);
            ResolveFileRefs(tx, spec);
            tx.Create(new Service { Id = id, Spec = spec, SpecVersion = 1 });
        }, ct);
        return id;
    }

    public Service GetService(string idOrName) => Store.View(tx => Resolve(tx, idOrName, tx.All<Service>(), s => s.Spec.Name, "service"));

    public ServiceWire InspectService(string idOrName, bool insertDefaults) =>
        WireConvert.Service(GetService(idOrName), insertDefaults, null);

    public IReadOnlyList<ServiceWire> ListServices(Dictionary<string, Dictionary<string, bool>> filters, bool status)
    {
        var f = new FilterSet(filters, "id", "name", "label", "mode", "runtime");
        return Store.View(tx =>
        {
            var nodes = tx.All<Node>().ToDictionary(n => n.Id);
            return tx.All<Service>()
                .Where(s => f.Prefix("id", s.Id) && f.Prefix("name", s.Spec.Name) && f.Labels("label", s.Spec.Labels ?? [])
                    && f.Exact("mode", ModeName(s.Mode)) && f.Exact("runtime", "container"))
                .Select(s => WireConvert.Service(s, insertDefaults: false, status ? Status(tx, s, nodes) : null))
                .ToList();
        });
    }

    public async Task<IReadOnlyList<string>?> UpdateServiceAsync(string idOrName, ulong version, ServiceSpecWire input, bool rollback, CancellationToken ct)
    {
        var service = GetService(idOrName);
        var now = time.GetUtcNow();
        Service updated;
        if (rollback)
        {
            if (service.PreviousSpec is null)
            {
                throw new SkiffException(400, $"rpc error: code = FailedPrecondition desc = service {service.Id} does not have a previous spec");
            }

            updated = service with
            {
                Spec = service.PreviousSpec,
                PreviousSpec = service.Spec,
                SpecVersion = service.SpecVersion + 1,
                UpdateStatus = new ServiceUpdateStatus { State = "rollback_started", StartedAt = now, Message = "manually requested rollback" },
            };
        }
        else
        {
            var spec = SpecDefaults.Normalise(input);
            if (!string.Equals(spec.Name, service.Spec.Name, StringComparison.Ordinal))
            {
                throw new SkiffException(400, "rpc error: code = Unimplemented desc = renaming services is not supported");
            }

            if ((spec.Mode!.Global is null) != (service.Spec.Mode!.Global is null)
                || (spec.Mode.ReplicatedJob is null) != (service.Spec.Mode.ReplicatedJob is null)
                || (spec.Mode.GlobalJob is null) != (service.Spec.Mode.GlobalJob is null))
            {
                throw SpecDefaults.Invalid("service mode change is not allowed");
            }

            updated = service with
            {
                Spec = spec,
                PreviousSpec = service.Spec,
                SpecVersion = service.SpecVersion + 1,
                // As swarmkit: a new spec resets the update status; the updater sets it again if tasks change.
                UpdateStatus = null,
            };
        }

        updated = updated with { Meta = updated.Meta with { Version = version } };
        await WriteAsync(tx =>
        {
            CheckPortConflicts(tx, updated.Spec, updated.Id);
            if (!rollback)
            {
                ResolveNetworks(tx, updated.Spec);
                ResolveFileRefs(tx, updated.Spec);
            }

            tx.Update(updated);
        }, ct);
        return null;
    }

    public async Task RemoveServiceAsync(string idOrName, CancellationToken ct)
    {
        var service = GetService(idOrName);
        await WriteAsync(tx =>
        {
            foreach (var t in tx.TasksByService(service.Id))
            {
                if (t.DesiredState != TaskState.Remove)
                {
                    tx.Update(t with { DesiredState = TaskState.Remove });
                }
            }

            tx.Delete<Service>(service.Id);
        }, ct);
    }

    // ---- tasks ----

    public IReadOnlyList<TaskWire> ListTasks(Dictionary<string, Dictionary<string, bool>> filters)
    {
        var f = new FilterSet(filters, "id", "name", "label", "service", "node", "desired-state", "runtime", "_up-to-date");
        return Store.View(tx =>
        {
            var services = tx.All<Service>().ToDictionary(s => s.Id);
            var nodes = tx.All<Node>().ToList();
            bool ServiceMatches(string serviceId) =>
                !f.Has("service") || f.Values("service").Any(v =>
                    v == serviceId || (services.TryGetValue(serviceId, out var s) && string.Equals(s.Spec.Name, v, StringComparison.Ordinal)));
            bool NodeMatches(string? nodeId) =>
                !f.Has("node") || (nodeId is not null && f.Values("node").Any(v =>
                    v == nodeId || nodes.Any(n => n.Id == nodeId && string.Equals(n.Name, v, StringComparison.Ordinal))));
            bool DesiredMatches(SwarmTask t) =>
                !f.Has("desired-state") || f.Values("desired-state").Any(v => v switch
                {
                    "running" => t.DesiredState == TaskState.Running,
                    "shutdown" => t.DesiredState == TaskState.Shutdown,
                    "accepted" => t.DesiredState == TaskState.Accepted,
                    "ready" => t.DesiredState == TaskState.Ready,
                    "remove" => t.DesiredState == TaskState.Remove,
                    _ => throw new BadRequestException($"Invalid desired-state filter value {v}: use running, shutdown, accepted, ready or remove"),
                });
            bool UpToDate(SwarmTask t) =>
                !f.Has("_up-to-date") || (services.TryGetValue(t.ServiceId, out var s) && !Orchestration.Orchestrator.IsDirty(s, t, nodes.FirstOrDefault(n => n.Id == t.NodeId)));

            return tx.All<SwarmTask>()
                .Where(t => t.DesiredState != TaskState.Remove || !Orchestration.TaskLifecycle.IsTerminal(t.Status.State) || f.Has("desired-state"))
                .Where(t => f.Prefix("id", t.Id) && f.Prefix("name", TaskName(t, services))
                    && ServiceMatches(t.ServiceId) && NodeMatches(t.NodeId) && DesiredMatches(t) && UpToDate(t)
                    && f.Labels("label", services.TryGetValue(t.ServiceId, out var s) ? s.Spec.Labels ?? [] : new Dictionary<string, string>()))
                .Select(t => WireConvert.Task(t))
                .ToList();
        });
    }

    /// <summary>All tasks of a service (history included).</summary>
    public IReadOnlyList<SwarmTask> TasksOf(string serviceId) => Store.View(tx => tx.TasksByService(serviceId));

    public SwarmTask GetTask(string id) => Store.View(tx => Resolve(tx, id, tx.All<SwarmTask>(), _ => "\0", "task"));

    public TaskWire InspectTask(string id) =>
        WireConvert.Task(Store.View(tx => Resolve(tx, id, tx.All<SwarmTask>(), _ => "\0", "task")));

    // ---- helpers ----

    public static string ModeName(ServiceMode mode) => mode switch
    {
        ServiceMode.Global => "global",
        ServiceMode.ReplicatedJob => "replicated-job",
        ServiceMode.GlobalJob => "global-job",
        _ => "replicated",
    };

    private static string TaskName(SwarmTask t, Dictionary<string, Service> services)
    {
        var name = services.TryGetValue(t.ServiceId, out var s) ? s.Spec.Name : t.ServiceName;
        return t.Slot > 0 ? $"{name}.{t.Slot}" : $"{name}.{t.NodeId}";
    }

    private static ServiceStatusWire Status(ReadTx tx, Service s, Dictionary<string, Node> nodes)
    {
        var tasks = tx.TasksByService(s.Id);
        var running = (ulong)tasks.Count(t => t.Status.State == TaskState.Running && t.DesiredState == TaskState.Running
            && (t.NodeId is null || !nodes.TryGetValue(t.NodeId, out var n) || n.State != NodeState.Down));
        var completed = (ulong)tasks.Count(t => t.Status.State == TaskState.Complete);
        ulong desired = s.Mode switch
        {
            ServiceMode.Replicated => s.Replicas,
            ServiceMode.ReplicatedJob => s.Spec.Mode?.ReplicatedJob?.MaxConcurrent ?? 1,
            _ => (ulong)tasks.Where(t => t.DesiredState == TaskState.Running && t.NodeId is not null).Select(t => t.NodeId).Distinct().Count(),
        };
        return new ServiceStatusWire { RunningTasks = running, DesiredTasks = desired, CompletedTasks = completed };
    }

    private static void CheckPortConflicts(ReadTx tx, ServiceSpecWire spec, string selfId)
    {
        foreach (var p in WireConvert.PortsOf(spec).Where(p => p.PublishMode == "ingress" && p.PublishedPort > 0))
        {
            foreach (var other in tx.All<Service>().Where(o => o.Id != selfId))
            {
                if (WireConvert.PortsOf(other.Spec).Any(o => o.PublishMode == "ingress" && o.PublishedPort == p.PublishedPort && o.Protocol == p.Protocol))
                {
                    throw SpecDefaults.Invalid($"port '{p.PublishedPort}' is already in use by service '{other.Spec.Name}' ({other.Id}) as an ingress port");
                }
            }
        }
    }

    /// <summary>dockerd's lookup order: exact id, name (case-insensitive, as swarmkit's name indexes), then a unique id prefix.</summary>
    private static T Resolve<T>(ReadTx tx, string key, IEnumerable<T> all, Func<T, string> name, string kind)
        where T : class, IStoreObject<T>
    {
        if (tx.Get<T>(key) is { } byId)
        {
            return byId;
        }

        var list = all.ToList();
        var byName = list.Where(o => string.Equals(name(o), key, StringComparison.OrdinalIgnoreCase)).ToList();
        if (byName.Count == 1)
        {
            return byName[0];
        }

        if (byName.Count > 1)
        {
            throw new BadRequestException($"{kind} {key} is ambiguous ({byName.Count} matches found)");
        }

        var byPrefix = list.Where(o => o.Id.StartsWith(key, StringComparison.Ordinal)).ToList();
        return byPrefix.Count switch
        {
            1 => byPrefix[0],
            0 => throw new NotFoundException($"{kind} {key} not found"),
            _ => throw new BadRequestException($"{kind} {key} is ambiguous ({byPrefix.Count} matches found)"),
        };
    }

    /// <summary>Commits, rewording the store's refusals as dockerd words swarmkit's.</summary>
    private async Task WriteAsync(Action<WriteTx> write, CancellationToken ct)
    {
        try
        {
            await replicated.UpdateAsync(write, ct);
        }
        catch (SequenceException)
        {
            throw new SkiffException(500, "rpc error: code = Unknown desc = update out of sequence");
        }
        catch (NameConflictException e)
        {
            throw new ConflictException("rpc error: code = AlreadyExists desc = " + e.Message);
        }
    }
}

/// <summary>The <c>filters</c> query of list calls, checked against the keys a resource accepts.</summary>
public sealed class FilterSet
{
    private readonly Dictionary<string, Dictionary<string, bool>> _filters;

    public FilterSet(Dictionary<string, Dictionary<string, bool>> filters, params string[] allowed)
    {
        _filters = filters;
        foreach (var key in filters.Keys)
        {
            if (!allowed.Contains(key, StringComparer.Ordinal))
            {
                throw new BadRequestException($"Invalid filter '{key}'");
            }
        }
    }

    public bool Has(string key) => _filters.TryGetValue(key, out var v) && v.Count > 0;

    public IEnumerable<string> Values(string key) => _filters.TryGetValue(key, out var v) ? v.Keys : [];

    public bool Prefix(string key, string value) => !Has(key) || Values(key).Any(v => value.StartsWith(v, StringComparison.Ordinal));

    public bool Exact(string key, string value) => !Has(key) || Values(key).Any(v => string.Equals(v, value, StringComparison.OrdinalIgnoreCase));

    /// <summary><c>k</c> means the key exists, <c>k=v</c> that it equals v; all must hold.</summary>
    public bool Labels(string key, IReadOnlyDictionary<string, string> labels) =>
        !Has(key) || Values(key).All(v =>
        {
            var eq = v.IndexOf('=', StringComparison.Ordinal);
            return eq < 0 ? labels.ContainsKey(v) : labels.TryGetValue(v[..eq], out var have) && have == v[(eq + 1)..];
        });
}
