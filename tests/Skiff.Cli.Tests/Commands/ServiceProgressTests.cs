using Skiff.Api;
using Skiff.Cli.Commands;
using Skiff.Cli.Connection;

namespace Skiff.Cli.Tests.Commands;

/// <summary>
/// docker's service progress (cli/command/service/progress): snapshots of the service, its up-to-date tasks
/// and the nodes are fed round by round, on a clock that advances only by the 200 ms poll interval.
/// </summary>
public class ServiceProgressTests
{
    private const string Node1 = "node1aaaaaaaaaaaaaaaaaaaa";
    private const string Node2 = "node2bbbbbbbbbbbbbbbbbbbb";

    private static string Bar(int filled) => "[" + new string('=', filled) + ">" + new string(' ', 50 - filled) + "]";

    /// <summary>One poll's answers; the last round repeats once the script ends.</summary>
    private sealed record Round(ServiceWire Service, List<TaskWire> Tasks, List<NodeWire>? Nodes = null);

    private sealed class ScriptedSource(IReadOnlyList<Round> rounds) : ServiceProgress.ISource
    {
        private int _next;
        private Round _current = rounds[0];

        public List<string> Calls { get; } = [];

        public Task<ServiceWire> GetServiceAsync(CancellationToken ct)
        {
            _current = rounds[Math.Min(_next++, rounds.Count - 1)];
            Calls.Add("service");
            return Task.FromResult(_current.Service);
        }

        public Task<List<TaskWire>> GetTasksAsync(string serviceId, CancellationToken ct)
        {
            Calls.Add("tasks " + serviceId);
            return Task.FromResult(_current.Tasks);
        }

        public Task<List<NodeWire>> GetNodesAsync(CancellationToken ct)
        {
            Calls.Add("nodes");
            return Task.FromResult(_current.Nodes ?? [Swarm.Node(Node1, "n1", leader: true), Swarm.Node(Node2, "n2")]);
        }
    }

    private static ServiceWire Replicated(ulong replicas, UpdateStatusWire? status = null, long monitor = 0)
    {
        var s = Swarm.Service("svc1", "web", replicas);
        s.UpdateStatus = status;
        if (monitor != 0)
        {
            s.Spec.UpdateConfig = new UpdateConfigWire { Parallelism = 1, Monitor = monitor };
        }
        return s;
    }

    private static TaskWire T(int slot, string state, string desired = "running", string node = Node1, string? err = null) =>
        Swarm.Task($"t{slot}{state}", "svc1", slot, node, state, desired, err: err);

    private static async Task<(string Output, ScriptedSource Source, SteppingClock Clock, Exception? Error)> RunAsync(
        IReadOnlyList<Round> rounds, bool terminal = false, int width = 200, string arg = "web", CancellationToken ct = default)
    {
        var source = new ScriptedSource(rounds);
        var clock = new SteppingClock(FixedTime.Now);
        var writer = new StringWriter { NewLine = "\n" };
        var progress = new ServiceProgress(arg, new ProgressWriter(writer, terminal, width));
        Exception? error = null;
        try
        {
            await progress.RunAsync(source, clock.GetUtcNow, clock.DelayAsync, ct);
        }
        catch (CliException e)
        {
            error = e;
        }
        return (writer.ToString(), source, clock, error);
    }

    private static string Countdown(string arg) =>
        "verify: Waiting 5 seconds to verify that tasks are stable...\n" +
        "verify: Waiting 4 seconds to verify that tasks are stable...\n" +
        "verify: Waiting 3 seconds to verify that tasks are stable...\n" +
        "verify: Waiting 2 seconds to verify that tasks are stable...\n" +
        "verify: Waiting 1 seconds to verify that tasks are stable...\n" +
        $"verify: Service {arg} converged\n";

