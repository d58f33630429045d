using System.Collections.Immutable;
using Skiff.State;

namespace Skiff.Manager.Orchestration;

/// <summary>
/// Global services: one runnable task per eligible node (swarmkit
/// <c>manager/orchestrator/global/global.go</c>). Eligible = ready, active, and satisfying the
/// service's constraints (a predicate supplied by the caller, e.g. the scheduler's constraint
/// filter). A paused node or one in an unknown state keeps its task but gets no new one; a down,
/// drained, vanished or no-longer-matching node has its task shut down.
/// </summary>
public static class GlobalReconciler
{
    public const string IneligibleReason = "node no longer eligible for this global service";
    public const string DuplicateReason = "duplicate task on node";

    public static ReconcilePlan Plan(IReadOnlyCollection<TaskLite> tasks, IReadOnlyCollection<NodeLite> nodes, Func<NodeLite, bool> satisfiesConstraints, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(satisfiesConstraints);

        var creates = ImmutableArray.CreateBuilder<TaskCreate>();
        var shutdowns = ImmutableArray.CreateBuilder<TaskShutdown>();
        var nodesById = nodes.ToDictionary(n => n.Id, StringComparer.Ordinal);
        var runnableByNode = tasks
            .Where(t => t.IsDesiredRunnable && t.NodeId is { Length: > 0 })
            .GroupBy(t => t.NodeId!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.OrderByDescending(t => t.CreatedAt).ThenBy(t => t.Id, StringComparer.Ordinal).ToList(), StringComparer.Ordinal);

        foreach (var (nodeId, nodeTasks) in runnableByNode.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var keep = nodesById.TryGetValue(nodeId, out var node) &&
                !node.IsInvalid &&
                satisfiesConstraints(node);
            for (var i = 0; i < nodeTasks.Count; i++)
            {
                if (!keep)
                {
                    shutdowns.Add(new TaskShutdown(nodeTasks[i].Id, 0, TaskState.Shutdown, IneligibleReason));
                }
                else if (i > 0)
                {
                    shutdowns.Add(new TaskShutdown(nodeTasks[i].Id, 0, TaskState.Shutdown, DuplicateReason));
                }
            }
        }

        foreach (var node in nodes.OrderBy(n => n.Id, StringComparer.Ordinal))
        {
            var eligible = node.State == NodeState.Ready && node.Availability == NodeAvailability.Active && satisfiesConstraints(node);
            if (eligible && !runnableByNode.ContainsKey(node.Id))
            {
                creates.Add(new TaskCreate(0, node.Id, null));
            }
        }

        return new ReconcilePlan(creates.ToImmutable(), shutdowns.ToImmutable(), now);
    }
}
