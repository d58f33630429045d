using System.Collections.Concurrent;

namespace Skiff.Agent.Executors;

/// <summary>
/// Runs nothing and reports states (scale tests: many hollow nodes on one machine). A task whose
/// command is <c>sh -c "exit N"</c> exits at once with N; any other task runs until stopped.
/// </summary>
public sealed class HollowExecutor : ITaskExecutor
{
    private readonly ConcurrentDictionary<string, Entry> _tasks = new(StringComparer.Ordinal);
    private int _nextPid = 100_000;

    private sealed class Entry(int? exitOnStart)
    {
        public int? ExitOnStart { get; } = exitOnStart;

        public TaskCompletionSource<int> Exit { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool Started { get; set; }

        public int Pid { get; set; }
    }

    public Task<IReadOnlyList<string>> ListAsync(CancellationToken ct) => Task.FromResult<IReadOnlyList<string>>([.. _tasks.Keys]);

    public Task<ExecutorStatus?> InspectAsync(string taskId, CancellationToken ct) =>
        Task.FromResult(_tasks.TryGetValue(taskId, out var e) ? Status(taskId, e) : null);

    public Task PrepareAsync(AssignedTask task, CancellationToken ct)
    {
        var words = (task.Spec.ContainerSpec?.Command ?? []).Concat(task.Spec.ContainerSpec?.Args ?? []).ToList();
        int? exit = words.Count > 0 && words[^1].Trim() is var last && last.StartsWith("exit ", StringComparison.Ordinal)
            && int.TryParse(last[5..], System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var code)
            ? code
            : null;
        _tasks.TryAdd(task.TaskId, new Entry(exit));
        return Task.CompletedTask;
    }

    public Task<ExecutorStatus> StartAsync(string taskId, CancellationToken ct)
    {
        var e = Get(taskId);
        if (!e.Started || e.Exit.Task.IsCompleted)
        {
            e.Exit = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
            e.Started = true;
            e.Pid = Interlocked.Increment(ref _nextPid);
            if (e.ExitOnStart is { } code)
            {
                e.Exit.TrySetResult(code);
            }
        }

        return Task.FromResult(Status(taskId, e));
    }

    public Task<int> WaitAsync(string taskId, CancellationToken ct) => Get(taskId).Exit.Task.WaitAsync(ct);

    public Task StopAsync(string taskId, TimeSpan grace, CancellationToken ct)
    {
        if (_tasks.TryGetValue(taskId, out var e) && e.Started)
        {
            e.Exit.TrySetResult(143);
        }

        return Task.CompletedTask;
    }

    public Task RemoveAsync(string taskId, CancellationToken ct)
    {
        if (_tasks.TryRemove(taskId, out var e))
        {
            e.Exit.TrySetResult(137);
        }

        return Task.CompletedTask;
    }

    private Entry Get(string taskId) =>
        _tasks.TryGetValue(taskId, out var e) ? e : throw new InvalidOperationException($"task {taskId} was not prepared on this executor");

    private static ExecutorStatus Status(string taskId, Entry e) => new()
    {
        Running = e.Started && !e.Exit.Task.IsCompleted,
        Exited = e.Started && e.Exit.Task.IsCompleted,
        ExitCode = e.Exit.Task.IsCompleted ? e.Exit.Task.Result : 0,
        ContainerId = "hollow-" + taskId,
        Pid = e.Started ? e.Pid : 0,
    };
}
