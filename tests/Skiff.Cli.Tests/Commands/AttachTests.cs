using System.Text.Json.Nodes;
using Skiff.Cli.Connection;

namespace Skiff.Cli.Tests.Commands;

public class AttachTests
{
    private const string Id = "c0ffee00c0ffee00c0ffee00";

    [Fact]
    public async Task Exec_Hijacked_DemuxesOutputAndReturnsExitCode()
    {
        await using var engine = new RawEngine();
        engine.On("POST", "/v1.41/containers/web/exec", 201, "{\"Id\":\"exec1\"}");
        engine.On("POST", "/v1.41/exec/exec1/start", 101, [.. StdCopy.Frame(1, "hello\n"u8), .. StdCopy.Frame(2, "oops\n"u8)]);
        engine.On("GET", "/v1.41/exec/exec1/json", 200, "{\"ID\":\"exec1\",\"ExitCode\":3,\"Running\":false}");
        var (code, stdout, stderr) = await Cli.RunAtAsync(engine.SocketPath, "exec", "-e", "A=1", "-w", "/tmp", "web", "sh", "-c", "echo hello; exit 3");
        Assert.True(code == 3, stderr);
        Assert.Equal("hello\n", stdout);
        Assert.Equal("oops\n", stderr);
        var create = JsonNode.Parse(engine.Requests[0].Body)!;
        Assert.Equal(["sh", "-c", "echo hello; exit 3"], create["Cmd"]!.AsArray().Select(n => (string)n!).ToArray());
        Assert.Equal("/tmp", (string?)create["WorkingDir"]);
        Assert.Equal("A=1", (string?)create["Env"]![0]);
        Assert.True((bool)create["AttachStdout"]!);
        Assert.False((bool)create["AttachStdin"]!);
        var start = engine.Requests.Single(r => r.RequestLine.StartsWith("POST /v1.41/exec/exec1/start ", StringComparison.Ordinal));
        Assert.Contains("\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n", start.Head, StringComparison.Ordinal);
        Assert.Equal("{\"Detach\":false,\"Tty\":false}", start.Body);
    }

    [Fact]
    public async Task Exec_HijackRejected_PrintsDaemonError()
    {
        await using var engine = new RawEngine();
        engine.On("POST", "/v1.41/containers/web/exec", 409, "{\"message\":\"Container web is not running\"}");
        var (code, _, stderr) = await Cli.RunAtAsync(engine.SocketPath, "exec", "web", "ls");
        Assert.Equal(1, code);
        Assert.Equal("Error response from daemon: Container web is not running\n", stderr);
    }

    [Fact]
    public async Task Run_Attached_StartsWaitsAndExitsWithContainerStatus()
    {
        await using var engine = await FakeEngine.StartAsync();
        engine.On("POST", "/v1.41/containers/create", 201, $"{{\"Id\":\"{Id}\",\"Warnings\":[]}}");
        engine.OnUpgrade("POST", $"/v1.41/containers/{Id}/attach", [.. StdCopy.Frame(1, "hi\n"u8)]);
        engine.On("POST", $"/v1.41/containers/{Id}/wait", 200, "{\"StatusCode\":7,\"Error\":null}");
        engine.On("POST", $"/v1.41/containers/{Id}/start", 204, "", null);
        var (code, stdout, stderr) = await Cli.RunAsync(engine, "run", "--rm", "busybox", "sh", "-c", "echo hi; exit 7");
        Assert.True(code == 7, stderr);
        Assert.Equal("hi\n", stdout);
        var paths = engine.Requests.Select(r => r.Method + " " + r.Path + r.Query).ToList();
        Assert.Equal(
            [
                "POST /v1.41/containers/create",
                $"POST /v1.41/containers/{Id}/attach?stream=1&stdout=1&stderr=1",
                $"POST /v1.41/containers/{Id}/wait?condition=removed",
                $"POST /v1.41/containers/{Id}/start",
            ],
            paths);
        var body = JsonNode.Parse(engine.Requests[0].Body)!;
        Assert.True((bool)body["HostConfig"]!["AutoRemove"]!);
        Assert.True((bool)body["AttachStdout"]!);
    }

    [Fact]
    public async Task Run_TtyAttach_CopiesRawOutput()
    {
        await using var engine = await FakeEngine.StartAsync();
        engine.On("POST", "/v1.41/containers/create", 201, $"{{\"Id\":\"{Id}\",\"Warnings\":[]}}");
        engine.OnUpgrade("POST", $"/v1.41/containers/{Id}/attach", "raw\r\n"u8.ToArray());
        engine.On("POST", $"/v1.41/containers/{Id}/wait", 200, "{\"StatusCode\":0}");
        engine.On("POST", $"/v1.41/containers/{Id}/start", 204, "", null);
        var (code, stdout, _) = await Cli.RunAsync(engine, "run", "-t", "busybox");
        Assert.Equal(0, code);
        Assert.Equal("raw\r\n", stdout);
    }
}
