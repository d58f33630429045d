using CsCheck;
using Skiff.Manager.Scheduling;
using Skiff.State;
using static Skiff.Manager.Tests.Scheduling.SchedulingFixtures;

namespace Skiff.Manager.Tests.Scheduling;

public class SchedulerPropertyTests
{
    private static readonly Gen<NodeInfo> GenNodeShape =
        from availability in Gen.OneOf(NodeAvailability.Active, NodeAvailability.Active, NodeAvailability.Pause, NodeAvailability.Drain)
        from state in Gen.OneOf(NodeState.Ready, NodeState.Ready, NodeState.Ready, NodeState.Down, NodeState.Unknown)
        from zone in Gen.OneOf("a", "b", "c", "")
        from role in Gen.OneOf(NodeRole.Worker, NodeRole.Manager)
        from arch in Gen.OneOf("amd64", "x86_64", "arm64")
        from cpu in Gen.Int[0, 8]
        from reservedCpu in Gen.Int[0, 4]
        from port80Used in Gen.Bool
        from svcTasks in Gen.Int[0, 3]
        from total in Gen.Int[0, 10]
        select new NodeInfo
        {
            Id = "",
            Role = role,
            Availability = availability,
            State = state,
            Platform = new Platform("linux", arch),
            Labels = zone.Length == 0 ? new Dictionary<string, string>() : new Dictionary<string, string> { ["zone"] = zone },
            Resources = new Resources(cpu * 1000L, 1L << 30),
            Reserved = new Resources(reservedCpu * 1000L, 0),
            HostPortsInUse = port80Used ? new HashSet<HostPort> { new(PortProtocol.Tcp, 80) } : new HashSet<HostPort>(),
            TasksByService = new Dictionary<string, int> { ["s0"] = svcTasks },
            TotalTasks = total + svcTasks,
        };

    private static readonly Gen<NodeInfo[]> GenNodes =
        GenNodeShape.Array[0, 8].Select(ns => ns.Select((n, i) => n with { Id = $"node{i}", Hostname = $"host{i}" }).ToArray());

    /// <summary>One service's placement spec, shared by all its tasks.</summary>
    private static readonly Gen<TaskRequest> GenSpec =
        from constraint in Gen.OneOf("", "node.labels.zone==a", "node.labels.zone!=b", "node.role==manager", "node.platform.arch==arm64")
        from cpu in Gen.Int[0, 3]
        from hostPort in Gen.Bool
        from maxReplicas in Gen.Int[0, 3]
        from spread in Gen.OneOf("", "spread=node.labels.zone", "spread=node.role")
        from platform in Gen.OneOf("", "amd64", "arm64")
        select new TaskRequest
        {
            TaskId = "",
            ServiceId = "",
            Constraints = constraint.Length == 0 ? [] : [constraint],
            Reservations = new Resources(cpu * 1000L, 0),
            HostPorts = hostPort ? [new HostPort(PortProtocol.Tcp, 80)] : [],
            MaxReplicasPerNode = maxReplicas,
            Preferences = spread.Length == 0 ? [] : [spread],
            Platforms = platform.Length == 0 ? [] : [new Platform("linux", platform)],
        };

    private static readonly Gen<List<TaskRequest>> GenPending =
        Gen.Select(GenSpec, Gen.Int[0, 10]).Array[1, 3].Select(services =>
            services.SelectMany((s, si) => Enumerable.Range(0, s.Item2)
                    .Select(i => s.Item1 with { ServiceId = $"s{si}", TaskId = $"s{si}.t{i:D2}" }))
                .ToList());

    [Fact]
    public void Schedule_AnyInput_NoAssignmentViolatesAFilter()
    {
        Gen.Select(GenNodes, GenPending).Sample((nodes, pending) =>
        {
            var plan = Scheduler.Schedule(nodes, pending, Now);

            // Replay the decisions in order: each must pass every filter on the node as it was then.
            var pipeline = Pipeline.CreateDefault();
            var byId = nodes.ToDictionary(n => n.Id);
            var tasks = pending.ToDictionary(t => t.TaskId);
            foreach (var a in plan.Assignments)
            {
                var node = byId[a.NodeId];
                var task = tasks[a.TaskId];
                var failed = pipeline.FirstFailure(node, task);
                Assert.True(failed is null, $"{a.TaskId} on {a.NodeId} fails {failed?.Name}");
                byId[a.NodeId] = Scheduler.WithTask(node, task);
            }

            Assert.Equal(pending.Count, plan.Assignments.Count + plan.Unassigned.Count);
            Assert.All(plan.Unassigned, u => Assert.StartsWith(Pipeline.NoSuitableNode, u.Explanation));
        }, iter: 300);
    }

    [Fact]
    public void Schedule_SameInput_SamePlanWhateverTheNodeOrder()
    {
        Gen.Select(GenNodes, GenPending).Sample((nodes, pending) =>
        {
            var first = Scheduler.Schedule(nodes, pending, Now);
            var again = Scheduler.Schedule(nodes, pending, Now);
            var reversed = Scheduler.Schedule([.. nodes.Reverse()], pending, Now);

            Assert.Equal(first, again);
            Assert.Equal(first, reversed);
        }, iter: 200);
    }

    [Fact]
    public void Schedule_UnconstrainedTasks_PerNodeCountsDifferByAtMostOne()
    {
        Gen.Select(GenNodes, Gen.Int[0, 30]).Sample((nodes, count) =>
        {
            var fresh = nodes.Select(n => n with { TasksByService = new Dictionary<string, int>() }).ToArray();

            var plan = Scheduler.Schedule(fresh, Tasks(count, "s"), Now);

            var eligible = fresh.Where(n => n.State == NodeState.Ready && n.Availability == NodeAvailability.Active).ToList();
            var perNode = CountByNode(plan);
            var counts = eligible.Select(n => perNode.GetValueOrDefault(n.Id)).ToList();
            Assert.Equal(eligible.Count == 0 ? 0 : count, plan.Assignments.Count);
            if (counts.Count > 0)
            {
                Assert.InRange(counts.Max() - counts.Min(), 0, 1);
            }
        }, iter: 300);
    }
}
