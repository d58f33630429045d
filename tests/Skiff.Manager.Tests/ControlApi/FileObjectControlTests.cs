using System.Text;
using Skiff.Api;
using Skiff.State;

namespace Skiff.Manager.Tests.ControlApiTests;

/// <summary>Secrets and configs in the control API, over the real store: Docker's rules and texts.</summary>
public sealed class FileObjectControlTests
{
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly MemoryStore _store;
    private readonly Skiff.Manager.ControlApi.ControlApi _control;

    public FileObjectControlTests()
    {
        _store = new MemoryStore(TimeProvider.System);
        _store.Update(tx => tx.Create(new Cluster { Id = "c1" }));
        _control = new Skiff.Manager.ControlApi.ControlApi(new LocalReplicatedStore(_store), () => "n1", TimeProvider.System);
    }

    private static SwarmFileSpecWire Spec(string name, string data = "hunter2", Dictionary<string, string>? labels = null) =>
        new() { Name = name, Data = Encoding.UTF8.GetBytes(data), Labels = labels };

    private static ServiceSpecWire Service(string name, List<SecretReference>? secrets = null, List<ConfigReferenceWire>? configs = null) => new()
    {
        Name = name,
        TaskTemplate = new TaskSpecWire { ContainerSpec = new ContainerSpecWire { Image = "busybox", Secrets = secrets, Configs = configs } },
    };

    private static SecretReference SecretRef(string id, string name, string target) =>
        new() { SecretID = id, SecretName = name, File = new SecretFileTarget { Name = target } };

    [Fact]
    public async Task Secret_CreateListInspect_DataNeverReturned()
    {
        var id = await _control.Secrets.CreateAsync(Spec("db_pw", labels: new() { ["a"] = "1" }), None);

        var listed = Assert.Single(_control.Secrets.List([]));
        Assert.Equal((id, "db_pw", "1"), (listed.ID, listed.Spec.Name, listed.Spec.Labels!["a"]));
        Assert.Null(listed.Spec.Data);
        Assert.Equal(id, _control.Secrets.Inspect("db_pw").ID);
        Assert.Equal(id, _control.Secrets.Inspect("DB_PW").ID); // names are case-insensitive, as swarmkit's index
        Assert.Equal(id, _control.Secrets.Inspect(id[..5]).ID);
        Assert.Equal("hunter2", Encoding.UTF8.GetString([.. _store.View(tx => tx.Get<Secret>(id))!.Spec.Data]));
    }

    [Fact]
    public async Task Inspect_AmbiguousIdPrefix_400AsDockerd()
    {
        // Ids are 25 base-36 characters; the empty prefix matches every secret, so two make it ambiguous.
        await _control.Secrets.CreateAsync(Spec("a"), None);
        await _control.Secrets.CreateAsync(Spec("b"), None);

        var e = Assert.Throws<BadRequestException>(() => _control.Secrets.Inspect(""));
        Assert.Equal("secret  is ambiguous (2 matches found)", e.Message);
    }

    [Fact]
    public async Task Config_Inspect_ReturnsData()
    {
        await _control.Configs.CreateAsync(Spec("app.conf", "a=1\n"), None);

        Assert.Equal("a=1\n", Encoding.UTF8.GetString(_control.Configs.Inspect("app.conf").Spec.Data!));
    }

    [Fact]
    public async Task List_Filters_NamePrefixNamesExactLabelAndId()
    {
        var a = await _control.Secrets.CreateAsync(Spec("app_pw", labels: new() { ["com.docker.stack.namespace"] = "app" }), None);
        await _control.Secrets.CreateAsync(Spec("app_key"), None);
        await _control.Secrets.CreateAsync(Spec("other"), None);

        string[] Names(Dictionary<string, Dictionary<string, bool>> f) => [.. _control.Secrets.List(f).Select(s => s.Spec.Name)];
        Assert.Equal(["app_key", "app_pw"], Names(new() { ["name"] = new() { ["app"] = true } }));
        Assert.Equal(["app_pw"], Names(new() { ["names"] = new() { ["app_pw"] = true } }));
        Assert.Empty(Names(new() { ["names"] = new() { ["app"] = true } }));
        Assert.Equal(["app_pw"], Names(new() { ["label"] = new() { ["com.docker.stack.namespace=app"] = true } }));
        Assert.Equal(["app_pw"], Names(new() { ["id"] = new() { [a] = true } }));
        Assert.Throws<BadRequestException>(() => _control.Secrets.List(new() { ["driver"] = new() { ["x"] = true } }));
    }

    [Theory]
    [InlineData("", "x", "name must be provided")]
    [InlineData("bad name", "x", "invalid name, only 64 [a-zA-Z0-9-_.] characters allowed")]
    [InlineData("-start", "x", "invalid name")]
    [InlineData("ok", "", "secret data must be larger than 0 and less than 512000 bytes")]
    public async Task Create_BadSpec_InvalidArgumentAndNothingStored(string name, string data, string message)
    {
        var e = await Assert.ThrowsAsync<BadRequestException>(() => _control.Secrets.CreateAsync(Spec(name, data), None));

        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.StartsWith("rpc error: code = InvalidArgument desc = ", e.Message, StringComparison.Ordinal);
        Assert.Empty(_control.Secrets.List([]));
    }