    [Fact]
    public async Task Replicated_SlotsProgressToRunning_ThenVerifiesForTheMonitorPeriod()
    {
        var rounds = new List<Round>
        {
            new(Replicated(3), []),
            new(Replicated(3), [T(1, "pending")]),
            new(Replicated(3), [T(1, "preparing"), T(2, "assigned"), T(3, "pending")]),
            new(Replicated(3), [T(1, "running"), T(2, "starting"), T(3, "failed", "shutdown", err: "task: non-zero exit (1)")]),
            new(Replicated(3), [T(1, "running"), T(2, "running"), T(3, "running")]),
        };
        var (output, source, clock, error) = await RunAsync(rounds);
        Assert.Null(error);
        Assert.Equal(
            "overall progress: 0 out of 3 tasks\n" +
            "1/3: pending   " + Bar(16) + "\n" +
            "1/3: preparing " + Bar(33) + "\n" +
            "2/3: assigned  " + Bar(22) + "\n" +
            "3/3: pending   " + Bar(16) + "\n" +
            "1/3: running   " + Bar(50) + "\n" +
            "2/3: starting  " + Bar(44) + "\n" +
            "3/3: task: non-zero exit (1)\n" +
            "overall progress: 1 out of 3 tasks\n" +
            "2/3: running   " + Bar(50) + "\n" +
            "3/3: running   " + Bar(50) + "\n" +
            "overall progress: 3 out of 3 tasks\n" +
            Countdown("web"),
            output);
        // Converged at the 5th poll, verified 5 s (25 polls of 200 ms) later: the last poll reads only the service.
        Assert.Equal(29, clock.Delays.Count);
        Assert.All(clock.Delays, d => Assert.Equal(TimeSpan.FromMilliseconds(200), d));
        Assert.Equal(["service", "tasks svc1", "nodes"], source.Calls.Take(3));
        Assert.Equal("service", source.Calls[^1]);
    }

    [Fact]
    public async Task Replicated_MonitorFromUpdateConfig_TasksOnDownNodesIgnored()
    {
        var nodes = new List<NodeWire> { Swarm.Node(Node1, "n1", leader: true), Swarm.Node(Node2, "n2", state: "down") };
        var rounds = new List<Round>
        {
            new(Replicated(2, monitor: 1_000_000_000), [T(1, "running"), T(2, "running", node: Node2)], nodes),
            new(Replicated(2, monitor: 1_000_000_000), [T(1, "running"), T(2, "running")], nodes),
        };
        var (output, _, _, _) = await RunAsync(rounds);
        Assert.Equal(
            "overall progress: 0 out of 2 tasks\n" +
            "1/2: running   " + Bar(50) + "\n" +
            "overall progress: 1 out of 2 tasks\n" +
            "2/2: running   " + Bar(50) + "\n" +
            "overall progress: 2 out of 2 tasks\n" +
            "verify: Waiting 1 seconds to verify that tasks are stable...\n" +
            "verify: Service web converged\n",
            output);
    }

    [Fact]
    public async Task Rollback_PrintsTheDaemonsMessagesAndRollingBackCounts()
    {
        var started = new UpdateStatusWire { State = "rollback_started", Message = "manually requested rollback" };
        var completed = new UpdateStatusWire { State = "rollback_completed", Message = "rollback completed" };
        var rounds = new List<Round>
        {
            new(Replicated(2, started), [T(1, "running"), T(2, "shutdown", "shutdown")]),
            new(Replicated(2, started), [T(1, "running"), T(2, "starting")]),
            new(Replicated(2, completed), [T(1, "running"), T(2, "running")]),
        };
        var (output, _, _, error) = await RunAsync(rounds, arg: "probe-x");
        Assert.Null(error);
        Assert.Equal(
            "rollback: manually requested rollback\n" +
            "overall progress: rolling back update: 0 out of 2 tasks\n" +
            "1/2: running   " + Bar(50) + "\n" +
            "overall progress: rolling back update: 1 out of 2 tasks\n" +
            "2/2: starting  " + Bar(44) + "\n" +
            "2/2: running   " + Bar(50) + "\n" +
            "overall progress: rolling back update: 2 out of 2 tasks\n" +
            Countdown("probe-x") +
            "rollback: rollback completed\n",
            output);
    }

