using Skiff.Manager.Scheduling;
using Skiff.State;
using static Skiff.Manager.Tests.Scheduling.SchedulingFixtures;

namespace Skiff.Manager.Tests.Scheduling;

public class SchedulerTests
{
    [Fact]
    public void Schedule_TutorialDbConstraint_AllFiveReplicasOnLabelledNode()
    {
        NodeInfo[] nodes = [Node("manager1"), Node("worker1", ("type", "db")), Node("worker2")];
        var tasks = Tasks(5, shape: t => t with { Constraints = ["node.labels.type==db"] });

        var plan = Scheduler.Schedule(nodes, tasks, Now);

        Assert.Empty(plan.Unassigned);
        Assert.All(plan.Assignments, a => Assert.Equal("worker1", a.NodeId));
        Assert.Equal(5, plan.Assignments.Count);
    }

    [Fact]
    public void Schedule_FiveReplicasTwoNodes_SpreadThreeTwo()
    {
        var plan = Scheduler.Schedule([Node("a"), Node("b")], Tasks(5), Now);

        Assert.Equal(new Dictionary<string, int> { ["a"] = 3, ["b"] = 2 }, CountByNode(plan));
    }

    [Fact]
    public void Schedule_NodesAlreadyLoaded_NewTasksGoToEmptiest()
    {
        NodeInfo[] nodes =
        [
            Node("a") with { TasksByService = new Dictionary<string, int> { ["svc"] = 3 }, TotalTasks = 3 },
            Node("b") with { TasksByService = new Dictionary<string, int> { ["svc"] = 1 }, TotalTasks = 1 },
            Node("c"),
        ];

        var plan = Scheduler.Schedule(nodes, Tasks(3), Now);

        // c gets 2 (0 -> 2) and b gets 1 (1 -> 2) before a (3) would get anything.
        Assert.Equal(new Dictionary<string, int> { ["b"] = 1, ["c"] = 2 }, CountByNode(plan));
    }

    [Fact]
    public void Schedule_EqualServiceCounts_FewestTotalTasksWins()
    {
        NodeInfo[] nodes = [Node("a") with { TotalTasks = 10 }, Node("b") with { TotalTasks = 2 }];

        var plan = Scheduler.Schedule(nodes, Tasks(1), Now);

        Assert.Equal("b", Assert.Single(plan.Assignments).NodeId);
    }

    [Fact]
    public void Schedule_AllEqual_NodeIdBreaksTies()
    {
        var plan = Scheduler.Schedule([Node("b"), Node("a")], Tasks(1), Now);

        Assert.Equal("a", Assert.Single(plan.Assignments).NodeId);
    }

    [Fact]
    public void Schedule_SpreadOverUnevenZones_EvenPerZone()
    {
        NodeInfo[] nodes =
        [
            Node("a1", ("zone", "a")),
            Node("b1", ("zone", "b")),
            Node("b2", ("zone", "b")),
            Node("b3", ("zone", "b")),
        ];
        var tasks = Tasks(4, shape: t => t with { Preferences = ["spread=node.labels.zone"] });

        var plan = Scheduler.Schedule(nodes, tasks, Now);

        var byNode = CountByNode(plan);
        Assert.Equal(2, byNode["a1"]);
        Assert.Equal(2, byNode.Where(kv => kv.Key.StartsWith('b')).Sum(kv => kv.Value));
        Assert.True(byNode.Where(kv => kv.Key.StartsWith('b')).All(kv => kv.Value == 1));
    }

    [Fact]
    public void Schedule_SpreadWithNodesMissingLabel_MissingFormOwnGroup()
    {
        NodeInfo[] nodes = [Node("a1", ("zone", "a")), Node("x1"), Node("x2")];
        var tasks = Tasks(4, shape: t => t with { Preferences = ["spread=node.labels.zone"] });

        var plan = Scheduler.Schedule(nodes, tasks, Now);

        var byNode = CountByNode(plan);
        Assert.Equal(2, byNode["a1"]);
        Assert.Equal(1, byNode["x1"]);
        Assert.Equal(1, byNode["x2"]);
    }

