using System.Collections.Immutable;
using Skiff.State;

namespace Skiff.Manager.Orchestration;

/// <summary>The replicated reconciler's input: the service's identity, replica count and spec version.</summary>
public sealed record ReplicatedServiceLite(string Id, ulong Replicas, long SpecVersion);

/// <summary>
/// What the replicated orchestrator commits in one batch. <see cref="Creates"/> carry a slot and,
/// for a replacement, the task they replace; <see cref="Shutdowns"/> raise desired states.
/// </summary>
public sealed record ReconcilePlan(IReadOnlyList<TaskCreate> Creates, IReadOnlyList<TaskShutdown> Shutdowns, DateTimeOffset DecidedAt)
{
    public bool IsEmpty => Creates.Count == 0 && Shutdowns.Count == 0;

    public bool Equals(ReconcilePlan? other) =>
        other is not null && Creates.SequenceEqual(other.Creates) && Shutdowns.SequenceEqual(other.Shutdowns) && DecidedAt == other.DecidedAt;

    public override int GetHashCode() => HashCode.Combine(Creates.Count, Shutdowns.Count, DecidedAt);
}

/// <summary>
/// Replicated services: keep exactly N runnable slots (swarmkit
/// <c>manager/orchestrator/replicated/services.go</c> <c>reconcile</c>, and <c>tasks.go</c> for
/// nodes going down or drained). A slot is runnable when one of its tasks has desired state
/// &lt;= running. Pure: (service, tasks, nodes, now) -> plan.
/// </summary>
public static class ReplicatedReconciler
{
    public const string ScaleDownReason = "scaled down";
    public const string NodeInvalidReason = "node down or drained: task rescheduled";

    public static ReconcilePlan Plan(ReplicatedServiceLite service, IReadOnlyCollection<TaskLite> tasks, IReadOnlyCollection<NodeLite> nodes, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(tasks);
        ArgumentNullException.ThrowIfNull(nodes);

        var nodesById = nodes.ToDictionary(n => n.Id, StringComparer.Ordinal);
        var runnableSlots = tasks
            .Where(t => t.IsDesiredRunnable && t.Slot > 0)
            .GroupBy(t => t.Slot)
            .ToDictionary(g => g.Key, g => g.OrderBy(t => t.Id, StringComparer.Ordinal).ToList());

        var creates = ImmutableArray.CreateBuilder<TaskCreate>();
        var shutdowns = ImmutableArray.CreateBuilder<TaskShutdown>();
        var desired = service.Replicas > int.MaxValue ? int.MaxValue : (int)service.Replicas;

        var kept = runnableSlots.Keys.ToHashSet();
        if (runnableSlots.Count > desired)
        {
            var ordered = OrderForScaleDown(runnableSlots);
            foreach (var slot in ordered.Skip(desired))
            {
                kept.Remove(slot);
                foreach (var task in runnableSlots[slot])
                {
                    // swarmkit marks removed slots REMOVE so the agent cleans up and the reaper deletes.
                    shutdowns.Add(new TaskShutdown(task.Id, slot, TaskState.Remove, ScaleDownReason));
                }
            }
        }

        // Tasks on a down or drained (or vanished) node are replaced in the same slot; the old task
        // stays in history with desired state Shutdown. A node that comes back gets nothing back:
        // swarm does not rebalance (moby#24103).
        foreach (var slot in kept.Order())
        {
            var slotTasks = runnableSlots[slot];
            var stranded = slotTasks.Where(t => IsOnInvalidNode(t, nodesById)).ToList();
            if (stranded.Count == 0)
            {
                continue;
            }

            foreach (var task in stranded)
            {
                shutdowns.Add(new TaskShutdown(task.Id, slot, TaskState.Shutdown, NodeInvalidReason));
            }

            if (stranded.Count == slotTasks.Count)
            {
                creates.Add(new TaskCreate(slot, null, stranded[^1].Id));
            }
        }

        var missing = desired - kept.Count;
        var candidate = 0;
        for (var i = 0; i < missing; i++)
        {
            do
            {
                candidate++;
            }
            while (kept.Contains(candidate));

            creates.Add(new TaskCreate(candidate, null, null));
        }

        return new ReconcilePlan(creates.ToImmutable(), shutdowns.ToImmutable(), now);
    }

    /// <summary>
    /// Slots in keep order, as swarmkit scales down: running tasks are walked first; each gets an
    /// index counting it as the nth copy of the service on its node; slots sort by that index
    /// (slots with no node, or several tasks, last), then running before not running, then lowest
    /// slot. The tail is removed, so crowded nodes lose tasks first and the highest slot goes first
    /// among equals.
    /// </summary>
    internal static IReadOnlyList<int> OrderForScaleDown(IReadOnlyDictionary<int, List<TaskLite>> runnableSlots)
    {
        static bool IsRunning(List<TaskLite> slot) => slot.Any(t => t.ObservedState == TaskState.Running);

        var walk = runnableSlots
            .OrderByDescending(kv => IsRunning(kv.Value))
            .ThenBy(kv => kv.Key)
            .ToList();

        var perNode = new Dictionary<string, int>(StringComparer.Ordinal);
        var indexed = new List<(int Slot, int Index, bool Running)>(walk.Count);
        foreach (var (slot, slotTasks) in walk)
        {
            var index = int.MaxValue;
            if (slotTasks.Count == 1 && slotTasks[0].NodeId is { Length: > 0 } nodeId)
            {
                index = perNode[nodeId] = perNode.GetValueOrDefault(nodeId) + 1;
            }

            indexed.Add((slot, index, IsRunning(slotTasks)));
        }

        return indexed
            .OrderBy(x => x.Index)
            .ThenByDescending(x => x.Running)
            .ThenBy(x => x.Slot)
            .Select(x => x.Slot)
            .ToList();
    }

    private static bool IsOnInvalidNode(TaskLite task, Dictionary<string, NodeLite> nodesById) =>
        task.NodeId is { Length: > 0 } nodeId &&
        (!nodesById.TryGetValue(nodeId, out var node) || node.IsInvalid);
}
