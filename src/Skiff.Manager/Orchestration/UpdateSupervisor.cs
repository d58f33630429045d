using System.Collections.Immutable;

namespace Skiff.Manager.Orchestration;

/// <summary>A service's <c>UpdateStatus.State</c>, as the Engine API shows it.</summary>
public enum UpdateState
{
    Updating = 1,
    Paused = 2,
    Completed = 3,
    RollbackStarted = 4,
    RollbackPaused = 5,
    RollbackCompleted = 6,
}

public sealed record UpdateStatusLite(UpdateState State, string Message, DateTimeOffset StartedAt, DateTimeOffset? CompletedAt = null)
{
    /// <summary>Paused or completed: nothing more happens until the user acts.</summary>
    public bool IsFinal => State is UpdateState.Paused or UpdateState.Completed or UpdateState.RollbackPaused or UpdateState.RollbackCompleted;
}

/// <summary>Something the update supervisor is told; <c>null</c> is a timer tick.</summary>
public abstract record UpdateObservation;

/// <summary>The new task of <paramref name="Slot"/> reached running.</summary>
public sealed record TaskRunningObservation(int Slot, string TaskId) : UpdateObservation;

/// <summary>The new task of <paramref name="Slot"/> stopped (failed, rejected, completed, shut down).</summary>
public sealed record TaskFailedObservation(int Slot, string TaskId) : UpdateObservation;

/// <summary>A slot this run has started updating.</summary>
public sealed record SlotProgress(DateTimeOffset StartedAt, DateTimeOffset? RunningSince = null, bool Failed = false)
{
    public bool Settled => RunningSince is not null || Failed;
}

/// <summary>The immutable state of one rolling update (or rollback) of one service.</summary>
public sealed record UpdateRun
{
    public required UpdateStatusLite Status { get; init; }

    public required UpdateConfigLite Config { get; init; }

    public bool IsRollback { get; init; }

    /// <summary>Dirty slots not started yet, in update order.</summary>
    public ImmutableArray<int> Queue { get; init; } = [];

    public ImmutableSortedDictionary<int, SlotProgress> Started { get; init; } = ImmutableSortedDictionary<int, SlotProgress>.Empty;

    /// <summary>How many slots were dirty when the run started: the failure ratio's denominator.</summary>
    public int DirtyCount { get; init; }

    public ImmutableSortedSet<string> CountedFailures { get; init; } = ImmutableSortedSet<string>.Empty;

    /// <summary>When the next batch may start (the last batch settled plus Delay); null while a batch is in flight.</summary>
    public DateTimeOffset? NextBatchAt { get; init; }

    /// <summary>Set when a failure triggered the rollback action: the caller must start a rollback run.</summary>
    public bool RollbackRequested { get; init; }
}

/// <summary>One step: the new state, slots to update now (create new tasks, stop-first or start-first per <see cref="UpdateConfigLite.Order"/>), when to call again.</summary>
public sealed record UpdateStep(UpdateRun State, IReadOnlyList<int> Batch, DateTimeOffset? WakeAt, bool StatusChanged)
{
    public bool Equals(UpdateStep? other) =>
        other is not null && State == other.State && Batch.SequenceEqual(other.Batch) && WakeAt == other.WakeAt && StatusChanged == other.StatusChanged;

    public override int GetHashCode() => HashCode.Combine(State, Batch.Count, WakeAt, StatusChanged);
}

/// <summary>
/// Rolling updates and rollbacks as a pure state machine driven by observations and a clock
/// (swarmkit <c>manager/orchestrator/update/updater.go</c>). Slots are updated in batches of
/// Parallelism (0 = all); a batch settles when each new task is running or has failed; the next
/// batch starts Delay after that. A failure of a task this run created counts when it happens
/// before running or within Monitor after; once failures / dirty slots exceeds MaxFailureRatio the
/// FailureAction applies (pause, continue, rollback). A rollback that fails pauses: it is never
/// rolled back again. After the last batch the run waits Delay then Monitor, then completes.
/// </summary>
public static class UpdateSupervisor
{
    public const string UpdateInProgress = "update in progress";
    public const string UpdateCompleted = "update completed";
    public const string RollbackCompleted = "rollback completed";
    public const string ManualRollback = "manually requested rollback";

    /// <summary>Starts an update of <paramref name="dirtySlots"/> (those whose tasks <see cref="SpecChange"/> calls dirty).</summary>
    public static UpdateRun Start(IEnumerable<int> dirtySlots, UpdateConfigLite config, DateTimeOffset now) =>
        Create(dirtySlots, config, now, isRollback: false, new UpdateStatusLite(UpdateState.Updating, UpdateInProgress, now));

    /// <summary>
    /// Starts a rollback to the previous spec: <paramref name="message"/> is
    /// <see cref="ManualRollback"/> for <c>service update --rollback</c>, or the message of the
    /// failure that triggered it.
    /// </summary>
    public static UpdateRun StartRollback(IEnumerable<int> dirtySlots, UpdateConfigLite rollbackConfig, DateTimeOffset now, string message = ManualRollback) =>
        Create(dirtySlots, rollbackConfig, now, isRollback: true, new UpdateStatusLite(UpdateState.RollbackStarted, message, now));

