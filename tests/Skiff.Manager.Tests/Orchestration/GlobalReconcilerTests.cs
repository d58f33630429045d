using Skiff.Manager.Orchestration;
using Skiff.State;
using static Skiff.Manager.Tests.Orchestration.OrchestrationFixtures;

namespace Skiff.Manager.Tests.Orchestration;

public class GlobalReconcilerTests
{
    private static bool Any(NodeLite node) => true;

    [Fact]
    public void Plan_NewService_OneTaskPerEligibleNode()
    {
        NodeLite[] nodes = [Node("a"), Node("b"), Node("c", NodeState.Down), Node("d", availability: NodeAvailability.Drain), Node("e", availability: NodeAvailability.Pause)];

        var plan = GlobalReconciler.Plan([], nodes, Any, T0);

        Assert.Equal(["a", "b"], plan.Creates.Select(c => c.NodeId));
        Assert.All(plan.Creates, c => Assert.Equal(0, c.Slot));
    }

    [Fact]
    public void Plan_NewNodeJoined_CreatesOnlyThere()
    {
        TaskLite[] tasks = [Task("t1", 0, "a")];

        var plan = GlobalReconciler.Plan(tasks, [Node("a"), Node("b")], Any, T0);

        Assert.Equal([new TaskCreate(0, "b", null)], plan.Creates);
        Assert.Empty(plan.Shutdowns);
    }

    [Theory]
    [InlineData(NodeState.Down, NodeAvailability.Active, true, true)]
    [InlineData(NodeState.Ready, NodeAvailability.Drain, true, true)]
    [InlineData(NodeState.Ready, NodeAvailability.Active, false, true)]
    [InlineData(NodeState.Ready, NodeAvailability.Pause, true, false)]
    [InlineData(NodeState.Unknown, NodeAvailability.Active, true, false)]
    public void Plan_NodeChanged_ShutsDownOnlyWhenIneligible(NodeState state, NodeAvailability availability, bool matches, bool shutdown)
    {
        TaskLite[] tasks = [Task("t1", 0, "a")];

        var plan = GlobalReconciler.Plan(tasks, [Node("a", state, availability)], _ => matches, T0);

        Assert.Equal(shutdown, plan.Shutdowns.Any(s => s.TaskId == "t1"));
        Assert.Empty(plan.Creates);
    }

    [Fact]
    public void Plan_NodeRemoved_ShutsDownItsTask()
    {
        var plan = GlobalReconciler.Plan([Task("t1", 0, "gone")], [], Any, T0);

        Assert.Equal(["t1"], plan.Shutdowns.Select(s => s.TaskId));
    }

    [Fact]
    public void Plan_AfterApplyingPlan_NextPlanIsEmpty()
    {
        NodeLite[] nodes = [Node("a"), Node("b"), Node("c", availability: NodeAvailability.Drain)];
        TaskLite[] tasks = [Task("t1", 0, "c"), Task("t2", 0, "a"), Task("t3", 0, "a", createdSeconds: 5)];

        var plan = GlobalReconciler.Plan(tasks, nodes, Any, T0);
        var again = GlobalReconciler.Plan(Apply(tasks, plan), nodes, Any, T0);

        Assert.Equal(["t1", "t2"], plan.Shutdowns.Select(s => s.TaskId).Order());
        Assert.True(again.IsEmpty);
    }
}
