using System.Collections.Concurrent;
using System.Diagnostics;

namespace Skiff.Agent.Executors;

/// <summary>
/// Runs a task's command as a plain host process (no image, no isolation): for tests and for hosts
/// without runc. The command is ContainerSpec.Command + Args; Env, Dir apply. Processes are not
/// adopted across agent restarts (they die with it, being its children).
/// </summary>
public sealed class ProcessExecutor : ITaskExecutor
{
    private readonly ConcurrentDictionary<string, Entry> _tasks = new(StringComparer.Ordinal);

    private sealed class Entry(AssignedTask task)
    {
        public AssignedTask Task { get; } = task;

        public Process? Process { get; set; }
    }

    public Task<IReadOnlyList<string>> ListAsync(CancellationToken ct) => Task.FromResult<IReadOnlyList<string>>([.. _tasks.Keys]);

    public Task<ExecutorStatus?> InspectAsync(string taskId, CancellationToken ct) =>
        Task.FromResult(_tasks.TryGetValue(taskId, out var e) ? Status(e) : null);

    public Task PrepareAsync(AssignedTask task, CancellationToken ct)
    {
        var words = (task.Spec.ContainerSpec?.Command ?? []).Concat(task.Spec.ContainerSpec?.Args ?? []).ToList();
        if (words.Count == 0)
        {
            throw new TaskRejectedException("the process executor needs a command (it runs no images)");
        }

        if (task.Spec.ContainerSpec is { Secrets.Count: > 0 } or { Configs.Count: > 0 })
        {
            throw new TaskRejectedException("the process executor cannot deliver secrets or configs (it runs no containers): use the engine executor");
        }

        _tasks.TryAdd(task.TaskId, new Entry(task));
        return Task.CompletedTask;
    }

    public Task<ExecutorStatus> StartAsync(string taskId, CancellationToken ct)
    {
        var e = Get(taskId);
        if (e.Process is null || e.Process.HasExited)
        {
            var spec = e.Task.Spec.ContainerSpec!;
            var words = (spec.Command ?? []).Concat(spec.Args ?? []).ToList();
            var psi = new ProcessStartInfo(words[0])
            {
                UseShellExecute = false,
                RedirectStandardInput = true,
                RedirectStandardOutput = false,
                RedirectStandardError = false,
                WorkingDirectory = string.IsNullOrEmpty(spec.Dir) ? "/" : spec.Dir,
            };
            foreach (var w in words.Skip(1))
            {
                psi.ArgumentList.Add(w);
            }

            foreach (var kv in spec.Env ?? [])
            {
                var eq = kv.IndexOf('=', StringComparison.Ordinal);
                psi.Environment[eq < 0 ? kv : kv[..eq]] = eq < 0 ? "" : kv[(eq + 1)..];
            }

            try
            {
                e.Process = Process.Start(psi) ?? throw new TaskRejectedException($"cannot start {words[0]}");
            }
            catch (System.ComponentModel.Win32Exception ex)
            {
                throw new TaskRejectedException($"cannot start {words[0]}: {ex.Message}");
            }

            e.Process.StandardInput.Close();
        }

        return Task.FromResult(Status(e));
    }

    public async Task<int> WaitAsync(string taskId, CancellationToken ct)
    {
        var p = Get(taskId).Process ?? throw new InvalidOperationException($"task {taskId} was not started");
        await p.WaitForExitAsync(ct);
        return p.ExitCode;
    }

    public async Task StopAsync(string taskId, TimeSpan grace, CancellationToken ct)
    {
        if (!_tasks.TryGetValue(taskId, out var e) || e.Process is not { HasExited: false } p)
        {
            return;
        }

        _ = Skiff.Runtime.Util.Native.Kill(p.Id, 15);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(grace);
        try
        {
            await p.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync(ct);
        }
    }

    public async Task RemoveAsync(string taskId, CancellationToken ct)
    {
        await StopAsync(taskId, TimeSpan.FromSeconds(1), ct);
        if (_tasks.TryRemove(taskId, out var e))
        {
            e.Process?.Dispose();
        }
    }

    private Entry Get(string taskId) =>
        _tasks.TryGetValue(taskId, out var e) ? e : throw new InvalidOperationException($"task {taskId} was not prepared on this executor");

    private static ExecutorStatus Status(Entry e)
    {
        var p = e.Process;
        var exited = p is not null && p.HasExited;
        return new ExecutorStatus
        {
            Running = p is not null && !exited,
            Exited = exited,
            ExitCode = exited ? p!.ExitCode : 0,
            ContainerId = "process-" + e.Task.TaskId,
            Pid = p is not null && !exited ? p.Id : 0,
        };
    }
}
