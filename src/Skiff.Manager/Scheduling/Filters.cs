using System.Collections.Concurrent;
using Skiff.State;

namespace Skiff.Manager.Scheduling;

/// <summary>
/// One scheduling check. Every rejection explains itself: <see cref="Explain"/> turns the number of
/// nodes this filter rejected into the text users see in <c>docker service ps</c>.
/// </summary>
public interface IFilter
{
    string Name { get; }

    bool Check(NodeInfo node, TaskRequest task);

    string Explain(int nodes);
}

// The explanation texts are swarmkit's (manager/scheduler/filter.go), word for word, because users
// and tools grep for them. swarmkit folds "ready" and "availability" into one ReadyFilter; we keep two
// filters with the same text and the pipeline counts them together.

/// <summary>The node must be <see cref="NodeState.Ready"/>.</summary>
public sealed class ReadyFilter : IFilter
{
    public string Name => "ready";

    public bool Check(NodeInfo node, TaskRequest task)
    {
        ArgumentNullException.ThrowIfNull(node);
        return node.State == NodeState.Ready;
    }

    public string Explain(int nodes) => NotAvailable(nodes);

    internal static string NotAvailable(int nodes) =>
        nodes == 1 ? "1 node not available for new tasks" : $"{nodes} nodes not available for new tasks";
}

/// <summary>Only <see cref="NodeAvailability.Active"/> nodes take new tasks (pause and drain do not).</summary>
public sealed class AvailabilityFilter : IFilter
{
    public string Name => "availability";

    public bool Check(NodeInfo node, TaskRequest task)
    {
        ArgumentNullException.ThrowIfNull(node);
        return node.Availability == NodeAvailability.Active;
    }

    public string Explain(int nodes) => ReadyFilter.NotAvailable(nodes);
}

/// <summary>The task's reservations must fit in the node's total minus what is already reserved.</summary>
public sealed class ResourcesFilter : IFilter
{
    public string Name => "resources";

    public bool Check(NodeInfo node, TaskRequest task)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(task);
        // As swarmkit, a task without reservations skips this filter (even on an overcommitted node).
        return task.Reservations.IsZero || node.Available.Fits(task.Reservations);
    }

    public string Explain(int nodes) =>
        nodes == 1 ? "insufficient resources on 1 node" : $"insufficient resources on {nodes} nodes";
}

/// <summary>All placement constraints must hold (AND).</summary>
public sealed class ConstraintsFilter : IFilter
{
    // Parsed once per distinct constraint list (tasks of a group share theirs); a null entry marks an
    // invalid list. Keyed by reference: one filter instance lives for one scheduling pass.
    private readonly ConcurrentDictionary<IReadOnlyList<string>, IReadOnlyList<Constraint>?> _parsed =
        new(ReferenceEqualityComparer.Instance);

    public string Name => "constraints";

    public bool Check(NodeInfo node, TaskRequest task)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(task);
        if (task.Constraints.Count == 0)
        {
            return true;
        }

        // The API validates constraints before a task exists. If an invalid one slips through anyway,
        // swarmkit silently drops all constraints; we refuse every node instead, so the task stays
        // pending with an explanation rather than landing somewhere the user excluded.
        var constraints = _parsed.GetOrAdd(task.Constraints, static list =>
        {
            var result = new List<Constraint>(list.Count);
            foreach (var expression in list)
            {
                if (!Constraint.TryParse(expression, out var c, out _))
                {
                    return null;
                }

                result.Add(c);
            }

            return result;
        });
        return constraints is not null && Constraint.MatchesAll(constraints, node);
    }

    public string Explain(int nodes) =>
        nodes == 1
            ? "scheduling constraints not satisfied on 1 node"
            : $"scheduling constraints not satisfied on {nodes} nodes";
}

/// <summary>The node's platform must be one the image supports (empty list: any).</summary>
public sealed class PlatformFilter : IFilter
{
    public string Name => "platform";

    public bool Check(NodeInfo node, TaskRequest task)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(task);
        if (task.Platforms.Count == 0)
        {
            return true;
        }

        if (string.IsNullOrEmpty(node.Platform.OS) && string.IsNullOrEmpty(node.Platform.Architecture))
        {
            return false; // a node that reported no platform supports none
        }

        var nodeArch = NormalizeArch(node.Platform.Architecture);
        foreach (var p in task.Platforms)
        {
            var arch = NormalizeArch(p.Architecture);
            if ((arch.Length == 0 || arch == nodeArch) &&
                (string.IsNullOrEmpty(p.OS) || p.OS == node.Platform.OS))
            {
                return true;
            }
        }

        return false;
    }

    public string Explain(int nodes) =>
        nodes == 1 ? "unsupported platform on 1 node" : $"unsupported platform on {nodes} nodes";

    // Engines report "x86_64" where image manifests say "amd64" (swarmkit normalises the same way).
    private static string NormalizeArch(string? arch) => arch == "x86_64" ? "amd64" : arch ?? "";
}

/// <summary>No host-mode published port of the task may already be bound on the node.</summary>
public sealed class HostPortsFilter : IFilter
{
    public string Name => "host-ports";

    public bool Check(NodeInfo node, TaskRequest task)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(task);
        foreach (var port in task.HostPorts)
        {
            if (port.Port != 0 && node.HostPortsInUse.Contains(port))
            {
                return false;
            }
        }

        return true;
    }

    public string Explain(int nodes) =>
        nodes == 1 ? "host-mode port already in use on 1 node" : $"host-mode port already in use on {nodes} nodes";
}

/// <summary>At most <see cref="TaskRequest.MaxReplicasPerNode"/> tasks of the service per node.</summary>
public sealed class MaxReplicasFilter : IFilter
{
    public string Name => "max-replicas";

    public bool Check(NodeInfo node, TaskRequest task)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(task);
        return task.MaxReplicasPerNode <= 0 || node.TasksOf(task.ServiceId) < task.MaxReplicasPerNode;
    }

    // swarmkit's text carries no count (and its grammar), and users search for it verbatim.
    public string Explain(int nodes) => "max replicas per node limit exceed";
}
