namespace Skiff.Manager.Scheduling;

/// <summary>
/// Runs filters in order against a node; for a task that fits nowhere, sums the rejections into
/// swarmkit's <c>no suitable node (...)</c> text.
/// </summary>
public sealed class Pipeline
{
    public const string NoSuitableNode = "no suitable node";

    private readonly IFilter[] _filters;

    public Pipeline(IEnumerable<IFilter> filters)
    {
        ArgumentNullException.ThrowIfNull(filters);
        _filters = [.. filters];
    }

    /// <summary>swarmkit's order: ready (and availability), resources, constraints, platform, host ports, max replicas.</summary>
    public static Pipeline CreateDefault() => new(
    [
        new ReadyFilter(),
        new AvailabilityFilter(),
        new ResourcesFilter(),
        new ConstraintsFilter(),
        new PlatformFilter(),
        new HostPortsFilter(),
        new MaxReplicasFilter(),
    ]);

    public IReadOnlyList<IFilter> Filters => _filters;

    /// <summary>The first filter that rejects the node, or null when the node passes them all.</summary>
    public IFilter? FirstFailure(NodeInfo node, TaskRequest task)
    {
        foreach (var f in _filters)
        {
            if (!f.Check(node, task))
            {
                return f;
            }
        }

        return null;
    }

    public bool Passes(NodeInfo node, TaskRequest task) => FirstFailure(node, task) is null;

    /// <summary>
    /// Why <paramref name="task"/> fits on none of <paramref name="nodes"/>, e.g.
    /// <c>no suitable node (scheduling constraints not satisfied on 2 nodes; insufficient resources on 1 node)</c>.
    /// </summary>
    /// <remarks>
    /// Only each node's first failing filter counts. Filters with the same wording (ready and
    /// availability) are counted together. Reasons are ordered as swarmkit's pipeline orders them:
    /// most rejected nodes first, ties in filter order. With no node rejected (or no node at all) the
    /// text is the bare <c>no suitable node</c>.
    /// </remarks>
    public string Explain(IEnumerable<NodeInfo> nodes, TaskRequest task)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(task);
        var counts = new int[_filters.Length];
        foreach (var node in nodes)
        {
            var failed = Array.IndexOf(_filters, FirstFailure(node, task));
            if (failed >= 0)
            {
                counts[failed]++;
            }
        }

        // Fold filters that explain themselves identically into the first of them.
        var groups = new List<(int First, int Count)>();
        var keys = new List<string>();
        for (var i = 0; i < _filters.Length; i++)
        {
            if (counts[i] == 0)
            {
                continue;
            }

            var key = _filters[i].Explain(1);
            var at = keys.IndexOf(key);
            if (at < 0)
            {
                keys.Add(key);
                groups.Add((i, counts[i]));
            }
            else
            {
                groups[at] = (groups[at].First, groups[at].Count + counts[i]);
            }
        }

        if (groups.Count == 0)
        {
            return NoSuitableNode;
        }

        var reasons = groups
            .OrderByDescending(g => g.Count)
            .ThenBy(g => g.First)
            .Select(g => _filters[g.First].Explain(g.Count));
        return $"{NoSuitableNode} ({string.Join("; ", reasons)})";
    }
}
