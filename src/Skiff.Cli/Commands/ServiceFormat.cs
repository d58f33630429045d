using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Skiff.Api;
using Skiff.Cli.Connection;
using Skiff.Cli.Formatting;

namespace Skiff.Cli.Commands;

/// <summary>docker's service formatter: the <c>service ls</c> columns and the <c>inspect --pretty</c> text.</summary>
internal static class ServiceFormat
{
    public const string DefaultTable = "table {{.ID}}\t{{.Name}}\t{{.Mode}}\t{{.Replicas}}\t{{.Image}}\t{{.Ports}}";

    public static readonly IReadOnlyDictionary<string, string> Headers = new Dictionary<string, string>
    {
        ["ID"] = "ID",
        ["Name"] = "NAME",
        ["Mode"] = "MODE",
        ["Replicas"] = "REPLICAS",
        ["Image"] = "IMAGE",
        ["Ports"] = "PORTS",
    };

    /// <summary>The image as docker lists it: familiar name and tag, without the digest (unchanged when it has no tag).</summary>
    public static string DisplayImage(string image)
    {
        try
        {
            var reference = ImageReference.Parse(image);
            return reference.Tag != null ? reference.FamiliarName + ":" + reference.Tag : image;
        }
        catch (CliException)
        {
            return image;
        }
    }

    public static string Mode(ServiceSpecWire spec) => spec.Mode switch
    {
        { Global: not null } => "global",
        { Replicated: not null } => "replicated",
        { ReplicatedJob: not null } => "replicated job",
        { GlobalJob: not null } => "global job",
        _ => "",
    };

    public static string Replicas(ServiceWire s)
    {
        var running = s.ServiceStatus?.RunningTasks ?? 0;
        var desired = s.ServiceStatus?.DesiredTasks ?? 0;
        var completed = s.ServiceStatus?.CompletedTasks ?? 0;
        if (s.Spec.Mode?.ReplicatedJob is { } job)
        {
            return $"{running}/{desired} ({completed}/{job.TotalCompletions ?? 0} completed)";
        }
        if (s.Spec.Mode?.GlobalJob != null)
        {
            return $"{running}/{desired} ({completed}/{desired + completed} completed)";
        }
        var max = Mode(s.Spec) == "replicated" ? s.Spec.TaskTemplate.Placement?.MaxReplicas ?? 0 : 0;
        return max > 0 ? $"{running}/{desired} (max {max} per node)" : $"{running}/{desired}";
    }

    /// <summary>docker's serviceContext.Ports: ingress ports only, consecutive ones grouped into ranges.</summary>
    public static string Ports(IReadOnlyList<PortConfig>? endpointPorts)
    {
        if (endpointPorts == null)
        {
            return "";
        }
        var sorted = endpointPorts
            .OrderBy(p => p.Protocol, StringComparer.Ordinal)
            .ThenBy(p => p.PublishedPort)
            .ToList();
        var result = new List<string>();
        uint pStart = 0, pEnd = 0, tStart = 0, tEnd = 0;
        var protocol = "";
        foreach (var p in sorted.Where(p => p.PublishMode == "ingress"))
        {
            var isRange = tEnd != tStart;
            var overlaps = p.TargetPort <= tEnd;
            if (p.Protocol != protocol || unchecked(p.PublishedPort - pEnd) > 1 || unchecked(p.TargetPort - tEnd) > 1 || (isRange && overlaps))
            {
                if (pStart > 0)
                {
                    result.Add(Range(pStart, pEnd, tStart, tEnd, protocol));
                }
                pStart = pEnd = p.PublishedPort;
                tStart = tEnd = p.TargetPort;
                protocol = p.Protocol;
                continue;
            }
            pEnd = p.PublishedPort;
            tEnd = p.TargetPort;
        }
        if (pStart > 0)
        {
            result.Add(Range(pStart, pEnd, tStart, tEnd, protocol));
        }
        return string.Join(", ", result);

        static string Range(uint ps, uint pe, uint ts, uint te, string proto)
        {
            var pub = pe > ps ? $"{ps}-{pe}" : ps.ToString(CultureInfo.InvariantCulture);
            var tgt = te > ts ? $"{ts}-{te}" : ts.ToString(CultureInfo.InvariantCulture);
            return $"*:{pub}->{tgt}/{proto}";
        }
    }

