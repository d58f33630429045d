using System.Text.Json.Nodes;

namespace Skiff.Cli.Tests.Commands;

public class ContainerCommandsTests
{
    private const string Id = "4f66ad9a0b2e4bcc8f3a0d8b8a3a4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e";

    private static async Task<(JsonNode Body, RecordedRequest Create, FakeEngine Engine, int Code, string Out, string Err)> RunDetachedAsync(params string[] args)
    {
        var engine = await FakeEngine.StartAsync();
        engine.On("POST", "/v1.41/containers/create", 201, $"{{\"Id\":\"{Id}\",\"Warnings\":[]}}");
        engine.On("POST", $"/v1.41/containers/{Id}/start", 204, "", null);
        var (code, stdout, stderr) = await Cli.RunAsync(engine, args);
        var create = engine.Requests.FirstOrDefault(r => r.Path == "/v1.41/containers/create");
        var body = create != null ? JsonNode.Parse(create.Body)! : new JsonObject();
        return (body, create!, engine, code, stdout, stderr);
    }

    [Fact]
    public async Task Run_DetachedWithCommonFlags_SendsDockerCreateBody()
    {
        var (body, create, engine, code, stdout, stderr) = await RunDetachedAsync(
            "run", "-d", "--name", "web", "-p", "8080:80", "-e", "A=b", "--memory", "512m", "--cpus", "1.5",
            "--restart", "on-failure:3", "busybox", "sleep", "9");
        await using var _ = engine;
        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        Assert.Equal(Id + "\n", stdout);
        Assert.Equal("?name=web", create.Query);
        Assert.Equal("busybox", (string?)body["Image"]);
        Assert.Equal(["sleep", "9"], body["Cmd"]!.AsArray().Select(n => (string)n!).ToArray());
        Assert.Equal(["A=b"], body["Env"]!.AsArray().Select(n => (string)n!).ToArray());
        Assert.NotNull(body["ExposedPorts"]!["80/tcp"]);
        var hc = body["HostConfig"]!;
        Assert.Equal("8080", (string?)hc["PortBindings"]!["80/tcp"]![0]!["HostPort"]);
        Assert.Equal("", (string?)hc["PortBindings"]!["80/tcp"]![0]!["HostIp"]);
        Assert.Equal(536870912L, (long)hc["Memory"]!);
        Assert.Equal(1500000000L, (long)hc["NanoCpus"]!);
        Assert.Equal("on-failure", (string?)hc["RestartPolicy"]!["Name"]);
        Assert.Equal(3, (int)hc["RestartPolicy"]!["MaximumRetryCount"]!);
        Assert.Equal("default", (string?)hc["NetworkMode"]);
        Assert.False((bool)body["AttachStdout"]!);
        Assert.Contains(engine.Requests, r => r.Method == "POST" && r.Path == $"/v1.41/containers/{Id}/start");
    }

    [Fact]
    public async Task Run_CommandWithItsOwnFlags_PassedThroughAsCmd()
    {
        var (body, _, engine, code, _, _) = await RunDetachedAsync("run", "-d", "busybox", "sh", "-c", "echo hi", "-v");
        await using var _e = engine;
        Assert.Equal(0, code);
        Assert.Equal(["sh", "-c", "echo hi", "-v"], body["Cmd"]!.AsArray().Select(n => (string)n!).ToArray());
        Assert.Equal(0L, (long)body["HostConfig"]!["CpuShares"]!);
        Assert.Null(body["HostConfig"]!["Binds"]);
        Assert.Null(body["HostConfig"]!["Init"]);
        Assert.Null(body["Entrypoint"]);
    }

