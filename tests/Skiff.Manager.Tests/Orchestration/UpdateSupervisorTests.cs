using Skiff.Manager.Orchestration;
using static Skiff.Manager.Tests.Orchestration.OrchestrationFixtures;

namespace Skiff.Manager.Tests.Orchestration;

public class UpdateSupervisorTests
{
    private static readonly UpdateConfigLite Tutorial = new() { Parallelism = 2, Delay = TimeSpan.FromSeconds(10) };

    /// <summary>A fake clock: every call advances it explicitly.</summary>
    private sealed class Clock
    {
        public DateTimeOffset Now { get; private set; } = T0;

        public DateTimeOffset Advance(TimeSpan by) => Now += by;

        public DateTimeOffset AdvanceTo(DateTimeOffset at) => Now = at;
    }

    [Fact]
    public void Next_TutorialFiveReplicasParallelismTwoDelayTen_BatchesTwoTwoOneTenSecondsApart()
    {
        var clock = new Clock();
        var run = UpdateSupervisor.Start([1, 2, 3, 4, 5], Tutorial, clock.Now);
        Assert.Equal(new UpdateStatusLite(UpdateState.Updating, "update in progress", T0), run.Status);
        var batches = new List<(DateTimeOffset At, int[] Slots)>();

        var step = UpdateSupervisor.Next(run, null, clock.Now);
        while (!step.State.Status.IsFinal)
        {
            if (step.Batch.Count > 0)
            {
                batches.Add((clock.Now, step.Batch.ToArray()));
                clock.Advance(TimeSpan.FromSeconds(1));
                foreach (var slot in step.Batch)
                {
                    step = UpdateSupervisor.Next(step.State, new TaskRunningObservation(slot, $"new{slot}"), clock.Now);
                }
            }
            else
            {
                Assert.NotNull(step.WakeAt);
                clock.AdvanceTo(step.WakeAt.Value);
                step = UpdateSupervisor.Next(step.State, null, clock.Now);
            }
        }

        Assert.Equal([[1, 2], [3, 4], [5]], batches.Select(b => b.Slots));
        Assert.Equal([T0, T0.AddSeconds(11), T0.AddSeconds(22)], batches.Select(b => b.At));
        Assert.Equal(UpdateState.Completed, step.State.Status.State);
        Assert.Equal("update completed", step.State.Status.Message);
        // Last batch running at 23 s, then Delay (10 s) and Monitor (5 s).
        Assert.Equal(T0.AddSeconds(38), step.State.Status.CompletedAt);
    }

    [Fact]
    public void Next_ParallelismZero_AllSlotsInOneBatch()
    {
        var run = UpdateSupervisor.Start([1, 2, 3], new UpdateConfigLite { Parallelism = 0 }, T0);

        Assert.Equal([1, 2, 3], UpdateSupervisor.Next(run, null, T0).Batch);
    }

    [Fact]
    public void Next_BatchNotSettled_WaitsForObservations()
    {
        var step = UpdateSupervisor.Next(UpdateSupervisor.Start([1, 2], new UpdateConfigLite(), T0), null, T0);

        var waiting = UpdateSupervisor.Next(step.State, null, T0.AddMinutes(5));

        Assert.Empty(waiting.Batch);
        Assert.Null(waiting.WakeAt);
    }

    [Fact]
    public void Next_FailureWithPauseAction_PausesWithDockerMessage()
    {
        var step = UpdateSupervisor.Next(UpdateSupervisor.Start([1, 2], new UpdateConfigLite(), T0), null, T0);

        var failed = UpdateSupervisor.Next(step.State, new TaskFailedObservation(1, "abc"), T0.AddSeconds(1));

        Assert.True(failed.StatusChanged);
        Assert.Equal(UpdateState.Paused, failed.State.Status.State);
        Assert.Equal("update paused due to failure or early termination of task abc", failed.State.Status.Message);
        Assert.Empty(UpdateSupervisor.Next(failed.State, null, T0.AddHours(1)).Batch);
    }

    [Fact]
    public void Next_FailureAfterMonitor_NotCounted()
    {
        var config = new UpdateConfigLite { Monitor = TimeSpan.FromSeconds(5), Delay = TimeSpan.FromSeconds(30) };
        var step = UpdateSupervisor.Next(UpdateSupervisor.Start([1, 2], config, T0), null, T0);
        step = UpdateSupervisor.Next(step.State, new TaskRunningObservation(1, "n1"), T0.AddSeconds(1));

        var late = UpdateSupervisor.Next(step.State, new TaskFailedObservation(1, "n1"), T0.AddSeconds(7));
        var early = UpdateSupervisor.Next(step.State, new TaskFailedObservation(1, "n1"), T0.AddSeconds(6));

        Assert.Equal(UpdateState.Updating, late.State.Status.State);
        Assert.Equal(UpdateState.Paused, early.State.Status.State);
    }