    public static JsonObject Row(ServiceWire s) => new()
    {
        ["ID"] = Common.TruncateId(s.ID),
        ["Image"] = DisplayImage(s.Spec.TaskTemplate.ContainerSpec?.Image ?? ""),
        ["Mode"] = Mode(s.Spec),
        ["Name"] = s.Spec.Name,
        ["Ports"] = Ports(s.Endpoint?.Ports),
        ["Replicas"] = Replicas(s),
    };

    /// <summary>docker's serviceInspectPrettyTemplate, rendered directly (tabs kept raw, as docker prints them).</summary>
    public static string Pretty(ServiceWire s, IReadOnlyDictionary<string, string> networkNames, DateTimeOffset now)
    {
        var spec = s.Spec;
        var task = spec.TaskTemplate;
        var cs = task.ContainerSpec ?? new ContainerSpecWire();
        var sb = new StringBuilder();
        sb.Append("\nID:\t\t").Append(s.ID);
        sb.Append("\nName:\t\t").Append(spec.Name);
        if (spec.Labels is { Count: > 0 } labels)
        {
            sb.Append("\nLabels:");
            foreach (var (k, v) in labels.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                sb.Append("\n ").Append(k);
                if (v.Length > 0)
                {
                    sb.Append('=').Append(v);
                }
            }
        }
        sb.Append("\nService Mode:");
        if (spec.Mode?.Global != null)
        {
            sb.Append("\tGlobal");
        }
        else if (spec.Mode?.Replicated is { } replicated)
        {
            sb.Append("\tReplicated");
            if (replicated.Replicas is { } r)
            {
                sb.Append("\n Replicas:\t").Append(r);
            }
        }
        if (s.UpdateStatus is { State.Length: > 0 } us)
        {
            sb.Append("\nUpdateStatus:\n State:\t\t").Append(us.State);
            if (Common.ParseTime(us.StartedAt) is { } started)
            {
                sb.Append("\n Started:\t").Append(Units.HumanDuration(now - started)).Append(" ago");
            }
            if (us.State == "completed" && Common.ParseTime(us.CompletedAt) is { } completed)
            {
                sb.Append("\n Completed:\t").Append(Units.HumanDuration(now - completed)).Append(" ago");
            }
            sb.Append("\n Message:\t").Append(us.Message);
        }
        sb.Append("\nPlacement:");
        if (task.Placement?.Constraints is { Count: > 0 } constraints)
        {
            sb.Append("\n Constraints:\t[").Append(string.Join(' ', constraints)).Append(']');
        }
        var prefs = (task.Placement?.Preferences ?? []).Where(p => p.Spread != null).Select(p => "spread=" + p.Spread!.SpreadDescriptor).ToList();
        if (prefs.Count > 0)
        {
            sb.Append("\n Preferences:   [").Append(string.Join(' ', prefs)).Append(']');
        }
        if (task.Placement is { MaxReplicas: > 0 } placement)
        {
            sb.Append("\n Max Replicas Per Node:   ").Append(placement.MaxReplicas);
        }
        AppendUpdateConfig(sb, "UpdateConfig", "Update order:      ", spec.UpdateConfig);
        AppendUpdateConfig(sb, "RollbackConfig", "Rollback order:    ", spec.RollbackConfig);
        sb.Append("\nContainerSpec:\n Image:\t\t").Append(cs.Image);
        if (cs.Args is { Count: > 0 } args)
        {
            sb.Append("\n Args:\t\t");
            foreach (var a in args)
            {
                sb.Append(a).Append(' ');
            }
        }
        if (cs.Env is { Count: > 0 } env)
        {
            sb.Append("\n Env:\t\t");
            foreach (var e in env)
            {
                sb.Append(e).Append(' ');
            }
        }
        if (!string.IsNullOrEmpty(cs.Dir))
        {
            sb.Append("\n Dir:\t\t").Append(cs.Dir);
        }
        if (cs.Init is { } init)
        {
            sb.Append("\n Init:\t\t").Append(init ? "true" : "false");
        }
        if (!string.IsNullOrEmpty(cs.User))
        {
            sb.Append("\n User: ").Append(cs.User);
        }
        if (cs.Mounts is { Count: > 0 } mounts)
        {
            sb.Append("\nMounts:");
            foreach (var m in mounts)
            {
                sb.Append("\n Target:\t").Append(m.Target)
                    .Append("\n  Source:\t").Append(m.Source)
                    .Append("\n  ReadOnly:\t").Append(m.ReadOnly ? "true" : "false")
                    .Append("\n  Type:\t\t").Append(m.Type);
            }
        }
        if (cs.Configs is { Count: > 0 } configs)
        {
            sb.Append("\nConfigs:");
            foreach (var c in configs)
            {
                sb.Append("\n Target:\t").Append(c.File?.Name ?? "").Append("\n  Source:\t").Append(c.ConfigName);
            }
        }
        if (cs.Secrets is { Count: > 0 } secrets)
        {
            sb.Append("\nSecrets:");
            foreach (var c in secrets)
            {
                sb.Append("\n Target:\t").Append(c.File?.Name ?? "").Append("\n  Source:\t").Append(c.SecretName);
            }
        }
        if (task.LogDriver is { } log)
        {
            sb.Append("\nLog Driver:");
            if (log.Name.Length > 0)
            {
                sb.Append("\n Name:\t\t").Append(log.Name);
            }
            if (log.Options is { Count: > 0 } opts)
            {
                sb.Append("\n LogOpts:");
                foreach (var (k, v) in opts.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    sb.Append("\n  ").Append(k);
                    if (v.Length > 0)
                    {
                        sb.Append(":       ").Append(v);
                    }
                }
            }
            sb.Append('\n');
        }
        if (task.Resources is { } res)
        {
            sb.Append("\nResources:");
            if (res.Reservations is { } rsv && (rsv.NanoCPUs > 0 || rsv.MemoryBytes > 0))
            {
                sb.Append("\n Reservations:");
                if (rsv.NanoCPUs > 0)
                {
                    sb.Append("\n  CPU:\t\t").Append(GoText.FormatFloat(rsv.NanoCPUs / 1e9));
                }
                if (rsv.MemoryBytes > 0)
                {
                    sb.Append("\n  Memory:\t").Append(Units.BytesSize(rsv.MemoryBytes));
                }
            }
            if (res.Limits is { } lim && (lim.NanoCPUs > 0 || lim.MemoryBytes > 0 || lim.Pids > 0))
            {
                sb.Append("\n Limits:");
                if (lim.NanoCPUs > 0)
                {
                    sb.Append("\n  CPU:\t\t").Append(GoText.FormatFloat(lim.NanoCPUs / 1e9));
                }
                if (lim.MemoryBytes > 0)
                {
                    sb.Append("\n  Memory:\t").Append(Units.BytesSize(lim.MemoryBytes));
                }
            }
        }
        if (task.Resources?.Limits is { Pids: > 0 } pids)
        {
            sb.Append("\n  PIDs:\t\t").Append(pids.Pids);
        }
        if (task.Networks is { Count: > 0 } networks)
        {
            sb.Append("\nNetworks:");
            foreach (var n in networks)
            {
                sb.Append(' ').Append(networkNames.TryGetValue(n.Target, out var name) ? name : n.Target);
            }
            sb.Append(' ');
        }
        sb.Append("\nEndpoint Mode:\t").Append(spec.EndpointSpec?.Mode ?? "");
        if (s.Endpoint?.Ports is { Count: > 0 } ports)
        {
            sb.Append("\nPorts:");
            foreach (var p in ports)
            {
                sb.Append("\n PublishedPort = ").Append(p.PublishedPort)
                    .Append("\n  Protocol = ").Append(p.Protocol)
                    .Append("\n  TargetPort = ").Append(p.TargetPort)
                    .Append("\n  PublishMode = ").Append(p.PublishMode);
            }
            sb.Append(' ');
        }
        if (cs.Healthcheck is { } hc)
        {
            sb.Append("\n Healthcheck:")
                .Append("\n  Interval = ").Append(Units.GoDurationString(hc.Interval))
                .Append("\n  Retries = ").Append(hc.Retries)
                .Append("\n  StartPeriod =\t").Append(Units.GoDurationString(hc.StartPeriod))
                .Append("\n  Timeout =\t").Append(Units.GoDurationString(hc.Timeout));
            if (hc.Test is { Count: > 0 } tests)
            {
                sb.Append("\n  Tests:");
                foreach (var t in tests)
                {
                    sb.Append("\n\t Test = ").Append(t);
                }
                sb.Append(' ');
            }
        }
        sb.Append('\n');
        return sb.ToString();
    }