    [Fact]
    public async Task Run_ManyFlags_MapToConfigAndHostConfig()
    {
        var (body, _, engine, code, _, stderr) = await RunDetachedAsync(
            "run", "-d", "-v", "/data:/data:ro", "-v", "/anon", "--mount", "type=volume,source=vol,target=/v,readonly",
            "--tmpfs", "/run:size=64m", "-w", "/app", "-u", "1000:1000", "-h", "box", "--entrypoint", "",
            "--network", "backend", "--network-alias", "api", "-l", "a=1", "--label", "b", "-c", "512",
            "--pids-limit", "100", "--read-only", "-ti", "--stop-signal", "SIGINT", "--stop-timeout", "5",
            "--health-cmd", "true", "--health-interval", "30s", "--health-retries", "3", "--cap-add", "NET_ADMIN",
            "--cap-drop", "ALL", "--dns", "1.1.1.1", "--add-host", "db:10.0.0.2", "--privileged", "--init", "-P", "--expose", "9000-9001",
            "alpine");
        await using var _e = engine;
        Assert.True(code == 0, stderr);
        var hc = body["HostConfig"]!;
        Assert.Equal(["/data:/data:ro"], hc["Binds"]!.AsArray().Select(n => (string)n!).ToArray());
        Assert.NotNull(body["Volumes"]!["/anon"]);
        Assert.Equal("vol", (string?)hc["Mounts"]![0]!["Source"]);
        Assert.True((bool)hc["Mounts"]![0]!["ReadOnly"]!);
        Assert.Equal("size=64m", (string?)hc["Tmpfs"]!["/run"]);
        Assert.Equal("/app", (string?)body["WorkingDir"]);
        Assert.Equal("1000:1000", (string?)body["User"]);
        Assert.Equal("box", (string?)body["Hostname"]);
        Assert.Equal([""], body["Entrypoint"]!.AsArray().Select(n => (string)n!).ToArray());
        Assert.Equal("backend", (string?)hc["NetworkMode"]);
        Assert.Equal("api", (string?)body["NetworkingConfig"]!["EndpointsConfig"]!["backend"]!["Aliases"]![0]);
        Assert.Equal("1", (string?)body["Labels"]!["a"]);
        Assert.Equal("", (string?)body["Labels"]!["b"]);
        Assert.Equal(512L, (long)hc["CpuShares"]!);
        Assert.Equal(100L, (long)hc["PidsLimit"]!);
        Assert.True((bool)hc["ReadonlyRootfs"]!);
        Assert.True((bool)body["Tty"]!);
        Assert.True((bool)body["OpenStdin"]!);
        Assert.Equal("SIGINT", (string?)body["StopSignal"]);
        Assert.Equal(5, (int)body["StopTimeout"]!);
        Assert.Equal(["CMD-SHELL", "true"], body["Healthcheck"]!["Test"]!.AsArray().Select(n => (string)n!).ToArray());
        Assert.Equal(30_000_000_000L, (long)body["Healthcheck"]!["Interval"]!);
        Assert.Equal(3, (int)body["Healthcheck"]!["Retries"]!);
        Assert.Equal("NET_ADMIN", (string?)hc["CapAdd"]![0]);
        Assert.Equal("ALL", (string?)hc["CapDrop"]![0]);
        Assert.Equal("1.1.1.1", (string?)hc["Dns"]![0]);
        Assert.Equal("db:10.0.0.2", (string?)hc["ExtraHosts"]![0]);
        Assert.True((bool)hc["Privileged"]!);
        Assert.True((bool)hc["Init"]!);
        Assert.True((bool)hc["PublishAllPorts"]!);
        Assert.NotNull(body["ExposedPorts"]!["9001/tcp"]);
    }

    [Fact]
    public async Task Run_NoHealthcheck_SendsNoneTest()
    {
        var (body, _, engine, _, _, _) = await RunDetachedAsync("run", "-d", "--no-healthcheck", "alpine");
        await using var _e = engine;
        Assert.Equal("NONE", (string?)body["Healthcheck"]!["Test"]![0]);
    }

    [Theory]
    [InlineData("invalid argument \"foo\" for \"-m, --memory\" flag: invalid size: 'foo'", "run", "--memory", "foo", "busybox")]
    [InlineData("Conflicting options: cannot specify both --restart and --rm", "run", "--rm", "--restart", "always", "busybox")]
    [InlineData("--no-healthcheck conflicts with --health-* options", "run", "--no-healthcheck", "--health-cmd", "x", "busybox")]
    [InlineData("skiff run: unknown flag: --bogus. See 'skiff run --help'.", "run", "--bogus", "busybox")]
    [InlineData("skiff create: unknown flag: --bogus. See 'skiff create --help'.", "create", "--bogus", "busybox")]
    [InlineData("invalid proto: foo", "run", "-p", "80/foo", "busybox")]
    public async Task Run_InvalidFlags_Exit125WithOneLine(string message, params string[] args)
    {
        var (code, stdout, stderr) = await Cli.RunAsync(null, args);
        Assert.Equal(125, code);
        Assert.Equal("", stdout);
        Assert.Equal(message + "\n", stderr);
    }

