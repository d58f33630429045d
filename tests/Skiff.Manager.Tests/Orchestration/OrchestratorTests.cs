using Microsoft.Extensions.Logging.Abstractions;
using Skiff.Api;
using Skiff.Manager.ControlApi;
using Skiff.Manager.Orchestration;
using Skiff.State;

namespace Skiff.Manager.Tests.Orchestration;

/// <summary>
/// The leader's control loop over the real in-memory store with a fake clock; a simulated agent
/// moves tasks the way a node does (assigned -> running, shutdown when asked).
/// </summary>
public sealed class OrchestratorTests
{
    private sealed class Clock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 11, 27, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private sealed class Cluster
    {
        public Clock Clock { get; } = new();

        public MemoryStore Store { get; }

        public LocalReplicatedStore Replicated { get; }

        public Orchestrator Orchestrator { get; }

        public ControlApi.ControlApi Control { get; }

        /// <summary>Task ids the simulated agent refuses to run (they fail at start).</summary>
        public HashSet<string> FailingImages { get; } = [];

        public Cluster(params string[] nodes)
        {
            Store = new MemoryStore(Clock);
            Replicated = new LocalReplicatedStore(Store);
            Orchestrator = new Orchestrator(Replicated, Clock, NullLogger.Instance);
            Control = new ControlApi.ControlApi(Replicated, () => nodes[0], Clock);
            Store.Update(tx =>
            {
                tx.Create(new Skiff.State.Cluster { Id = "c1" });
                foreach (var n in nodes)
                {
                    tx.Create(new Node { Id = n, Hostname = n, State = NodeState.Ready, NanoCpus = 2_000_000_000, MemoryBytes = 1L << 32 });
                }
            });
        }

        /// <summary>One round: the orchestrator decides, the agents act, time passes.</summary>
        public async Task RoundAsync(TimeSpan? step = null)
        {
            await Orchestrator.TickAsync(CancellationToken.None);
            Store.Update(tx =>
            {
                foreach (var t in tx.All<SwarmTask>().ToList())
                {
                    var node = t.NodeId is null ? null : tx.Get<Node>(t.NodeId);
                    if (node is null || node.State == NodeState.Down)
                    {
                        continue;
                    }

                    var next = t.Status.State;
                    if (t.DesiredState > TaskState.Running)
                    {
                        next = next > TaskState.Running ? next : TaskState.Shutdown;
                    }
                    else if (next is TaskState.Assigned)
                    {
                        next = TaskState.Ready;
                    }
                    else if (next is TaskState.Ready && t.DesiredState == TaskState.Running)
                    {
                        next = FailingImages.Contains(t.Spec!.ContainerSpec!.Image) ? TaskState.Failed : TaskState.Running;
                    }

                    if (next != t.Status.State)
                    {
                        tx.Update(t with { Status = t.Status with { State = next, Timestamp = Clock.Now } });
                    }
                }
            });
            Clock.Now += step ?? TimeSpan.FromMilliseconds(500);
        }

        public async Task RunUntilAsync(Func<bool> done, string what, int maxRounds = 400)
        {
            for (var i = 0; i < maxRounds; i++)
            {
                if (done())
                {
                    return;
                }

                await RoundAsync();
            }

            throw new TimeoutException($"not reached after {maxRounds} rounds: {what}");
        }

        public List<SwarmTask> Tasks(string service) => Store.View(tx => tx.TasksByService(Control.GetService(service).Id).ToList());

        public List<SwarmTask> Running(string service) =>
            [.. Tasks(service).Where(t => t.DesiredState == TaskState.Running && t.Status.State == TaskState.Running)];

        public Service Service(string name) => Control.GetService(name);
    }

    private static ServiceSpecWire Spec(string name, ulong replicas, string image = "busybox", long cpu = 0, ulong parallelism = 1, string? failureAction = null) => new()
    {
        Name = name,
        Mode = new ServiceModeWire { Replicated = new ReplicatedMode { Replicas = replicas } },
        TaskTemplate = new TaskSpecWire
        {
            ContainerSpec = new ContainerSpecWire { Image = image, Args = ["sleep", "1000"] },
            Resources = cpu == 0 ? null : new ResourceRequirements { Limits = new LimitsWire { NanoCPUs = cpu } },
        },
        UpdateConfig = new UpdateConfigWire { Parallelism = parallelism, Delay = 1_000_000_000, Monitor = 1_000_000_000, FailureAction = failureAction },
        RollbackConfig = new UpdateConfigWire { Parallelism = parallelism, Monitor = 1_000_000_000 },
    };

