using System.Collections.Immutable;
using Skiff.Manager.Orchestration;

namespace Skiff.Manager.Tests.Orchestration;

public class SpecChangeTests
{
    private static readonly ServiceSpecLite Baseline = new()
    {
        Name = "web",
        Replicas = 3,
        ContainerImage = "nginx:1",
        Args = ["-g", "daemon off;"],
        Env = ["A=1"],
        Mounts = ["type=volume,src=data,dst=/data"],
        Placement = new PlacementLite { Constraints = ["node.role==worker"] },
        Networks = ["net1"],
    };

    public static TheoryData<string, ServiceSpecLite, bool> Changes => new()
    {
        { "image", Baseline with { ContainerImage = "nginx:2" }, true },
        { "command", Baseline with { Command = ["nginx"] }, true },
        { "args", Baseline with { Args = ["-g"] }, true },
        { "env", Baseline with { Env = ["A=2"] }, true },
        { "mounts", Baseline with { Mounts = [] }, true },
        { "user", Baseline with { User = "nobody" }, true },
        { "workdir", Baseline with { WorkingDir = "/srv" }, true },
        { "hostname", Baseline with { Hostname = "h" }, true },
        { "container labels", Baseline with { ContainerLabels = ImmutableSortedDictionary<string, string>.Empty.Add("a", "b") }, true },
        { "limits", Baseline with { Limits = new ResourcesLite(1_000_000_000, 0) }, true },
        { "reservations", Baseline with { Reservations = new ResourcesLite(0, 1 << 20) }, true },
        { "restart condition", Baseline with { RestartPolicy = new RestartPolicyLite { Condition = RestartCondition.OnFailure } }, true },
        { "restart delay", Baseline with { RestartPolicy = new RestartPolicyLite { Delay = TimeSpan.FromSeconds(1) } }, true },
        { "restart attempts", Baseline with { RestartPolicy = new RestartPolicyLite { MaxAttempts = 3 } }, true },
        { "restart window", Baseline with { RestartPolicy = new RestartPolicyLite { Window = TimeSpan.FromMinutes(1) } }, true },
        { "force update", Baseline with { ForceUpdate = 1 }, true },
        { "networks", Baseline with { Networks = ["net1", "net2"] }, true },
        { "endpoint mode", Baseline with { EndpointSpec = new EndpointSpecLite { Mode = EndpointMode.DnsRr } }, true },
        { "endpoint ports", Baseline with { EndpointSpec = new EndpointSpecLite { Ports = [new PortLite("tcp", 80, 8080, "ingress")] } }, true },
        { "constraints", Baseline with { Placement = new PlacementLite { Constraints = ["node.role==manager"] } }, true },
        { "preferences", Baseline with { Placement = Baseline.Placement with { Preferences = ["node.labels.zone"] } }, true },
        { "max replicas", Baseline with { Placement = Baseline.Placement with { MaxReplicas = 2 } }, true },
        { "replicas", Baseline with { Replicas = 10 }, false },
        { "service labels", Baseline with { Labels = ImmutableSortedDictionary<string, string>.Empty.Add("team", "x") }, false },
        { "name", Baseline with { Name = "web2" }, false },
        { "update config", Baseline with { UpdateConfig = new UpdateConfigLite { Parallelism = 2, Delay = TimeSpan.FromSeconds(10) } }, false },
        { "rollback config", Baseline with { RollbackConfig = new UpdateConfigLite { FailureAction = UpdateFailureAction.Continue } }, false },
        { "nothing (fresh equal arrays)", Baseline with { Args = ["-g", "daemon off;"], Env = ["A=1"] }, false },
    };

    [Theory]
    [MemberData(nameof(Changes))]
    public void RequiresNewTasks_FieldChanged_MatchesSwarmkitIsTaskDirty(string field, ServiceSpecLite changed, bool expected)
    {
        Assert.True(SpecChange.RequiresNewTasks(Baseline, changed) == expected, field);
        Assert.Equal(expected, SpecChange.DirtyFields(Baseline, changed).Count > 0);
    }

    [Fact]
    public void RequiresNewTasks_PlacementOnlyAndNodeStillSatisfies_False()
    {
        var changed = Baseline with { Placement = new PlacementLite { Constraints = ["node.labels.ssd==true"] } };

        Assert.False(SpecChange.RequiresNewTasks(Baseline, changed, taskNodeSatisfiesNewPlacement: true));
        Assert.True(SpecChange.RequiresNewTasks(Baseline, changed, taskNodeSatisfiesNewPlacement: false));
    }

    [Fact]
    public void RequiresNewTasks_PlacementAndImageChangedNodeSatisfies_True()
    {
        var changed = Baseline with { ContainerImage = "nginx:2", Placement = new PlacementLite() };

        Assert.True(SpecChange.RequiresNewTasks(Baseline, changed, taskNodeSatisfiesNewPlacement: true));
    }

    [Fact]
    public void DirtyFields_ImageAndEnv_NamesBoth() =>
        Assert.Equal(["ContainerImage", "Env"], SpecChange.DirtyFields(Baseline, Baseline with { ContainerImage = "x", Env = [] }));
}