    [Fact]
    public async Task Paused_StopsWithDockersError()
    {
        var paused = new UpdateStatusWire { State = "paused", Message = "update paused due to failure or early termination of task t2" };
        var rounds = new List<Round>
        {
            new(Replicated(2, new UpdateStatusWire { State = "updating", Message = "update in progress" }), [T(1, "running"), T(2, "failed", "shutdown", err: "boom")]),
            new(Replicated(2, paused), [T(1, "running")]),
        };
        var (output, _, _, error) = await RunAsync(rounds);
        Assert.Equal("service update paused: update paused due to failure or early termination of task t2", error?.Message);
        Assert.Equal("overall progress: 0 out of 2 tasks\n1/2: running   " + Bar(50) + "\n2/2: boom\noverall progress: 1 out of 2 tasks\n", output);

        var rollbackPaused = new UpdateStatusWire { State = "rollback_paused", Message = "rollback paused" };
        var (_, _, _, error2) = await RunAsync([new(Replicated(1, rollbackPaused), [])]);
        Assert.Equal("service rollback paused: rollback paused", error2?.Message);
    }

    [Fact]
    public async Task CompletedBeforeConverging_EndsAtOnce()
    {
        var (output, source, clock, error) = await RunAsync([new(Replicated(2, new UpdateStatusWire { State = "completed", Message = "update completed" }), [])]);
        Assert.Null(error);
        Assert.Equal("", output);
        Assert.Equal(["service"], source.Calls);
        Assert.Empty(clock.Delays);
    }

    [Fact]
    public async Task ConvergedThenATaskFails_DetectedTaskFailureAndStartsOver()
    {
        var rounds = new List<Round>
        {
            new(Replicated(1), [T(1, "running")]),
            new(Replicated(1), [T(1, "failed", "shutdown")]),
            new(Replicated(1), [T(1, "running")]),
        };
        var (output, _, _, _) = await RunAsync(rounds);
        Assert.Equal(
            "overall progress: 0 out of 1 tasks\n" +
            "1/1: running   " + Bar(50) + "\n" +
            "overall progress: 1 out of 1 tasks\n" +
            "verify: Waiting 5 seconds to verify that tasks are stable...\n" +
            "overall progress: 0 out of 1 tasks\n" +
            "verify: Detected task failure\n" +
            "overall progress: 1 out of 1 tasks\n" +
            Countdown("web"),
            output);
    }

    [Fact]
    public async Task Global_CountsDistinctNodes_WaitsForTasksFirst()
    {
        ServiceWire Global()
        {
            var s = Swarm.Service("svc1", "mon");
            s.Spec.Mode = new ServiceModeWire { Global = new GlobalMode() };
            return s;
        }
        var rounds = new List<Round>
        {
            new(Global(), []),
            new(Global(), [Swarm.Task("g1", "svc1", 0, Node1, "preparing"), Swarm.Task("g2", "svc1", 0, Node2, "running")]),
            new(Global(), [Swarm.Task("g1", "svc1", 0, Node1, "running"), Swarm.Task("g2", "svc1", 0, Node2, "running")]),
        };
        var (output, _, _, _) = await RunAsync(rounds, arg: "mon");
        Assert.Equal(
            "overall progress: waiting for new tasks\n" +
            "overall progress: 0 out of 2 tasks\n" +
            "node1aaaaaaa: preparing " + Bar(33) + "\n" +
            "node2bbbbbbb: running   " + Bar(50) + "\n" +
            "overall progress: 1 out of 2 tasks\n" +
            "node1aaaaaaa: running   " + Bar(50) + "\n" +
            "overall progress: 2 out of 2 tasks\n" +
            Countdown("mon"),
            output);
    }

