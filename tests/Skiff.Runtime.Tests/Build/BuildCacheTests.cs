using Skiff.Runtime.Build;
using Skiff.Runtime.Tests.Images;

namespace Skiff.Runtime.Tests.Build;

public sealed class BuildCacheTests : IDisposable
{
    private readonly TempRoot _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public void Lookup_AfterStoreInAnotherInstance_FindsTheImage()
    {
        new BuildCache(_root.Path).Store("sha256:parent", "key1", "sha256:child");

        var reopened = new BuildCache(_root.Path);

        Assert.Equal("sha256:child", reopened.Lookup("sha256:parent", "key1"));
        Assert.True(File.Exists(Path.Combine(_root.Path, "builder", "cache.json")));
    }

    [Fact]
    public void Lookup_SameStepKeyOnAnotherParent_Misses()
    {
        var cache = new BuildCache(_root.Path);
        cache.Store("sha256:busybox-old", "key1", "sha256:a");
        cache.Store(null, "key1", "sha256:from-scratch");

        Assert.Null(cache.Lookup("sha256:busybox-new", "key1"));
        Assert.Null(cache.Lookup("sha256:busybox-old", "key2"));
        Assert.Equal("sha256:from-scratch", cache.Lookup(null, "key1"));
    }

    [Fact]
    public void Forget_StaleEntry_IsGoneAfterReopen()
    {
        var cache = new BuildCache(_root.Path);
        cache.Store("sha256:p", "k", "sha256:c");

        cache.Forget("sha256:p", "k");

        Assert.Null(new BuildCache(_root.Path).Lookup("sha256:p", "k"));
    }

    [Fact]
    public void Constructor_UnreadableOrNewerFile_StartsCold()
    {
        Directory.CreateDirectory(Path.Combine(_root.Path, "builder"));
        File.WriteAllText(Path.Combine(_root.Path, "builder", "cache.json"), "{\"FormatVersion\":99,\"Entries\":{\"scratch|k\":\"sha256:x\"}}");
        Assert.Null(new BuildCache(_root.Path).Lookup(null, "k"));

        File.WriteAllText(Path.Combine(_root.Path, "builder", "cache.json"), "{not json");
        Assert.Null(new BuildCache(_root.Path).Lookup(null, "k"));
    }
}
