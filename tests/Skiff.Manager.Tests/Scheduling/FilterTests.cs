using Skiff.Manager.Scheduling;
using Skiff.State;
using static Skiff.Manager.Tests.Scheduling.SchedulingFixtures;

namespace Skiff.Manager.Tests.Scheduling;

public class FilterTests
{
    public static TheoryData<IFilter, string, string> Explanations => new()
    {
        { new ReadyFilter(), "1 node not available for new tasks", "3 nodes not available for new tasks" },
        { new AvailabilityFilter(), "1 node not available for new tasks", "3 nodes not available for new tasks" },
        { new ResourcesFilter(), "insufficient resources on 1 node", "insufficient resources on 3 nodes" },
        { new ConstraintsFilter(), "scheduling constraints not satisfied on 1 node", "scheduling constraints not satisfied on 3 nodes" },
        { new PlatformFilter(), "unsupported platform on 1 node", "unsupported platform on 3 nodes" },
        { new HostPortsFilter(), "host-mode port already in use on 1 node", "host-mode port already in use on 3 nodes" },
        { new MaxReplicasFilter(), "max replicas per node limit exceed", "max replicas per node limit exceed" },
    };

    [Theory]
    [MemberData(nameof(Explanations))]
    public void Explain_OneAndMany_SwarmkitWordingAndPlural(IFilter filter, string one, string many)
    {
        Assert.Equal(one, filter.Explain(1));
        Assert.Equal(many, filter.Explain(3));
    }

    [Theory]
    [InlineData(NodeState.Ready, true)]
    [InlineData(NodeState.Down, false)]
    [InlineData(NodeState.Unknown, false)]
    [InlineData(NodeState.Disconnected, false)]
    public void ReadyFilter_NodeState_OnlyReadyPasses(NodeState state, bool expected) =>
        Assert.Equal(expected, new ReadyFilter().Check(Node("n") with { State = state }, Task("t")));

    [Theory]
    [InlineData(NodeAvailability.Active, true)]
    [InlineData(NodeAvailability.Pause, false)]
    [InlineData(NodeAvailability.Drain, false)]
    public void AvailabilityFilter_Availability_OnlyActivePasses(NodeAvailability availability, bool expected) =>
        Assert.Equal(expected, new AvailabilityFilter().Check(Node("n") with { Availability = availability }, Task("t")));

    [Theory]
    [InlineData(1_000, 1_000, true)] // exactly fits
    [InlineData(1_001, 0, false)] // cpu short
    [InlineData(0, 1_001, false)] // memory short
    public void ResourcesFilter_Reservation_FitsInTotalMinusReserved(long cpu, long memory, bool expected)
    {
        var node = Node("n") with { Resources = new Resources(3_000, 3_000), Reserved = new Resources(2_000, 2_000) };
        var task = Task("t") with { Reservations = new Resources(cpu, memory) };

        Assert.Equal(expected, new ResourcesFilter().Check(node, task));
    }

    [Fact]
    public void ResourcesFilter_NoReservationOnOvercommittedNode_Passes()
    {
        var node = Node("n") with { Resources = new Resources(1, 1), Reserved = new Resources(5, 5) };

        Assert.True(new ResourcesFilter().Check(node, Task("t")));
    }

    [Fact]
    public void ConstraintsFilter_InvalidConstraint_RejectsEveryNode() =>
        Assert.False(new ConstraintsFilter().Check(Node("n"), Task("t") with { Constraints = ["bogus"] }));

    [Theory]
    [InlineData("linux", "amd64", true)]
    [InlineData("linux", "x86_64", true)] // x86_64 and amd64 are the same architecture
    [InlineData("", "amd64", true)] // empty fields are wildcards
    [InlineData("linux", "", true)]
    [InlineData("windows", "amd64", false)]
    [InlineData("linux", "arm64", false)]
    public void PlatformFilter_TaskPlatform_MatchesNode(string os, string arch, bool expected)
    {
        var node = Node("n") with { Platform = new Platform("linux", "x86_64") };
        var task = Task("t") with { Platforms = [new Platform(os, arch)] };

        Assert.Equal(expected, new PlatformFilter().Check(node, task));
    }

    [Fact]
    public void PlatformFilter_NoPlatformsListed_PassesAnyNode() =>
        Assert.True(new PlatformFilter().Check(Node("n") with { Platform = new Platform("", "") }, Task("t")));

