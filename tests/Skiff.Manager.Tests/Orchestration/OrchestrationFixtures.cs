using Skiff.Manager.Orchestration;
using Skiff.State;

namespace Skiff.Manager.Tests.Orchestration;

internal static class OrchestrationFixtures
{
    public static readonly DateTimeOffset T0 = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    public static TaskLite Task(string id, int slot, string? node = null, TaskState observed = TaskState.Running, TaskState desired = TaskState.Running, int createdSeconds = 0) =>
        new()
        {
            Id = id,
            Slot = slot,
            NodeId = node,
            ObservedState = observed,
            DesiredState = desired,
            CreatedAt = T0.AddSeconds(createdSeconds),
            StatusTimestamp = T0.AddSeconds(createdSeconds),
        };

    public static NodeLite Node(string id, NodeState state = NodeState.Ready, NodeAvailability availability = NodeAvailability.Active) =>
        new() { Id = id, State = state, Availability = availability };

    /// <summary>Applies a plan the way the store adapter would: raise desired states, add New tasks.</summary>
    public static List<TaskLite> Apply(IEnumerable<TaskLite> tasks, ReconcilePlan plan)
    {
        var byId = plan.Shutdowns.ToDictionary(s => s.TaskId, s => s.DesiredState);
        var result = tasks.Select(t => byId.TryGetValue(t.Id, out var d) ? t with { DesiredState = d } : t).ToList();
        var n = 0;
        foreach (var create in plan.Creates)
        {
            result.Add(new TaskLite
            {
                Id = $"new-{create.Slot}-{create.NodeId}-{n++}-{result.Count}",
                Slot = create.Slot,
                NodeId = create.NodeId,
                DesiredState = TaskState.Running,
                ObservedState = TaskState.New,
                CreatedAt = plan.DecidedAt,
                StatusTimestamp = plan.DecidedAt,
            });
        }

        return result;
    }
}