    private static void AppendUpdateConfig(StringBuilder sb, string title, string orderLabel, UpdateConfigWire? c)
    {
        if (c == null)
        {
            return;
        }
        sb.Append('\n').Append(title).Append(":\n Parallelism:\t").Append(c.Parallelism);
        if (c.Delay > 0)
        {
            sb.Append("\n Delay:\t\t").Append(Units.GoDurationString(c.Delay));
        }
        sb.Append("\n On failure:\t").Append(c.FailureAction ?? "");
        if (c.Monitor > 0)
        {
            sb.Append("\n Monitoring Period: ").Append(Units.GoDurationString(c.Monitor));
        }
        sb.Append("\n Max failure ratio: ").Append(GoText.FormatFloat32(c.MaxFailureRatio));
        sb.Append("\n ").Append(orderLabel).Append(c.Order ?? "");
    }
}

/// <summary>docker's node formatter: the <c>node ls</c> columns and the <c>node inspect --pretty</c> text.</summary>
internal static class NodeFormat
{
    public const string DefaultTable = "table {{.ID}} {{if .Self}}*{{else}} {{ end }}\t{{.Hostname}}\t{{.Status}}\t{{.Availability}}\t{{.ManagerStatus}}\t{{.EngineVersion}}";

    public static readonly IReadOnlyDictionary<string, string> Headers = new Dictionary<string, string>
    {
        ["ID"] = "ID",
        ["Self"] = "",
        ["Hostname"] = "HOSTNAME",
        ["Status"] = "STATUS",
        ["Availability"] = "AVAILABILITY",
        ["ManagerStatus"] = "MANAGER STATUS",
        ["EngineVersion"] = "ENGINE VERSION",
        ["TLSStatus"] = "TLS STATUS",
    };

