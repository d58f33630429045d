using Skiff.Api;
using Skiff.Runtime.Images;
using static Skiff.Runtime.Tests.Images.TestArchives;

namespace Skiff.Runtime.Tests.Images;

/// <summary>CommitAsync: the builder's way of adding an image on a parent.</summary>
public sealed class ImageStoreCommitTests : IDisposable
{
    private readonly TempRoot _root = new();

    public void Dispose() => _root.Dispose();

    private string LayerFile(string name, params Item[] items)
    {
        var path = System.IO.Path.Combine(_root.Path, name + ".tar");
        File.WriteAllBytes(path, Layer(items));
        return path;
    }

    private static OciImageConfig Config(string cmd) => new()
    {
        Created = "2026-01-01T00:00:00Z",
        Config = new ContainerConfig { Cmd = [cmd] },
        History = [new OciHistory { CreatedBy = cmd }],
    };

    [Fact]
    public async Task CommitAsync_OnParent_AppendsLayersAndRemembersParentAcrossRestart()
    {
        var store = new ImageStore(_root.Path);
        var parent = await store.ImportAsync(new MemoryStream(Layer(new FileItem("a", "a"))), "base:1", null, CancellationToken.None);
        var layer = LayerFile("l2", new FileItem("b", "b"));

        var child = await store.CommitAsync(new ImageCommit(parent.Id, [layer], Config("run")), CancellationToken.None);

        Assert.Equal(parent.Id, child.Parent);
        Assert.Equal([.. parent.Config.RootFs.DiffIds, Sha(File.ReadAllBytes(layer))], child.Config.RootFs.DiffIds);
        Assert.Empty(child.RepoTags);
        Assert.True(File.Exists(System.IO.Path.Combine(store.LayerDirectories(child)[^1], "b")));
        var reopened = new ImageStore(_root.Path);
        Assert.Equal(parent.Id, reopened.Resolve(child.Id).Parent);
        Assert.Null(reopened.Resolve(parent.Id).Parent);
    }

    [Fact]
    public async Task CommitAsync_ConfigOnlyStep_SharesTheParentsLayers()
    {
        var store = new ImageStore(_root.Path);
        var parent = await store.ImportAsync(new MemoryStream(Layer(new FileItem("a", "a"))), null, null, CancellationToken.None);

        var child = await store.CommitAsync(new ImageCommit(parent.Id, [], Config("env")), CancellationToken.None);

        Assert.NotEqual(parent.Id, child.Id);
        Assert.Equal(parent.Config.RootFs.DiffIds, child.Config.RootFs.DiffIds);
    }

    [Fact]
    public async Task Remove_TaggedBuildResult_AlsoDeletesItsUntaggedIntermediateParents()
    {
        var store = new ImageStore(_root.Path);
        var baseImage = await store.ImportAsync(new MemoryStream(Layer(new FileItem("a", "a"))), "base:1", null, CancellationToken.None);
        var mid = await store.CommitAsync(new ImageCommit(baseImage.Id, [LayerFile("m", new FileItem("m", "m"))], Config("mid")), CancellationToken.None);
        var top = await store.CommitAsync(new ImageCommit(mid.Id, [], Config("top")), CancellationToken.None);
        store.Tag(top.Id, "app", "1");

        var items = store.Remove("app:1", force: false, noPrune: false, _ => false);

        Assert.Equal([top.Id, mid.Id], items.Where(i => i.Deleted is not null).Select(i => i.Deleted).ToList());
        Assert.Null(store.TryResolve(mid.Id));
        Assert.NotNull(store.TryResolve("base:1"));
        Assert.False(Directory.Exists(System.IO.Path.Combine(_root.LayersDir, mid.Config.RootFs.DiffIds[^1][7..])));
        Assert.True(Directory.Exists(System.IO.Path.Combine(_root.LayersDir, baseImage.Config.RootFs.DiffIds[0][7..])));
    }

    [Fact]
    public async Task Remove_NoPruneOrParentWithOtherChild_KeepsTheParent()
    {
        var store = new ImageStore(_root.Path);
        var baseImage = await store.ImportAsync(new MemoryStream(Layer(new FileItem("a", "a"))), "base:1", null, CancellationToken.None);
        var mid = await store.CommitAsync(new ImageCommit(baseImage.Id, [], Config("mid")), CancellationToken.None);
        var one = await store.CommitAsync(new ImageCommit(mid.Id, [], Config("one")), CancellationToken.None);
        var two = await store.CommitAsync(new ImageCommit(mid.Id, [], Config("two")), CancellationToken.None);
        store.Tag(one.Id, "one", "1");
        store.Tag(two.Id, "two", "1");

        store.Remove("one:1", force: false, noPrune: false, _ => false);
        Assert.NotNull(store.TryResolve(mid.Id)); // still the parent of two

        store.Remove("two:1", force: false, noPrune: true, _ => false);
        Assert.NotNull(store.TryResolve(mid.Id)); // noprune
    }
}
