using System.Collections.Immutable;
using Skiff.Api;
using Skiff.State;

namespace Skiff.Agent.Executors;

/// <summary>A task as its node's agent receives it.</summary>
public sealed record AssignedTask
{
    public required string TaskId { get; init; }

    public required string ServiceId { get; init; }

    public required string ServiceName { get; init; }

    public int Slot { get; init; }

    public required string NodeId { get; init; }

    public TaskState DesiredState { get; init; }

    public TaskState ObservedState { get; init; }

    public required TaskSpecWire Spec { get; init; }

    public ImmutableArray<TaskPort> Ports { get; init; } = [];

    /// <summary>The data of the secrets and configs the spec references (sent by the dispatcher with the task).</summary>
    public ImmutableArray<TaskFileData> Files { get; init; } = [];

    /// <summary>Docker's container name for a task: <c>service.slot.taskid</c> (<c>service.nodeid.taskid</c> for global).</summary>
    public string ContainerName => $"{ServiceName}.{(Slot > 0 ? Slot.ToString(System.Globalization.CultureInfo.InvariantCulture) : NodeId)}.{TaskId}";
}

/// <summary>A secret's or a config's data, as the dispatcher sends it with a task that references it.</summary>
public sealed record TaskFileData(TaskFileKind Kind, string Id, ImmutableArray<byte> Data);

public enum TaskFileKind
{
    Secret,
    Config,
}

/// <summary>What an executor knows about the runtime object of a task.</summary>
public sealed record ExecutorStatus
{
    public bool Running { get; init; }

    /// <summary>The runtime object ran and stopped (its exit code is meaningful).</summary>
    public bool Exited { get; init; }

    public int ExitCode { get; init; }

    public string ContainerId { get; init; } = "";

    public int Pid { get; init; }

    public ImmutableArray<TaskPort> Ports { get; init; } = [];
}

/// <summary>The executor refused the task for good (no such image, invalid spec): the task is Rejected.</summary>
public sealed class TaskRejectedException(string message) : Exception(message);

/// <summary>
/// Runs tasks on a node. Three implementations share one contract test suite: the runc engine
/// (containers of the local engine), plain host processes, and a hollow executor that runs
/// nothing (scale tests). Every method is idempotent per task id.
/// </summary>
public interface ITaskExecutor
{
    /// <summary>Ids of tasks that have a runtime object here (adoption after an agent restart).</summary>
    Task<IReadOnlyList<string>> ListAsync(CancellationToken ct);

    /// <summary>The task's runtime object, or null if there is none.</summary>
    Task<ExecutorStatus?> InspectAsync(string taskId, CancellationToken ct);

    /// <summary>Creates the runtime object (image checked, container created) without starting it.</summary>
    Task PrepareAsync(AssignedTask task, CancellationToken ct);

    Task<ExecutorStatus> StartAsync(string taskId, CancellationToken ct);

    /// <summary>Waits until the task's runtime object stops; returns its exit code.</summary>
    Task<int> WaitAsync(string taskId, CancellationToken ct);

    /// <summary>Stops it (signal, then kill after <paramref name="grace"/>); a stopped or missing object is fine.</summary>
    Task StopAsync(string taskId, TimeSpan grace, CancellationToken ct);

    /// <summary>Removes it; a missing object is fine.</summary>
    Task RemoveAsync(string taskId, CancellationToken ct);
}

/// <summary>One line of a task's output.</summary>
public readonly record struct TaskLogLine(DateTimeOffset Time, int Stream, string Text);

/// <summary>Executors whose tasks keep logs (<c>service logs</c>).</summary>
public interface ITaskLogs
{
    /// <summary>The task's log lines; with <paramref name="follow"/>, new lines until the task stops or <paramref name="ct"/>.</summary>
    IAsyncEnumerable<TaskLogLine> LogsAsync(string taskId, bool follow, int? tail, DateTimeOffset? since, DateTimeOffset? until, CancellationToken ct);
}
