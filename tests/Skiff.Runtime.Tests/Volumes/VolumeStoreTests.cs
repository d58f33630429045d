using Skiff.Api;
using Skiff.Runtime.Events;
using Skiff.Runtime.Volumes;

namespace Skiff.Runtime.Tests.Volumes;

public sealed class VolumeStoreTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("skiff-volumes-").FullName;
    private readonly EventBus _events = new(TimeProvider.System);
    private readonly VolumeStore _store;

    public VolumeStoreTests()
    {
        _store = new VolumeStore(_root, _events);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public void Create_Named_CreatesDataDirAndInspects()
    {
        using var sub = _events.Subscribe(null);

        var v = _store.Create("data", new Dictionary<string, string> { ["k"] = "v" }, null, null);

        Assert.Equal("data", v.Name);
        Assert.Equal("local", v.Driver);
        Assert.Equal("local", v.Scope);
        Assert.Equal(Path.Combine(_root, "volumes", "data", "_data"), v.Mountpoint);
        Assert.True(Directory.Exists(v.Mountpoint));
        Assert.Equal("v", v.Labels["k"]);
        Assert.False(string.IsNullOrEmpty(v.CreatedAt));
        Assert.True(_store.Exists("data"));
        Assert.Equal(v.Mountpoint, _store.MountPoint("data"));
        Assert.True(sub.Reader.TryRead(out var e));
        Assert.Equal(("volume", "create", "data"), (e.Type, e.Action, e.Actor.ID));
        Assert.Equal("local", e.Actor.Attributes["driver"]);
    }

    [Fact]
    public void Create_LocalDriverExplicit_IsAccepted()
    {
        Assert.Equal("local", _store.Create("x1", null, new Dictionary<string, string>(), "local").Driver);
    }

    [Fact]
    public void Create_Anonymous_GetsHexNameAndAnonymousLabel()
    {
        var v = _store.Create(null, null, null, null, anonymous: true);

        Assert.Equal(64, v.Name.Length);
        Assert.True(v.Labels.ContainsKey("com.docker.volume.anonymous"));
    }

    [Fact]
    public void Create_Existing_ReturnsItUnchanged()
    {
        var first = _store.Create("same", new Dictionary<string, string> { ["a"] = "1" }, null, null);
        File.WriteAllText(Path.Combine(first.Mountpoint, "keep"), "x");

        var second = _store.Create("same", new Dictionary<string, string> { ["b"] = "2" }, null, null);

        Assert.Equal(first.CreatedAt, second.CreatedAt);
        Assert.Equal(["a"], second.Labels.Keys);
        Assert.True(File.Exists(Path.Combine(second.Mountpoint, "keep")));
    }

    [Theory]
    [InlineData("a")]
    [InlineData("bad/name")]
    [InlineData("-dash")]
    [InlineData("has space")]
    [InlineData("..")]
    public void Create_InvalidName_ThrowsDockersMessage(string name)
    {
        var ex = Assert.Throws<BadRequestException>(() => _store.Create(name, null, null, null));

        Assert.Equal($"create {name}: \"{name}\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path", ex.Message);
    }

    [Fact]
    public void Create_DriverOptions_Refused()
    {
        var ex = Assert.Throws<BadRequestException>(() => _store.Create("opts", null, new Dictionary<string, string> { ["type"] = "nfs", ["device"] = ":/x" }, null));

        Assert.Contains("volume driver options are not supported", ex.Message, StringComparison.Ordinal);
        Assert.Contains("type", ex.Message, StringComparison.Ordinal);
        Assert.False(_store.Exists("opts"));
    }

    [Fact]
    public void Create_UnknownDriver_NotFound()
    {
        var ex = Assert.Throws<NotFoundException>(() => _store.Create("v", null, null, "rexray"));

        Assert.Equal("plugin \"rexray\" not found", ex.Message);
    }

    [Fact]
    public void List_ReturnsVolumesSortedByName()
    {
        _store.Create("zeta", null, null, null);
        _store.Create("alpha", null, null, null);
        _store.Create("mid", null, null, null);

        Assert.Equal(["alpha", "mid", "zeta"], _store.List().Select(v => v.Name));
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("../volumes")]
    [InlineData("a/b")]
    public void Inspect_Unknown_NotFound(string name)
    {
        var ex = Assert.Throws<NotFoundException>(() => _store.Inspect(name));

        Assert.Equal($"get {name}: no such volume", ex.Message);
    }

    [Fact]
    public void Remove_Unused_DeletesAndPublishesDestroy()
    {
        _store.Create("gone", null, null, null);
        using var sub = _events.Subscribe(null);

        _store.Remove("gone", force: false, []);

        Assert.False(_store.Exists("gone"));
        Assert.False(Directory.Exists(Path.Combine(_root, "volumes", "gone")));
        Assert.Empty(_store.List());
        Assert.True(sub.Reader.TryRead(out var e));
        Assert.Equal("destroy", e.Action);
    }

    [Fact]
    public void Remove_InUse_Conflict409AndKeepsData()
    {
        _store.Create("busy", null, null, null);

        var ex = Assert.Throws<ConflictException>(() => _store.Remove("busy", force: false, ["c1", "c2"]));

        Assert.Equal(409, ex.StatusCode);
        Assert.Equal("remove busy: volume is in use - [c1, c2]", ex.Message);
        Assert.True(_store.Exists("busy"));
    }

    [Fact]
    public void Remove_InUseWithForce_StillConflicts()
    {
        _store.Create("busy", null, null, null);

        Assert.Throws<ConflictException>(() => _store.Remove("busy", force: true, ["c1"]));
    }

    [Fact]
    public void Remove_Unknown_NotFoundUnlessForced()
    {
        var ex = Assert.Throws<NotFoundException>(() => _store.Remove("nope", force: false, []));
        Assert.Equal("get nope: no such volume", ex.Message);

        _store.Remove("nope", force: true, []);
    }
}