    [Fact]
    public async Task Create_TooLarge_Refused()
    {
        var big = new SwarmFileSpecWire { Name = "big", Data = new byte[Skiff.Manager.ControlApi.ControlApi.MaxSecretSize] };

        var e = await Assert.ThrowsAsync<BadRequestException>(() => _control.Secrets.CreateAsync(big, None));
        Assert.Contains("less than 512000 bytes", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_DuplicateName_AlreadyExists409()
    {
        await _control.Secrets.CreateAsync(Spec("s"), None);

        var e = await Assert.ThrowsAsync<ConflictException>(() => _control.Secrets.CreateAsync(Spec("s"), None));
        Assert.Equal("rpc error: code = AlreadyExists desc = secret s already exists", e.Message);
    }

    [Fact]
    public async Task Update_LabelsOnly_SameDataAcceptedNewDataRefused_StaleVersionRefused()
    {
        var id = await _control.Secrets.CreateAsync(Spec("s"), None);
        var version = _control.Secrets.Inspect(id).Version.Index;

        await _control.Secrets.UpdateAsync(id, version, Spec("s", labels: new() { ["k"] = "v" }), None);
        Assert.Equal("v", _control.Secrets.Inspect(id).Spec.Labels!["k"]);

        var changed = await Assert.ThrowsAsync<BadRequestException>(() => _control.Secrets.UpdateAsync(id, _control.Secrets.Inspect(id).Version.Index, Spec("s", "new"), None));
        Assert.Equal("rpc error: code = InvalidArgument desc = only updates to Labels are allowed", changed.Message);
        var renamed = await Assert.ThrowsAsync<BadRequestException>(() => _control.Secrets.UpdateAsync(id, _control.Secrets.Inspect(id).Version.Index, Spec("t"), None));
        Assert.Contains("only updates to Labels", renamed.Message, StringComparison.Ordinal);
        var stale = await Assert.ThrowsAsync<SkiffException>(() => _control.Secrets.UpdateAsync(id, version, Spec("s"), None));
        Assert.Contains("update out of sequence", stale.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Service_ReferencesResolvedByIdOrName_RemoveRefusedWhileInUse()
    {
        var secret = await _control.Secrets.CreateAsync(Spec("db_pw"), None);
        var config = await _control.Configs.CreateAsync(Spec("app.conf"), None);
        var byName = new SecretReference { SecretName = "db_pw", File = new SecretFileTarget { Name = "other" } };

        var svc = await _control.CreateServiceAsync(Service("web",
            [SecretRef(secret, "db_pw", "db_pw"), byName],
            [new ConfigReferenceWire { ConfigID = config, ConfigName = "app.conf", File = new SecretFileTarget { Name = "app.conf" } }]), None);

        var stored = _control.GetService(svc).Spec.TaskTemplate.ContainerSpec!;
        Assert.Equal([secret, secret], stored.Secrets!.Select(r => r.SecretID));
        var e = await Assert.ThrowsAsync<BadRequestException>(() => _control.Secrets.RemoveAsync("db_pw", None));
        Assert.Equal("rpc error: code = InvalidArgument desc = secret 'db_pw' is in use by the following service: web", e.Message);
        await Assert.ThrowsAsync<BadRequestException>(() => _control.Configs.RemoveAsync(config, None));

        await _control.RemoveServiceAsync(svc, None);
        await _control.Secrets.RemoveAsync("db_pw", None);
        await _control.Configs.RemoveAsync(config, None);
        Assert.Empty(_control.Secrets.List([]));
        Assert.Empty(_control.Configs.List([]));
    }

    [Fact]
    public async Task Service_BadReferences_InvalidArgumentAndNoService()
    {
        var secret = await _control.Secrets.CreateAsync(Spec("db_pw"), None);

        async Task<string> Refused(ServiceSpecWire spec) => (await Assert.ThrowsAsync<BadRequestException>(() => _control.CreateServiceAsync(spec, None))).Message;
        Assert.Contains("secret not found: nope", await Refused(Service("a", [SecretRef("", "nope", "x")])), StringComparison.Ordinal);
        Assert.Contains("malformed secret reference, no target provided",
            await Refused(Service("b", [new SecretReference { SecretID = secret, SecretName = "db_pw" }])), StringComparison.Ordinal);
        Assert.Contains("secret references 'db_pw' and 'db_pw' have a conflicting target: '/run/secrets/x'",
            await Refused(Service("c", [SecretRef(secret, "db_pw", "x"), SecretRef(secret, "db_pw", "/run/secrets/x")])), StringComparison.Ordinal);
        Assert.Contains("names wrong",
            await Refused(Service("d", [SecretRef(secret, "wrong", "x")])), StringComparison.Ordinal);
        Assert.Contains("must not contain '..'",
            await Refused(Service("e", [SecretRef(secret, "db_pw", "../../etc/passwd")])), StringComparison.Ordinal);
        var badUid = SecretRef(secret, "db_pw", "x");
        badUid.File!.UID = "root";
        Assert.Contains("UID must be a number", await Refused(Service("f", [badUid])), StringComparison.Ordinal);
        Assert.Contains("malformed secret or config reference", await Refused(Service("g", [null!])), StringComparison.Ordinal);
        Assert.Empty(_control.ListServices([], status: false));
    }
}
