using Skiff.Manager.Orchestration;
using Skiff.State;

namespace Skiff.Manager.Tests.Orchestration;

public class TaskLifecycleTests
{
    [Theory]
    [InlineData(TaskState.New, TaskState.Pending, true)]
    [InlineData(TaskState.Pending, TaskState.Assigned, true)]
    [InlineData(TaskState.Assigned, TaskState.Running, true)]
    [InlineData(TaskState.Starting, TaskState.Running, true)]
    [InlineData(TaskState.Running, TaskState.Complete, true)]
    [InlineData(TaskState.Running, TaskState.Failed, true)]
    [InlineData(TaskState.Pending, TaskState.Rejected, true)]
    [InlineData(TaskState.Running, TaskState.Running, false)]
    [InlineData(TaskState.Running, TaskState.Starting, false)]
    [InlineData(TaskState.Assigned, TaskState.Pending, false)]
    [InlineData(TaskState.Complete, TaskState.Shutdown, false)]
    [InlineData(TaskState.Failed, TaskState.Rejected, false)]
    [InlineData(TaskState.Shutdown, TaskState.Orphaned, false)]
    [InlineData(TaskState.Failed, TaskState.Running, false)]
    public void CanTransition_Pairs_OnlyForwardFromNonTerminal(TaskState from, TaskState to, bool expected) =>
        Assert.Equal(expected, TaskLifecycle.CanTransition(from, to));

    [Fact]
    public void States_HaveSwarmkitNumbers_InOrder()
    {
        int[] expected = [0, 64, 128, 192, 256, 320, 384, 448, 512, 576, 640, 704, 768, 800, 832];
        Assert.Equal(expected, Enum.GetValues<TaskState>().Select(s => (int)s));
    }

    [Fact]
    public void IsTerminal_EveryState_TrueExactlyPastRunning()
    {
        foreach (var state in Enum.GetValues<TaskState>())
        {
            Assert.Equal(state > TaskState.Running, TaskLifecycle.IsTerminal(state));
            Assert.Equal(!TaskLifecycle.IsTerminal(state), TaskLifecycle.IsRunningOrEarlier(state));
        }
    }

    [Fact]
    public void CanTransition_FromTerminal_NeverAllowed()
    {
        var all = Enum.GetValues<TaskState>();
        foreach (var from in all.Where(TaskLifecycle.IsTerminal))
        {
            Assert.All(all, to => Assert.False(TaskLifecycle.CanTransition(from, to)));
        }
    }

    [Fact]
    public void TaskState_PersistedValues_AreSwarmkitsNumbers()
    {
        // A disk and wire format: these numbers only ever grow (STYLE.md habit 5).
        (TaskState State, int Value)[] expected =
        [
            (TaskState.New, 0), (TaskState.Pending, 64), (TaskState.Allocated, 128), (TaskState.Assigned, 192),
            (TaskState.Accepted, 256), (TaskState.Preparing, 320), (TaskState.Ready, 384), (TaskState.Starting, 448),
            (TaskState.Running, 512), (TaskState.Complete, 576), (TaskState.Shutdown, 640), (TaskState.Failed, 704),
            (TaskState.Rejected, 768), (TaskState.Remove, 800), (TaskState.Orphaned, 832),
        ];
        Assert.Equal(expected.Length, Enum.GetValues<TaskState>().Length);
        Assert.All(expected, e => Assert.Equal(e.Value, (int)e.State));
    }
}
