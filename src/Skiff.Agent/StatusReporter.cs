using System.Threading.Channels;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Skiff.Manager.Dispatch.Proto;

namespace Skiff.Agent;

/// <summary>
/// The agent's outbox of task status changes: sent to the manager in batches, one state per task per batch (the
/// manager needs a task's states in order, so a second state of a task already in the batch waits for the next one).
/// A batch the manager did not take stays here and is sent again, in the same session after a pause or in the next
/// session: nothing is dropped (the manager ignores states older than the one it has, so a resend is harmless). An
/// update that was lost here left its task "starting" on the manager for good while it ran on the node.
/// </summary>
internal sealed class StatusReporter(ILogger log, TimeProvider time, TimeSpan? retryDelay = null)
{
    private readonly Channel<TaskStatusUpdate> _updates = Channel.CreateUnbounded<TaskStatusUpdate>();

    /// <summary>The batch being sent; only touched by <see cref="RunAsync"/>, which runs once at a time (per session).</summary>
    private readonly Dictionary<string, TaskStatusUpdate> _unsent = new(StringComparer.Ordinal);

    private readonly TimeSpan _retryDelay = retryDelay ?? TimeSpan.FromMilliseconds(500);

    private int _running;

    public void Report(TaskStatusUpdate update) => _updates.Writer.TryWrite(update);

    /// <summary>Sends batches with <paramref name="send"/> until <paramref name="ct"/> ends (the session), then throws
    /// <see cref="OperationCanceledException"/>. One run at a time.</summary>
    public async Task RunAsync(Func<IReadOnlyCollection<TaskStatusUpdate>, CancellationToken, Task> send, CancellationToken ct)
    {
        if (Interlocked.Exchange(ref _running, 1) == 1)
        {
            throw new InvalidOperationException("the status reporter is already running (one session at a time)");
        }

        try
        {
            await SendUntilCancelledAsync(send, ct);
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
    }

    private async Task SendUntilCancelledAsync(Func<IReadOnlyCollection<TaskStatusUpdate>, CancellationToken, Task> send, CancellationToken ct)
    {
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            if (_unsent.Count == 0)
            {
                await _updates.Reader.WaitToReadAsync(ct);
            }

            while (_updates.Reader.TryPeek(out var u) && !(_unsent.TryGetValue(u.TaskId, out var earlier) && earlier.State != u.State))
            {
                _updates.Reader.TryRead(out _);
                _unsent[u.TaskId] = u;
            }

            try
            {
                await send(_unsent.Values, ct);
                _unsent.Clear();
            }
            catch (RpcException ex) when (ex.StatusCode != StatusCode.Cancelled || !ct.IsCancellationRequested)
            {
                log.LogWarning("status report of {Count} tasks failed, will retry: {Message}", _unsent.Count, ex.Status.Detail);
                await Task.Delay(_retryDelay, time, ct);
            }
        }
    }
}