    public static JsonObject Row(NodeWire n, SwarmInfo? info)
    {
        var manager = n.ManagerStatus == null ? "" : n.ManagerStatus.Leader ? "Leader" : n.ManagerStatus.Reachability;
        return new JsonObject
        {
            ["Availability"] = GoText.PrettyPrint(n.Spec.Availability ?? ""),
            ["EngineVersion"] = n.Description.Engine.EngineVersion,
            ["Hostname"] = n.Description.Hostname,
            ["ID"] = n.ID,
            ["ManagerStatus"] = GoText.PrettyPrint(manager),
            ["Self"] = info != null && n.ID == info.NodeID,
            ["Status"] = GoText.PrettyPrint(n.Status.State),
            ["TLSStatus"] = TlsStatus(n, info),
        };
    }

    private static bool IsEmpty(TlsInfo t) => t.TrustRoot.Length == 0 && t.CertIssuerSubject.Length == 0 && t.CertIssuerPublicKey.Length == 0;

    private static string TlsStatus(NodeWire n, SwarmInfo? info)
    {
        if (info?.Cluster == null || IsEmpty(info.Cluster.TLSInfo) || IsEmpty(n.Description.TLSInfo))
        {
            return "Unknown";
        }
        var c = info.Cluster.TLSInfo;
        var d = n.Description.TLSInfo;
        return c.TrustRoot == d.TrustRoot && c.CertIssuerSubject == d.CertIssuerSubject && c.CertIssuerPublicKey == d.CertIssuerPublicKey
            ? "Ready"
            : "Needs Rotation";
    }