    [Fact]
    public void Schedule_TwoLevelSpread_EvenAtEachLevel()
    {
        NodeInfo[] nodes =
        [
            Node("a-r1", ("zone", "a"), ("rack", "1")),
            Node("a-r2", ("zone", "a"), ("rack", "2")),
            Node("b-r1", ("zone", "b"), ("rack", "1")),
        ];
        var tasks = Tasks(4, shape: t => t with { Preferences = ["spread=node.labels.zone", "spread=node.labels.rack"] });

        var plan = Scheduler.Schedule(nodes, tasks, Now);

        Assert.Equal(new Dictionary<string, int> { ["a-r1"] = 1, ["a-r2"] = 1, ["b-r1"] = 2 }, CountByNode(plan));
    }

    [Fact]
    public void Schedule_SpreadBranchWithoutEligibleNode_OthersTakeTheTasks()
    {
        NodeInfo[] nodes = [Node("a1", ("zone", "a")) with { Availability = NodeAvailability.Drain }, Node("b1", ("zone", "b"))];
        var tasks = Tasks(3, shape: t => t with { Preferences = ["spread=node.labels.zone"] });

        var plan = Scheduler.Schedule(nodes, tasks, Now);

        Assert.Equal(new Dictionary<string, int> { ["b1"] = 3 }, CountByNode(plan));
    }

    [Theory]
    [InlineData(NodeAvailability.Drain, NodeState.Ready)]
    [InlineData(NodeAvailability.Pause, NodeState.Ready)]
    [InlineData(NodeAvailability.Active, NodeState.Down)]
    [InlineData(NodeAvailability.Active, NodeState.Unknown)]
    public void Schedule_UnavailableNode_GetsNothing(NodeAvailability availability, NodeState state)
    {
        NodeInfo[] nodes = [Node("bad") with { Availability = availability, State = state }, Node("good")];

        var plan = Scheduler.Schedule(nodes, Tasks(4), Now);

        Assert.Equal(new Dictionary<string, int> { ["good"] = 4 }, CountByNode(plan));
    }

    [Fact]
    public void Schedule_OnlyUnavailableNodes_ExplainsNotAvailable()
    {
        NodeInfo[] nodes = [Node("a") with { Availability = NodeAvailability.Drain }];

        var plan = Scheduler.Schedule(nodes, Tasks(1), Now);

        Assert.Equal(new UnassignedTask("svc.001", "no suitable node (1 node not available for new tasks)"), Assert.Single(plan.Unassigned));
    }

    [Fact]
    public void Schedule_MaxReplicasPerNode_ExtraTasksUnassigned()
    {
        var tasks = Tasks(5, shape: t => t with { MaxReplicasPerNode = 2 });

        var plan = Scheduler.Schedule([Node("a"), Node("b")], tasks, Now);

        Assert.Equal(new Dictionary<string, int> { ["a"] = 2, ["b"] = 2 }, CountByNode(plan));
        var left = Assert.Single(plan.Unassigned);
        Assert.Equal("no suitable node (max replicas per node limit exceed)", left.Explanation);
    }

    [Fact]
    public void Schedule_HostPortConflict_OneTaskPerNodeThenExplained()
    {
        var port = new HostPort(PortProtocol.Tcp, 80);
        NodeInfo[] nodes =
        [
            Node("a"),
            Node("b"),
            Node("c") with { HostPortsInUse = new HashSet<HostPort> { port } },
        ];
        var tasks = Tasks(3, shape: t => t with { HostPorts = [port] });

        var plan = Scheduler.Schedule(nodes, tasks, Now);

        Assert.Equal(new Dictionary<string, int> { ["a"] = 1, ["b"] = 1 }, CountByNode(plan));
        Assert.Equal("no suitable node (host-mode port already in use on 3 nodes)", Assert.Single(plan.Unassigned).Explanation);
    }

