using CsCheck;
using Skiff.Manager.Orchestration;
using Skiff.State;
using static Skiff.Manager.Tests.Orchestration.OrchestrationFixtures;

namespace Skiff.Manager.Tests.Orchestration;

public class ReplicatedReconcilerTests
{
    private static ReplicatedServiceLite Service(ulong replicas) => new("svc", replicas, 1);

    private static readonly NodeLite[] ThreeNodes = [Node("a"), Node("b"), Node("c")];

    [Fact]
    public void Plan_NewService_CreatesSlotsOneToN()
    {
        var plan = ReplicatedReconciler.Plan(Service(3), [], ThreeNodes, T0);

        Assert.Equal([1, 2, 3], plan.Creates.Select(c => c.Slot));
        Assert.Empty(plan.Shutdowns);
    }

    [Fact]
    public void Plan_ScaleUpWithGap_ReusesLowestFreeSlots()
    {
        TaskLite[] tasks = [Task("t1", 1, "a"), Task("t3", 3, "b"), Task("old2", 2, "a", TaskState.Shutdown, TaskState.Shutdown)];

        var plan = ReplicatedReconciler.Plan(Service(4), tasks, ThreeNodes, T0);

        Assert.Equal([2, 4], plan.Creates.Select(c => c.Slot));
    }

    [Fact]
    public void Plan_TutorialScaleFiveToThree_KeepsSlotsOneFourFive()
    {
        // Slots 1-3 were placed while "a" was the only node; "b" and "c" joined later and got 4
        // and 5 (no rebalancing). Scaling down removes from the crowded node first: 3, then 2.
        TaskLite[] tasks =
        [
            Task("t1", 1, "a"), Task("t2", 2, "a"), Task("t3", 3, "a"),
            Task("t4", 4, "b"), Task("t5", 5, "c"),
        ];

        var plan = ReplicatedReconciler.Plan(Service(3), tasks, ThreeNodes, T0);

        Assert.Empty(plan.Creates);
        Assert.Equal(["t2", "t3"], plan.Shutdowns.Select(s => s.TaskId).Order());
        Assert.All(plan.Shutdowns, s => Assert.Equal(TaskState.Remove, s.DesiredState));
        var kept = tasks.Select(t => t.Slot).Except(plan.Shutdowns.Select(s => s.Slot));
        Assert.Equal([1, 4, 5], kept);
    }

    [Fact]
    public void Plan_ScaleDownBalancedNodes_RemovesNonRunningBeforeRunning()
    {
        TaskLite[] tasks = [Task("t1", 1, "a"), Task("t2", 2, "b", TaskState.Preparing), Task("t3", 3, "c")];

        var plan = ReplicatedReconciler.Plan(Service(2), tasks, ThreeNodes, T0);

        Assert.Equal(["t2"], plan.Shutdowns.Select(s => s.TaskId));
    }

    [Fact]
    public void Plan_ScaleDownAllEqual_RemovesHighestSlot()
    {
        TaskLite[] tasks = [Task("t1", 1, "a"), Task("t2", 2, "b"), Task("t3", 3, "c")];

        var plan = ReplicatedReconciler.Plan(Service(2), tasks, ThreeNodes, T0);

        Assert.Equal(["t3"], plan.Shutdowns.Select(s => s.TaskId));
    }

    [Theory]
    [InlineData(NodeState.Down, NodeAvailability.Active)]
    [InlineData(NodeState.Ready, NodeAvailability.Drain)]
    public void Plan_TaskOnInvalidNode_ShutsDownAndReplacesInSameSlot(NodeState state, NodeAvailability availability)
    {
        TaskLite[] tasks = [Task("t1", 1, "a"), Task("t2", 2, "b")];
        NodeLite[] nodes = [Node("a"), Node("b", state, availability)];

        var plan = ReplicatedReconciler.Plan(Service(2), tasks, nodes, T0);

        Assert.Equal([new TaskShutdown("t2", 2, TaskState.Shutdown, ReplicatedReconciler.NodeInvalidReason)], plan.Shutdowns);
        Assert.Equal([new TaskCreate(2, null, "t2")], plan.Creates);
    }

    [Fact]
    public void Plan_NodeCameBack_NoRebalancing()
    {
        // Slot 2 was moved from "b" to "a" while "b" was down; "b" is back: nothing moves.
        TaskLite[] tasks =
        [
            Task("t1", 1, "a"),
            Task("t2-old", 2, "b", TaskState.Running, TaskState.Shutdown),
            Task("t2", 2, "a"),
        ];

        var plan = ReplicatedReconciler.Plan(Service(2), tasks, [Node("a"), Node("b")], T0);

        Assert.True(plan.IsEmpty);
    }

    [Fact]
    public void Plan_Paused_NodeKeepsTasks()
    {
        var plan = ReplicatedReconciler.Plan(Service(1), [Task("t1", 1, "a")], [Node("a", availability: NodeAvailability.Pause)], T0);

        Assert.True(plan.IsEmpty);
    }

    private static readonly Gen<(ulong Replicas, List<TaskLite> Tasks, NodeLite[] Nodes)> GenCluster =
        from replicas in Gen.Int[0, 8]
        from nodeStates in Gen.OneOf(Gen.Const(NodeState.Ready), Gen.Const(NodeState.Ready), Gen.Const(NodeState.Down)).Array[1, 4]
        from drained in Gen.Bool.Array[4]
        from taskShapes in Gen.Select(Gen.Int[1, 10], Gen.Int[0, 4], Gen.Bool, Gen.Bool).Array[0, 12]
        let nodes = nodeStates.Select((s, i) => Node($"n{i}", s, drained[i] ? NodeAvailability.Drain : NodeAvailability.Active)).ToArray()
        let tasks = taskShapes.Select((s, i) => Task(
            $"t{i}",
            s.Item1,
            s.Item2 < nodes.Length ? nodes[s.Item2].Id : null,
            s.Item3 ? TaskState.Running : TaskState.Assigned,
            s.Item4 ? TaskState.Running : TaskState.Shutdown)).ToList()
        select ((ulong)replicas, tasks, nodes);

    [Fact]
    public void Plan_AnyCluster_NeverCreatesDuplicateOrOccupiedSlots() =>
        GenCluster.Sample(c =>
        {
            var plan = ReplicatedReconciler.Plan(Service(c.Replicas), c.Tasks, c.Nodes, T0);
            var after = Apply(c.Tasks, plan).Where(t => t.IsDesiredRunnable).ToList();
            var slots = after.Select(t => t.Slot).Distinct().Count();
            return plan.Creates.Select(x => x.Slot).Distinct().Count() == plan.Creates.Count &&
                slots == (int)c.Replicas &&
                after.All(t => t.Slot >= 1);
        });

    [Fact]
    public void Plan_AfterApplyingPlan_NextPlanIsEmpty() =>
        GenCluster.Sample(c =>
        {
            var plan = ReplicatedReconciler.Plan(Service(c.Replicas), c.Tasks, c.Nodes, T0);
            var again = ReplicatedReconciler.Plan(Service(c.Replicas), Apply(c.Tasks, plan), c.Nodes, T0);
            return again.IsEmpty;
        });
}
