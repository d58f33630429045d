using Skiff.State;

namespace Skiff.Manager.Orchestration;

public enum RestartVerdict
{
    /// <summary>The task has not ended, or is already shut down: not the supervisor's business.</summary>
    NotApplicable = 0,

    /// <summary>Shut the old task down and create a replacement (desired Ready) that starts at <see cref="RestartDecision.StartAt"/>.</summary>
    Restart = 1,

    /// <summary>Shut the old task down; the slot stays empty.</summary>
    GiveUp = 2,
}

public sealed record RestartDecision(RestartVerdict Verdict, DateTimeOffset? StartAt, string Reason)
{
    public static RestartDecision NotApplicable(string reason) => new(RestartVerdict.NotApplicable, null, reason);

    public static RestartDecision GiveUp(string reason) => new(RestartVerdict.GiveUp, null, reason);

    public static RestartDecision RestartAt(DateTimeOffset at) => new(RestartVerdict.Restart, at, "restarting per restart policy");
}

/// <summary>
/// The restart policy (swarmkit <c>manager/orchestrator/restart/restart.go</c>, <c>ShouldRestart</c>
/// and <c>Restart</c>). Pure: the caller keeps the slot's restart history (times of restarts under
/// the task's current spec version; swarmkit clears it when the spec version changes).
/// </summary>
public static class RestartSupervisor
{
    /// <param name="policy">The task's restart policy.</param>
    /// <param name="restartsOfSlot">When earlier restarts of this slot (same spec version) happened.</param>
    /// <param name="ended">The task that stopped: desired state &lt;= running, observed state terminal.</param>
    /// <param name="now">The fake or real clock's now.</param>
    /// <param name="nodeDrained">swarmkit applies no delay when the task's node is drained.</param>
    public static RestartDecision Decide(RestartPolicyLite policy, IReadOnlyCollection<DateTimeOffset> restartsOfSlot, TaskLite ended, DateTimeOffset now, bool nodeDrained = false)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(restartsOfSlot);
        ArgumentNullException.ThrowIfNull(ended);

        if (!ended.IsDesiredRunnable)
        {
            return RestartDecision.NotApplicable("task already shut down by the orchestrator");
        }

        if (!TaskLifecycle.IsTerminal(ended.ObservedState))
        {
            return RestartDecision.NotApplicable("task has not stopped");
        }

        switch (policy.Condition)
        {
            case RestartCondition.None:
                return RestartDecision.GiveUp("restart condition is none");
            case RestartCondition.OnFailure when ended.ObservedState == TaskState.Complete:
                return RestartDecision.GiveUp("task completed and restart condition is on-failure");
        }

        if (policy.MaxAttempts > 0)
        {
            ulong counted;
            if (policy.Window <= TimeSpan.Zero)
            {
                counted = (ulong)restartsOfSlot.Count;
            }
            else
            {
                // Only restarts inside the window that ends when this task stopped, and that
                // happened before it stopped, count against MaxAttempts.
                var endedAt = ended.StatusTimestamp;
                var lookback = endedAt - policy.Window;
                counted = (ulong)restartsOfSlot.Count(r => r > lookback && r <= endedAt);
            }

            if (counted >= policy.MaxAttempts)
            {
                return RestartDecision.GiveUp($"restart limit reached ({counted} of max {policy.MaxAttempts})");
            }
        }

        var delay = nodeDrained ? TimeSpan.Zero : policy.Delay ?? RestartPolicyLite.DefaultDelay;
        return RestartDecision.RestartAt(now + delay);
    }
}