    [Fact]
    public void Schedule_ResourcesExhausted_LaterTasksUnassignedWithExplanation()
    {
        NodeInfo[] nodes =
        [
            Node("a") with { Resources = new Resources(2_000, 1L << 30) },
            Node("b") with { Resources = new Resources(1_000, 1L << 30) },
        ];
        var tasks = Tasks(5, shape: t => t with { Reservations = new Resources(1_000, 0) });

        var plan = Scheduler.Schedule(nodes, tasks, Now);

        Assert.Equal(new Dictionary<string, int> { ["a"] = 2, ["b"] = 1 }, CountByNode(plan));
        Assert.Equal(2, plan.Unassigned.Count);
        Assert.All(plan.Unassigned, u => Assert.Equal("no suitable node (insufficient resources on 2 nodes)", u.Explanation));
        Assert.Equal(["svc.004", "svc.005"], plan.Unassigned.Select(u => u.TaskId));
    }

    [Fact]
    public void Schedule_NoNodes_BareExplanation()
    {
        var plan = Scheduler.Schedule([], Tasks(1), Now);

        Assert.Equal("no suitable node", Assert.Single(plan.Unassigned).Explanation);
    }

    [Fact]
    public void Schedule_NodeWithFiveRecentFailures_GoesLast()
    {
        var failures = Enumerable.Range(0, 5).Select(i => new TaskFailure("svc", 1, Now.AddMinutes(-i))).ToList();
        NodeInfo[] nodes = [Node("a") with { RecentFailures = failures }, Node("b") with { TotalTasks = 50 }];

        var plan = Scheduler.Schedule(nodes, Tasks(1), Now);

        Assert.Equal("b", Assert.Single(plan.Assignments).NodeId);
    }

    [Theory]
    [InlineData(4, 0, 1)] // fewer than 5 failures do not matter
    [InlineData(5, 6, 1)] // failures older than 5 minutes do not count
    [InlineData(5, 0, 2)] // failures of another spec version do not count
    public void Schedule_FailuresBelowThresholdOrStale_Ignored(int count, int minutesAgoStart, long failedVersion)
    {
        var failures = Enumerable.Range(0, count)
            .Select(i => new TaskFailure("svc", failedVersion, Now.AddMinutes(-minutesAgoStart - i)))
            .ToList();
        NodeInfo[] nodes = [Node("a") with { RecentFailures = failures }, Node("b") with { TotalTasks = 50 }];

        var plan = Scheduler.Schedule(nodes, Tasks(1), Now);

        Assert.Equal("a", Assert.Single(plan.Assignments).NodeId);
    }

    [Fact]
    public void Schedule_OnlyFailingNodeEligible_StillUsed()
    {
        var failures = Enumerable.Range(0, 5).Select(_ => new TaskFailure("svc", 1, Now)).ToList();

        var plan = Scheduler.Schedule([Node("a") with { RecentFailures = failures }], Tasks(2), Now);

        Assert.Equal(2, plan.Assignments.Count);
    }

    [Fact]
    public void Schedule_TwoServices_GroupsSeeEachOthersPlacements()
    {
        var tasks = Tasks(2, "web").Concat(Tasks(2, "api")).ToList();

        var plan = Scheduler.Schedule([Node("a"), Node("b")], tasks, Now);

        // web: a, b. api: service counts tie, totals tie (1 each) -> a, then b.
        Assert.Equal(
            [new("web.001", "a"), new("web.002", "b"), new("api.001", "a"), new("api.002", "b")],
            plan.Assignments);
    }

    [Fact]
    public void Schedule_InputNodes_NotMutated()
    {
        var node = Node("a");
        var before = node with { };

        _ = Scheduler.Schedule([node], Tasks(3, shape: t => t with { Reservations = new Resources(1, 1) }), Now);

        Assert.Equal(0, node.TotalTasks);
        Assert.Equal(before.Reserved, node.Reserved);
        Assert.Empty(node.TasksByService);
    }
}
