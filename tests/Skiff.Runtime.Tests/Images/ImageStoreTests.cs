using System.Formats.Tar;
using System.Text;
using Skiff.Api;
using Skiff.Runtime.Images;
using static Skiff.Runtime.Tests.Images.TestArchives;

namespace Skiff.Runtime.Tests.Images;

public sealed class ImageStoreTests : IDisposable
{
    private readonly TempRoot _root = new();

    public void Dispose() => _root.Dispose();

    private static readonly UnixFileMode Exec = (UnixFileMode)0b111_101_101;

    private static (byte[] L1, byte[] L2) WhiteoutLayers()
    {
        var l1 = Layer(
            new DirItem("etc/"),
            new FileItem("etc/keep", "keep"),
            new FileItem("etc/gone", "gone"),
            new DirItem("opaque/"),
            new FileItem("opaque/old", "old"),
            new DirItem("home/", Uid: 1000, Gid: 1000),
            new FileItem("bin/tool", "#!/bin/sh\n", Exec, 1000, 1000),
            new LinkItem("bin/alias", "tool"),
            new HardLinkItem("bin/hard", "bin/tool"));
        var l2 = Layer(
            new FileItem("etc/.wh.gone", ""),
            new DirItem("opaque/"),
            new FileItem("opaque/.wh..wh..opq", ""),
            new FileItem("opaque/new", "new"));
        return (l1, l2);
    }

    [Fact]
    public async Task LoadAsync_DockerArchiveWithWhiteouts_ExtractsOverlayLayout()
    {
        var (l1, l2) = WhiteoutLayers();
        var config = Config([l1, l2], cmd: "sh");
        var archive = DockerArchive(config, [l1, Gzip(l2)], "test/whiteout:v1");
        var store = new ImageStore(_root.Path);
        var events = new List<ImageEvent>();
        store.Changed += events.Add;

        var lines = await store.LoadAsync(new MemoryStream(archive), null, CancellationToken.None);

        Assert.Equal(["Loaded image: test/whiteout:v1"], lines);
        var image = store.Resolve("test/whiteout:v1");
        Assert.Equal(Sha(config), image.Id);
        Assert.Equal(["test/whiteout:v1"], image.RepoTags);
        Assert.Contains(events, e => e.Action == "load" && e.Id == image.Id && e.Name == "test/whiteout:v1");
        var dirs = store.LayerDirectories(image);
        Assert.Equal(2, dirs.Count);
        Assert.Equal(Path.Combine(_root.LayersDir, Sha(l1)[7..], "root"), dirs[0]);
        Assert.True(File.Exists(Path.Combine(_root.LayersDir, Sha(l1)[7..], "layer.tar")));
        Assert.Equal(l2, File.ReadAllBytes(Path.Combine(_root.LayersDir, Sha(l2)[7..], "layer.tar")));

        // Lower layer: files, modes, owners, links.
        Assert.Equal("keep", File.ReadAllText(Path.Combine(dirs[0], "etc/keep")));
        Assert.Equal(Exec, File.GetUnixFileMode(Path.Combine(dirs[0], "bin/tool")));
        Assert.Equal("tool", new FileInfo(Path.Combine(dirs[0], "bin/alias")).LinkTarget);
        Assert.Equal("1000:1000", Run("stat", "-c", "%u:%g", Path.Combine(dirs[0], "bin/tool")).Output.Trim());
        Assert.Equal("1000:1000", Run("stat", "-c", "%u:%g", Path.Combine(dirs[0], "home")).Output.Trim());
        Assert.Equal("2", Run("stat", "-c", "%h", Path.Combine(dirs[0], "bin/hard")).Output.Trim());

        // Upper layer: whiteout as a 0/0 char device, opaque dir as the overlay xattr.
        Assert.Equal("character special file 0,0", FileType(Path.Combine(dirs[1], "etc/gone")));
        Assert.False(File.Exists(Path.Combine(dirs[1], "etc/.wh.gone")));
        Assert.Equal("y", Libc.GetXattr(Path.Combine(dirs[1], "opaque"), "trusted.overlay.opaque"));
        Assert.False(File.Exists(Path.Combine(dirs[1], "opaque/.wh..wh..opq")));
        Assert.Equal("new", File.ReadAllText(Path.Combine(dirs[1], "opaque/new")));
        Assert.Null(Libc.GetXattr(Path.Combine(dirs[0], "opaque"), "trusted.overlay.opaque"));
    }

