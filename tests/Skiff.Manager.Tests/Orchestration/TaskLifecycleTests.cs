using Skiff.Manager.Orchestration;
using Skiff.State;

namespace Skiff.Manager.Tests.Orchestration;

public class TaskLifecycleTests
{
    [Theory]
    [InlineData(TaskLifecycleState.New, TaskLifecycleState.Pending, true)]
    [InlineData(TaskLifecycleState.Pending, TaskLifecycleState.Assigned, true)]
    [InlineData(TaskLifecycleState.Assigned, TaskLifecycleState.Running, true)]
    [InlineData(TaskLifecycleState.Starting, TaskLifecycleState.Running, true)]
    [InlineData(TaskLifecycleState.Running, TaskLifecycleState.Complete, true)]
    [InlineData(TaskLifecycleState.Running, TaskLifecycleState.Failed, true)]
    [InlineData(TaskLifecycleState.Pending, TaskLifecycleState.Rejected, true)]
    [InlineData(TaskLifecycleState.Running, TaskLifecycleState.Running, false)]
    [InlineData(TaskLifecycleState.Running, TaskLifecycleState.Starting, false)]
    [InlineData(TaskLifecycleState.Assigned, TaskLifecycleState.Pending, false)]
    [InlineData(TaskLifecycleState.Complete, TaskLifecycleState.Shutdown, false)]
    [InlineData(TaskLifecycleState.Failed, TaskLifecycleState.Rejected, false)]
    [InlineData(TaskLifecycleState.Shutdown, TaskLifecycleState.Orphaned, false)]
    [InlineData(TaskLifecycleState.Failed, TaskLifecycleState.Running, false)]
    public void CanTransition_Pairs_OnlyForwardFromNonTerminal(TaskLifecycleState from, TaskLifecycleState to, bool expected) =>
        Assert.Equal(expected, TaskLifecycle.CanTransition(from, to));

    [Fact]
    public void States_HaveSwarmkitNumbers_InOrder()
    {
        int[] expected = [0, 64, 128, 192, 256, 320, 384, 448, 512, 576, 640, 704, 768, 800, 832];
        Assert.Equal(expected, Enum.GetValues<TaskLifecycleState>().Select(s => (int)s));
    }

    [Fact]
    public void IsTerminal_EveryState_TrueExactlyPastRunning()
    {
        foreach (var state in Enum.GetValues<TaskLifecycleState>())
        {
            Assert.Equal(state > TaskLifecycleState.Running, TaskLifecycle.IsTerminal(state));
            Assert.Equal(!TaskLifecycle.IsTerminal(state), TaskLifecycle.IsRunningOrEarlier(state));
        }
    }

    [Fact]
    public void CanTransition_FromTerminal_NeverAllowed()
    {
        var all = Enum.GetValues<TaskLifecycleState>();
        foreach (var from in all.Where(TaskLifecycle.IsTerminal))
        {
            Assert.All(all, to => Assert.False(TaskLifecycle.CanTransition(from, to)));
        }
    }

    [Fact]
    public void FromStore_EveryStoreState_SameNameAndNumber()
    {
        foreach (var state in Enum.GetValues<TaskState>())
        {
            var mapped = TaskLifecycle.FromStore(state);
            Assert.Equal(state.ToString(), mapped.ToString());
        }
    }
}