    [Theory]
    [InlineData(0.0, 1, UpdateState.Paused)]
    [InlineData(0.2, 1, UpdateState.Updating)]
    [InlineData(0.2, 2, UpdateState.Paused)]
    [InlineData(0.5, 2, UpdateState.Updating)]
    [InlineData(0.5, 3, UpdateState.Paused)]
    public void Next_MaxFailureRatio_ActsOnlyWhenRatioExceeded(double ratio, int failures, UpdateState expected)
    {
        var step = UpdateSupervisor.Next(UpdateSupervisor.Start([1, 2, 3, 4, 5], new UpdateConfigLite { Parallelism = 0, MaxFailureRatio = ratio }, T0), null, T0);
        for (var i = 1; i <= failures; i++)
        {
            step = UpdateSupervisor.Next(step.State, new TaskFailedObservation(i, $"t{i}"), T0.AddSeconds(i));
        }

        Assert.Equal(expected, step.State.Status.State);
    }

    [Fact]
    public void Next_FailureActionContinue_CompletesAnyway()
    {
        var config = new UpdateConfigLite { FailureAction = UpdateFailureAction.Continue, Monitor = TimeSpan.Zero };
        var step = UpdateSupervisor.Next(UpdateSupervisor.Start([1], config, T0), null, T0);
        step = UpdateSupervisor.Next(step.State, new TaskFailedObservation(1, "x"), T0.AddSeconds(1));

        step = UpdateSupervisor.Next(step.State, null, T0.AddSeconds(1));

        Assert.Equal(UpdateState.Completed, step.State.Status.State);
    }

    [Fact]
    public void Next_FailureActionRollback_RequestsRollbackThenRollbackCompletes()
    {
        var config = new UpdateConfigLite { FailureAction = UpdateFailureAction.Rollback };
        var step = UpdateSupervisor.Next(UpdateSupervisor.Start([1, 2], config, T0), null, T0);

        step = UpdateSupervisor.Next(step.State, new TaskFailedObservation(1, "bad"), T0.AddSeconds(2));

        Assert.Equal(UpdateState.RollbackStarted, step.State.Status.State);
        Assert.Equal("update rolled back due to failure or early termination of task bad", step.State.Status.Message);
        Assert.True(step.State.RollbackRequested);

        var rollback = UpdateSupervisor.StartRollback([1, 2], new UpdateConfigLite { Parallelism = 0, Monitor = TimeSpan.Zero }, T0.AddSeconds(3), step.State.Status.Message);
        var r = UpdateSupervisor.Next(rollback, null, T0.AddSeconds(3));
        r = UpdateSupervisor.Next(r.State, new TaskRunningObservation(1, "o1"), T0.AddSeconds(4));
        r = UpdateSupervisor.Next(r.State, new TaskRunningObservation(2, "o2"), T0.AddSeconds(4));

        Assert.Equal(new UpdateStatusLite(UpdateState.RollbackCompleted, "rollback completed", T0.AddSeconds(3), T0.AddSeconds(4)), r.State.Status);
    }

    [Fact]
    public void Next_RollbackFailsWithRollbackAction_PausesAndNeverRollsBackAgain()
    {
        var config = new UpdateConfigLite { FailureAction = UpdateFailureAction.Rollback };
        var step = UpdateSupervisor.Next(UpdateSupervisor.StartRollback([1], config, T0), null, T0);
        Assert.Equal("manually requested rollback", step.State.Status.Message);

        step = UpdateSupervisor.Next(step.State, new TaskFailedObservation(1, "r1"), T0.AddSeconds(1));

        Assert.Equal(UpdateState.RollbackPaused, step.State.Status.State);
        Assert.Equal("rollback paused due to failure or early termination of task r1", step.State.Status.Message);
        Assert.False(step.State.RollbackRequested);
    }

    [Fact]
    public void Start_NoDirtySlots_CompletesAtOnce()
    {
        var step = UpdateSupervisor.Next(UpdateSupervisor.Start([], new UpdateConfigLite(), T0), null, T0);

        Assert.Equal(UpdateState.Completed, step.State.Status.State);
    }
}
