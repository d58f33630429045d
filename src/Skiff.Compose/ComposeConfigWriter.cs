using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Skiff.Compose;

/// <summary>
/// Renders the normalised model like <c>docker compose config</c>: YAML (2-space indent, sequences indented
/// under their key) or JSON (<c>--format json</c>, 2-space indent). Defaults are explicit (service
/// <c>networks: default</c>, port <c>mode</c>/<c>protocol</c>, volume <c>bind.create_host_path</c>/<c>volume: {}</c>,
/// resource and volume names). User-keyed mappings (services, environment, labels ...) and service attributes
/// are sorted; nested objects keep compose-go's field order (ports: mode, host_ip, target, published, protocol).
/// </summary>
public static class ComposeConfigWriter
{
    /// <summary>
    /// YAML as <c>docker compose config</c> prints it, with every <c>$</c> written <c>$$</c> (compose's
    /// <c>escapeDollarSign</c>), so the output reads back to the same values when loaded with interpolation.
    /// </summary>
    public static string ToYaml(ComposeProject project)
    {
        ArgumentNullException.ThrowIfNull(project);
        var sb = new StringBuilder();
        WriteYamlMap(sb, Build(project), 0);
        return sb.Replace("$", "$$").ToString();
    }

    /// <summary><c>--format json</c>, with the same <c>$$</c> escaping as <see cref="ToYaml"/>.</summary>
    public static string ToJson(ComposeProject project)
    {
        ArgumentNullException.ThrowIfNull(project);
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, IndentSize = 2, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            WriteJson(writer, Build(project));
        }