    [Fact]
    public async Task LoadAsync_OciLayout_LoadsWithAnnotationTag()
    {
        var l1 = Layer(new FileItem("hello.txt", "hi"));
        var config = Config([l1], cmd: "cat");
        var store = new ImageStore(_root.Path);

        var lines = await store.LoadAsync(new MemoryStream(OciLayout(config, [Gzip(l1)], "docker.io/library/ocitest:1.0", "1.0")), null, CancellationToken.None);

        Assert.Equal(["Loaded image: ocitest:1.0"], lines);
        var image = store.Resolve("docker.io/library/ocitest:1.0");
        Assert.Equal(Sha(config), image.Id);
        Assert.Equal("hi", File.ReadAllText(Path.Combine(store.LayerDirectories(image)[0], "hello.txt")));
    }

    [Fact]
    public async Task LoadAsync_OciLayoutRefNameOnly_UsesFullRefNameOrLoadsUntagged()
    {
        var l1 = Layer(new FileItem("a", "a"));
        var config = Config([l1]);
        var store = new ImageStore(_root.Path);

        var lines = await store.LoadAsync(new MemoryStream(OciLayout(config, [Gzip(l1)], null, "latest")), null, CancellationToken.None);
        Assert.Equal([$"Loaded image ID: {Sha(config)}"], lines);

        lines = await store.LoadAsync(new MemoryStream(OciLayout(config, [Gzip(l1)], null, "127.0.0.1:5000/x:2")), null, CancellationToken.None);
        Assert.Equal(["Loaded image: 127.0.0.1:5000/x:2"], lines);
    }

