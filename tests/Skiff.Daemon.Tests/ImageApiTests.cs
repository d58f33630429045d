using System.Net;
using System.Net.Http.Headers;

namespace Skiff.Daemon.Tests;

public sealed class ImageApiTests : DaemonTestBase
{
    [Fact]
    public async Task Load_DockerArchive_ListsAndInspectsTheImage()
    {
        var id = await LoadImageAsync("skiff-test/hello:v1");

        using var list = await Client.GetAsync("/v1.41/images/json");
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        var rows = (await JsonAsync(list)).EnumerateArray().ToList();
        var row = Assert.Single(rows);
        Assert.Equal(id, row.GetProperty("Id").GetString());
        Assert.Equal(["skiff-test/hello:v1"], row.GetProperty("RepoTags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal("yes", row.GetProperty("Labels").GetProperty("test").GetString());

        using var inspect = await Client.GetAsync("/v1.41/images/skiff-test/hello:v1/json");
        Assert.Equal(HttpStatusCode.OK, inspect.StatusCode);
        var img = await JsonAsync(inspect);
        Assert.Equal(id, img.GetProperty("Id").GetString());
        Assert.Equal("linux", img.GetProperty("Os").GetString());
        Assert.Equal("/bin/hello", img.GetProperty("Config").GetProperty("Cmd")[0].GetString());
        Assert.Equal("layers", img.GetProperty("RootFS").GetProperty("Type").GetString());
        Assert.Equal(1, img.GetProperty("RootFS").GetProperty("Layers").GetArrayLength());
    }

    [Fact]
    public async Task Tag_ThenDelete_UpdatesTagsAndUntags()
    {
        var id = await LoadImageAsync("skiff-test/hello:v1");

        using (var tag = await Client.PostAsync("/v1.41/images/skiff-test/hello:v1/tag?repo=skiff-test/other&tag=v2", null))
        {
            Assert.Equal(HttpStatusCode.Created, tag.StatusCode);
        }

        using (var inspect = await Client.GetAsync("/images/skiff-test/other:v2/json"))
        {
            Assert.Equal(HttpStatusCode.OK, inspect.StatusCode);
            var img = await JsonAsync(inspect);
            Assert.Equal(id, img.GetProperty("Id").GetString());
            Assert.Equal(["skiff-test/hello:v1", "skiff-test/other:v2"], img.GetProperty("RepoTags").EnumerateArray().Select(t => t.GetString()).Order(StringComparer.Ordinal));
        }

        using (var del = await Client.DeleteAsync("/v1.41/images/skiff-test/other:v2"))
        {
            Assert.Equal(HttpStatusCode.OK, del.StatusCode);
            var items = (await JsonAsync(del)).EnumerateArray().ToList();
            Assert.Contains(items, i => i.TryGetProperty("Untagged", out var u) && u.GetString() == "skiff-test/other:v2");
        }

        using (var del = await Client.DeleteAsync("/v1.41/images/skiff-test/hello:v1"))
        {
            Assert.Equal(HttpStatusCode.OK, del.StatusCode);
            var items = (await JsonAsync(del)).EnumerateArray().ToList();
            Assert.Contains(items, i => i.TryGetProperty("Deleted", out var d) && d.GetString() == id);
        }

        using var list = await Client.GetAsync("/images/json");
        Assert.Equal(0, (await JsonAsync(list)).GetArrayLength());
        using var gone = await Client.GetAsync("/images/skiff-test/hello:v1/json");
        var msg = await AssertErrorAsync(gone, 404);
        Assert.Equal("No such image: skiff-test/hello:v1", msg);
    }

    [Fact]
    public async Task Load_TruncatedArchive_Returns400()
    {
        var archive = TestImage.DockerArchive("skiff-test/hello:v1", out _);
        using var content = new ByteArrayContent(archive[..(archive.Length / 2 + 100)]);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-tar");

        using var resp = await Client.PostAsync("/images/load", content);

        await AssertErrorAsync(resp, 400);
    }

    [Fact]
    public async Task Load_GarbageBody_Returns400()
    {
        using var content = new ByteArrayContent(new byte[2048].Select((_, i) => (byte)(i * 7 + 3)).ToArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-tar");

        using var resp = await Client.PostAsync("/images/load", content);

        await AssertErrorAsync(resp, 400);
    }

    [Fact]
    public async Task List_UnknownFilter_Returns400()
    {
        using var resp = await Client.GetAsync("/images/json?filters=" + Uri.EscapeDataString("{\"bogus\":{\"x\":true}}"));

        var msg = await AssertErrorAsync(resp, 400);
        Assert.Equal("invalid filter 'bogus'", msg);
    }
}