    public static UpdateStep Next(UpdateRun state, UpdateObservation? observation, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Status.IsFinal || state.RollbackRequested)
        {
            return new UpdateStep(state, [], null, false);
        }

        var run = Observe(state, observation, now);
        if (run.Status != state.Status)
        {
            return new UpdateStep(run, [], null, true);
        }

        var inFlight = run.Started.Values.Any(s => !s.Settled);
        if (inFlight)
        {
            return new UpdateStep(run, [], null, false);
        }

        var nextBatchAt = run.NextBatchAt ?? now;
        if (!run.Queue.IsEmpty)
        {
            if (now < nextBatchAt)
            {
                return new UpdateStep(run, [], nextBatchAt, false);
            }

            var size = run.Config.Parallelism <= 0 ? run.Queue.Length : Math.Min(run.Config.Parallelism, run.Queue.Length);
            var batch = run.Queue[..size];
            var started = run.Started;
            foreach (var slot in batch)
            {
                started = started.SetItem(slot, new SlotProgress(now));
            }

            run = run with { Queue = run.Queue[size..], Started = started, NextBatchAt = null };
            return new UpdateStep(run, batch, null, false);
        }

        // All batches settled: keep watching for failures for Monitor, then complete.
        var completeAt = run.DirtyCount == 0 ? nextBatchAt : nextBatchAt + run.Config.Monitor;
        if (now < completeAt)
        {
            return new UpdateStep(run, [], completeAt, false);
        }

        var status = run.IsRollback
            ? new UpdateStatusLite(UpdateState.RollbackCompleted, RollbackCompleted, run.Status.StartedAt, now)
            : new UpdateStatusLite(UpdateState.Completed, UpdateCompleted, run.Status.StartedAt, now);
        return new UpdateStep(run with { Status = status }, [], null, true);
    }

    private static UpdateRun Create(IEnumerable<int> dirtySlots, UpdateConfigLite config, DateTimeOffset now, bool isRollback, UpdateStatusLite status)
    {
        ArgumentNullException.ThrowIfNull(dirtySlots);
        ArgumentNullException.ThrowIfNull(config);
        var queue = dirtySlots.Distinct().ToImmutableArray();
        return new UpdateRun
        {
            Status = status,
            Config = config,
            IsRollback = isRollback,
            Queue = queue,
            DirtyCount = queue.Length,
            NextBatchAt = now,
        };
    }

    private static UpdateRun Observe(UpdateRun run, UpdateObservation? observation, DateTimeOffset now)
    {
        switch (observation)
        {
            case TaskRunningObservation running when run.Started.TryGetValue(running.Slot, out var progress) && !progress.Settled:
                return Settle(run, run.Started.SetItem(running.Slot, progress with { RunningSince = now }), now);

            case TaskFailedObservation failed when run.Started.TryGetValue(failed.Slot, out var progress):
                var withinMonitor = progress.RunningSince is not { } since || now - since <= run.Config.Monitor;
                if (!withinMonitor || progress.Failed || run.CountedFailures.Contains(failed.TaskId))
                {
                    return run;
                }

                var wasInFlight = !progress.Settled;
                var started = run.Started.SetItem(failed.Slot, progress with { Failed = true });
                run = run with { CountedFailures = run.CountedFailures.Add(failed.TaskId) };
                run = wasInFlight ? Settle(run, started, now) : run with { Started = started };
                return ApplyFailureAction(run, failed.TaskId, now);

            default:
                return run;
        }
    }

    /// <summary>Records a settled slot; when the batch has fully settled, the next may start after Delay.</summary>
    private static UpdateRun Settle(UpdateRun run, ImmutableSortedDictionary<int, SlotProgress> started, DateTimeOffset now)
    {
        var batchDone = started.Values.All(s => s.Settled);
        return run with { Started = started, NextBatchAt = batchDone ? now + run.Config.Delay : null };
    }

    private static UpdateRun ApplyFailureAction(UpdateRun run, string taskId, DateTimeOffset now)
    {
        if (run.Config.FailureAction == UpdateFailureAction.Continue)
        {
            return run;
        }

        var ratio = (double)run.CountedFailures.Count / Math.Max(1, run.DirtyCount);
        if (ratio <= run.Config.MaxFailureRatio)
        {
            return run;
        }

        if (run.Config.FailureAction == UpdateFailureAction.Pause)
        {
            var state = run.IsRollback ? UpdateState.RollbackPaused : UpdateState.Paused;
            return run with { Status = new UpdateStatusLite(state, $"update paused due to failure or early termination of task {taskId}", run.Status.StartedAt) };
        }

        // Rollback. Never roll back a rollback: pause it instead.
        if (run.IsRollback)
        {
            return run with { Status = new UpdateStatusLite(UpdateState.RollbackPaused, $"rollback paused due to failure or early termination of task {taskId}", run.Status.StartedAt) };
        }

        return run with
        {
            Status = new UpdateStatusLite(UpdateState.RollbackStarted, $"update rolled back due to failure or early termination of task {taskId}", now),
            RollbackRequested = true,
        };
    }
}
