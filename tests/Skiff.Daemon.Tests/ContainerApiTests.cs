using System.Net;
using System.Text.Json;

namespace Skiff.Daemon.Tests;

public sealed class ContainerApiTests : DaemonTestBase
{
    private const string Hello = "{\"Image\":\"skiff-test/hello:v1\"}";

    [Fact]
    public async Task Create_UnknownImage_Returns404NoSuchImage()
    {
        using var resp = await Client.PostAsync("/v1.41/containers/create", JsonBody("{\"Image\":\"x\"}"));

        var msg = await AssertErrorAsync(resp, 404);
        Assert.Equal("No such image: x:latest", msg);
    }

    [Fact]
    public async Task Create_SameNameTwice_Returns409()
    {
        await LoadImageAsync();
        var id = await CreateContainerAsync(Hello, "twin");

        using var resp = await Client.PostAsync("/containers/create?name=twin", JsonBody(Hello));

        var msg = await AssertErrorAsync(resp, 409);
        Assert.Contains("The container name \"/twin\" is already in use by container \"" + id + "\"", msg, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_BadRestartPolicy_Returns400()
    {
        await LoadImageAsync();

        using var resp = await Client.PostAsync("/containers/create", JsonBody("{\"Image\":\"skiff-test/hello:v1\",\"HostConfig\":{\"RestartPolicy\":{\"Name\":\"sometimes\"}}}"));

        var msg = await AssertErrorAsync(resp, 400);
        Assert.StartsWith("invalid restart policy: unknown policy 'sometimes'", msg, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_ThenListAll_ShowsCreatedStatus()
    {
        var imageId = await LoadImageAsync();
        var id = await CreateContainerAsync(Hello, "listed");

        using var running = await Client.GetAsync("/containers/json");
        Assert.Equal(0, (await JsonAsync(running)).GetArrayLength());

        using var all = await Client.GetAsync("/v1.41/containers/json?all=1");
        Assert.Equal(HttpStatusCode.OK, all.StatusCode);
        var row = Assert.Single((await JsonAsync(all)).EnumerateArray());
        Assert.Equal(id, row.GetProperty("Id").GetString());
        Assert.Equal(["/listed"], row.GetProperty("Names").EnumerateArray().Select(n => n.GetString()));
        Assert.Equal("created", row.GetProperty("State").GetString());
        Assert.Equal("Created", row.GetProperty("Status").GetString());
        Assert.Equal("skiff-test/hello:v1", row.GetProperty("Image").GetString());
        Assert.Equal(imageId, row.GetProperty("ImageID").GetString());
        Assert.Equal("/bin/hello", row.GetProperty("Command").GetString());
    }

    [Fact]
    public async Task Inspect_CreatedContainer_ReportsDockerFields()
    {
        var imageId = await LoadImageAsync();
        var id = await CreateContainerAsync("{\"Image\":\"skiff-test/hello:v1\",\"Cmd\":[\"/bin/hello\",\"a b\"],\"Env\":[\"X=1\"],\"Labels\":{\"l\":\"v\"}}", "inspected");

        using var resp = await Client.GetAsync("/containers/inspected/json");

        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        var c = await JsonAsync(resp);
        Assert.Equal(id, c.GetProperty("Id").GetString());
        Assert.Equal("/inspected", c.GetProperty("Name").GetString());
        Assert.Equal(imageId, c.GetProperty("Image").GetString());
        Assert.Equal("/bin/hello", c.GetProperty("Path").GetString());
        Assert.Equal(["a b"], c.GetProperty("Args").EnumerateArray().Select(a => a.GetString()));
        var state = c.GetProperty("State");
        Assert.Equal("created", state.GetProperty("Status").GetString());
        Assert.False(state.GetProperty("Running").GetBoolean());
        Assert.Equal(0, state.GetProperty("Pid").GetInt32());
        var config = c.GetProperty("Config");
        Assert.Equal("skiff-test/hello:v1", config.GetProperty("Image").GetString());
        Assert.Equal(id[..12], config.GetProperty("Hostname").GetString());
        Assert.Contains("X=1", config.GetProperty("Env").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("PATH=/bin", config.GetProperty("Env").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("v", config.GetProperty("Labels").GetProperty("l").GetString());
        Assert.Equal("yes", config.GetProperty("Labels").GetProperty("test").GetString());
        Assert.Equal("bridge", c.GetProperty("HostConfig").GetProperty("NetworkMode").GetString());
        Assert.Equal("overlay2", c.GetProperty("GraphDriver").GetProperty("Name").GetString());
        Assert.True(c.GetProperty("NetworkSettings").GetProperty("Networks").TryGetProperty("bridge", out _));
        Assert.Equal(0, c.GetProperty("RestartCount").GetInt32());
        Assert.True(DateTimeOffset.TryParse(c.GetProperty("Created").GetString(), System.Globalization.CultureInfo.InvariantCulture, out _));
    }

    [Fact]
    public async Task Inspect_UnknownContainer_Returns404()
    {
        using var resp = await Client.GetAsync("/containers/nosuch/json");

        var msg = await AssertErrorAsync(resp, 404);
        Assert.Equal("No such container: nosuch", msg);
    }

    [Fact]
    public async Task Rename_CreatedContainer_ChangesName()
    {
        await LoadImageAsync();
        var id = await CreateContainerAsync(Hello, "before");

        using (var resp = await Client.PostAsync("/v1.41/containers/before/rename?name=after", null))
        {
            Assert.Equal(HttpStatusCode.NoContent, resp.StatusCode);
        }

        using var inspect = await Client.GetAsync("/containers/after/json");
        Assert.Equal(id, (await JsonAsync(inspect)).GetProperty("Id").GetString());
        Assert.Equal("/after", (await JsonAsync(inspect)).GetProperty("Name").GetString());
        using var old = await Client.GetAsync("/containers/before/json");
        await AssertErrorAsync(old, 404);
    }

    [Fact]
    public async Task Remove_CreatedContainer_Returns204AndForgetsIt()
    {
        await LoadImageAsync();
        var id = await CreateContainerAsync(Hello, "doomed");

        using (var resp = await Client.DeleteAsync("/v1.41/containers/doomed"))
        {
            Assert.Equal(HttpStatusCode.NoContent, resp.StatusCode);
        }

        using var all = await Client.GetAsync("/containers/json?all=1");
        Assert.Equal(0, (await JsonAsync(all)).GetArrayLength());
        using var inspect = await Client.GetAsync("/containers/" + id + "/json");
        await AssertErrorAsync(inspect, 404);
        Assert.False(Directory.Exists(Path.Combine(Options.DataRoot, "containers", id)));
    }

    [Fact]
    public async Task List_UnknownFilter_Returns400()
    {
        using var resp = await Client.GetAsync("/containers/json?filters=" + Uri.EscapeDataString("{\"bogus\":{\"x\":true}}"));

        var msg = await AssertErrorAsync(resp, 400);
        Assert.Equal("invalid filter 'bogus'", msg);
    }

    [Fact]
    public async Task Create_InvalidJson_Returns400()
    {
        using var resp = await Client.PostAsync("/containers/create", JsonBody("{\"Image\":"));

        await AssertErrorAsync(resp, 400);
    }

    [Fact]
    public async Task List_ReturnsJsonArrayWithExactContentType()
    {
        using var resp = await Client.GetAsync("/containers/json");

        Assert.Equal("application/json", resp.Content.Headers.ContentType?.ToString());
        Assert.Equal(JsonValueKind.Array, (await JsonAsync(resp)).ValueKind);
    }
}