    [Fact]
    public async Task Create_ImageMissing_PullsAndRetries()
    {
        await using var engine = await FakeEngine.StartAsync();
        engine.On("POST", "/v1.41/containers/create", 404, "{\"message\":\"No such image: busybox:latest\"}");
        engine.On("POST", "/v1.41/containers/create", 201, $"{{\"Id\":\"{Id}\",\"Warnings\":[]}}");
        engine.On("POST", "/v1.41/images/create", 200,
            "{\"status\":\"Pulling from library/busybox\",\"id\":\"latest\"}\n{\"status\":\"Downloading\",\"progress\":\"[=>  ]\",\"id\":\"abc\"}\n{\"status\":\"Pull complete\",\"id\":\"abc\"}\n{\"status\":\"Status: Downloaded newer image for busybox:latest\"}\n");
        var (code, stdout, stderr) = await Cli.RunAsync(engine, "create", "busybox");
        Assert.Equal(0, code);
        Assert.Equal(Id + "\n", stdout);
        Assert.Equal(
            "Unable to find image 'busybox:latest' locally\nlatest: Pulling from library/busybox\nabc: Pull complete\nStatus: Downloaded newer image for busybox:latest\n",
            stderr);
        var pull = engine.Requests.Single(r => r.Path == "/v1.41/images/create");
        Assert.Equal("?fromImage=docker.io%2Flibrary%2Fbusybox&tag=latest", pull.Query);
        Assert.Equal(2, engine.Requests.Count(r => r.Path == "/v1.41/containers/create"));
    }

    [Fact]
    public async Task Run_DaemonRejectsCreate_Exit125WithDockerRunError()
    {
        await using var engine = await FakeEngine.StartAsync();
        engine.On("POST", "/v1.41/containers/create", 409, "{\"message\":\"Conflict. The container name \\\"/web\\\" is already in use\"}");
        var (code, _, stderr) = await Cli.RunAsync(engine, "run", "-d", "--name", "web", "busybox");
        Assert.Equal(125, code);
        Assert.StartsWith("skiff: Error response from daemon: Conflict. The container name \"/web\" is already in use\n", stderr, StringComparison.Ordinal);
    }

    private const string PsJson = """
        [
          {"Id":"8dfafdbc3a40a1b2c3d4e5f6","Names":["/web"],"Image":"nginx:latest","ImageID":"sha256:1","Command":"/docker-entrypoint.sh nginx -g 'daemon off;'",
           "Created":1795608000,"Ports":[{"IP":"0.0.0.0","PrivatePort":80,"PublicPort":8080,"Type":"tcp"},{"PrivatePort":443,"Type":"tcp"}],
           "Labels":{"tier":"front","app":"shop"},"State":"running","Status":"Up 2 hours","HostConfig":{"NetworkMode":"default"},
           "NetworkSettings":{"Networks":{"bridge":{}}},"Mounts":[]},
          {"Id":"0123456789abcdef0123","Names":["/db"],"Image":"sha256:abcdef0123456789abcdef","ImageID":"sha256:abcdef0123456789abcdef","Command":"postgres",
           "Created":1795779540,"Ports":[],"Labels":{},"State":"exited","Status":"Exited (0) 2 minutes ago","HostConfig":{"NetworkMode":"default"},
           "NetworkSettings":{"Networks":{}},"Mounts":[]}
        ]
        """;

    [Fact]
    public async Task Ps_Default_PrintsDockerTable()
    {
        await using var engine = await FakeEngine.StartAsync();
        engine.On("GET", "/v1.41/containers/json", 200, PsJson);
        var (code, stdout, stderr) = await Cli.RunAsync(engine, "ps", "-a");
        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        var expected =
            "CONTAINER ID   IMAGE          COMMAND                  CREATED          STATUS                     PORTS                           NAMES\n" +
            "8dfafdbc3a40   nginx:latest   \"/docker-entrypoint.…\"   2 days ago       Up 2 hours                 443/tcp, 0.0.0.0:8080->80/tcp   web\n" +
            "0123456789ab   abcdef012345   \"postgres\"               21 minutes ago   Exited (0) 2 minutes ago                                   db\n";
        Assert.Equal(expected, stdout);
        Assert.Equal("?all=1", engine.Requests.Single().Query);
    }

    [Fact]
    public async Task Ps_FiltersAndLast_SentAsDockerQuery()
    {
        await using var engine = await FakeEngine.StartAsync();
        engine.On("GET", "/v1.41/containers/json", 200, "[]");
        var (code, stdout, _) = await Cli.RunAsync(engine, "ps", "-f", "status=exited", "--filter", "name=web", "-n", "3", "-s");
        Assert.Equal(0, code);
        Assert.Equal("CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES     SIZE\n", stdout);
        var q = Uri.UnescapeDataString(engine.Requests.Single().Query);
        Assert.Equal("?limit=3&size=1&filters={\"status\":{\"exited\":true},\"name\":{\"web\":true}}", q);
    }

