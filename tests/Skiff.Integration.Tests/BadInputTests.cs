using System.Net;
using System.Text;
using Skiff.Integration.Tests.Support;

namespace Skiff.Integration.Tests;

/// <summary>Bad inputs get Docker's status codes and a {"message"} body with Content-Type exactly application/json.</summary>
[Collection("daemon")]
public sealed class BadInputTests(DaemonFixture fixture)
{
    private readonly Skiffd _d = fixture.Daemon;

    private static async Task<string> AssertError(HttpResponseMessage r, HttpStatusCode status)
    {
        var body = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == status, $"expected {(int)status}, got {(int)r.StatusCode}: {body}");
        Assert.Equal("application/json", r.Content.Headers.ContentType?.ToString());
        Assert.StartsWith("{\"message\":", body);
        return System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("message").GetString()!;
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task CreateContainer_UnknownImage_Is404()
    {
        using var api = Api.Client(_d.Socket);
        var body = await AssertError(await api.PostAsync("/v1.41/containers/create", Json("{\"Image\":\"no-such-image:9\"}")), HttpStatusCode.NotFound);
        Assert.Contains("No such image: no-such-image:9", body);
    }

    [Fact]
    public async Task CreateContainer_DuplicateName_Is409()
    {
        using var api = Api.Client(_d.Socket);
        var first = await api.PostAsync("/v1.41/containers/create?name=dup-name", Json("{\"Image\":\"busybox\",\"Cmd\":[\"true\"]}"));
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        try
        {
            var body = await AssertError(await api.PostAsync("/v1.41/containers/create?name=dup-name", Json("{\"Image\":\"busybox\",\"Cmd\":[\"true\"]}")), HttpStatusCode.Conflict);
            Assert.Contains("The container name \"/dup-name\" is already in use", body);
        }
        finally
        {
            _d.Docker("rm", "-f", "dup-name");
        }
    }

    [Fact]
    public async Task RemoveContainer_RunningWithoutForce_Is409AndKeepsIt()
    {
        _d.DockerOk("run", "-d", "--name", "still-running", "busybox", "sleep", "300");
        try
        {
            using var api = Api.Client(_d.Socket);
            var body = await AssertError(await api.DeleteAsync("/v1.41/containers/still-running"), HttpStatusCode.Conflict);
            Assert.Contains("You cannot remove a running container", body);
            Assert.Contains("still-running", _d.DockerOk("ps"));
        }
        finally
        {
            _d.Docker("rm", "-f", "still-running");
        }
    }

    [Fact]
    public async Task LoadImage_TruncatedTar_Is400AndLeavesNoLayer()
    {
        var layers = Path.Combine(_d.DataRoot, "image", "layers", "sha256");
        var before = Directory.Exists(layers) ? Directory.GetDirectories(layers).Length : 0;
        var bytes = File.ReadAllBytes(Repo.Image("redis"));
        using var api = Api.Client(_d.Socket);
        var content = new ByteArrayContent(bytes[..(bytes.Length / 2)]);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-tar");
        await AssertError(await api.PostAsync("/v1.41/images/load?quiet=1", content), HttpStatusCode.BadRequest);
        Assert.Equal(before, Directory.Exists(layers) ? Directory.GetDirectories(layers).Length : 0);
        var tmp = Path.Combine(_d.DataRoot, "image", "tmp");
        Assert.True(!Directory.Exists(tmp) || Directory.GetFileSystemEntries(tmp).Length == 0, "a half-written layer was left in image/tmp");
    }

    [Fact]
    public async Task LoadImage_GarbageTar_Is400()
    {
        using var api = Api.Client(_d.Socket);
        await AssertError(await api.PostAsync("/v1.41/images/load", new ByteArrayContent(Encoding.ASCII.GetBytes(new string('x', 5000)))), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task AnyEndpoint_UnsupportedApiVersion_Is400WithDockersMessage()
    {
        using var api = Api.Client(_d.Socket);
        var body = await AssertError(await api.GetAsync("/v1.99/containers/json"), HttpStatusCode.BadRequest);
        Assert.Contains("client version 1.99 is too new. Maximum supported API version is 1.41", body);
    }

    [Fact]
    public async Task ListContainers_UnknownFilter_Is400()
    {
        using var api = Api.Client(_d.Socket);
        var body = await AssertError(await api.GetAsync("/v1.41/containers/json?filters=" + Uri.EscapeDataString("{\"bogus\":{\"x\":true}}")), HttpStatusCode.BadRequest);
        Assert.Contains("invalid filter 'bogus'", body);
    }

    [Fact]
    public void DockerRun_MalformedPublish_FailsWithOneLine()
    {
        var r = _d.Docker("run", "-d", "-p", "80:80:80:80", "busybox", "true");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("invalid", r.Stderr, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void SkiffRun_MalformedPublish_FailsWithOneLineAndCreatesNothing()
    {
        var before = _d.DockerOk("ps", "-aq");
        var r = _d.Skiff("run", "-d", "-p", "80:80:80:80", "busybox", "true");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("invalid", r.Stderr, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(before, _d.DockerOk("ps", "-aq"));
    }

    [Fact]
    public void SkiffRun_UnknownImageWithoutRegistry_FailsClearly()
    {
        var r = _d.Skiff("run", "-d", "127.0.0.1:1/none/such:1");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("Unable to find image", r.Stderr);
    }

    [Fact]
    public void SwarmCommands_OutsideASwarm_GetDockersMessage()
    {
        foreach (var args in new[] { new[] { "node", "ls" }, ["service", "ls"], ["swarm", "join-token", "worker"] })
        {
            var r = _d.Docker(args);
            Assert.NotEqual(0, r.ExitCode);
            Assert.Contains("This node is not a swarm manager.", r.Stderr);
        }
    }

    [Fact]
    public void RmiForceById_ImageOfARunningContainer_IsRefused()
    {
        _d.DockerOk("run", "-d", "--name", "holds-image", "busybox", "sleep", "300");
        try
        {
            var id = _d.DockerOk("inspect", "-f", "{{.Image}}", "holds-image").Trim();
            var r = _d.Docker("rmi", "-f", id);
            Assert.NotEqual(0, r.ExitCode);
            Assert.Contains("(cannot be forced) - image is being used by running container", r.Stderr);
            Assert.Contains("busybox", _d.DockerOk("images"));
        }
        finally
        {
            _d.Docker("rm", "-f", "holds-image");
        }
    }
}
