using System.Collections.Immutable;
using Skiff.Api;
using Skiff.State;

namespace Skiff.Manager.ControlApi;

/// <summary>Store objects to Engine API objects (and the enum spellings Docker uses).</summary>
public static class WireConvert
{
    public static string Name(TaskState state) => state switch
    {
        TaskState.New => "new",
        TaskState.Pending => "pending",
        TaskState.Allocated => "allocated",
        TaskState.Assigned => "assigned",
        TaskState.Accepted => "accepted",
        TaskState.Preparing => "preparing",
        TaskState.Ready => "ready",
        TaskState.Starting => "starting",
        TaskState.Running => "running",
        TaskState.Complete => "complete",
        TaskState.Shutdown => "shutdown",
        TaskState.Failed => "failed",
        TaskState.Rejected => "rejected",
        TaskState.Remove => "remove",
        TaskState.Orphaned => "orphaned",
        _ => "unknown",
    };

    public static bool TryParseTaskState(string text, out TaskState state)
    {
        foreach (var s in Enum.GetValues<TaskState>())
        {
            if (string.Equals(Name(s), text, StringComparison.OrdinalIgnoreCase))
            {
                state = s;
                return true;
            }
        }

        state = default;
        return false;
    }

    public static string Name(NodeRole role) => role == NodeRole.Manager ? "manager" : "worker";

    public static string Name(NodeAvailability a) => a switch
    {
        NodeAvailability.Pause => "pause",
        NodeAvailability.Drain => "drain",
        _ => "active",
    };

    public static string Name(NodeState s) => s switch
    {
        NodeState.Down => "down",
        NodeState.Ready => "ready",
        NodeState.Disconnected => "disconnected",
        _ => "unknown",
    };

    public static SwarmInspect Swarm(Cluster c, bool withTokens)
    {
        var swarm = Fill(new SwarmInspect(), c);
        swarm.JoinTokens = withTokens ? new JoinTokensInfo { Worker = c.WorkerJoinToken, Manager = c.ManagerJoinToken } : null;
        return swarm;
    }

    public static ClusterInfo ClusterInfo(Cluster c) => Fill(new ClusterInfo(), c);

    private static T Fill<T>(T info, Cluster c)
        where T : ClusterInfo
    {
        info.ID = c.Id;
        info.Version = new ObjectVersion { Index = c.Meta.Version };
        info.CreatedAt = Rfc3339.Format(c.Meta.CreatedAt);
        info.UpdatedAt = Rfc3339.Format(c.Meta.UpdatedAt);
        info.Spec = SwarmSpec(c.Spec);
        info.TLSInfo = TlsInfo(c.RootCaCertificatePem);
        info.DataPathPort = c.DataPathPort;
        info.DefaultAddrPool = [.. c.DefaultAddrPool];
        info.SubnetSize = c.SubnetSize;
        return info;
    }

    public static SwarmSpec SwarmSpec(ClusterSpec s) => new()
    {
        Name = s.Name,
        Labels = new Dictionary<string, string>(s.Labels),
        Orchestration = new SwarmOrchestrationConfig { TaskHistoryRetentionLimit = s.TaskHistoryRetentionLimit },
        Raft = new SwarmRaftConfig
        {
            SnapshotInterval = s.SnapshotInterval,
            KeepOldSnapshots = s.KeepOldSnapshots,
            LogEntriesForSlowFollowers = s.LogEntriesForSlowFollowers,
            ElectionTick = s.ElectionTick,
            HeartbeatTick = s.HeartbeatTick,
        },
        Dispatcher = new SwarmDispatcherConfig { HeartbeatPeriod = s.DispatcherHeartbeat.Ticks * 100 },
        CAConfig = new SwarmCAConfig { NodeCertExpiry = s.NodeCertExpiry.Ticks * 100 },
        EncryptionConfig = new SwarmEncryptionConfig { AutoLockManagers = s.AutoLockManagers },
        TaskDefaults = new SwarmTaskDefaults(),
    };

    public static TlsInfo TlsInfo(string rootPem)
    {
        if (string.IsNullOrEmpty(rootPem))
        {
            return new TlsInfo();
        }

        using var root = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(rootPem);
        return new TlsInfo
        {
            TrustRoot = rootPem.EndsWith('\n') ? rootPem : rootPem + "\n",
            CertIssuerSubject = Convert.ToBase64String(root.SubjectName.RawData),
            CertIssuerPublicKey = Convert.ToBase64String(root.PublicKey.ExportSubjectPublicKeyInfo()),
        };
    }

