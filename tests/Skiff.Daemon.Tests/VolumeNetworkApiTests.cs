using System.Net;

namespace Skiff.Daemon.Tests;

public sealed class VolumeNetworkApiTests : DaemonTestBase
{
    private static string BogusFilter => "?filters=" + Uri.EscapeDataString("{\"bogus\":{\"x\":true}}");

    [Fact]
    public async Task Volumes_CreateListInspectRemove_RoundTrips()
    {
        using (var create = await Client.PostAsync("/v1.41/volumes/create", JsonBody("{\"Name\":\"data1\",\"Labels\":{\"k\":\"v\"}}")))
        {
            Assert.Equal(HttpStatusCode.Created, create.StatusCode);
            var v = await JsonAsync(create);
            Assert.Equal("data1", v.GetProperty("Name").GetString());
            Assert.Equal("local", v.GetProperty("Driver").GetString());
            Assert.Equal(Path.Combine(Options.DataRoot, "volumes", "data1", "_data"), v.GetProperty("Mountpoint").GetString());
        }

        using (var list = await Client.GetAsync("/volumes"))
        {
            var vols = (await JsonAsync(list)).GetProperty("Volumes").EnumerateArray().Select(v => v.GetProperty("Name").GetString());
            Assert.Equal(["data1"], vols);
        }

        using (var inspect = await Client.GetAsync("/volumes/data1"))
        {
            Assert.Equal(HttpStatusCode.OK, inspect.StatusCode);
            var v = await JsonAsync(inspect);
            Assert.Equal("v", v.GetProperty("Labels").GetProperty("k").GetString());
            Assert.Equal("local", v.GetProperty("Scope").GetString());
        }

        using (var del = await Client.DeleteAsync("/volumes/data1"))
        {
            Assert.Equal(HttpStatusCode.NoContent, del.StatusCode);
        }

        using var gone = await Client.GetAsync("/volumes/data1");
        var msg = await AssertErrorAsync(gone, 404);
        Assert.Equal("get data1: no such volume", msg);
    }

    [Fact]
    public async Task Volumes_RemoveInUse_Returns409()
    {
        await LoadImageAsync();
        var id = await CreateContainerAsync("{\"Image\":\"skiff-test/hello:v1\",\"HostConfig\":{\"Binds\":[\"used:/data\"]}}", "user");

        using var del = await Client.DeleteAsync("/volumes/used");

        var msg = await AssertErrorAsync(del, 409);
        Assert.Equal($"remove used: volume is in use - [{id}]", msg);
        using var inspect = await Client.GetAsync("/volumes/used");
        Assert.Equal(HttpStatusCode.OK, inspect.StatusCode);
        using var container = await Client.GetAsync("/containers/user/json");
        var mount = Assert.Single((await JsonAsync(container)).GetProperty("Mounts").EnumerateArray());
        Assert.Equal("volume", mount.GetProperty("Type").GetString());
        Assert.Equal("used", mount.GetProperty("Name").GetString());
        Assert.Equal("/data", mount.GetProperty("Destination").GetString());
    }

    [Fact]
    public async Task Volumes_InvalidName_Returns400()
    {
        using var resp = await Client.PostAsync("/volumes/create", JsonBody("{\"Name\":\"bad/name\"}"));

        var msg = await AssertErrorAsync(resp, 400);
        Assert.Contains("includes invalid characters for a local volume name", msg, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Networks_List_HasBridgeHostNone()
    {
        using var resp = await Client.GetAsync("/v1.41/networks");

        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        var nets = (await JsonAsync(resp)).EnumerateArray().ToDictionary(n => n.GetProperty("Name").GetString()!, n => n.GetProperty("Driver").GetString());
        Assert.Equal("bridge", nets["bridge"]);
        Assert.Equal("host", nets["host"]);
        Assert.Equal("null", nets["none"]);
    }

    [Fact]
    public async Task Networks_InspectBridge_UsesConfiguredBridgeName()
    {
        using var resp = await Client.GetAsync("/networks/bridge");

        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        var n = await JsonAsync(resp);
        Assert.Equal(Options.BridgeName, n.GetProperty("Options").GetProperty("com.docker.network.bridge.name").GetString());
    }

    [Theory]
    [InlineData("/containers/json")]
    [InlineData("/images/json")]
    [InlineData("/volumes")]
    [InlineData("/networks")]
    public async Task List_UnknownFilter_Returns400Json(string path)
    {
        using var resp = await Client.GetAsync("/v1.41" + path + BogusFilter);

        var msg = await AssertErrorAsync(resp, 400);
        Assert.Equal("invalid filter 'bogus'", msg);
    }
}
