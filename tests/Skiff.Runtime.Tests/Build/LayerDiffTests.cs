using System.Formats.Tar;
using Skiff.Runtime.Build;
using Skiff.Runtime.Images;

namespace Skiff.Runtime.Tests.Build;

/// <summary>An overlay upper directory as a RUN leaves it, turned into an OCI layer tar (runs as root: mknod and
/// trusted.* xattrs, as overlayfs itself makes them).</summary>
public sealed class LayerDiffTests : IDisposable
{
    private readonly string _upper = Path.Combine(Path.GetTempPath(), "skiff-layerdiff-" + Guid.NewGuid().ToString("N"));

    public LayerDiffTests() => Directory.CreateDirectory(_upper);

    public void Dispose() => Directory.Delete(_upper, recursive: true);

    private async Task<List<(string Name, TarEntryType Type, string Link, long Length, int Uid, UnixFileMode Mode)>> DiffAsync(Func<string, string, bool>? skip = null)
    {
        var tar = new MemoryStream();
        var count = await LayerDiff.WriteAsync(_upper, tar, skip, CancellationToken.None);
        tar.Position = 0;
        var entries = new List<(string, TarEntryType, string, long, int, UnixFileMode)>();
        await using var reader = new TarReader(tar);
        while (await reader.GetNextEntryAsync() is { } e)
        {
            entries.Add((e.Name, e.EntryType, e.LinkName, e.Length, e.Uid, e.Mode));
        }

        Assert.Equal(count, entries.Count);
        return entries;
    }

    [Fact]
    public async Task WriteAsync_OverlayWhiteoutsAndOpaqueDirectory_BecomeOciWhiteoutEntries()
    {
        File.WriteAllText(Path.Combine(_upper, "added.txt"), "hello");
        File.SetUnixFileMode(Path.Combine(_upper, "added.txt"), (UnixFileMode)0b111_101_101);
        Directory.CreateDirectory(Path.Combine(_upper, "etc"));
        Libc.Mknod(Path.Combine(_upper, "etc", "passwd"), Libc.SIfChr, 0, 0);
        Directory.CreateDirectory(Path.Combine(_upper, "cache"));
        Libc.SetXattr(Path.Combine(_upper, "cache"), "trusted.overlay.opaque", "y");
        File.WriteAllText(Path.Combine(_upper, "cache", "fresh"), "x");
        File.CreateSymbolicLink(Path.Combine(_upper, "link"), "added.txt");
        Libc.Lchown(Path.Combine(_upper, "added.txt"), 1000, 1000);

        var entries = await DiffAsync();

        Assert.Equal(
            ["added.txt", "cache/", "cache/.wh..wh..opq", "cache/fresh", "etc/", "etc/.wh.passwd", "link"],
            entries.Select(e => e.Name).ToList());
        var added = entries.Single(e => e.Name == "added.txt");
        Assert.Equal((TarEntryType.RegularFile, 5L, 1000), (added.Type, added.Length, added.Uid));
        Assert.Equal((UnixFileMode)0b111_101_101, added.Mode);
        var whiteout = entries.Single(e => e.Name == "etc/.wh.passwd");
        Assert.Equal((TarEntryType.RegularFile, 0L), (whiteout.Type, whiteout.Length));
        Assert.Equal(TarEntryType.RegularFile, entries.Single(e => e.Name == "cache/.wh..wh..opq").Type);
        var link = entries.Single(e => e.Name == "link");
        Assert.Equal((TarEntryType.SymbolicLink, "added.txt"), (link.Type, link.Link));
    }

    [Fact]
    public async Task WriteAsync_RealCharacterDevice_IsKeptAsADevice()
    {
        Libc.Mknod(Path.Combine(_upper, "null"), Libc.SIfChr | 0b110_110_110, 1, 3);

        var entries = await DiffAsync();

        Assert.Equal([("null", TarEntryType.CharacterDevice)], entries.Select(e => (e.Name, e.Type)).ToList());
    }

    [Fact]
    public async Task WriteAsync_EmptyUpperOrOnlySkippedPaths_WritesNoEntries()
    {
        Assert.Empty(await DiffAsync());

        Directory.CreateDirectory(Path.Combine(_upper, "etc"));
        File.WriteAllText(Path.Combine(_upper, "etc", "hostname"), "");

        Assert.Empty(await DiffAsync((rel, _) => rel is "etc" or "etc/hostname"));
        Assert.Equal(["etc/", "etc/hostname"], (await DiffAsync()).Select(e => e.Name).ToList());
    }

    [Fact]
    public async Task WriteAsync_LayerLoadedIntoStore_HidesWhiteoutedFileOfParent()
    {
        using var root = new Images.TempRoot();
        var store = new ImageStore(root.Path);
        var baseImage = await store.ImportAsync(new MemoryStream(TestArchivesLayer()), "base:1", null, CancellationToken.None);
        Directory.CreateDirectory(Path.Combine(_upper, "etc"));
        Libc.Mknod(Path.Combine(_upper, "etc", "gone"), Libc.SIfChr, 0, 0);
        var tarPath = Path.Combine(root.Path, "diff.tar");
        await using (var file = File.Create(tarPath))
        {
            await LayerDiff.WriteAsync(_upper, file, null, CancellationToken.None);
        }

        var child = await store.CommitAsync(
            new ImageCommit(baseImage.Id, [tarPath], new Skiff.Api.OciImageConfig { Config = new Skiff.Api.ContainerConfig() }),
            CancellationToken.None);

        var top = store.LayerDirectories(child)[^1];
        // The store keeps overlay's own form: a 0:0 character device hides the parent's etc/gone.
        Assert.Equal(0x2000u, LayerDiff.Stat(Path.Combine(top, "etc", "gone")).Mode & 0xF000);
    }

    private static byte[] TestArchivesLayer() => Images.TestArchives.Layer(
        new Images.TestArchives.DirItem("etc/"),
        new Images.TestArchives.FileItem("etc/gone", "bye"),
        new Images.TestArchives.FileItem("etc/keep", "stay"));
}
