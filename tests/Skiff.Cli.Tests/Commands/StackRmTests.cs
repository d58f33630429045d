using Skiff.Api;

namespace Skiff.Cli.Tests.Commands;

/// <summary><c>stack rm</c> against a fake daemon: docker/cli's order, and a failed removal does not stop the rest.</summary>
public class StackRmTests
{
    private const string Ns = "com.docker.stack.namespace";

    [Fact]
    public async Task StackRm_SecretInUse_ReportsItRemovesTheRestExitsOne()
    {
        await using var engine = await FakeEngine.StartAsync();
        var service = new ServiceWire { ID = "svc1", Spec = new ServiceSpecWire { Name = "st_web", Labels = new() { [Ns] = "st" } } };
        engine.On("GET", "/v1.41/services", 200, Swarm.Json(new List<ServiceWire> { service }, SkiffJson.Default.ListServiceWire));
        engine.On("GET", "/v1.41/networks", 200, Swarm.Json(new List<NetworkResource> { new() { Id = "net1", Name = "st_default", Labels = new() { [Ns] = "st" } } }, SkiffJson.Default.ListNetworkResource));
        engine.On("GET", "/v1.41/secrets", 200, Swarm.Json(new List<SwarmFileWire> { new() { ID = "sec1", Spec = new SwarmFileSpecWire { Name = "st_pw" } } }, SkiffJson.Default.ListSwarmFileWire));
        engine.On("GET", "/v1.41/configs", 200, "[]");
        engine.On("DELETE", "/v1.41/services/svc1", 200, "");
        engine.On("DELETE", "/v1.41/secrets/sec1", 400, "{\"message\":\"rpc error: code = InvalidArgument desc = secret 'st_pw' is in use by the following service: other_app\"}");
        engine.On("DELETE", "/v1.41/networks/net1", 204, "");

        var (code, stdout, stderr) = await SwarmCli.RunAsync(engine, "stack", "rm", "st");

        Assert.Equal(1, code);
        Assert.Equal("Removing service st_web\nRemoving secret st_pw\nRemoving network st_default\n", stdout);
        Assert.Equal(
            "Failed to remove secret st_pw: Error response from daemon: rpc error: code = InvalidArgument desc = secret 'st_pw' is in use by the following service: other_app\n"
            + "Failed to remove some resources from stack: st\n",
            stderr);
        Assert.Contains(engine.Requests, r => r.Method == "DELETE" && r.Path == "/v1.41/networks/net1");
    }
}
