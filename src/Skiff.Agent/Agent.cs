using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Threading.Channels;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using Skiff.Agent.Executors;
using Skiff.Api;
using Skiff.Manager.ControlApi;
using Skiff.Manager.Dispatch.Proto;
using Skiff.Manager.Security;
using Skiff.State;

namespace Skiff.Agent;

/// <summary>Who the agent is and where its managers are.</summary>
public sealed record AgentOptions
{
    public required string NodeId { get; init; }

    /// <summary>Manager addresses (host:port); the agent tries them in turn.</summary>
    public required IReadOnlyList<string> Managers { get; init; }

    /// <summary>This node's certificate, with its key.</summary>
    public required X509Certificate2 Certificate { get; init; }

    public required RootCa Root { get; init; }

    public required Skiff.Manager.Dispatch.Proto.NodeDescription Description { get; init; }

    public ILoggerFactory Logs { get; init; } = Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance;

    public TimeProvider Time { get; init; } = TimeProvider.System;
}

/// <summary>
/// The worker side of a node (swarmkit <c>agent/</c>): keeps a session with a manager (heartbeats,
/// assignments), drives each assigned task through the executor, and reports status changes in
/// batches. A restarted agent adopts the runtime objects of its tasks; objects of tasks no longer
/// assigned are removed.
/// </summary>
public sealed class Agent : IAsyncDisposable
{
    private readonly AgentOptions _options;
    private readonly ITaskExecutor _executor;
    private readonly ILogger _log;
    private readonly ConcurrentDictionary<string, TaskWorker> _workers = new(StringComparer.Ordinal);
    private readonly StatusReporter _reporter;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _firstSession = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _run = Task.CompletedTask;
    private volatile string? _sessionId;

    public Agent(AgentOptions options, ITaskExecutor executor)
    {
        _options = options;
        _executor = executor;
        _log = options.Logs.CreateLogger("Skiff.Agent");
        _reporter = new StatusReporter(_log, options.Time);
    }

    /// <summary>Completes when the first session with a manager is established.</summary>
    public Task Connected => _firstSession.Task;

    public bool IsConnected => _sessionId is not null;

    public ITaskExecutor Executor => _executor;

    public void Start() => _run = RunAsync(_stop.Token);