    public static NodeWire Node(Node n, string? leaderId, TlsInfo tls) => new()
    {
        ID = n.Id,
        Version = new ObjectVersion { Index = n.Meta.Version },
        CreatedAt = Rfc3339.Format(n.Meta.CreatedAt),
        UpdatedAt = Rfc3339.Format(n.Meta.UpdatedAt),
        Spec = new NodeSpecWire
        {
            Name = string.IsNullOrEmpty(n.Spec.Name) ? null : n.Spec.Name,
            Labels = new Dictionary<string, string>(n.Spec.Labels),
            Role = Name(n.Spec.Role),
            Availability = Name(n.Spec.Availability),
        },
        Description = new NodeDescription
        {
            Hostname = n.Hostname,
            Platform = new PlatformWire { Architecture = n.Architecture, OS = n.Os },
            Resources = new ResourceObject { NanoCPUs = n.NanoCpus, MemoryBytes = n.MemoryBytes },
            Engine = new EngineDescription
            {
                EngineVersion = n.EngineVersion,
                Labels = n.EngineLabels.IsEmpty ? null : new Dictionary<string, string>(n.EngineLabels),
                Plugins =
                [
                    new EnginePlugin { Type = "Log", Name = "json-file" },
                    new EnginePlugin { Type = "Network", Name = "bridge" },
                    new EnginePlugin { Type = "Network", Name = "host" },
                    new EnginePlugin { Type = "Network", Name = "null" },
                    new EnginePlugin { Type = "Network", Name = "overlay" },
                    new EnginePlugin { Type = "Volume", Name = "local" },
                ],
            },
            TLSInfo = tls,
        },
        Status = new NodeStatusWire { State = Name(n.State), Message = n.Message, Addr = n.Addr ?? "" },
        ManagerStatus = n.ObservedRole == NodeRole.Manager && n.ManagerAddr is not null
            ? new ManagerStatusWire
            {
                Leader = n.Id == leaderId,
                Reachability = n.State == NodeState.Down ? "unreachable" : "reachable",
                Addr = n.ManagerAddr,
            }
            : null,
    };

    public static ServiceWire Service(Service s, bool insertDefaults, ServiceStatusWire? status)
    {
        var spec = insertDefaults ? SpecDefaults.WithDefaults(s.Spec) : s.Spec.Clone();
        var ports = PortsOf(s.Spec);
        return new ServiceWire
        {
            ID = s.Id,
            Version = new ObjectVersion { Index = s.Meta.Version },
            CreatedAt = Rfc3339.Format(s.Meta.CreatedAt),
            UpdatedAt = Rfc3339.Format(s.Meta.UpdatedAt),
            Spec = spec,
            PreviousSpec = s.PreviousSpec is null ? null : insertDefaults ? SpecDefaults.WithDefaults(s.PreviousSpec) : s.PreviousSpec.Clone(),
            Endpoint = new EndpointWire
            {
                Spec = new EndpointSpecWire
                {
                    Mode = s.Spec.EndpointSpec?.Mode ?? "vip",
                    Ports = ports.IsEmpty ? null : [.. ports.Select(Port)],
                },
                Ports = ports.IsEmpty ? null : [.. ports.Select(Port)],
            },
            UpdateStatus = s.UpdateStatus is { } u
                ? new UpdateStatusWire
                {
                    State = u.State,
                    StartedAt = u.StartedAt is { } st ? Rfc3339.Format(st) : null,
                    CompletedAt = u.CompletedAt is { } ct ? Rfc3339.Format(ct) : null,
                    Message = u.Message,
                }
                : null,
            ServiceStatus = status,
        };
    }

    public static PortConfig Port(TaskPort p) => new()
    {
        Protocol = p.Protocol,
        TargetPort = p.TargetPort,
        PublishedPort = p.PublishedPort,
        PublishMode = p.PublishMode,
    };

    /// <summary>The service's published ports, protocol defaulted.</summary>
    public static ImmutableArray<TaskPort> PortsOf(ServiceSpecWire spec) =>
        spec.EndpointSpec?.Ports is { Count: > 0 } ports
            ? [.. ports.Select(p => new TaskPort(
                string.IsNullOrEmpty(p.Protocol) ? "tcp" : p.Protocol,
                p.TargetPort,
                p.PublishedPort,
                string.IsNullOrEmpty(p.PublishMode) ? "ingress" : p.PublishMode))]
            : [];

    public static TaskWire Task(SwarmTask t, IReadOnlyDictionary<string, string>? serviceLabels = null) => new()
    {
        ID = t.Id,
        Version = new ObjectVersion { Index = t.Meta.Version },
        CreatedAt = Rfc3339.Format(t.Meta.CreatedAt),
        UpdatedAt = Rfc3339.Format(t.Meta.UpdatedAt),
        Labels = [],
        Spec = t.Spec?.Clone() ?? new TaskSpecWire(),
        ServiceID = t.ServiceId,
        Slot = t.Slot,
        NodeID = string.IsNullOrEmpty(t.NodeId) ? null : t.NodeId,
        Status = new TaskStatusWire
        {
            Timestamp = Rfc3339.Format(t.Status.Timestamp),
            State = Name(t.Status.State),
            Message = t.Status.Message,
            Err = string.IsNullOrEmpty(t.Status.Err) ? null : t.Status.Err,
            ContainerStatus = t.Status.ContainerId is { Length: > 0 } cid
                ? new ContainerStatusWire { ContainerID = cid, PID = t.Status.Pid, ExitCode = t.Status.ExitCode }
                : null,
            PortStatus = new PortStatusWire { Ports = t.Status.Ports.IsEmpty ? null : [.. t.Status.Ports.Select(Port)] },
        },
        DesiredState = Name(t.DesiredState),
    };
}