        return Encoding.UTF8.GetString(stream.ToArray()).Replace("$", "$$", StringComparison.Ordinal) + "\n";
    }

    private abstract record Node;

    private sealed record MapNode(List<KeyValuePair<string, Node>> Entries) : Node
    {
        public MapNode()
            : this([])
        {
        }

        public MapNode Add(string key, Node? value)
        {
            if (value is not null)
            {
                Entries.Add(new(key, value));
            }

            return this;
        }

        public MapNode Sorted() => new([.. Entries.OrderBy(e => e.Key, StringComparer.Ordinal)]);
    }

    private sealed record ListNode(List<Node> Items) : Node;

    private sealed record StrNode(string Value) : Node;

    private sealed record NumNode(string Raw) : Node;

    private sealed record BoolNode(bool Value) : Node;

    private sealed record NullNode : Node;

    private static StrNode? S(string? value) => value is null ? null : new StrNode(value);

    private static NumNode? N(long? value) => value is null ? null : new NumNode(value.Value.ToString(CultureInfo.InvariantCulture));

    private static NumNode? N(double? value) => value is null ? null : new NumNode(value.Value.ToString("R", CultureInfo.InvariantCulture));

    private static StrNode? D(TimeSpan? value) => value is null ? null : new StrNode(ComposeUnits.FormatDuration(value.Value));

    private static ListNode? L(IReadOnlyList<string>? values, bool omitEmpty = true) =>
        values is null || (omitEmpty && values.Count == 0) ? null : new ListNode([.. values.Select(v => (Node)new StrNode(v))]);

    private static MapNode? Dict(IReadOnlyDictionary<string, string?> values)
    {
        if (values.Count == 0)
        {
            return null;
        }

        var map = new MapNode();
        foreach (var (k, v) in values.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            map.Add(k, v is null ? new NullNode() : new StrNode(v));
        }

        return map;
    }

    private static MapNode? Labels(IReadOnlyDictionary<string, string> values) => Dict(values.ToDictionary(kv => kv.Key, kv => (string?)kv.Value, StringComparer.Ordinal));

    private static MapNode Build(ComposeProject project)
    {
        var root = new MapNode().Add("name", S(project.Name));
        var services = new MapNode();
        foreach (var service in project.Services.OrderBy(s => s.Name, StringComparer.Ordinal))
        {
            services.Add(service.Name, Service(service));
        }

        root.Add("services", services);
        if (project.Networks.Count > 0)
        {
            var networks = new MapNode();
            foreach (var (key, n) in project.Networks.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                networks.Add(key, new MapNode().Add("name", S(n.Name)).Add("driver", S(n.Driver)).Add("external", n.External ? new BoolNode(true) : null).Add("labels", Labels(n.Labels)));
            }

            root.Add("networks", networks);
        }

        if (project.Volumes.Count > 0)
        {
            var volumes = new MapNode();
            foreach (var (key, v) in project.Volumes.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                volumes.Add(key, new MapNode().Add("name", S(v.Name)).Add("driver", S(v.Driver)).Add("external", v.External ? new BoolNode(true) : null).Add("labels", Labels(v.Labels)));
            }

            root.Add("volumes", volumes);
        }

        root.Add("secrets", FileObjects(project.Secrets));
        root.Add("configs", FileObjects(project.Configs));
        return root;
    }

    private static MapNode? FileObjects(IReadOnlyDictionary<string, FileObjectConfig> objects)
    {
        if (objects.Count == 0)
        {
            return null;
        }

        var map = new MapNode();
        foreach (var (key, o) in objects.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            map.Add(key, new MapNode().Add("name", S(o.Name)).Add("file", S(o.File)).Add("environment", S(o.Environment)).Add("external", o.External ? new BoolNode(true) : null).Add("labels", Labels(o.Labels)));
        }

        return map;
    }

    private static MapNode Service(ServiceConfig s)
    {
        var m = new MapNode();
        if (s.Build is { } build)
        {
            m.Add("build", new MapNode().Add("context", S(build.Context)).Add("dockerfile", S(build.Dockerfile)).Add("args", Dict(build.Args)));
        }

        m.Add("command", L(s.Command, omitEmpty: false));
        if (s.DependsOn.Count > 0)
        {
            var deps = new MapNode();
            foreach (var (name, d) in s.DependsOn.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                deps.Add(name, new MapNode().Add("condition", S(d.Condition)).Add("restart", d.Restart ? new BoolNode(true) : null).Add("required", new BoolNode(d.Required)));
            }

            m.Add("depends_on", deps);
        }

        m.Add("deploy", Deploy(s.Deploy));
        m.Add("entrypoint", L(s.Entrypoint, omitEmpty: false));
        m.Add("environment", Dict(s.Environment));
        if (s.EnvFiles.Count > 0)
        {
            m.Add("env_file", new ListNode([.. s.EnvFiles.Select(e =>
            {
                var entry = new MapNode().Add("path", S(e.Path)).Add("required", new BoolNode(e.Required));
                return e.Format is null ? entry : entry.Add("format", S(e.Format));
            })]));
        }

        if (s.Healthcheck is { } h)
        {
            m.Add("healthcheck", new MapNode()
                .Add("test", L(h.Test))
                .Add("timeout", D(h.Timeout))
                .Add("interval", D(h.Interval))
                .Add("retries", N(h.Retries))
                .Add("start_period", D(h.StartPeriod))
                .Add("start_interval", D(h.StartInterval))
                .Add("disable", h.Disable ? new BoolNode(true) : null));
        }

        m.Add("hostname", S(s.Hostname));
        m.Add("image", S(s.Image));
        m.Add("labels", Labels(s.Labels));
        m.Add("links", L(s.Links));
        if (s.Networks.Count > 0)
        {
            var networks = new MapNode();
            foreach (var (name, n) in s.Networks.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                networks.Add(name, n is null ? new NullNode() : new MapNode().Add("aliases", L(n.Aliases)));
            }

            m.Add("networks", networks);
        }

        if (s.Ports.Count > 0)
        {
            m.Add("ports", new ListNode([.. s.Ports.Select(p => (Node)new MapNode()
                .Add("mode", S(p.Mode))
                .Add("host_ip", S(p.HostIp))
                .Add("target", N(p.Target))
                .Add("published", S(p.Published))
                .Add("protocol", S(p.Protocol)))]));
        }

        m.Add("profiles", L(s.Profiles));
        m.Add("restart", S(s.Restart));
        m.Add("scale", N(s.Scale));
        m.Add("user", S(s.User));
        if (s.Volumes.Count > 0)
        {
            m.Add("volumes", new ListNode([.. s.Volumes.Select(Volume)]));
        }

        m.Add("working_dir", S(s.WorkingDir));
        m.Add("cap_add", L(s.CapAdd));
        m.Add("cap_drop", L(s.CapDrop));
        m.Add("container_name", S(s.ContainerName));
        m.Add("cpus", s.NanoCpus is { } cpus ? new NumNode((cpus / 1e9).ToString("R", CultureInfo.InvariantCulture)) : null);
        m.Add("dns", L(s.Dns));
        m.Add("expose", L(s.Expose));
        m.Add("extra_hosts", L(s.ExtraHosts));
        m.Add("init", s.Init is { } init ? new BoolNode(init) : null);
        m.Add("mem_limit", s.MemLimit is { } mem ? new StrNode(mem.ToString(CultureInfo.InvariantCulture)) : null);
        m.Add("network_mode", S(s.NetworkMode));
        m.Add("privileged", s.Privileged ? new BoolNode(true) : null);
        m.Add("pull_policy", S(s.PullPolicy));
        m.Add("read_only", s.ReadOnly ? new BoolNode(true) : null);
        m.Add("stdin_open", s.StdinOpen ? new BoolNode(true) : null);
        m.Add("stop_grace_period", D(s.StopGracePeriod));
        m.Add("stop_signal", S(s.StopSignal));
        m.Add("tmpfs", L(s.Tmpfs));
        m.Add("tty", s.Tty ? new BoolNode(true) : null);
        m.Add("volumes_from", L(s.VolumesFrom));
        m.Add("secrets", FileReferences(s.Secrets));
        m.Add("configs", FileReferences(s.Configs));
        return m.Sorted();
    }

    private static ListNode? FileReferences(IReadOnlyList<ServiceFileReference> references) => references.Count == 0
        ? null
        : new ListNode([.. references.Select(r => (Node)new MapNode()
            .Add("source", S(r.Source))
            .Add("target", S(r.Target))
            .Add("uid", S(r.Uid))
            .Add("gid", S(r.Gid))
            .Add("mode", S(r.Mode)))]);

    private static Node Volume(ServiceVolume v)
    {
        var m = new MapNode()
            .Add("type", S(v.Type.ToString().ToLowerInvariant()))
            .Add("source", S(v.Source))
            .Add("target", S(v.Target))
            .Add("read_only", v.ReadOnly ? new BoolNode(true) : null);
        if (v.Type == VolumeType.Bind && v.CreateHostPath)
        {
            m.Add("bind", new MapNode().Add("create_host_path", new BoolNode(true)));
        }

        if (v.Type == VolumeType.Volume)
        {
            m.Add("volume", new MapNode().Add("nocopy", v.NoCopy ? new BoolNode(true) : null));
        }

        return m;
    }

    private static MapNode? Deploy(DeployConfig? d)
    {
        if (d is null)
        {
            return null;
        }

        MapNode? Resource(ResourceSpec? r) => r is null
            ? null
            : new MapNode()
                .Add("cpus", r.NanoCpus is { } nano ? new NumNode((nano / 1e9).ToString("R", CultureInfo.InvariantCulture)) : null)
                .Add("memory", r.MemoryBytes is { } mem ? new StrNode(mem.ToString(CultureInfo.InvariantCulture)) : null)
                .Add("pids", N(r.Pids));
        MapNode? Update(UpdateConfig? u) => u is null
            ? null
            : new MapNode()
                .Add("parallelism", N(u.Parallelism))
                .Add("delay", D(u.Delay))
                .Add("failure_action", S(u.FailureAction))
                .Add("monitor", D(u.Monitor))
                .Add("max_failure_ratio", N(u.MaxFailureRatio))
                .Add("order", S(u.Order));
        MapNode? resources = d.Limits is null && d.Reservations is null ? null : new MapNode().Add("limits", Resource(d.Limits)).Add("reservations", Resource(d.Reservations));
        var restart = d.RestartPolicy is { } rp
            ? new MapNode().Add("condition", S(rp.Condition)).Add("delay", D(rp.Delay)).Add("max_attempts", N(rp.MaxAttempts)).Add("window", D(rp.Window))
            : null;
        var placement = d.Placement is { } p
            ? new MapNode()
                .Add("constraints", L(p.Constraints))
                .Add("preferences", p.PreferenceSpreads.Count == 0 ? null : new ListNode([.. p.PreferenceSpreads.Select(x => (Node)new MapNode().Add("spread", S(x)))]))
                .Add("max_replicas_per_node", N(p.MaxReplicasPerNode))
            : null;
        return new MapNode()
            .Add("mode", S(d.Mode))
            .Add("replicas", N(d.Replicas))
            .Add("labels", Labels(d.Labels))
            .Add("update_config", Update(d.UpdateConfig))
            .Add("rollback_config", Update(d.RollbackConfig))
            .Add("resources", resources)
            .Add("restart_policy", restart)
            .Add("placement", placement)
            .Add("endpoint_mode", S(d.EndpointMode));
    }

    private static void WriteYamlMap(StringBuilder sb, MapNode map, int indent)
    {
        var first = true;
        foreach (var (key, value) in map.Entries)
        {
            if (!first || indent >= 0)
            {
                sb.Append(' ', Math.Max(indent, 0));
            }

            first = false;
            indent = Math.Abs(indent);
            sb.Append(Quote(key)).Append(':');
            WriteYamlValue(sb, value, indent);
        }
    }

    /// <summary>Writes after "key:" or "-": inline scalar / empty collection, or a block on the next lines.</summary>
    private static void WriteYamlValue(StringBuilder sb, Node value, int indent)
    {
        switch (value)
        {
            case MapNode { Entries.Count: 0 }:
                sb.Append(" {}\n");
                break;
            case ListNode { Items.Count: 0 }:
                sb.Append(" []\n");
                break;
            case MapNode map:
                sb.Append('\n');
                WriteYamlMap(sb, map, indent + 2);
                break;
            case ListNode list:
                sb.Append('\n');
                foreach (var item in list.Items)
                {
                    sb.Append(' ', indent + 2).Append('-');
                    if (item is MapNode { Entries.Count: > 0 } itemMap)
                    {
                        sb.Append(' ');
                        WriteYamlMap(sb, itemMap, -(indent + 4));
                    }
                    else
                    {
                        WriteYamlValue(sb, item, indent + 2);
                    }
                }

                break;
            default:
                sb.Append(' ').Append(Scalar(value)).Append('\n');
                break;
        }
    }

    private static string Scalar(Node node) => node switch
    {
        StrNode s => Quote(s.Value),
        NumNode n => n.Raw,
        BoolNode b => b.Value ? "true" : "false",
        _ => "null",
    };

    private static readonly HashSet<string> Reserved = new(StringComparer.OrdinalIgnoreCase)
    {
        "", "~", "null", "true", "false", "yes", "no", "on", "off", "y", "n", ".inf", "-.inf", "+.inf", ".nan",
    };

    /// <summary>Double-quotes strings that a YAML reader would not read back as the same string.</summary>
    internal static string Quote(string value)
    {
        var needs = Reserved.Contains(value)
            || double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _)
            || ",[]{}#&*!|>'\"%@`".Contains(value[0], StringComparison.Ordinal)
            || ("-?:".Contains(value[0], StringComparison.Ordinal) && (value.Length == 1 || value[1] == ' '))
            || value.Contains(": ", StringComparison.Ordinal)
            || value.Contains(" #", StringComparison.Ordinal)
            || value.EndsWith(':')
            || char.IsWhiteSpace(value[0])
            || char.IsWhiteSpace(value[^1])
            || value.Any(c => char.IsControl(c))
            || (value.Length > 1 && value[0] == '0' && value.All(c => char.IsAsciiDigit(c) || c is 'x' or 'o' or '_'));
        if (!needs)
        {
            return value;
        }

        var sb = new StringBuilder("\"");
        foreach (var c in value)
        {
            sb.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\t' => "\\t",
                '\r' => "\\r",
                _ when char.IsControl(c) => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        }

        return sb.Append('"').ToString();
    }

    private static void WriteJson(Utf8JsonWriter writer, Node node)
    {
        switch (node)
        {
            case MapNode map:
                writer.WriteStartObject();
                foreach (var (key, value) in map.Entries)
                {
                    writer.WritePropertyName(key);
                    WriteJson(writer, value);
                }

                writer.WriteEndObject();
                break;
            case ListNode list:
                writer.WriteStartArray();
                foreach (var item in list.Items)
                {
                    WriteJson(writer, item);
                }

                writer.WriteEndArray();
                break;
            case StrNode s:
                writer.WriteStringValue(s.Value);
                break;
            case NumNode n:
                writer.WriteRawValue(n.Raw);
                break;
            case BoolNode b:
                writer.WriteBooleanValue(b.Value);
                break;
            default:
                writer.WriteNullValue();
                break;
        }
    }
}