    [Fact]
    public async Task Ps_QuietAndFormats_PrintRequestedFields()
    {
        await using var engine = await FakeEngine.StartAsync();
        engine.On("GET", "/v1.41/containers/json", 200, PsJson);
        Assert.Equal("8dfafdbc3a40\n0123456789ab\n", (await Cli.RunAsync(engine, "ps", "-q")).Out);
        Assert.Equal("8dfafdbc3a40a1b2c3d4e5f6\n0123456789abcdef0123\n", (await Cli.RunAsync(engine, "ps", "-q", "--no-trunc")).Out);
        Assert.Equal("web front\ndb \n", (await Cli.RunAsync(engine, "ps", "--format", "{{.Names}} {{.Label \"tier\"}}")).Out);
        Assert.Equal("NAMES     LABELS\nweb       app=shop,tier=front\ndb        \n", (await Cli.RunAsync(engine, "container", "ls", "--format", "table {{.Names}}\\t{{.Labels}}")).Out);
        var json = (await Cli.RunAsync(engine, "ps", "--format", "json")).Out.Split('\n')[0];
        var row = JsonNode.Parse(json)!;
        Assert.Equal("web", (string?)row["Names"]);
        Assert.Equal("\"/docker-entrypoint.…\"", (string?)row["Command"]);
    }

    [Fact]
    public async Task Stop_Conflict_PrintsDaemonErrorAndExit1()
    {
        await using var engine = await FakeEngine.StartAsync();
        engine.On("POST", "/v1.41/containers/web/stop", 204, "", null);
        engine.On("POST", "/v1.41/containers/gone/stop", 404, "{\"message\":\"No such container: gone\"}");
        var (code, stdout, stderr) = await Cli.RunAsync(engine, "stop", "-t", "3", "web", "gone");
        Assert.Equal(1, code);
        Assert.Equal("web\n", stdout);
        Assert.Equal("Error response from daemon: No such container: gone\n", stderr);
        Assert.Equal("?t=3", engine.Requests.First().Query);
    }

    [Fact]
    public async Task Rm_Conflict409_PrintsDaemonMessage()
    {
        await using var engine = await FakeEngine.StartAsync();
        engine.On("DELETE", "/v1.41/containers/web", 409, "{\"message\":\"You cannot remove a running container web. Stop the container before attempting removal or force remove\"}");
        var (code, _, stderr) = await Cli.RunAsync(engine, "rm", "web");
        Assert.Equal(1, code);
        Assert.Equal("Error response from daemon: You cannot remove a running container web. Stop the container before attempting removal or force remove\n", stderr);
    }

    [Fact]
    public async Task Inspect_Format_RunsOnRawJson()
    {
        await using var engine = await FakeEngine.StartAsync();
        engine.On("GET", "/v1.41/containers/web/json", 200, "{\"Id\":\"abc\",\"State\":{\"Status\":\"running\"},\"Custom\":{\"X\":1}}");
        var (code, stdout, _) = await Cli.RunAsync(engine, "container", "inspect", "-f", "{{.State.Status}} {{.Custom.X}}", "web");
        Assert.Equal(0, code);
        Assert.Equal("running 1\n", stdout);
        var (code2, stdout2, _) = await Cli.RunAsync(engine, "inspect", "web");
        Assert.Equal(0, code2);
        Assert.Equal("[\n    {\n        \"Id\": \"abc\",\n        \"State\": {\n            \"Status\": \"running\"\n        },\n        \"Custom\": {\n            \"X\": 1\n        }\n    }\n]\n", stdout2);
    }

    [Fact]
    public async Task Inspect_Missing_PrintsErrorExit1()
    {
        await using var engine = await FakeEngine.StartAsync();
        var (code, stdout, stderr) = await Cli.RunAsync(engine, "inspect", "nope");
        Assert.Equal(1, code);
        Assert.Equal("[]\n", stdout);
        Assert.Equal("Error: No such object: nope\n", stderr);
    }

