using System.Globalization;
using System.Text.Json.Nodes;
using Skiff.Api;
using Skiff.Cli.Connection;
using Skiff.Cli.Formatting;

namespace Skiff.Cli.Commands;

/// <summary>docker's idresolver: node and service IDs to names (cached; the ID itself when it cannot be resolved).</summary>
internal sealed class IdResolver(CliContext ctx, bool noResolve)
{
    private readonly Dictionary<string, string> _cache = new(StringComparer.Ordinal);

    public async Task<string> NodeAsync(string? id, CancellationToken ct)
    {
        if (noResolve || string.IsNullOrEmpty(id))
        {
            return id ?? "";
        }
        if (_cache.TryGetValue(id, out var name))
        {
            return name;
        }
        try
        {
            var node = await ctx.Client.GetAsync($"/nodes/{Common.Escape(id)}", SkiffJson.Default.NodeWire, ct);
            name = !string.IsNullOrEmpty(node.Spec.Name) ? node.Spec.Name
                : node.Description.Hostname.Length > 0 ? node.Description.Hostname
                : id;
        }
        catch (DaemonException)
        {
            name = id;
        }
        _cache[id] = name;
        return name;
    }

    public async Task<string> ServiceAsync(string? id, CancellationToken ct)
    {
        if (noResolve || string.IsNullOrEmpty(id))
        {
            return id ?? "";
        }
        if (_cache.TryGetValue(id, out var name))
        {
            return name;
        }
        try
        {
            var service = await ctx.Client.GetAsync($"/services/{Common.Escape(id)}?insertDefaults=false", SkiffJson.Default.ServiceWire, ct);
            name = service.Spec.Name;
        }
        catch (DaemonException)
        {
            name = id;
        }
        _cache[id] = name;
        return name;
    }
}

/// <summary>docker's task.Print (service ps, node ps): names, history rows indented under their slot, the task table.</summary>
internal static class TaskPrinter
{
    public const string DefaultTable = "table {{.ID}}\t{{.Name}}\t{{.Image}}\t{{.Node}}\t{{.DesiredState}}\t{{.CurrentState}}\t{{.Error}}\t{{.Ports}}";
    private const int MaxErrLength = 30;

    public static readonly IReadOnlyDictionary<string, string> Headers = new Dictionary<string, string>
    {
        ["ID"] = "ID",
        ["Name"] = "NAME",
        ["Image"] = "IMAGE",
        ["Node"] = "NODE",
        ["DesiredState"] = "DESIRED STATE",
        ["CurrentState"] = "CURRENT STATE",
        ["Error"] = "ERROR",
        ["Ports"] = "PORTS",
    };

    public static async Task PrintAsync(CliContext ctx, IReadOnlyList<TaskWire> tasks, IdResolver resolver, bool trunc, bool quiet, string? format, CancellationToken ct)
    {
        // Names first (service.slot, or service.node for global tasks), then the stable sort that keeps a
        // slot's tasks together with the newest first.
        var named = new List<(TaskWire Task, string Name)>();
        foreach (var t in tasks)
        {
            var service = await resolver.ServiceAsync(t.ServiceID, ct);
            named.Add((t, t.Slot != 0 ? $"{service}.{t.Slot.ToString(CultureInfo.InvariantCulture)}" : $"{service}.{t.NodeID}"));
        }
        var sorted = Sort(named);
        var f = string.IsNullOrEmpty(format) ? ListFormatter.TableKey : format;
        var effective = f == ListFormatter.TableKey ? (quiet ? "{{.ID}}" : DefaultTable) : f;
        var indent = ListFormatter.IsTable(effective) ? " \\_ " : "";
        var rows = new List<JsonObject>();
        string? previous = null;
        foreach (var (task, name) in sorted)
        {
            var shown = name == previous ? indent + name : name;
            previous = name;
            var node = await resolver.NodeAsync(task.NodeID, ct);
            rows.Add(Row(ctx, task, shown, node, trunc));
        }
        await ctx.Out.WriteAsync(ListFormatter.Render(effective, rows, Headers));
    }

    /// <summary>Natural order of names; within one name (a slot's history) the most recently created first.</summary>
    internal static List<(TaskWire Task, string Name)> Sort(IEnumerable<(TaskWire Task, string Name)> named) =>
        named.OrderBy(p => p, Comparer<(TaskWire Task, string Name)>.Create((a, b) =>
        {
            if (a.Name != b.Name)
            {
                return GoText.NaturalCompare(a.Name, b.Name);
            }
            var ta = Common.ParseTime(a.Task.CreatedAt) ?? DateTimeOffset.MinValue;
            var tb = Common.ParseTime(b.Task.CreatedAt) ?? DateTimeOffset.MinValue;
            return tb.CompareTo(ta);
        })).ToList();

    internal static JsonObject Row(CliContext ctx, TaskWire task, string name, string node, bool trunc)
    {
        var image = task.Spec.ContainerSpec?.Image ?? "";
        if (trunc)
        {
            image = ServiceFormat.DisplayImage(image);
        }
        var error = task.Status.Err ?? "";
        if (trunc)
        {
            error = Common.Ellipsis(error, MaxErrLength);
        }
        if (error.Length > 0)
        {
            error = "\"" + error + "\"";
        }
        var since = Common.ParseTime(task.Status.Timestamp) is { } ts ? ctx.Time.GetUtcNow() - ts : TimeSpan.MaxValue;
        var ports = task.Status.PortStatus?.Ports is { Count: > 0 } p
            ? string.Join(',', p.Select(c => $"*:{c.PublishedPort}->{c.TargetPort}/{c.Protocol}"))
            : "";
        return new JsonObject
        {
            ["CurrentState"] = $"{GoText.PrettyPrint(task.Status.State)} {Units.HumanDuration(since).ToLowerInvariant()} ago",
            ["DesiredState"] = GoText.PrettyPrint(task.DesiredState),
            ["Error"] = error,
            ["ID"] = trunc ? Common.TruncateId(task.ID) : task.ID,
            ["Image"] = image,
            ["Name"] = name,
            ["Node"] = node,
            ["Ports"] = ports,
        };
    }
}

/// <summary>Helpers shared by node, service and swarm commands.</summary>
internal static class SwarmCommon
{
    /// <summary>docker's node.Reference: "self" is this engine's node ID (from /info).</summary>
    public static async Task<string> NodeReferenceAsync(CliContext ctx, string reference, CancellationToken ct)
    {
        if (reference != "self")
        {
            return reference;
        }
        var info = await ctx.Client.GetAsync("/info", SkiffJson.Default.SystemInfo, ct);
        if (string.IsNullOrEmpty(info.Swarm.NodeID))
        {
            throw new CliException("node ID not found in /info");
        }
        return info.Swarm.NodeID;
    }

    /// <summary>The help of <paramref name="cmd"/> (docker prints it when a command got nothing to do).</summary>
    public static string Help(System.CommandLine.Command cmd) => DockerHelpAction.Render(cmd);
}