    [Fact]
    public async Task Create_FiveReplicas_AllRunInSlotsOneToFive()
    {
        var c = new Cluster("n1", "n2");
        await c.Control.CreateServiceAsync(Spec("web", 5), CancellationToken.None);

        await c.RunUntilAsync(() => c.Running("web").Count == 5, "5 running tasks");

        Assert.Equal([1, 2, 3, 4, 5], c.Running("web").Select(t => t.Slot).Order());
        Assert.Equal(2, c.Running("web").Select(t => t.NodeId).Distinct().Count());
    }

    [Fact]
    public async Task Update_ThenRollback_EverySlotEndsOnTheOriginalSpecWithHistory()
    {
        var c = new Cluster("n1", "n2");
        await c.Control.CreateServiceAsync(Spec("web", 5, parallelism: 2), CancellationToken.None);
        await c.RunUntilAsync(() => c.Running("web").Count == 5, "5 running tasks");

        var s = c.Service("web");
        await c.Control.UpdateServiceAsync("web", s.Meta.Version, Spec("web", 5, cpu: 1_000_000_000, parallelism: 2), rollback: false, CancellationToken.None);
        await c.RunUntilAsync(() => c.Service("web").UpdateStatus?.State == "completed", "the update to complete");
        Assert.All(c.Running("web"), t => Assert.Equal(1_000_000_000, t.Spec!.Resources!.Limits!.NanoCPUs));

        s = c.Service("web");
        await c.Control.UpdateServiceAsync("web", s.Meta.Version, s.Spec, rollback: true, CancellationToken.None);
        Assert.Equal("rollback_started", c.Service("web").UpdateStatus?.State);
        await c.RunUntilAsync(() => c.Service("web").UpdateStatus?.State == "rollback_completed", "the rollback to complete");

        var running = c.Running("web");
        Assert.Equal([1, 2, 3, 4, 5], running.Select(t => t.Slot).Order());
        Assert.All(running, t => Assert.Null(t.Spec!.Resources));
        Assert.All(Enumerable.Range(1, 5), slot => Assert.Equal(3, c.Tasks("web").Count(t => t.Slot == slot)));
    }

    [Fact]
    public async Task Update_Parallelism2_NeverMoreThanTwoSlotsDownAtOnce()
    {
        var c = new Cluster("n1");
        await c.Control.CreateServiceAsync(Spec("web", 5, parallelism: 2), CancellationToken.None);
        await c.RunUntilAsync(() => c.Running("web").Count == 5, "5 running tasks");
        var s = c.Service("web");
        await c.Control.UpdateServiceAsync("web", s.Meta.Version, Spec("web", 5, cpu: 500_000_000, parallelism: 2), rollback: false, CancellationToken.None);

        var minRunning = 5;
        await c.RunUntilAsync(() =>
        {
            minRunning = Math.Min(minRunning, c.Running("web").Count);
            return c.Service("web").UpdateStatus?.State == "completed";
        }, "the update to complete");

        Assert.Equal(3, minRunning);
    }

    [Fact]
    public async Task Update_FailingImageWithRollbackAction_RollsBackAutomatically()
    {
        var c = new Cluster("n1");
        c.FailingImages.Add("broken");
        await c.Control.CreateServiceAsync(Spec("web", 3), CancellationToken.None);
        await c.RunUntilAsync(() => c.Running("web").Count == 3, "3 running tasks");
        var s = c.Service("web");
        await c.Control.UpdateServiceAsync("web", s.Meta.Version, Spec("web", 3, image: "broken", failureAction: "rollback"), rollback: false, CancellationToken.None);

        await c.RunUntilAsync(() => c.Service("web").UpdateStatus?.State == "rollback_started", "the automatic rollback to start");
        Assert.StartsWith("update rolled back due to failure or early termination of task", c.Service("web").UpdateStatus!.Message, StringComparison.Ordinal);

        await c.RunUntilAsync(() => c.Service("web").UpdateStatus?.State == "rollback_completed", "the automatic rollback to complete");
        Assert.Equal("rollback completed", c.Service("web").UpdateStatus!.Message);
        Assert.Equal("busybox", c.Service("web").Spec.TaskTemplate.ContainerSpec!.Image);
        await c.RunUntilAsync(() => c.Running("web").Count == 3, "3 running tasks on the old image");
    }

