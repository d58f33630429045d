using System.Globalization;
using System.Net;
using System.Text.Json;

namespace Skiff.Daemon.Tests;

public sealed class SystemApiTests : DaemonTestBase
{
    private static void AssertPingHeaders(HttpResponseMessage resp)
    {
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        Assert.Equal("1.41", resp.Headers.GetValues("Api-Version").Single());
        Assert.Equal("linux", resp.Headers.GetValues("Ostype").Single());
        Assert.Equal("false", resp.Headers.GetValues("Docker-Experimental").Single());
        // The raw header as written (HttpClient's typed CacheControl reorders the directives).
        Assert.Equal("no-cache, no-store, must-revalidate", resp.Headers.NonValidated["Cache-Control"].ToString());
        Assert.Equal("no-cache", resp.Headers.GetValues("Pragma").Single());
    }

    [Fact]
    public async Task Ping_Get_ReturnsOkAndDockerHeaders()
    {
        using var resp = await Client.GetAsync("/_ping");

        AssertPingHeaders(resp);
        Assert.Equal("OK", await resp.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Ping_Head_ReturnsHeadersWithoutBody()
    {
        using var req = new HttpRequestMessage(HttpMethod.Head, "/_ping");
        using var resp = await Client.SendAsync(req);

        AssertPingHeaders(resp);
        Assert.Empty(await resp.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("/_ping")]
    [InlineData("/v1.41/_ping")]
    [InlineData("/v1.24/_ping")]
    public async Task Ping_UnversionedAndSupportedVersions_Work(string path)
    {
        using var resp = await Client.GetAsync(path);

        AssertPingHeaders(resp);
    }

    [Fact]
    public async Task Version_Get_ReportsApiAndPlatformFields()
    {
        using var resp = await Client.GetAsync("/v1.41/version");

        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        Assert.Equal("application/json", resp.Content.Headers.ContentType?.ToString());
        var v = await JsonAsync(resp);
        Assert.Equal("1.41", v.GetProperty("ApiVersion").GetString());
        Assert.Equal("1.24", v.GetProperty("MinAPIVersion").GetString());
        Assert.Equal("linux", v.GetProperty("Os").GetString());
        Assert.Contains(v.GetProperty("Arch").GetString(), new[] { "amd64", "arm64" });
        Assert.False(string.IsNullOrEmpty(v.GetProperty("Version").GetString()));
        Assert.False(string.IsNullOrEmpty(v.GetProperty("KernelVersion").GetString()));
        Assert.Equal("Skiff Engine", v.GetProperty("Platform").GetProperty("Name").GetString());
        var components = v.GetProperty("Components").EnumerateArray().Select(c => c.GetProperty("Name").GetString()).ToList();
        Assert.Contains("Engine", components);
    }

    [Fact]
    public async Task Info_Get_HasTheBooleansDockerChecksForWarnings()
    {
        using var resp = await Client.GetAsync("/info");

        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        var info = await JsonAsync(resp);
        foreach (var name in new[] { "MemoryLimit", "SwapLimit", "CpuCfsQuota", "CpuCfsPeriod", "CPUShares", "CPUSet" })
        {
            Assert.True(info.GetProperty(name).GetBoolean(), name + " should be true on a cgroup host");
        }

        var forwarding = File.ReadAllText("/proc/sys/net/ipv4/ip_forward").Trim() == "1";
        Assert.Equal(forwarding, info.GetProperty("IPv4Forwarding").GetBoolean());
        Assert.Equal("linux", info.GetProperty("OSType").GetString());
        Assert.Equal(Options.DataRoot, info.GetProperty("DockerRootDir").GetString());
        Assert.Equal(0, info.GetProperty("Containers").GetInt32());
    }

    [Fact]
    public async Task Request_VersionTooNew_Returns400WithDockerMessage()
    {
        using var resp = await Client.GetAsync("/v1.99/version");

        var msg = await AssertErrorAsync(resp, 400);
        Assert.Equal("client version 1.99 is too new. Maximum supported API version is 1.41", msg);
    }

    [Fact]
    public async Task Request_VersionTooOld_Returns400WithDockerMessage()
    {
        using var resp = await Client.GetAsync("/v1.12/containers/json");

        var msg = await AssertErrorAsync(resp, 400);
        Assert.StartsWith("client version 1.12 is too old. Minimum supported API version is 1.24", msg, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GET", "/nope")]
    [InlineData("GET", "/v1.41/nope/deeper")]
    [InlineData("POST", "/v1.41/containers/x/frobnicate")]
    [InlineData("GET", "/v1.41/plugins/some.plugin.example.com")]
    public async Task Request_UnknownRoute_Returns404Json(string method, string path)
    {
        using var req = new HttpRequestMessage(new HttpMethod(method), path);
        using var resp = await Client.SendAsync(req);

        var msg = await AssertErrorAsync(resp, 404);
        Assert.Contains("page not found", msg, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GET", "/v1.41/nodes/node1.example.com")]
    [InlineData("GET", "/v1.41/services")]
    [InlineData("POST", "/v1.41/services/create")]
    [InlineData("GET", "/v1.41/swarm")]
    public async Task SwarmRoute_OutsideASwarm_Returns503WithDockersMessage(string method, string path)
    {
        using var req = new HttpRequestMessage(new HttpMethod(method), path);
        using var resp = await Client.SendAsync(req);

        var msg = await AssertErrorAsync(resp, 503);
        Assert.StartsWith("This node is not a swarm manager.", msg, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Events_SinceZeroUntilNow_ReturnsCreateAndDestroyAsJsonLines()
    {
        await LoadImageAsync();
        var id = await CreateContainerAsync("{\"Image\":\"skiff-test/hello:v1\"}", "evented");
        using (var del = await Client.DeleteAsync("/containers/" + id))
        {
            Assert.Equal(HttpStatusCode.NoContent, del.StatusCode);
        }

        var now = DateTimeOffset.UtcNow;
        var until = ((now.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10_000_000m).ToString("0.0000000", CultureInfo.InvariantCulture);
        using var resp = await Client.GetAsync("/v1.41/events?since=0&until=" + until);

        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        Assert.Equal("application/json", resp.Content.Headers.ContentType?.ToString());
        var text = await resp.Content.ReadAsStringAsync();
        var events = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
        var mine = events
            .Where(e => e.GetProperty("Type").GetString() == "container" && e.GetProperty("Actor").GetProperty("ID").GetString() == id)
            .Select(e => e.GetProperty("Action").GetString())
            .ToList();
        Assert.Equal(["create", "destroy"], mine);
        var create = events.First(e => e.GetProperty("Action").GetString() == "create" && e.GetProperty("Type").GetString() == "container");
        Assert.Equal("evented", create.GetProperty("Actor").GetProperty("Attributes").GetProperty("name").GetString());
        Assert.Equal("skiff-test/hello:v1", create.GetProperty("from").GetString());
        Assert.Contains(events, e => e.GetProperty("Type").GetString() == "image" && e.GetProperty("Action").GetString() == "load");
    }

    [Fact]
    public async Task Events_UnknownFilter_Returns400()
    {
        using var resp = await Client.GetAsync("/events?since=0&until=1&filters=" + Uri.EscapeDataString("{\"bogus\":{\"x\":true}}"));

        await AssertErrorAsync(resp, 400);
    }
}