    /// <summary>docker's nodeInspectPrettyTemplate.</summary>
    public static string Pretty(NodeWire n)
    {
        var sb = new StringBuilder();
        sb.Append("ID:\t\t\t").Append(n.ID);
        if (!string.IsNullOrEmpty(n.Spec.Name))
        {
            sb.Append("\nName:\t\t\t").Append(n.Spec.Name);
        }
        if (n.Spec.Labels is { Count: > 0 } labels)
        {
            sb.Append("\nLabels:");
            foreach (var (k, v) in labels.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                sb.Append("\n - ").Append(k);
                if (v.Length > 0)
                {
                    sb.Append('=').Append(v);
                }
            }
        }
        sb.Append("\nHostname:              \t").Append(n.Description.Hostname);
        sb.Append("\nJoined at:             \t").Append(GoText.PrettyPrint(GoText.GoUtcTimeString(n.CreatedAt)));
        sb.Append("\nStatus:\n State:\t\t\t").Append(GoText.PrettyPrint(n.Status.State));
        if (!string.IsNullOrEmpty(n.Status.Message))
        {
            sb.Append("\n Message:              \t").Append(GoText.PrettyPrint(n.Status.Message));
        }
        sb.Append("\n Availability:         \t").Append(GoText.PrettyPrint(n.Spec.Availability ?? ""));
        if (n.Status.Addr.Length > 0)
        {
            sb.Append("\n Address:\t\t").Append(n.Status.Addr);
        }
        if (n.ManagerStatus is { } ms)
        {
            sb.Append("\nManager Status:\n Address:\t\t").Append(ms.Addr)
                .Append("\n Raft Status:\t\t").Append(GoText.PrettyPrint(ms.Reachability))
                .Append("\n Leader:\t\t").Append(ms.Leader ? "Yes" : "No");
        }
        sb.Append("\nPlatform:\n Operating System:\t").Append(n.Description.Platform.OS)
            .Append("\n Architecture:\t\t").Append(n.Description.Platform.Architecture);
        sb.Append("\nResources:\n CPUs:\t\t\t").Append(n.Description.Resources.NanoCPUs / 1_000_000_000)
            .Append("\n Memory:\t\t").Append(n.Description.Resources.MemoryBytes == 0 ? "" : Units.BytesSize(n.Description.Resources.MemoryBytes));
        if (n.Description.Engine.Plugins is { Count: > 0 } plugins)
        {
            sb.Append("\nPlugins:");
            foreach (var group in plugins.GroupBy(p => p.Type).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                var names = string.Join(", ", group.Select(p => p.Name));
                sb.Append("\n ").Append(group.Key).Append(':');
                if (names.Length > 0)
                {
                    sb.Append("\t\t").Append(names);
                }
            }
        }
        sb.Append("\nEngine Version:\t\t").Append(n.Description.Engine.EngineVersion);
        if (n.Description.Engine.Labels is { Count: > 0 } engineLabels)
        {
            sb.Append("\nEngine Labels:");
            foreach (var (k, v) in engineLabels.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                sb.Append("\n - ").Append(k);
                if (v.Length > 0)
                {
                    sb.Append('=').Append(v);
                }
            }
        }
        var tls = n.Description.TLSInfo;
        if (tls.TrustRoot.Length > 0 || tls.CertIssuerSubject.Length > 0 || tls.CertIssuerPublicKey.Length > 0)
        {
            sb.Append("\nTLS Info:\n TrustRoot:\n").Append(tls.TrustRoot)
                .Append("\n Issuer Subject:\t").Append(tls.CertIssuerSubject)
                .Append("\n Issuer Public Key:\t").Append(tls.CertIssuerPublicKey);
        }
        sb.Append('\n');
        return sb.ToString();
    }
}