    [Theory]
    [InlineData(PortProtocol.Tcp, 80, false)]
    [InlineData(PortProtocol.Udp, 80, true)] // same number, other protocol
    [InlineData(PortProtocol.Tcp, 81, true)]
    public void HostPortsFilter_PortInUse_Rejects(PortProtocol protocol, int port, bool expected)
    {
        var node = Node("n") with { HostPortsInUse = new HashSet<HostPort> { new(PortProtocol.Tcp, 80) } };
        var task = Task("t") with { HostPorts = [new HostPort(protocol, port)] };

        Assert.Equal(expected, new HostPortsFilter().Check(node, task));
    }

    [Theory]
    [InlineData(0, 5, true)] // 0 = unlimited
    [InlineData(2, 1, true)]
    [InlineData(2, 2, false)]
    public void MaxReplicasFilter_TasksOfService_BelowLimitPasses(int max, int existing, bool expected)
    {
        var node = Node("n") with { TasksByService = new Dictionary<string, int> { ["svc"] = existing, ["other"] = 9 } };

        Assert.Equal(expected, new MaxReplicasFilter().Check(node, Task("t") with { MaxReplicasPerNode = max }));
    }
}

public class PipelineTests
{
    [Fact]
    public void Explain_MixedFailures_MostRejectedFirstWithPlurals()
    {
        var nodes = new[]
        {
            Node("a", ("type", "web")),
            Node("b", ("type", "web")),
            Node("c", ("type", "db")) with { Resources = new Resources(1, 1) },
        };
        var task = Task("t") with { Constraints = ["node.labels.type==db"], Reservations = new Resources(10, 10) };

        var text = Pipeline.CreateDefault().Explain(nodes, task);

        Assert.Equal("no suitable node (scheduling constraints not satisfied on 2 nodes; insufficient resources on 1 node)", text);
    }

    [Fact]
    public void Explain_EqualCounts_FilterOrderBreaksTies()
    {
        var nodes = new[]
        {
            Node("a") with { HostPortsInUse = new HashSet<HostPort> { new(PortProtocol.Tcp, 80) } },
            Node("b") with { Resources = new Resources(1, 1) },
        };
        var task = Task("t") with { Reservations = new Resources(10, 10), HostPorts = [new HostPort(PortProtocol.Tcp, 80)] };

        var text = Pipeline.CreateDefault().Explain(nodes, task);

        Assert.Equal("no suitable node (insufficient resources on 1 node; host-mode port already in use on 1 node)", text);
    }

    [Fact]
    public void Explain_DownAndDrainedNodes_CountedTogetherAsNotAvailable()
    {
        var nodes = new[]
        {
            Node("a") with { State = NodeState.Down },
            Node("b") with { Availability = NodeAvailability.Drain },
            Node("c") with { Availability = NodeAvailability.Pause },
            Node("d", ("type", "web")),
        };
        var task = Task("t") with { Constraints = ["node.labels.type==db"] };

        var text = Pipeline.CreateDefault().Explain(nodes, task);

        Assert.Equal("no suitable node (3 nodes not available for new tasks; scheduling constraints not satisfied on 1 node)", text);
    }

    [Fact]
    public void Explain_FirstFailingFilterOnly_CountsEachNodeOnce()
    {
        // Down AND mismatching constraints: only "not available" counts.
        var nodes = new[] { Node("a") with { State = NodeState.Down } };
        var task = Task("t") with { Constraints = ["node.labels.type==db"] };

        Assert.Equal("no suitable node (1 node not available for new tasks)", Pipeline.CreateDefault().Explain(nodes, task));
    }

    [Fact]
    public void Explain_NoNodes_BareNoSuitableNode() =>
        Assert.Equal("no suitable node", Pipeline.CreateDefault().Explain([], Task("t")));

    [Fact]
    public void FirstFailure_FilterOrder_ReadyBeforeResources()
    {
        var node = Node("a") with { State = NodeState.Down, Resources = new Resources(0, 0) };
        var task = Task("t") with { Reservations = new Resources(1, 1) };

        Assert.IsType<ReadyFilter>(Pipeline.CreateDefault().FirstFailure(node, task));
    }

    [Fact]
    public void Filters_DefaultPipeline_SwarmkitOrder() =>
        Assert.Equal(
            ["ready", "availability", "resources", "constraints", "platform", "host-ports", "max-replicas"],
            Pipeline.CreateDefault().Filters.Select(f => f.Name));
}