    private async Task RunAsync(CancellationToken ct)
    {
        var attempt = 0;
        while (!ct.IsCancellationRequested)
        {
            var manager = _options.Managers[attempt % _options.Managers.Count];
            attempt++;
            try
            {
                await SessionAsync(manager, ct);
                attempt = 0;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is RpcException or HttpRequestException or IOException or InvalidOperationException)
            {
                _log.LogWarning("session with manager {Manager} ended: {Message}", manager, ex.Message);
            }

            _sessionId = null;
            var backoff = TimeSpan.FromMilliseconds(Math.Min(2000, 100 * Math.Pow(2, Math.Min(attempt, 5))));
            try
            {
                await Task.Delay(backoff, _options.Time, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>A gRPC channel to a manager with this node's certificate (mutual TLS).</summary>
    public static GrpcChannel Connect(string manager, X509Certificate2 certificate, RootCa root) =>
        SwarmChannel.Create(manager, MutualTls.ClientOptions(certificate, root));

    private async Task SessionAsync(string manager, CancellationToken ct)
    {
        using var channel = Connect(manager, _options.Certificate, _options.Root);
        var client = new Dispatcher.DispatcherClient(channel);
        using var session = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var call = client.Session(new SessionRequest { Description = _options.Description }, cancellationToken: session.Token);
        var heartbeat = Task.CompletedTask;
        var reporter = Task.CompletedTask;
        var logs = Task.CompletedTask;
        try
        {
            await foreach (var message in call.ResponseStream.ReadAllAsync(session.Token))
            {
                if (_sessionId != message.SessionId)
                {
                    _sessionId = message.SessionId;
                    _log.LogInformation("session {Session} with manager {Manager}", message.SessionId, manager);
                    var period = TimeSpan.FromMilliseconds(Math.Max(100, message.HeartbeatPeriodMs));
                    heartbeat = HeartbeatAsync(client, message.SessionId, period, session);
                    reporter = ReportAsync(client, message.SessionId, session.Token);
                    logs = LogsAsync(client, session.Token);
                }

                await ApplyAsync(message, session.Token);
                _firstSession.TrySetResult();
            }
        }
        finally
        {
            await session.CancelAsync();
            await Quietly(heartbeat);
            await Quietly(reporter);
            await Quietly(logs);
        }
    }

    private async Task HeartbeatAsync(Dispatcher.DispatcherClient client, string sessionId, TimeSpan period, CancellationTokenSource session)
    {
        while (!session.IsCancellationRequested)
        {
            await Task.Delay(period, _options.Time, session.Token);
            try
            {
                var sent = _options.Time.GetTimestamp();
                var reply = await client.HeartbeatAsync(new HeartbeatRequest { SessionId = sessionId }, deadline: DateTime.UtcNow.Add(period * 2), cancellationToken: session.Token);
                var took = _options.Time.GetElapsedTime(sent);
                if (took > period)
                {
                    _log.LogWarning("heartbeat took {Elapsed} ms (period {Period} ms)", (int)took.TotalMilliseconds, (int)period.TotalMilliseconds);
                }

                period = TimeSpan.FromMilliseconds(Math.Max(100, reply.PeriodMs));
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.DeadlineExceeded)
            {
                _log.LogWarning("heartbeat to the manager timed out after {Timeout} ms", (int)(period * 2).TotalMilliseconds);
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
            {
                // The manager forgot this session (it marked the node down): start a new one.
                await session.CancelAsync();
            }
        }
    }

    private Task ReportAsync(Dispatcher.DispatcherClient client, string sessionId, CancellationToken ct)
        => _reporter.RunAsync((batch, token) => client.UpdateTaskStatusAsync(Batch(sessionId, batch), cancellationToken: token).ResponseAsync, ct);

    /// <summary>Serves the manager's log requests for this node's tasks while the session lasts.</summary>
    private async Task LogsAsync(Dispatcher.DispatcherClient client, CancellationToken ct)
    {
        using var call = client.LogSubscriptions(new LogSubscriptionsRequest(), cancellationToken: ct);
        var serving = new List<Task>();
        await foreach (var subscription in call.ResponseStream.ReadAllAsync(ct))
        {
            serving.RemoveAll(t => t.IsCompleted);
            serving.Add(ServeLogsAsync(client, subscription, ct));
        }

        await Task.WhenAll(serving);
    }

    private async Task ServeLogsAsync(Dispatcher.DispatcherClient client, LogSubscription subscription, CancellationToken ct)
    {
        using var publish = client.PublishLogs(cancellationToken: ct);
        var error = "";
        try
        {
            if (_executor is not ITaskLogs source)
            {
                error = $"this node's executor ({_executor.GetType().Name}) keeps no logs";
            }
            else
            {
                DateTimeOffset? since = subscription.SinceUnixNanos > 0 ? DateTimeOffset.UnixEpoch.AddTicks(subscription.SinceUnixNanos / 100) : null;
                DateTimeOffset? until = subscription.UntilUnixNanos > 0 ? DateTimeOffset.UnixEpoch.AddTicks(subscription.UntilUnixNanos / 100) : null;
                int? tail = subscription.Tail < 0 ? null : subscription.Tail;
                var channel = System.Threading.Channels.Channel.CreateUnbounded<LogMessage>();
                var readers = subscription.TaskIds.Select(async taskId =>
                {
                    await foreach (var line in source.LogsAsync(taskId, subscription.Follow, tail, since, until, ct))
                    {
                        await channel.Writer.WriteAsync(new LogMessage
                        {
                            SubscriptionId = subscription.Id,
                            TaskId = taskId,
                            Stream = line.Stream,
                            Data = Google.Protobuf.ByteString.CopyFromUtf8(line.Text),
                            TimestampUnixNanos = (line.Time - DateTimeOffset.UnixEpoch).Ticks * 100,
                        }, ct);
                    }
                }).ToList();
                var done = Task.WhenAll(readers).ContinueWith(_ => channel.Writer.TryComplete(), TaskScheduler.Default);
                await foreach (var message in channel.Reader.ReadAllAsync(ct))
                {
                    await publish.RequestStream.WriteAsync(message, ct);
                }

                await done;
            }
        }
        catch (Exception ex) when (ex is SkiffException or IOException or InvalidOperationException)
        {
            error = ex.Message;
        }

        await publish.RequestStream.WriteAsync(new LogMessage { SubscriptionId = subscription.Id, Close = true, Error = error }, ct);
        await publish.RequestStream.CompleteAsync();
        await publish;
    }

    private static UpdateTaskStatusRequest Batch(string sessionId, IEnumerable<TaskStatusUpdate> updates)
    {
        var request = new UpdateTaskStatusRequest { SessionId = sessionId };
        request.Updates.AddRange(updates);
        return request;
    }

    private async Task ApplyAsync(SessionMessage message, CancellationToken ct)
    {
        var assigned = new HashSet<string>(StringComparer.Ordinal);
        var files = message.Files.ToDictionary(
            f => (f.Kind, f.Id),
            f => new TaskFileData(f.Kind == "config" ? TaskFileKind.Config : TaskFileKind.Secret, f.Id, [.. f.Data.Span]));
        foreach (var a in message.Tasks)
        {
            assigned.Add(a.TaskId);
            WireConvert.TryParseTaskState(a.DesiredState, out var desired);
            WireConvert.TryParseTaskState(a.ObservedState, out var observed);
            var spec = JsonSerializer.Deserialize(a.SpecJson, SkiffJson.Default.TaskSpecWire) ?? new TaskSpecWire();
            var task = new AssignedTask
            {
                TaskId = a.TaskId,
                ServiceId = a.ServiceId,
                ServiceName = a.ServiceName,
                Slot = a.Slot,
                NodeId = message.NodeId,
                DesiredState = desired,
                ObservedState = observed,
                Spec = spec,
                Ports = [.. a.Ports.Select(p => new TaskPort(p.Protocol, p.TargetPort, p.PublishedPort, p.PublishMode))],
                Files = [.. (spec.ContainerSpec?.Secrets ?? []).Select(r => ("secret", r.SecretID))
                    .Concat((spec.ContainerSpec?.Configs ?? []).Select(r => ("config", r.ConfigID)))
                    .Distinct()
                    .Select(k => files.GetValueOrDefault(k))
                    .OfType<TaskFileData>()],
            };
            var worker = _workers.GetOrAdd(a.TaskId, _ => new TaskWorker(task, _executor, Report, _options.Time, _log));
            worker.Assign(task);
        }

        // Tasks no longer assigned (reaped, or the node was removed from them): drop their runtime objects.
        foreach (var (id, worker) in _workers)
        {
            if (!assigned.Contains(id) && _workers.TryRemove(id, out _))
            {
                await worker.DisposeAsync();
                await _executor.RemoveAsync(id, ct);
            }
        }

        foreach (var id in await _executor.ListAsync(ct))
        {
            if (!assigned.Contains(id) && !_workers.ContainsKey(id))
            {
                _log.LogInformation("removing task {Task}: no longer assigned to this node", id);
                await _executor.RemoveAsync(id, ct);
            }
        }
    }

    private void Report(TaskStatusUpdate update) => _reporter.Report(update);

    /// <summary>Stops every task's runtime object and removes it (swarm leave).</summary>
    public async Task RemoveAllTasksAsync(CancellationToken ct)
    {
        // No more assignments: stop the session first.
        await _stop.CancelAsync();
        await Quietly(_run);
        foreach (var (id, worker) in _workers)
        {
            _workers.TryRemove(id, out _);
            await worker.DisposeAsync();
        }

        foreach (var id in await _executor.ListAsync(ct))
        {
            await _executor.StopAsync(id, TimeSpan.FromSeconds(10), ct);
            await _executor.RemoveAsync(id, ct);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Quietly(_run);
        foreach (var worker in _workers.Values)
        {
            await worker.DisposeAsync();
        }
    }

    private static async Task Quietly(Task t)
    {
        try
        {
            await t;
        }
        catch (Exception ex) when (ex is OperationCanceledException or RpcException or IOException or HttpRequestException)
        {
        }
    }
}

/// <summary>
/// One task's life on this node: accepted -> preparing -> ready -> (desired running) starting ->
/// running -> complete/failed, or shutdown when the manager asks. Adopts a runtime object that
/// already exists (agent restart).
/// </summary>
internal sealed class TaskWorker : IAsyncDisposable
{
    private readonly ITaskExecutor _executor;
    private readonly Action<TaskStatusUpdate> _report;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _changed = new(0);
    private readonly Task _loop;
    private volatile AssignedTask _task;
    private TaskState _reported;

    public TaskWorker(AssignedTask task, ITaskExecutor executor, Action<TaskStatusUpdate> report, TimeProvider time, ILogger log)
    {
        _task = task;
        _executor = executor;
        _report = report;
        _time = time;
        _log = log;
        _reported = task.ObservedState;
        _loop = Task.Run(() => LoopAsync(_stop.Token));
    }

    public void Assign(AssignedTask task)
    {
        _task = task;
        _changed.Release();
    }

    private async Task LoopAsync(CancellationToken ct)
    {
        try
        {
            await AdoptAsync(ct);
            while (!ct.IsCancellationRequested)
            {
                var task = _task;
                if (task.DesiredState > TaskState.Running)
                {
                    await ShutdownAsync(task, ct);
                }
                else if (_reported < TaskState.Ready)
                {
                    await PrepareAsync(task, ct);
                    continue;
                }
                else if (task.DesiredState == TaskState.Running && _reported < TaskState.Running)
                {
                    await StartAsync(task, ct);
                    continue;
                }
                else if (_reported == TaskState.Running)
                {
                    await WaitExitAsync(ct);
                    continue;
                }

                await _changed.WaitAsync(ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    /// <summary>An agent restart finds the task's container: pick up where it is.</summary>
    private async Task AdoptAsync(CancellationToken ct)
    {
        if (_reported < TaskState.Starting || TaskLifecycleTerminal(_reported))
        {
            return;
        }

        var status = await _executor.InspectAsync(_task.TaskId, ct);
        if (status is null)
        {
            Report(TaskState.Failed, "started", "the task's container is gone (removed while the agent was down)");
        }
        else if (status.Exited)
        {
            ReportExit(status.ExitCode);
        }
        else if (status.Running)
        {
            _reported = TaskState.Running;
        }
    }

    private async Task PrepareAsync(AssignedTask task, CancellationToken ct)
    {
        if (_reported < TaskState.Accepted)
        {
            Report(TaskState.Accepted, "accepted");
        }

        Report(TaskState.Preparing, "preparing");
        try
        {
            await _executor.PrepareAsync(task, ct);
            Report(TaskState.Ready, "prepared");
        }
        catch (TaskRejectedException e)
        {
            Report(TaskState.Rejected, "preparing", e.Message);
            await ParkAsync(ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Anything else (a full disk, a refused chown, a runtime error) also rejects the task, so the orchestrator
            // replaces it; unhandled, it would end this worker's loop and leave the task "preparing" for good.
            _log.LogWarning(e, "task {Task}: prepare failed", task.TaskId);
            Report(TaskState.Rejected, "preparing", e.Message);
            await ParkAsync(ct);
        }
    }

    private async Task StartAsync(AssignedTask task, CancellationToken ct)
    {
        Report(TaskState.Starting, "starting");
        try
        {
            var status = await _executor.StartAsync(task.TaskId, ct);
            Report(TaskState.Running, "started", status: status);
        }
        catch (Exception e) when (e is TaskRejectedException or SkiffException or InvalidOperationException)
        {
            Report(TaskState.Failed, "starting", e.Message);
            await ParkAsync(ct);
        }
    }

    private async Task WaitExitAsync(CancellationToken ct)
    {
        using var changed = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var wait = _executor.WaitAsync(_task.TaskId, changed.Token);
        var signal = _changed.WaitAsync(changed.Token);
        var first = await Task.WhenAny(wait, signal);
        await changed.CancelAsync();
        if (first == wait && wait.IsCompletedSuccessfully && _task.DesiredState <= TaskState.Running)
        {
            ReportExit(wait.Result);
            await ParkAsync(ct);
        }
        else if (first == wait && wait.IsFaulted && _task.DesiredState <= TaskState.Running)
        {
            Report(TaskState.Failed, "started", "the task's container is gone: " + wait.Exception!.GetBaseException().Message);
            await ParkAsync(ct);
        }
        else if (first == signal)
        {
            // The assignment changed: the main loop looks at the new desired state (already in _task).
            await Quiet(wait);
        }
    }

    private async Task ShutdownAsync(AssignedTask task, CancellationToken ct)
    {
        var grace = TimeSpan.FromTicks((task.Spec.ContainerSpec?.StopGracePeriod ?? SpecDefaults.DefaultStopGracePeriod) / 100);
        if (!TaskLifecycleTerminal(_reported))
        {
            await _executor.StopAsync(task.TaskId, grace, ct);
            Report(TaskState.Shutdown, "shutdown");
        }

        if (task.DesiredState == TaskState.Remove)
        {
            await _executor.RemoveAsync(task.TaskId, ct);
        }

        await _changed.WaitAsync(ct);
    }

    /// <summary>A finished task waits for the manager (shutdown, remove).</summary>
    private async Task ParkAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested && _task.DesiredState <= TaskState.Running)
        {
            await _changed.WaitAsync(ct);
        }
    }

    private void ReportExit(int exitCode)
    {
        if (exitCode == 0)
        {
            Report(TaskState.Complete, "finished");
        }
        else
        {
            Report(TaskState.Failed, "started", $"task: non-zero exit ({exitCode})");
        }
    }

    private void Report(TaskState state, string message, string? err = null, ExecutorStatus? status = null)
    {
        _reported = state;
        var update = new TaskStatusUpdate
        {
            TaskId = _task.TaskId,
            State = WireConvert.Name(state),
            Message = message,
            Err = err ?? "",
            ContainerId = status?.ContainerId ?? "",
            Pid = status?.Pid ?? 0,
            ExitCode = status?.ExitCode ?? 0,
            TimestampUnixMs = _time.GetUtcNow().ToUnixTimeMilliseconds(),
        };
        update.Ports.AddRange((status?.Ports ?? ImmutableArray<TaskPort>.Empty).Select(p => new Port { Protocol = p.Protocol, TargetPort = p.TargetPort, PublishedPort = p.PublishedPort, PublishMode = p.PublishMode }));
        _log.LogDebug("task {Task}: {State} {Message} {Err}", _task.TaskId, update.State, message, err);
        _report(update);
    }

    private static bool TaskLifecycleTerminal(TaskState s) => s > TaskState.Running;

    private static async Task Quiet(Task t)
    {
        try
        {
            await t;
        }
        catch (Exception)
        {
            // The wait was cancelled or its container went away: the loop re-inspects.
        }
    }

    private int _disposed;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stop.CancelAsync();
        await Quiet(_loop);
        _stop.Dispose();
    }
}