    [Fact]
    public async Task ReplicatedJob_EndsWithJobComplete()
    {
        ServiceWire Job()
        {
            var s = Swarm.Service("svc1", "job");
            s.Spec.Mode = new ServiceModeWire { ReplicatedJob = new ReplicatedJobMode { MaxConcurrent = 2, TotalCompletions = 2 } };
            s.JobStatus = new JobStatusWire { JobIteration = new ObjectVersion { Index = 4 } };
            return s;
        }
        TaskWire J(int slot, string state)
        {
            var t = Swarm.Task($"j{slot}{state}", "svc1", slot, Node1, state, "complete");
            t.JobIteration = new ObjectVersion { Index = 4 };
            return t;
        }
        var rounds = new List<Round>
        {
            new(Job(), [J(0, "running"), J(1, "starting")]),
            new(Job(), [J(0, "complete"), J(1, "complete")]),
        };
        var (output, _, clock, _) = await RunAsync(rounds, arg: "job");
        Assert.Equal(
            "job progress: 0 out of 2 complete " + Bar(0) + "\n" +
            "active tasks: 0 out of 2 tasks\n" +
            "1/2: running   [" + new string('=', 45) + ">" + new string(' ', 5) + "]\n" +
            "2/2: starting  [" + new string('=', 40) + ">" + new string(' ', 10) + "]\n" +
            "active tasks: 2 out of 2 tasks\n" +
            "1/2: complete  " + Bar(50) + "\n" +
            "2/2: complete  " + Bar(50) + "\n" +
            "job progress: 2 out of 2 complete " + Bar(50) + "\n" +
            "active tasks: 0 out of 0 tasks\n" +
            "job complete\n",
            output);
        Assert.Single(clock.Delays);
    }

    [Fact]
    public async Task Terminal_RedrawsEachIdInPlace_LikeJsonmessage()
    {
        var rounds = new List<Round>
        {
            new(Replicated(1, monitor: 1), [T(1, "starting")]),
            new(Replicated(1, monitor: 1), [T(1, "running")]),
        };
        var (output, _, _, _) = await RunAsync(rounds, terminal: true, width: 200);
        const string E = "\x1b";
        Assert.Equal(
            // "overall progress" and "1/1" get a line each; later writes move up to them and back down.
            "\n" + E + "[1A" + E + "[2K\roverall progress: 0 out of 1 tasks \r" + E + "[1B" +
            "\n" + E + "[1A" + E + "[2K\r1/1:   \r" + E + "[1B" +
            E + "[1A" + E + "[2K\r1/1: starting  " + Bar(44) + " \r" + E + "[1B" +
            E + "[2A" + E + "[2K\roverall progress: 0 out of 1 tasks \r" + E + "[2B" +
            E + "[1A" + E + "[2K\r1/1: running   " + Bar(50) + " \r" + E + "[1B" +
            E + "[2A" + E + "[2K\roverall progress: 1 out of 1 tasks \r" + E + "[2B" +
            "\n" + E + "[1A" + E + "[2K\rverify: Waiting 1 seconds to verify that tasks are stable... \r" + E + "[1B" +
            E + "[1A" + E + "[2K\rverify: Service web converged \r" + E + "[1B",
            output);
    }

    [Fact]
    public void Terminal_NarrowerThan111Columns_NoBars()
    {
        Assert.Equal("", ProgressWriter.Bar(9, 9, 110));
        Assert.Equal(Bar(50) + " ", ProgressWriter.Bar(9, 9, 111));
        Assert.Equal("", ProgressWriter.Bar(0, 0, 200));
    }

    [Fact]
    public async Task Cancelled_OperationContinuesInBackground()
    {
        using var cts = new CancellationTokenSource();
        var source = new ScriptedSource([new(Replicated(1), [T(1, "pending")])]);
        var clock = new SteppingClock(FixedTime.Now);
        var writer = new StringWriter { NewLine = "\n" };
        var progress = new ServiceProgress("web", new ProgressWriter(writer, false, 200));
        await progress.RunAsync(source, clock.GetUtcNow, async (d, ct) =>
        {
            await cts.CancelAsync();
            await clock.DelayAsync(d, ct);
        }, cts.Token);
        Assert.EndsWith("Operation continuing in background.\nUse `docker service ps web` to check progress.\n", writer.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void TruncError_75Characters()
    {
        Assert.Equal(new string('x', 74) + "…", ServiceProgress.TruncError(new string('x', 80)));
        Assert.Equal("a b", ServiceProgress.TruncError("a\nb"));
    }
}
