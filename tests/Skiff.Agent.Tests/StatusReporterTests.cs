using Grpc.Core;
using Microsoft.Extensions.Logging.Abstractions;
using Skiff.Manager.Dispatch.Proto;

namespace Skiff.Agent.Tests;

/// <summary>The agent's status outbox: nothing is lost when the manager fails a batch, a task's states go in order.</summary>
public sealed class StatusReporterTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private static TaskStatusUpdate U(string task, string state) => new() { TaskId = task, State = state };

    [Fact]
    public async Task Run_ManagerFailsBatches_EveryStateArrivesInOrderPerTask()
    {
        var reporter = new StatusReporter(NullLogger.Instance, TimeProvider.System, TimeSpan.FromMilliseconds(1));
        var received = new List<(string Task, string State)>();
        var calls = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var cts = new CancellationTokenSource();

        // Both tasks have two states queued at once: the first batch can carry one state of each only.
        reporter.Report(U("t1", "starting"));
        reporter.Report(U("t2", "starting"));
        reporter.Report(U("t1", "running"));
        reporter.Report(U("t2", "running"));
        var run = reporter.RunAsync((batch, ct) =>
        {
            // Every other call fails, as a manager whose Raft write timed out would answer.
            if (++calls % 2 == 1)
            {
                throw new RpcException(new Status(StatusCode.Unavailable, "raft proposal timed out"));
            }

            Assert.Equal(batch.Count, batch.Select(u => u.TaskId).Distinct().Count());
            received.AddRange(batch.Select(u => (u.TaskId, u.State)));
            if (received.Count == 4)
            {
                done.TrySetResult();
            }

            return Task.CompletedTask;
        }, cts.Token);

        await done.Task.WaitAsync(Wait);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);

        Assert.Equal(["starting", "running"], received.Where(r => r.Task == "t1").Select(r => r.State));
        Assert.Equal(["starting", "running"], received.Where(r => r.Task == "t2").Select(r => r.State));
    }

    [Fact]
    public async Task Run_SessionEndsWithABatchUnsent_NextSessionSendsIt()
    {
        var reporter = new StatusReporter(NullLogger.Instance, TimeProvider.System, TimeSpan.FromMilliseconds(1));
        reporter.Report(U("t1", "running"));
        var firstTried = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (var first = new CancellationTokenSource())
        {
            var run = reporter.RunAsync((_, _) =>
            {
                firstTried.TrySetResult();
                throw new RpcException(new Status(StatusCode.Unavailable, "manager gone"));
            }, first.Token);
            await firstTried.Task.WaitAsync(Wait);
            await first.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        }

        var sent = new TaskCompletionSource<List<string>>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var second = new CancellationTokenSource();
        var next = reporter.RunAsync((batch, _) =>
        {
            sent.TrySetResult([.. batch.Select(u => $"{u.TaskId}:{u.State}")]);
            return Task.CompletedTask;
        }, second.Token);

        Assert.Equal(["t1:running"], await sent.Task.WaitAsync(Wait));
        await second.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => next);
    }

    [Fact]
    public async Task Run_SecondRunWhileOneRuns_Refused()
    {
        var reporter = new StatusReporter(NullLogger.Instance, TimeProvider.System);
        using var cts = new CancellationTokenSource();
        var first = reporter.RunAsync((_, _) => Task.CompletedTask, cts.Token);

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => reporter.RunAsync((_, _) => Task.CompletedTask, CancellationToken.None));

        Assert.Equal("the status reporter is already running (one session at a time)", e.Message);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
    }
}