    [Fact]
    public async Task Update_FailingImageDefaultAction_Pauses()
    {
        var c = new Cluster("n1");
        c.FailingImages.Add("broken");
        await c.Control.CreateServiceAsync(Spec("web", 3), CancellationToken.None);
        await c.RunUntilAsync(() => c.Running("web").Count == 3, "3 running tasks");
        var s = c.Service("web");
        await c.Control.UpdateServiceAsync("web", s.Meta.Version, Spec("web", 3, image: "broken"), rollback: false, CancellationToken.None);

        await c.RunUntilAsync(() => c.Service("web").UpdateStatus?.State == "paused", "the update to pause");

        Assert.StartsWith("update paused due to failure or early termination of task", c.Service("web").UpdateStatus!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ScaleDown_5To3_RemovedSlotsDisappearOnceStopped()
    {
        var c = new Cluster("n1", "n2");
        await c.Control.CreateServiceAsync(Spec("web", 5), CancellationToken.None);
        await c.RunUntilAsync(() => c.Running("web").Count == 5, "5 running tasks");
        var s = c.Service("web");
        await c.Control.UpdateServiceAsync("web", s.Meta.Version, Spec("web", 3), rollback: false, CancellationToken.None);

        await c.RunUntilAsync(() => c.Tasks("web").Count == 3, "the two removed tasks to be deleted");

        Assert.Equal(3, c.Running("web").Count);
    }

    [Fact]
    public async Task NodeDown_TasksReplacedOnTheOtherNode_OldOnesKeptAsHistory_NothingMovesBack()
    {
        var c = new Cluster("n1", "n2");
        await c.Control.CreateServiceAsync(Spec("web", 4), CancellationToken.None);
        await c.RunUntilAsync(() => c.Running("web").Count == 4, "4 running tasks");
        var onN2 = c.Running("web").Where(t => t.NodeId == "n2").Select(t => t.Slot).ToList();
        Assert.NotEmpty(onN2);

        c.Store.Update(tx => tx.Update(tx.Get<Node>("n2")! with { State = NodeState.Down }));
        await c.RunUntilAsync(() => c.Running("web").Count(t => t.NodeId == "n1") == 4, "all 4 tasks on n1");
        Assert.All(onN2, slot => Assert.Contains(c.Tasks("web"), t => t.Slot == slot && t.NodeId == "n2" && t.DesiredState == TaskState.Shutdown));

        c.Store.Update(tx => tx.Update(tx.Get<Node>("n2")! with { State = NodeState.Ready }));
        for (var i = 0; i < 10; i++)
        {
            await c.RoundAsync();
        }

        Assert.All(c.Running("web"), t => Assert.Equal("n1", t.NodeId));
    }

    [Fact]
    public async Task Constraint_NoNodeMatches_TaskStaysPendingWithExplanation()
    {
        var c = new Cluster("n1");
        var spec = Spec("db", 1);
        spec.TaskTemplate.Placement = new PlacementWire { Constraints = ["node.labels.type==db"] };
        await c.Control.CreateServiceAsync(spec, CancellationToken.None);

        await c.RunUntilAsync(() => c.Tasks("db").Any(t => t.Status.Err is not null), "a scheduling explanation");

        var task = c.Tasks("db").Single();
        Assert.Equal(TaskState.Pending, task.Status.State);
        Assert.Equal("no suitable node (scheduling constraints not satisfied on 1 node)", task.Status.Err);
    }

    [Fact]
    public async Task RestartPolicyOnFailure_FailedTaskReplacedAfterDelay()
    {
        var c = new Cluster("n1");
        var spec = Spec("job", 1);
        spec.TaskTemplate.RestartPolicy = new RestartPolicyWire { Condition = "on-failure", Delay = 2_000_000_000 };
        await c.Control.CreateServiceAsync(spec, CancellationToken.None);
        await c.RunUntilAsync(() => c.Running("job").Count == 1, "a running task");
        var first = c.Running("job").Single();
        c.Store.Update(tx => tx.Update(first with { Status = first.Status with { State = TaskState.Failed, Timestamp = c.Clock.Now } }));

        await c.RunUntilAsync(() => c.Running("job").Count == 1 && c.Running("job").Single().Id != first.Id, "a replacement task running");

        var replacement = c.Running("job").Single();
        Assert.True(replacement.StartAfter >= first.Status.Timestamp + TimeSpan.FromSeconds(2), "the restart delay was honoured");
        Assert.Equal(first.Slot, replacement.Slot);
    }

    [Fact]
    public async Task ServiceRemove_AllTasksGoOnceStopped()
    {
        var c = new Cluster("n1");
        var id = await c.Control.CreateServiceAsync(Spec("web", 3), CancellationToken.None);
        await c.RunUntilAsync(() => c.Running("web").Count == 3, "3 running tasks");
        await c.Control.RemoveServiceAsync("web", CancellationToken.None);

        await c.RunUntilAsync(() => c.Store.View(tx => tx.TasksByService(id).Count) == 0, "every task deleted");
    }

    [Fact]
    public async Task StaleVersion_RefusedWithDockersText()
    {
        var c = new Cluster("n1");
        await c.Control.CreateServiceAsync(Spec("web", 1), CancellationToken.None);
        var s = c.Service("web");
        await c.Control.UpdateServiceAsync("web", s.Meta.Version, Spec("web", 2), rollback: false, CancellationToken.None);

        var e = await Assert.ThrowsAsync<SkiffException>(() => c.Control.UpdateServiceAsync("web", s.Meta.Version, Spec("web", 3), rollback: false, CancellationToken.None));

        Assert.Equal((500, "rpc error: code = Unknown desc = update out of sequence"), (e.StatusCode, e.Message));
        Assert.Equal(2UL, c.Service("web").Replicas);
    }
}

public sealed class OrchestratorModeTests
{
    private sealed class Clock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 11, 27, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static (MemoryStore Store, Orchestrator Orchestrator, ControlApi.ControlApi Control, Clock Clock) Setup(params string[] nodes)
    {
        var clock = new Clock();
        var store = new MemoryStore(clock);
        var replicated = new LocalReplicatedStore(store);
        store.Update(tx =>
        {
            tx.Create(new Skiff.State.Cluster { Id = "c1" });
            foreach (var n in nodes)
            {
                tx.Create(new Node { Id = n, Hostname = n, State = NodeState.Ready, NanoCpus = 2_000_000_000, MemoryBytes = 1L << 32 });
            }
        });
        return (store, new Orchestrator(replicated, clock, NullLogger.Instance), new ControlApi.ControlApi(replicated, () => nodes[0], clock), clock);
    }

    /// <summary>Agents that run every task and finish those whose command is "true".</summary>
    private static async Task RoundAsync(MemoryStore store, Orchestrator o, Clock clock)
    {
        await o.TickAsync(CancellationToken.None);
        store.Update(tx =>
        {
            foreach (var t in tx.All<SwarmTask>().ToList())
            {
                var next = t.DesiredState > TaskState.Running && t.Status.State <= TaskState.Running ? TaskState.Shutdown
                    : t.Status.State == TaskState.Assigned ? TaskState.Ready
                    : t.Status.State == TaskState.Ready && t.DesiredState == TaskState.Running
                        ? (t.Spec!.ContainerSpec!.Args is ["true"] ? TaskState.Complete : TaskState.Running)
                    : t.Status.State;
                if (next != t.Status.State)
                {
                    tx.Update(t with { Status = t.Status with { State = next, Timestamp = clock.Now } });
                }
            }
        });
        clock.Now += TimeSpan.FromMilliseconds(500);
    }

    private static ServiceSpecWire Spec(string name, ServiceModeWire mode, string arg = "sleep") => new()
    {
        Name = name,
        Mode = mode,
        TaskTemplate = new TaskSpecWire { ContainerSpec = new ContainerSpecWire { Image = "busybox", Args = [arg] } },
    };

    [Fact]
    public async Task Global_OneTaskPerNode_AlsoOnANodeThatJoinsLater_NoneOnADrainedNode()
    {
        var (store, o, control, clock) = Setup("n1", "n2");
        var id = await control.CreateServiceAsync(Spec("agent", new ServiceModeWire { Global = new GlobalMode() }), CancellationToken.None);
        for (var i = 0; i < 10; i++)
        {
            await RoundAsync(store, o, clock);
        }

        Assert.Equal(["n1", "n2"], store.View(tx => tx.TasksByService(id).Where(t => t.Status.State == TaskState.Running).Select(t => t.NodeId!).Order().ToList()));

        store.Update(tx => tx.Create(new Node { Id = "n3", Hostname = "n3", State = NodeState.Ready }));
        store.Update(tx => tx.Update(tx.Get<Node>("n1")! with { Spec = tx.Get<Node>("n1")!.Spec with { Availability = NodeAvailability.Drain } }));
        for (var i = 0; i < 10; i++)
        {
            await RoundAsync(store, o, clock);
        }

        Assert.Equal(["n2", "n3"], store.View(tx => tx.TasksByService(id).Where(t => t.Status.State == TaskState.Running).Select(t => t.NodeId!).Order().ToList()));
    }

    [Fact]
    public async Task ReplicatedJob_RunsTotalCompletionsAtMostMaxConcurrentAtATime()
    {
        var (store, o, control, clock) = Setup("n1");
        var id = await control.CreateServiceAsync(
            Spec("batch", new ServiceModeWire { ReplicatedJob = new ReplicatedJobMode { MaxConcurrent = 2, TotalCompletions = 5 } }, "true"),
            CancellationToken.None);
        var maxActive = 0;
        for (var i = 0; i < 40; i++)
        {
            await RoundAsync(store, o, clock);
            maxActive = Math.Max(maxActive, store.View(tx => tx.TasksByService(id).Count(t => t.Status.State is > TaskState.New and < TaskState.Complete)));
        }

        Assert.Equal(5, store.View(tx => tx.TasksByService(id).Count(t => t.Status.State == TaskState.Complete)));
        Assert.InRange(maxActive, 1, 2);
    }

    [Fact]
    public async Task Drain_MovesTasksOff_PauseKeepsThemButTakesNoNewOnes()
    {
        var (store, o, control, clock) = Setup("n1", "n2");
        var id = await control.CreateServiceAsync(Spec("web", new ServiceModeWire { Replicated = new ReplicatedMode { Replicas = 4 } }), CancellationToken.None);
        for (var i = 0; i < 10; i++)
        {
            await RoundAsync(store, o, clock);
        }

        var node = control.GetNode("n2");
        await control.UpdateNodeAsync("n2", node.Meta.Version, new NodeSpecWire { Availability = "drain" }, CancellationToken.None);
        for (var i = 0; i < 10; i++)
        {
            await RoundAsync(store, o, clock);
        }

        Assert.All(store.View(tx => tx.TasksByService(id).Where(t => t.DesiredState == TaskState.Running).ToList()), t => Assert.Equal("n1", t.NodeId));

        node = control.GetNode("n2");
        await control.UpdateNodeAsync("n2", node.Meta.Version, new NodeSpecWire { Availability = "pause" }, CancellationToken.None);
        var s = control.GetService("web");
        await control.UpdateServiceAsync("web", s.Meta.Version, Spec("web", new ServiceModeWire { Replicated = new ReplicatedMode { Replicas = 6 } }), false, CancellationToken.None);
        for (var i = 0; i < 10; i++)
        {
            await RoundAsync(store, o, clock);
        }

        Assert.Equal(6, store.View(tx => tx.TasksByService(id).Count(t => t.DesiredState == TaskState.Running && t.NodeId == "n1")));
    }
}