    [Fact]
    public async Task Logs_Multiplexed_SplitsStdoutAndStderr()
    {
        await using var engine = await FakeEngine.StartAsync();
        engine.On("GET", "/v1.41/containers/web/json", 200, "{\"Id\":\"abc\",\"Config\":{\"Tty\":false}}");
        var frames = Skiff.Cli.Connection.StdCopy.Frame(1, "out line\n"u8).Concat(Skiff.Cli.Connection.StdCopy.Frame(2, "err line\n"u8)).ToArray();
        engine.On("GET", "/v1.41/containers/web/logs", 200, frames, "application/vnd.docker.multiplexed-stream");
        var (code, stdout, stderr) = await Cli.RunAsync(engine, "logs", "--tail", "10", "-t", "web");
        Assert.Equal(0, code);
        Assert.Equal("out line\n", stdout);
        Assert.Equal("err line\n", stderr);
        Assert.Equal("?stdout=1&stderr=1&timestamps=1&tail=10", engine.Requests.Last().Query);
    }

    [Fact]
    public async Task Port_Bindings_PrintsDockerLines()
    {
        await using var engine = await FakeEngine.StartAsync();
        engine.On("GET", "/v1.41/containers/web/json", 200,
            "{\"Id\":\"abc\",\"NetworkSettings\":{\"Ports\":{\"80/tcp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"8080\"},{\"HostIp\":\"::\",\"HostPort\":\"8080\"}],\"53/udp\":null}}}");
        var (code, stdout, _) = await Cli.RunAsync(engine, "port", "web");
        Assert.Equal(0, code);
        Assert.Equal("80/tcp -> 0.0.0.0:8080\n80/tcp -> [::]:8080\n", stdout);
    }

    [Fact]
    public async Task NoDaemon_PrintsCannotConnectExit1()
    {
        var (code, stdout, stderr) = await Cli.RunAsync(null, "ps");
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Equal("Cannot connect to the Skiff daemon at unix:///nonexistent/skiff-test.sock. Is skiffd running?\n", stderr);
    }

    [Fact]
    public async Task Stop_MissingArgument_Exit125()
    {
        var (code, _, stderr) = await Cli.RunAsync(null, "stop");
        Assert.Equal(125, code);
        Assert.Equal("\"skiff stop\" requires at least 1 argument. See 'skiff stop --help'.\n", stderr);
    }

    [Fact]
    public async Task Prune_Report_PrintsDeletedAndReclaimed()
    {
        await using var engine = await FakeEngine.StartAsync();
        engine.On("POST", "/v1.41/containers/prune", 200, "{\"ContainersDeleted\":[\"aaa\",\"bbb\"],\"SpaceReclaimed\":2048}");
        var (code, stdout, _) = await Cli.RunAsync(engine, "container", "prune", "-f");
        Assert.Equal(0, code);
        Assert.Equal("Deleted Containers:\naaa\nbbb\n\nTotal reclaimed space: 2.048kB\n", stdout);
    }

    [Fact]
    public void DisplayablePorts_Range_GroupsConsecutive()
    {
        var ports = new[]
        {
            new Api.ContainerPort { PrivatePort = 8001, Type = "tcp" },
            new Api.ContainerPort { PrivatePort = 8000, Type = "tcp" },
            new Api.ContainerPort { PrivatePort = 8002, Type = "tcp" },
            new Api.ContainerPort { IP = "0.0.0.0", PrivatePort = 9000, PublicPort = 9000, Type = "udp" },
        };
        Assert.Equal("8000-8002/tcp, 0.0.0.0:9000->9000/udp", Skiff.Cli.Commands.ContainerCommands.DisplayablePorts(ports));
    }
}

public class ArgumentParsingTests
{
    [Theory]
    [InlineData("skiff stop: unknown flag: --foo. See 'skiff stop --help'.", "stop", "web", "--foo")]
    [InlineData("skiff ps: unknown flag: --foo. See 'skiff ps --help'.", "ps", "--foo=1")]
    [InlineData("skiff container ls: unknown flag: -z. See 'skiff container ls --help'.", "container", "ls", "-z")]
    [InlineData("skiff exec: unknown flag: --nope. See 'skiff exec --help'.", "exec", "--nope", "web", "ls")]
    public async Task Parse_UnknownFlagAnywhere_Exit125(string message, params string[] args)
    {
        var (code, _, stderr) = await Cli.RunAsync(null, args);
        Assert.Equal(125, code);
        Assert.Equal(message + "\n", stderr);
    }

    [Fact]
    public async Task Parse_BundledShortFlags_Accepted()
    {
        // -aq is -a -q; the daemon is unreachable, so the flags parsed.
        var (code, _, stderr) = await Cli.RunAsync(null, "ps", "-aq");
        Assert.Equal(1, code);
        Assert.StartsWith("Cannot connect", stderr, StringComparison.Ordinal);
    }
}
