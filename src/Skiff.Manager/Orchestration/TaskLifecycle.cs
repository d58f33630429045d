using Skiff.State;

namespace Skiff.Manager.Orchestration;

/// <summary>The task state machine: states only move forward, and terminal states are final.</summary>
public static class TaskLifecycle
{
    /// <summary>Complete, shutdown, failed, rejected, remove and orphaned: anything past running.</summary>
    public static bool IsTerminal(TaskState state) => state > TaskState.Running;

    /// <summary>True for running and every state before it (swarmkit's <c>&lt;= TaskStateRunning</c>).</summary>
    public static bool IsRunningOrEarlier(TaskState state) => state <= TaskState.Running;

    /// <summary>
    /// A transition is allowed when it moves strictly forward from a non-terminal state. Skipping
    /// states is allowed (an agent may report Running straight after Assigned; a task may fail
    /// from any earlier state).
    /// </summary>
    public static bool CanTransition(TaskState from, TaskState to) =>
        Enum.IsDefined(from) && Enum.IsDefined(to) && !IsTerminal(from) && to > from;
}