    [Fact]
    public async Task LoadAsync_TruncatedArchive_ThrowsBadRequestAndLeavesNoLayer()
    {
        var (l1, l2) = WhiteoutLayers();
        var archive = DockerArchive(Config([l1, l2]), [l1, l2], "broken:1");
        var store = new ImageStore(_root.Path);

        foreach (var cut in new[] { archive.Length / 2, archive.Length - 2048, 700 })
        {
            await Assert.ThrowsAsync<BadRequestException>(() => store.LoadAsync(new MemoryStream(archive[..cut]), null, CancellationToken.None));
            Assert.Empty(Directory.EnumerateFileSystemEntries(_root.LayersDir));
            Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_root.Path, "image", "tmp")));
        }

        Assert.Empty(store.List());
    }

    [Fact]
    public async Task LoadAsync_TruncatedLayerInsideArchive_ThrowsBadRequestAndLeavesNoLayer()
    {
        var good = Layer(new FileItem("ok", "ok"));
        var big = Layer(new FileItem("big", new string('x', 100_000)), new FileItem("after", "after"));
        var truncated = big[..50_000];
        var archive = DockerArchive(Config([good, big]), [good, truncated], "broken:2");
        var store = new ImageStore(_root.Path);

        await Assert.ThrowsAsync<BadRequestException>(() => store.LoadAsync(new MemoryStream(archive), null, CancellationToken.None));

        // The good layer is complete and may stay (it is verified); the broken one must not exist, not even half.
        Assert.False(Directory.Exists(Path.Combine(_root.LayersDir, Sha(big)[7..])));
        Assert.All(Directory.EnumerateDirectories(_root.LayersDir), d => Assert.Equal(Sha(good)[7..], Path.GetFileName(d)));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_root.Path, "image", "tmp")));
        Assert.Null(store.TryResolve("broken:2"));
    }

    [Fact]
    public async Task LoadAsync_LayerNotMatchingDiffId_ThrowsBadRequest()
    {
        var l1 = Layer(new FileItem("a", "a"));
        var other = Layer(new FileItem("b", "b"));
        var store = new ImageStore(_root.Path);

        await Assert.ThrowsAsync<BadRequestException>(() =>
            store.LoadAsync(new MemoryStream(DockerArchive(Config([l1]), [other], "mismatch:1")), null, CancellationToken.None));

        Assert.Empty(Directory.EnumerateFileSystemEntries(_root.LayersDir));
    }

    [Fact]
    public async Task LoadAsync_PathEscapingRoot_ThrowsBadRequest()
    {
        var evil = Layer(new FileItem("../../escape", "x"));
        var store = new ImageStore(_root.Path);

        await Assert.ThrowsAsync<BadRequestException>(() =>
            store.LoadAsync(new MemoryStream(DockerArchive(Config([evil]), [evil], "evil:1")), null, CancellationToken.None));

        Assert.Empty(Directory.EnumerateFileSystemEntries(_root.LayersDir));
        Assert.False(File.Exists(Path.Combine(_root.Path, "image", "escape")));
    }

    [Fact]
    public async Task LoadAsync_WriteThroughSymlink_ThrowsBadRequest()
    {
        var outside = Path.Combine(_root.Path, "outside");
        Directory.CreateDirectory(outside);
        var evil = Layer(new LinkItem("link", outside), new FileItem("link/pwned", "x"));
        var store = new ImageStore(_root.Path);

        await Assert.ThrowsAsync<BadRequestException>(() =>
            store.LoadAsync(new MemoryStream(DockerArchive(Config([evil]), [evil], "evil:2")), null, CancellationToken.None));

        Assert.False(File.Exists(Path.Combine(outside, "pwned")));
    }

    [Fact]
    public async Task ImportAsync_GzipRootfs_CreatesOneLayerImage()
    {
        var rootfs = Layer(new DirItem("bin/"), new FileItem("bin/hello", "hello", Exec));
        var store = new ImageStore(_root.Path);
        var events = new List<ImageEvent>();
        store.Changed += events.Add;

        var image = await store.ImportAsync(new MemoryStream(Gzip(rootfs)), "imported:v1",
            new ContainerConfig { Cmd = ["/bin/hello"], Env = ["A=b"] }, CancellationToken.None);

        Assert.Equal(["imported:v1"], image.RepoTags);
        Assert.Equal([Sha(rootfs)], image.Config.RootFs.DiffIds);
        Assert.Equal(["/bin/hello"], image.Config.Config!.Cmd);
        Assert.Equal("amd64", image.Config.Architecture);
        Assert.Equal("linux", image.Config.Os);
        Assert.True(DateTimeOffset.UtcNow - image.Created < TimeSpan.FromMinutes(5));
        Assert.Equal(5, image.Size);
        Assert.Equal("hello", File.ReadAllText(Path.Combine(store.LayerDirectories(image)[0], "bin/hello")));
        Assert.Contains(events, e => e.Action == "import" && e.Id == image.Id);
        var configFile = Path.Combine(_root.Path, "image", "configs", "sha256", image.Id[7..] + ".json");
        Assert.Equal(image.Id, Sha(File.ReadAllBytes(configFile)));
    }

    [Fact]
    public async Task Constructor_ExistingRoot_ReloadsImagesAndTags()
    {
        var l1 = Layer(new FileItem("a", "a"));
        var config = Config([l1]);
        var store = new ImageStore(_root.Path);
        await store.LoadAsync(new MemoryStream(DockerArchive(config, [l1], "persist:1")), null, CancellationToken.None);
        store.Tag("persist:1", "other", "2");

        var reopened = new ImageStore(_root.Path);

        var image = reopened.Resolve("persist:1");
        Assert.Equal(Sha(config), image.Id);
        Assert.Equal(["other:2", "persist:1"], image.RepoTags);
    }

    [Fact]
    public async Task Resolve_VariousForms_FindImage()
    {
        var l1 = Layer(new FileItem("a", "a"));
        var config = Config([l1]);
        var id = Sha(config);
        var store = new ImageStore(_root.Path);
        await store.LoadAsync(new MemoryStream(DockerArchive(config, [l1], "busybox:latest")), null, CancellationToken.None);
        store.Tag(id, "127.0.0.1:5000/foo", null);

        foreach (var reference in new[]
        {
            "busybox", "busybox:latest", "library/busybox", "docker.io/library/busybox:latest", "index.docker.io/library/busybox",
            id, id[7..], id[7..19], id[..15], "127.0.0.1:5000/foo", "127.0.0.1:5000/foo:latest",
        })
        {
            Assert.Equal(id, store.Resolve(reference).Id);
        }

        Assert.Equal(["127.0.0.1:5000/foo:latest", "busybox:latest"], store.Resolve("busybox").RepoTags);
        var ex = Assert.Throws<NotFoundException>(() => store.Resolve("busybox:1.0"));
        Assert.Equal("No such image: busybox:1.0", ex.Message);
        Assert.Null(store.TryResolve("foo"));
        Assert.Null(store.TryResolve("docker.io/foo/busybox"));
        Assert.Throws<NotFoundException>(() => store.Resolve("deadbeef"));
    }

    [Fact]
    public async Task Tag_ExistingTagOnOtherImage_MovesTag()
    {
        var (a, b) = (Layer(new FileItem("a", "a")), Layer(new FileItem("b", "b")));
        var store = new ImageStore(_root.Path);
        await store.LoadAsync(new MemoryStream(DockerArchive(Config([a]), [a], "a:1")), null, CancellationToken.None);
        await store.LoadAsync(new MemoryStream(DockerArchive(Config([b]), [b], "b:1")), null, CancellationToken.None);
        var events = new List<ImageEvent>();
        store.Changed += events.Add;

        store.Tag("b:1", "a", "1");

        Assert.Equal(store.Resolve("b:1").Id, store.Resolve("a:1").Id);
        Assert.Empty(store.List().Single(i => i.Id == Sha(Config([a]))).RepoTags);
        Assert.Equal([new ImageEvent("tag", Sha(Config([b])), "a:1")], events);
        Assert.Throws<NotFoundException>(() => store.Tag("nope", "x", null));
        Assert.Throws<BadRequestException>(() => store.Tag("b:1", "UPPER", null));
    }

    [Fact]
    public async Task Remove_ByTagWithOtherTags_OnlyUntags()
    {
        var l1 = Layer(new FileItem("a", "a"));
        var store = new ImageStore(_root.Path);
        await store.LoadAsync(new MemoryStream(DockerArchive(Config([l1]), [l1], "one:1", "two:2")), null, CancellationToken.None);

        var result = store.Remove("one:1", false, false, _ => false);

        Assert.Equal("one:1", Assert.Single(result).Untagged);
        Assert.Equal(["two:2"], store.Resolve("two:2").RepoTags);
        Assert.True(Directory.Exists(Path.Combine(_root.LayersDir, Sha(l1)[7..])));
    }

    [Fact]
    public async Task Remove_LastTag_DeletesImageAndFreesOnlyUnsharedLayers()
    {
        var shared = Layer(new FileItem("shared", "s"));
        var own1 = Layer(new FileItem("own1", "1"));
        var own2 = Layer(new FileItem("own2", "2"));
        var store = new ImageStore(_root.Path);
        await store.LoadAsync(new MemoryStream(DockerArchive(Config([shared, own1]), [shared, own1], "first:1")), null, CancellationToken.None);
        await store.LoadAsync(new MemoryStream(DockerArchive(Config([shared, own2]), [shared, own2], "second:1")), null, CancellationToken.None);
        var firstId = store.Resolve("first:1").Id;
        var events = new List<ImageEvent>();
        store.Changed += events.Add;

        var result = store.Remove("first:1", false, false, _ => false);

        Assert.Equal("first:1", result[0].Untagged);
        Assert.Contains(result, r => r.Deleted == firstId);
        Assert.Null(store.TryResolve(firstId));
        Assert.True(Directory.Exists(Path.Combine(_root.LayersDir, Sha(shared)[7..])));
        Assert.False(Directory.Exists(Path.Combine(_root.LayersDir, Sha(own1)[7..])));
        Assert.True(Directory.Exists(Path.Combine(_root.LayersDir, Sha(own2)[7..])));
        Assert.Contains(events, e => e.Action == "delete" && e.Id == firstId);

        store.Remove("second:1", false, false, _ => false);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_root.LayersDir));
        Assert.Empty(store.List());
    }

    [Fact]
    public async Task Remove_UnknownReference_ThrowsNotFound()
    {
        var store = new ImageStore(_root.Path);
        await Task.CompletedTask;

        var ex = Assert.Throws<NotFoundException>(() => store.Remove("ghost:1", false, false, _ => false));

        Assert.Equal("No such image: ghost:1", ex.Message);
    }

    [Fact]
    public async Task Remove_ByIdWithTagsInSeveralRepositories_NeedsForce()
    {
        var l1 = Layer(new FileItem("a", "a"));
        var store = new ImageStore(_root.Path);
        await store.LoadAsync(new MemoryStream(DockerArchive(Config([l1]), [l1], "one:1", "two:1")), null, CancellationToken.None);
        var id = store.Resolve("one:1").Id;

        var ex = Assert.Throws<ConflictException>(() => store.Remove(id[7..19], false, false, _ => false));
        Assert.Contains("image is referenced in multiple repositories", ex.Message);
        Assert.Contains("must be forced", ex.Message);

        var result = store.Remove(id[7..19], true, false, _ => false);
        Assert.Equal(["one:1", "two:1"], result.Where(r => r.Untagged is not null).Select(r => r.Untagged!));
        Assert.Equal(id, result.Last().Deleted);
    }

    [Fact]
    public async Task Remove_ByIdWithTagsInOneRepository_DeletesWithoutForce()
    {
        var l1 = Layer(new FileItem("a", "a"));
        var store = new ImageStore(_root.Path);
        await store.LoadAsync(new MemoryStream(DockerArchive(Config([l1]), [l1], "one:1", "one:2")), null, CancellationToken.None);
        var id = store.Resolve("one:1").Id;

        var result = store.Remove(id, false, false, _ => false);

        Assert.Equal(id, result.Last().Deleted);
        Assert.Empty(store.List());
    }

    [Fact]
    public async Task Remove_ImageInUse_ConflictsUnlessForced()
    {
        var l1 = Layer(new FileItem("a", "a"));
        var store = new ImageStore(_root.Path);
        await store.LoadAsync(new MemoryStream(DockerArchive(Config([l1]), [l1], "used:1")), null, CancellationToken.None);
        var id = store.Resolve("used:1").Id;

        var byTag = Assert.Throws<ConflictException>(() => store.Remove("used:1", false, false, i => i == id));
        Assert.Equal(409, byTag.StatusCode);
        Assert.Contains("unable to remove repository reference \"used:1\" (must force)", byTag.Message);
        var byId = Assert.Throws<ConflictException>(() => store.Remove(id, false, false, i => i == id));
        Assert.Contains("must be forced", byId.Message);
        Assert.Equal(["used:1"], store.Resolve(id).RepoTags);

        // Forced by name: untagged, the image stays (dangling) for its container, as in Docker.
        var result = store.Remove("used:1", true, false, i => i == id);
        Assert.Equal("used:1", Assert.Single(result).Untagged);
        Assert.Empty(store.Resolve(id).RepoTags);

        // Forced by id: deleted.
        result = store.Remove(id, true, false, i => i == id);
        Assert.Equal(id, Assert.Single(result).Deleted);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_root.LayersDir));
    }

    [Fact]
    public async Task LoadAsync_RealBusyboxArchive_LoadsRunnableRootfs()
    {
        var tar = BusyboxTar();
        var store = new ImageStore(_root.Path);

        await using var file = File.OpenRead(tar);
        var lines = await store.LoadAsync(file, null, CancellationToken.None);

        Assert.Equal(["Loaded image: busybox:latest"], lines);
        var image = store.Resolve("busybox");
        Assert.Equal(["sh"], image.Config.Config!.Cmd);
        var rootfs = store.LayerDirectories(image).Single();
        Assert.True(File.Exists(Path.Combine(rootfs, "bin/busybox")));
        Assert.Equal("/bin/busybox", new FileInfo(Path.Combine(rootfs, "bin/sh")).LinkTarget);
        Assert.Equal("sticky", (File.GetUnixFileMode(Path.Combine(rootfs, "tmp")) & UnixFileMode.StickyBit) != 0 ? "sticky" : "not sticky");
        Assert.Contains("nobody", File.ReadAllText(Path.Combine(rootfs, "etc/passwd")));
        Assert.True(image.Size > 1_000_000);

        // The statically linked busybox from the layer runs.
        var (code, output) = Run(Path.Combine(rootfs, "bin/busybox"), "echo", "hello from layer");
        Assert.Equal(0, code);
        Assert.Equal("hello from layer", output.Trim());
    }

    [Fact]
    public void BuildBusyboxScript_TwoRuns_SameImageId()
    {
        var tar = BusyboxTar();
        string ConfigName()
        {
            using var reader = new TarReader(File.OpenRead(tar));
            while (reader.GetNextEntry() is { } entry)
            {
                if (entry.Name.EndsWith(".json", StringComparison.Ordinal) && entry.Name != "manifest.json")
                {
                    return entry.Name;
                }
            }

            return "";
        }

        var before = ConfigName();
        var (code, output) = Run("bash", Path.Combine(RepoRoot(), "images", "build-busybox.sh"));
        Assert.True(code == 0, output);
        Assert.EndsWith("images/out/busybox.tar", output.Trim());
        Assert.Equal(before, ConfigName());
    }
}
