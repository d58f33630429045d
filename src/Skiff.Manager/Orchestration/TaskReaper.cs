using System.Collections.Immutable;
using Skiff.State;

namespace Skiff.Manager.Orchestration;

/// <summary>
/// Bounded task history (swarmkit <c>manager/orchestrator/taskreaper/task_reaper.go</c>): per
/// slot (or per node for global services) keep at most <c>retentionLimit</c> tasks, deleting the
/// oldest ones that are finished (desired and observed state both past running). Tasks marked
/// Remove that have stopped are deleted whatever the limit. A running task and the newest task of
/// a slot are never deleted.
/// </summary>
public static class TaskReaper
{
    public const int DefaultRetentionLimit = 5;

    /// <param name="tasks">All tasks of one service.</param>
    /// <param name="retentionLimit">Tasks kept per slot; negative keeps everything (except stopped Remove tasks).</param>
    public static IReadOnlyList<string> Plan(IReadOnlyCollection<TaskLite> tasks, int retentionLimit = DefaultRetentionLimit)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        var delete = ImmutableArray.CreateBuilder<string>();

        foreach (var group in tasks.GroupBy(t => (t.Slot, Node: t.Slot == 0 ? t.NodeId ?? "" : "")).OrderBy(g => g.Key.Slot).ThenBy(g => g.Key.Node, StringComparer.Ordinal))
        {
            var newestFirst = group
                .OrderByDescending(t => t.CreatedAt)
                .ThenByDescending(t => t.StatusTimestamp)
                .ThenByDescending(t => t.Id, StringComparer.Ordinal)
                .ToList();
            var newest = newestFirst[0];
            var remaining = newestFirst.Count;

            // Oldest first.
            for (var i = newestFirst.Count - 1; i > 0; i--)
            {
                var task = newestFirst[i];
                if (!IsFinished(task) || ReferenceEquals(task, newest))
                {
                    continue;
                }

                var removed = task.DesiredState == TaskState.Remove;
                if (removed || (retentionLimit >= 0 && remaining > retentionLimit))
                {
                    delete.Add(task.Id);
                    remaining--;
                }
            }
        }

        return delete.ToImmutable();
    }

    private static bool IsFinished(TaskLite task) =>
        TaskLifecycle.IsTerminal(task.DesiredState) && TaskLifecycle.IsTerminal(task.ObservedState);
}
