using Skiff.Manager.Orchestration;
using Skiff.State;
using static Skiff.Manager.Tests.Orchestration.OrchestrationFixtures;

namespace Skiff.Manager.Tests.Orchestration;

public class RestartSupervisorTests
{
    private static readonly DateTimeOffset Now = T0.AddMinutes(10);

    private static TaskLite Ended(TaskState observed) =>
        Task("t", 1, "a", observed) with { StatusTimestamp = Now };

    [Theory]
    [InlineData(RestartCondition.Any, TaskState.Complete, RestartVerdict.Restart)]
    [InlineData(RestartCondition.Any, TaskState.Failed, RestartVerdict.Restart)]
    [InlineData(RestartCondition.OnFailure, TaskState.Failed, RestartVerdict.Restart)]
    [InlineData(RestartCondition.OnFailure, TaskState.Rejected, RestartVerdict.Restart)]
    [InlineData(RestartCondition.OnFailure, TaskState.Complete, RestartVerdict.GiveUp)]
    [InlineData(RestartCondition.None, TaskState.Failed, RestartVerdict.GiveUp)]
    [InlineData(RestartCondition.Any, TaskState.Running, RestartVerdict.NotApplicable)]
    public void Decide_Condition_FollowsPolicy(RestartCondition condition, TaskState observed, RestartVerdict expected)
    {
        var decision = RestartSupervisor.Decide(new RestartPolicyLite { Condition = condition }, [], Ended(observed), Now);

        Assert.Equal(expected, decision.Verdict);
    }

    [Fact]
    public void Decide_DefaultPolicy_RestartsAfterFiveSeconds()
    {
        var decision = RestartSupervisor.Decide(new RestartPolicyLite(), [], Ended(TaskState.Failed), Now);

        Assert.Equal(Now.AddSeconds(5), decision.StartAt);
    }

    [Fact]
    public void Decide_CustomDelayOnDrainedNode_RestartsAtOnce()
    {
        var policy = new RestartPolicyLite { Delay = TimeSpan.FromSeconds(30) };

        Assert.Equal(Now.AddSeconds(30), RestartSupervisor.Decide(policy, [], Ended(TaskState.Failed), Now).StartAt);
        Assert.Equal(Now, RestartSupervisor.Decide(policy, [], Ended(TaskState.Failed), Now, nodeDrained: true).StartAt);
    }

    [Fact]
    public void Decide_TaskAlreadyShutDown_NotApplicable()
    {
        var task = Ended(TaskState.Failed) with { DesiredState = TaskState.Shutdown };

        Assert.Equal(RestartVerdict.NotApplicable, RestartSupervisor.Decide(new RestartPolicyLite(), [], task, Now).Verdict);
    }

    [Theory]
    [InlineData(0, RestartVerdict.Restart)]
    [InlineData(2, RestartVerdict.Restart)]
    [InlineData(3, RestartVerdict.GiveUp)]
    [InlineData(7, RestartVerdict.GiveUp)]
    public void Decide_MaxAttemptsNoWindow_CountsAllRestarts(int previous, RestartVerdict expected)
    {
        var restarts = Enumerable.Range(0, previous).Select(i => T0.AddSeconds(i)).ToArray();

        var decision = RestartSupervisor.Decide(new RestartPolicyLite { MaxAttempts = 3 }, restarts, Ended(TaskState.Failed), Now);

        Assert.Equal(expected, decision.Verdict);
    }

    [Fact]
    public void Decide_MaxAttemptsWithWindow_OnlyRestartsInsideWindowCount()
    {
        var policy = new RestartPolicyLite { MaxAttempts = 2, Window = TimeSpan.FromMinutes(1) };
        DateTimeOffset[] old = [Now.AddMinutes(-5), Now.AddMinutes(-3), Now.AddMinutes(-2)];
        DateTimeOffset[] recent = [Now.AddMinutes(-5), Now.AddSeconds(-40), Now.AddSeconds(-10)];

        Assert.Equal(RestartVerdict.Restart, RestartSupervisor.Decide(policy, old, Ended(TaskState.Failed), Now).Verdict);
        Assert.Equal(RestartVerdict.GiveUp, RestartSupervisor.Decide(policy, recent, Ended(TaskState.Failed), Now).Verdict);
    }

    [Fact]
    public void Decide_WindowSlidesWithFakeClock_RestartsAgainLater()
    {
        var policy = new RestartPolicyLite { MaxAttempts = 1, Window = TimeSpan.FromSeconds(30) };
        DateTimeOffset[] restarts = [Now.AddSeconds(-10)];

        var early = RestartSupervisor.Decide(policy, restarts, Ended(TaskState.Failed), Now);
        var later = RestartSupervisor.Decide(policy, restarts, Ended(TaskState.Failed) with { StatusTimestamp = Now.AddSeconds(25) }, Now.AddSeconds(25));

        Assert.Equal(RestartVerdict.GiveUp, early.Verdict);
        Assert.Equal(RestartVerdict.Restart, later.Verdict);
        Assert.Equal(Now.AddSeconds(30), later.StartAt);
    }
}
