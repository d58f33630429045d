using System.Formats.Tar;
using Skiff.Api;
using Skiff.Runtime.Build;

namespace Skiff.Runtime.Tests.Build;

public sealed class BuildContextTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "skiff-ctx-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    private static MemoryStream Tar(params (string Name, string? Content)[] entries)
    {
        var ms = new MemoryStream();
        using (var w = new TarWriter(ms, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (name, content) in entries)
            {
                var e = new PaxTarEntry(content is null ? TarEntryType.Directory : TarEntryType.RegularFile, name)
                {
                    Mode = content is null ? (UnixFileMode)0b111_101_101 : (UnixFileMode)0b110_100_100,
                };
                if (content is not null)
                {
                    e.DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(content));
                }

                w.WriteEntry(e);
            }
        }

        ms.Position = 0;
        return ms;
    }

    private Task<BuildContext> ExtractAsync(params (string Name, string? Content)[] entries) =>
        BuildContext.ExtractAsync(Tar(entries), Path.Combine(_dir, "ctx"), CancellationToken.None);

    [Fact]
    public async Task ExtractAsync_PathLeavingTheContext_IsRefusedAndLeavesNothing()
    {
        var ex = await Assert.ThrowsAsync<BadRequestException>(() => ExtractAsync(("ok.txt", "a"), ("../evil", "b")));

        Assert.Contains("escapes the root", ex.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_dir, "ctx")));
        Assert.False(File.Exists(Path.Combine(_dir, "evil")));
    }

    [Fact]
    public async Task Resolve_WildcardsAndMissingSources_MatchTheClassicBuilder()
    {
        using var ctx = await ExtractAsync(("a.txt", "a"), ("b.txt", "b"), ("src/", null), ("src/c.txt", "c"), ("Dockerfile", "FROM x"));

        var star = BuildContext.Resolve(ctx.Root, ["*.txt"], "COPY", fromContext: true);
        Assert.Equal(["a.txt", "b.txt"], star.Select(m => m.RelativePath).ToList()); // '*' does not cross '/'
        Assert.True(BuildContext.Resolve(ctx.Root, ["src"], "COPY", true).Single().IsDirectory);
        Assert.Equal(["src/c.txt"], BuildContext.Resolve(ctx.Root, ["src/?.txt"], "COPY", true).Select(m => m.RelativePath).ToList());

        var missing = Assert.Throws<BadRequestException>(() => BuildContext.Resolve(ctx.Root, ["nope"], "COPY", true));
        Assert.Equal("COPY failed: file not found in build context or excluded by .dockerignore: stat nope: file does not exist", missing.Message);
        var none = Assert.Throws<BadRequestException>(() => BuildContext.Resolve(ctx.Root, ["*.md"], "ADD", true));
        Assert.Equal("ADD failed: no source files were specified", none.Message);
        Assert.Equal("a.txt", BuildContext.Resolve(ctx.Root, ["../../a.txt"], "COPY", true).Single().RelativePath);
    }

    [Fact]
    public async Task ContentDigest_ChangesWithContentOnly()
    {
        using var ctx = await ExtractAsync(("a.txt", "one"), ("other.txt", "x"));
        var before = ctx.ContentDigest(["a.txt"]);

        Assert.Equal(before, ctx.ContentDigest(["a.txt"]));
        File.WriteAllText(Path.Combine(ctx.Root, "other.txt"), "changed");
        Assert.Equal(before, ctx.ContentDigest(["a.txt"]));
        File.WriteAllText(Path.Combine(ctx.Root, "a.txt"), "two");
        Assert.NotEqual(before, ctx.ContentDigest(["a.txt"]));
        Assert.StartsWith("sha256:", before, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadDockerfile_Missing_GivesDockersMessage()
    {
        using var ctx = await ExtractAsync(("a.txt", "a"));

        var ex = Assert.Throws<SkiffException>(() => ctx.ReadDockerfile("Dockerfile.dev"));

        Assert.Equal("Cannot locate specified Dockerfile: Dockerfile.dev", ex.Message);
    }

    [Fact]
    public void ResolveInRoot_SymlinkedDirectories_StayInsideTheRoot()
    {
        var root = Path.Combine(_dir, "rootfs");
        Directory.CreateDirectory(Path.Combine(root, "usr", "lib"));
        File.CreateSymbolicLink(Path.Combine(root, "lib"), "usr/lib");
        File.CreateSymbolicLink(Path.Combine(root, "abs"), "/usr");
        File.CreateSymbolicLink(Path.Combine(root, "up"), "../../../..");

        Assert.Equal("/usr/lib/x", BuildContext.ResolveInRoot(root, "/lib/x"));
        Assert.Equal("/usr/lib", BuildContext.ResolveInRoot(root, "/abs/lib"));
        Assert.Equal("/etc", BuildContext.ResolveInRoot(root, "/up/etc"));
        Assert.Equal("/new/dir", BuildContext.ResolveInRoot(root, "/new/./dir"));
    }
}
