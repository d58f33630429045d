using CsCheck;
using Skiff.Manager.Orchestration;
using Skiff.State;
using static Skiff.Manager.Tests.Orchestration.OrchestrationFixtures;

namespace Skiff.Manager.Tests.Orchestration;

public class TaskReaperTests
{
    private static TaskLite Dead(string id, int slot, int created) =>
        Task(id, slot, "a", TaskState.Failed, TaskState.Shutdown, created);

    [Fact]
    public void Plan_SevenTasksInSlot_DeletesTwoOldest()
    {
        var tasks = Enumerable.Range(0, 6).Select(i => Dead($"d{i}", 1, i)).Append(Task("run", 1, "a", createdSeconds: 10)).ToList();

        var delete = TaskReaper.Plan(tasks);

        Assert.Equal(["d0", "d1"], delete);
    }

    [Fact]
    public void Plan_WithinLimit_DeletesNothing()
    {
        var tasks = Enumerable.Range(0, 5).Select(i => Dead($"d{i}", 1, i)).ToList();

        Assert.Empty(TaskReaper.Plan(tasks));
    }

    [Fact]
    public void Plan_SlotsCountedSeparately_AndGlobalTasksByNode()
    {
        var tasks = Enumerable.Range(0, 3).Select(i => Dead($"s1-{i}", 1, i))
            .Concat(Enumerable.Range(0, 3).Select(i => Dead($"s2-{i}", 2, i)))
            .Concat(Enumerable.Range(0, 4).Select(i => Task($"g{i}", 0, i == 0 ? "x" : "y", TaskState.Failed, TaskState.Shutdown, i)))
            .ToList();

        Assert.Equal(["g1", "s1-0", "s2-0"], TaskReaper.Plan(tasks, retentionLimit: 2));
    }

    [Fact]
    public void Plan_OldRunningTask_NeverDeletedEvenOverLimit()
    {
        TaskLite[] tasks = [Task("oldrun", 1, "a", createdSeconds: 0), Dead("d1", 1, 1), Dead("d2", 1, 2)];

        Assert.Equal(["d1"], TaskReaper.Plan(tasks, retentionLimit: 1));
    }

    [Fact]
    public void Plan_StoppedRemovedTasks_DeletedRegardlessOfLimitButNotNewest()
    {
        TaskLite[] tasks =
        [
            Task("r0", 3, "a", TaskState.Shutdown, TaskState.Remove, 0),
            Task("r1", 3, "a", TaskState.Shutdown, TaskState.Remove, 1),
        ];

        Assert.Equal(["r0"], TaskReaper.Plan(tasks));
    }

    [Fact]
    public void Plan_NegativeLimit_KeepsHistory() =>
        Assert.Empty(TaskReaper.Plan(Enumerable.Range(0, 9).Select(i => Dead($"d{i}", 1, i)).ToList(), retentionLimit: -1));

    [Fact]
    public void Plan_AnyHistory_NeverDeletesRunningNorNewestAndRespectsLimit() =>
        Gen.Select(
                Gen.Select(Gen.Int[1, 3], Gen.Int[0, 50], Gen.OneOf(Gen.Const(TaskState.Running), Gen.Const(TaskState.Failed), Gen.Const(TaskState.Complete)), Gen.OneOf(Gen.Const(TaskState.Running), Gen.Const(TaskState.Shutdown), Gen.Const(TaskState.Remove))).Array[0, 20],
                Gen.Int[0, 6])
            .Sample((shapes, limit) =>
            {
                var tasks = shapes.Select((s, i) => Task($"t{i}", s.Item1, "a", s.Item3, s.Item4, s.Item2)).ToList();
                var deleted = TaskReaper.Plan(tasks, limit).ToHashSet();
                var newestPerSlot = tasks.GroupBy(t => t.Slot)
                    .Select(g => g.OrderByDescending(t => t.CreatedAt).ThenByDescending(t => t.StatusTimestamp).ThenByDescending(t => t.Id, StringComparer.Ordinal).First().Id);
                return tasks.Where(t => deleted.Contains(t.Id)).All(t => TaskLifecycle.IsTerminal(t.ObservedState) && TaskLifecycle.IsTerminal(t.DesiredState)) &&
                    newestPerSlot.All(id => !deleted.Contains(id)) &&
                    deleted.Count == deleted.Distinct().Count();
            });
}