/// <summary>The Swarm section of <c>docker info</c> (printSwarmInfo).</summary>
internal static class SwarmInfoFormat
{
    public static void Append(StringBuilder sb, SwarmInfo swarm)
    {
        void L(string line) => sb.Append(line).Append('\n');
        L(" Swarm: " + swarm.LocalNodeState);
        if (swarm.LocalNodeState is "inactive" or "locked")
        {
            return;
        }
        L("  NodeID: " + swarm.NodeID);
        if (swarm.Error.Length > 0)
        {
            L("  Error: " + swarm.Error);
        }
        L("  Is Manager: " + (swarm.ControlAvailable ? "true" : "false"));
        if (swarm.Cluster is { } cluster && swarm.ControlAvailable && swarm.Error.Length == 0 && swarm.LocalNodeState != "error")
        {
            var spec = cluster.Spec;
            L("  ClusterID: " + cluster.ID);
            L("  Managers: " + (swarm.Managers ?? 0).ToString(CultureInfo.InvariantCulture));
            L("  Nodes: " + (swarm.Nodes ?? 0).ToString(CultureInfo.InvariantCulture));
            if (cluster.DefaultAddrPool.Count > 0)
            {
                L("  Default Address Pool: " + string.Concat(cluster.DefaultAddrPool.Select(p => p + "  ")));
                L("  SubnetSize: " + cluster.SubnetSize.ToString(CultureInfo.InvariantCulture));
            }
            if (cluster.DataPathPort > 0)
            {
                L("  Data Path Port: " + cluster.DataPathPort.ToString(CultureInfo.InvariantCulture));
            }
            L("  Orchestration:");
            L("   Task History Retention Limit: " + (spec.Orchestration?.TaskHistoryRetentionLimit ?? 0).ToString(CultureInfo.InvariantCulture));
            L("  Raft:");
            L("   Snapshot Interval: " + (spec.Raft?.SnapshotInterval ?? 0).ToString(CultureInfo.InvariantCulture));
            if (spec.Raft?.KeepOldSnapshots is { } keep)
            {
                L("   Number of Old Snapshots to Retain: " + keep.ToString(CultureInfo.InvariantCulture));
            }
            L("   Heartbeat Tick: " + (spec.Raft?.HeartbeatTick ?? 0).ToString(CultureInfo.InvariantCulture));
            L("   Election Tick: " + (spec.Raft?.ElectionTick ?? 0).ToString(CultureInfo.InvariantCulture));
            L("  Dispatcher:");
            L("   Heartbeat Period: " + Units.HumanDuration(TimeSpan.FromTicks((spec.Dispatcher?.HeartbeatPeriod ?? 0) / 100)));
            L("  CA Configuration:");
            L("   Expiry Duration: " + Units.HumanDuration(TimeSpan.FromTicks((spec.CAConfig?.NodeCertExpiry ?? 0) / 100)));
            L("   Force Rotate: " + (spec.CAConfig?.ForceRotate ?? 0).ToString(CultureInfo.InvariantCulture));
            if (spec.CAConfig?.SigningCACert?.Trim() is { Length: > 0 } caCert)
            {
                sb.Append("   Signing CA Certificate: \n").Append(caCert).Append("\n\n");
            }
            if (spec.CAConfig?.ExternalCAs is { Count: > 0 } externals)
            {
                L("   External CAs:");
                foreach (var e in externals)
                {
                    L("     " + Str(e, "Protocol") + ": " + Str(e, "URL"));
                }
            }
            L("  Autolock Managers: " + (spec.EncryptionConfig?.AutoLockManagers == true ? "true" : "false"));
            L("  Root Rotation In Progress: " + (cluster.RootRotationInProgress ? "true" : "false"));
        }
        L("  Node Address: " + swarm.NodeAddr);
        if (swarm.RemoteManagers is { Count: > 0 })
        {
            L("  Manager Addresses:");
            foreach (var m in swarm.RemoteManagers.Select(m => m.Addr).Order(StringComparer.Ordinal))
            {
                L("   " + m);
            }
        }
    }

    private static string Str(JsonElement e, string key) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() ?? "" : "";
}
