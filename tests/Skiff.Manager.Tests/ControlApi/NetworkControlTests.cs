using Skiff.Api;
using Skiff.State;

namespace Skiff.Manager.Tests.ControlApiTests;

/// <summary>Swarm-scoped network objects in the control API, over the real store.</summary>
public sealed class NetworkControlTests
{
    private readonly Skiff.Manager.ControlApi.ControlApi _control;

    public NetworkControlTests()
    {
        var store = new MemoryStore(TimeProvider.System);
        store.Update(tx => tx.Create(new Cluster { Id = "c1" }));
        _control = new Skiff.Manager.ControlApi.ControlApi(new LocalReplicatedStore(store), () => "n1", TimeProvider.System);
    }

    private static ServiceSpecWire Service(string name, params string[] networks) => new()
    {
        Name = name,
        TaskTemplate = new TaskSpecWire
        {
            ContainerSpec = new ContainerSpecWire { Image = "busybox" },
            Networks = networks.Length == 0 ? null : networks.Select(n => new NetworkAttachmentConfig { Target = n, Aliases = [name] }).ToList(),
        },
    };

    [Fact]
    public async Task CreateNetwork_Overlay_ListedAsSwarmScopeWithLabels()
    {
        var id = await _control.CreateNetworkAsync(new NetworkCreateRequest { Name = "app_default", Driver = "overlay", Labels = new() { ["com.docker.stack.namespace"] = "app" } }, CancellationToken.None);

        var resource = Skiff.Manager.ControlApi.ControlApi.NetworkResource(Assert.Single(_control.ListNetworks()));
        Assert.Equal((id, "app_default", "swarm", "overlay"), (resource.Id, resource.Name, resource.Scope, resource.Driver));
        Assert.Equal("app", resource.Labels["com.docker.stack.namespace"]);
        Assert.Equal(id, _control.FindNetwork("app_default")!.Id);
        Assert.Equal(id, _control.FindNetwork(id[..6])!.Id);
        Assert.Null(_control.FindNetwork("nope"));
    }

    [Theory]
    [InlineData("", "overlay", false, "network name is required")]
    [InlineData("n", "bridge", false, "cannot create swarm-scoped networks")]
    [InlineData("n", "overlay", true, "ingress networks are not supported yet")]
    public async Task CreateNetwork_BadRequests_400WithReason(string name, string driver, bool ingress, string message)
    {
        var e = await Assert.ThrowsAsync<BadRequestException>(() => _control.CreateNetworkAsync(new NetworkCreateRequest { Name = name, Driver = driver, Ingress = ingress }, CancellationToken.None));

        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.Empty(_control.ListNetworks());
    }

    [Fact]
    public async Task CreateNetwork_DuplicateName_Conflict()
    {
        await _control.CreateNetworkAsync(new NetworkCreateRequest { Name = "dup", Driver = "overlay" }, CancellationToken.None);

        var e = await Assert.ThrowsAsync<ConflictException>(() => _control.CreateNetworkAsync(new NetworkCreateRequest { Name = "dup", Driver = "overlay" }, CancellationToken.None));
        Assert.Equal("network with name dup already exists", e.Message);
        Assert.Single(_control.ListNetworks());
    }

    [Fact]
    public async Task ServiceCreate_NetworkByName_StoredAsIdAndRemovalRefusedWhileUsed()
    {
        var id = await _control.CreateNetworkAsync(new NetworkCreateRequest { Name = "back", Driver = "overlay" }, CancellationToken.None);

        var svc = await _control.CreateServiceAsync(Service("api", "back"), CancellationToken.None);

        Assert.Equal(id, _control.InspectService(svc, insertDefaults: false).Spec.TaskTemplate.Networks![0].Target);
        var inUse = await Assert.ThrowsAsync<ConflictException>(() => _control.RemoveNetworkAsync("back", CancellationToken.None));
        Assert.Contains($"is in use by service {svc}", inUse.Message, StringComparison.Ordinal);
        await _control.RemoveServiceAsync(svc, CancellationToken.None);
        await _control.RemoveNetworkAsync("back", CancellationToken.None);
        Assert.Empty(_control.ListNetworks());
    }

    [Fact]
    public async Task ServiceCreate_UnknownNetwork_404AndNothingCreated()
    {
        var e = await Assert.ThrowsAsync<NotFoundException>(() => _control.CreateServiceAsync(Service("api", "missing"), CancellationToken.None));

        Assert.Equal("network missing not found", e.Message);
        Assert.Empty(_control.ListServices([], status: false));
    }

    [Fact]
    public async Task ServiceCreate_TopLevelNetworks_MovedIntoTaskTemplate()
    {
        var id = await _control.CreateNetworkAsync(new NetworkCreateRequest { Name = "old", Driver = "overlay" }, CancellationToken.None);
        var spec = Service("legacy");
        spec.Networks = [new NetworkAttachmentConfig { Target = "old" }];

        var svc = await _control.CreateServiceAsync(spec, CancellationToken.None);

        var stored = _control.InspectService(svc, insertDefaults: false).Spec;
        Assert.Null(stored.Networks);
        Assert.Equal(id, Assert.Single(stored.TaskTemplate.Networks!).Target);
    }
}
