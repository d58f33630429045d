namespace Skiff.Manager.Orchestration;

/// <summary>
/// Task states with swarmkit's numbers (<c>api/types.proto</c>), so "never goes backwards" is a
/// comparison. Unlike <see cref="Skiff.State.TaskState"/> this includes swarmkit's legacy
/// <see cref="Allocated"/> (128, between pending and assigned), which no current flow sets.
/// </summary>
public enum TaskLifecycleState
{
    New = 0,
    Pending = 64,
    Allocated = 128,
    Assigned = 192,
    Accepted = 256,
    Preparing = 320,
    Ready = 384,
    Starting = 448,
    Running = 512,
    Complete = 576,
    Shutdown = 640,
    Failed = 704,
    Rejected = 768,
    Remove = 800,
    Orphaned = 832,
}

/// <summary>The task state machine: states only move forward, and terminal states are final.</summary>
public static class TaskLifecycle
{
    /// <summary>Complete, shutdown, failed, rejected, remove and orphaned: anything past running.</summary>
    public static bool IsTerminal(TaskLifecycleState state) => state > TaskLifecycleState.Running;

    /// <summary>True for running and every state before it (swarmkit's <c>&lt;= TaskStateRunning</c>).</summary>
    public static bool IsRunningOrEarlier(TaskLifecycleState state) => state <= TaskLifecycleState.Running;

    /// <summary>
    /// A transition is allowed when it moves strictly forward from a non-terminal state. Skipping
    /// states is allowed (an agent may report Running straight after Assigned; a task may fail
    /// from any earlier state).
    /// </summary>
    public static bool CanTransition(TaskLifecycleState from, TaskLifecycleState to) =>
        Enum.IsDefined(from) && Enum.IsDefined(to) && !IsTerminal(from) && to > from;

    /// <summary>Maps the store's state (same numbers) into the lifecycle enum.</summary>
    public static TaskLifecycleState FromStore(Skiff.State.TaskState state) => (TaskLifecycleState)(int)state;
}
