using Skiff.Api;
using Skiff.Cli.Commands;

namespace Skiff.Cli.Tests.Commands;

public class SystemAndImageCommandsTests
{
    private const string VersionJson = """
        {"Platform":{"Name":"Skiff Engine"},"Components":[
          {"Name":"Engine","Version":"0.1.0","Details":{"ApiVersion":"1.41","Arch":"amd64","BuildTime":"2026-11-27T00:00:00.000000000+00:00","Experimental":"false","GitCommit":"abc1234","GoVersion":"dotnet10","KernelVersion":"6.1","MinAPIVersion":"1.24","Os":"linux"}},
          {"Name":"runc","Version":"1.1.5","Details":{"GitCommit":"v1.1.5"}}],
         "Version":"0.1.0","ApiVersion":"1.41","MinAPIVersion":"1.24","GitCommit":"abc1234","GoVersion":"dotnet10","Os":"linux","Arch":"amd64","KernelVersion":"6.1","BuildTime":"2026-11-27"}
        """;

    [Fact]
    public async Task Version_ServerAnswers_PrintsClientAndServerSections()
    {
        await using var engine = await FakeEngine.StartAsync();
        engine.On("GET", "/v1.41/version", 200, VersionJson);
        var (code, stdout, stderr) = await Cli.RunAsync(engine, "version");
        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        var lines = stdout.Split('\n');
        Assert.Equal("Client:", lines[0]);
        Assert.Equal(" Version:           " + CliInfo.Version, lines[1]);
        Assert.Equal(" API version:       1.41", lines[2]);
        Assert.Contains("\nServer: Skiff Engine\n Engine:\n  Version:          0.1.0\n  API version:      1.41 (minimum version 1.24)\n  Go version:       dotnet10\n  Git commit:       abc1234\n  Built:            2026-11-27T00:00:00.000000000+00:00\n  OS/Arch:          linux/amd64\n  Experimental:     false\n runc:\n  Version:          1.1.5\n  GitCommit:        v1.1.5\n", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Version_Format_EvaluatesTemplate()
    {
        await using var engine = await FakeEngine.StartAsync();
        engine.On("GET", "/v1.41/version", 200, VersionJson);
        var (code, stdout, _) = await Cli.RunAsync(engine, "version", "--format", "{{.Server.Version}} {{.Client.ApiVersion}}");
        Assert.Equal(0, code);
        Assert.Equal("0.1.0 1.41\n", stdout);
    }

    [Fact]
    public async Task Version_NoDaemon_PrintsClientThenErrorExit1()
    {
        var (code, stdout, stderr) = await Cli.RunAsync(null, "version");
        Assert.Equal(1, code);
        Assert.StartsWith("Client:\n", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("Server:", stdout, StringComparison.Ordinal);
        Assert.StartsWith("Cannot connect to the Skiff daemon", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void RenderInfo_Defaults_DockerLayout()
    {
        var text = SystemCommands.RenderInfo(new SystemInfo
        {
            Containers = 3,
            ContainersRunning = 1,
            ContainersStopped = 2,
            Images = 4,
            ServerVersion = "0.1.0",
            NCPU = 2,
            MemTotal = 8_335_421_440,
            Name = "vm",
            SecurityOptions = ["name=seccomp,profile=default"],
        });
        Assert.Contains("Server:\n Containers: 3\n  Running: 1\n  Paused: 0\n  Stopped: 2\n Images: 4\n Server Version: 0.1.0\n", text, StringComparison.Ordinal);
        Assert.Contains(" Security Options:\n  seccomp\n   Profile: default\n", text, StringComparison.Ordinal);
        Assert.Contains(" CPUs: 2\n Total Memory: 7.763GiB\n Name: vm\n", text, StringComparison.Ordinal);
        Assert.Contains(" Swarm: inactive\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void FormatEvent_Attributes_SortedLikeDocker()
    {
        var ev = new EventMessage
        {
            Type = "container",
            Action = "start",
            Actor = new EventActor { ID = "abc", Attributes = new() { ["name"] = "web", ["image"] = "busybox" } },
            TimeNano = 1_795_780_800_123_456_789,
        };
        var text = SystemCommands.FormatEvent(ev);
        Assert.EndsWith(" container start abc (image=busybox, name=web)\n", text, StringComparison.Ordinal);
        Assert.Contains(".123456789", text, StringComparison.Ordinal);
    }

    private const string ImagesJson = """
        [
          {"Id":"sha256:6d5fcfe5ff170471fcc3c8b47631d6d71202a1fd44cf3c147e50c8de21cf0648","ParentId":"","RepoTags":["busybox:latest","registry.local:5000/tools/busybox:1.36"],
           "RepoDigests":["busybox@sha256:9ae97d36d26566ff84e8893c64a6dc4fe8ca6d1144bf5b87b2b85a32def253c7"],"Created":1795608000,"Size":4264813,"SharedSize":-1,"VirtualSize":4264813,"Labels":{},"Containers":-1},
          {"Id":"sha256:aaaaaaaaaaaabbbbbbbbbbbb","ParentId":"","RepoTags":[],"RepoDigests":[],"Created":1795779540,"Size":1000,"SharedSize":-1,"VirtualSize":1000,"Labels":{},"Containers":-1}
        ]
        """;

    [Fact]
    public async Task Images_Default_PrintsDockerTable()
    {
        await using var engine = await FakeEngine.StartAsync();
        engine.On("GET", "/v1.41/images/json", 200, ImagesJson);
        var (code, stdout, stderr) = await Cli.RunAsync(engine, "images");
        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        var expected =
            "REPOSITORY                       TAG       IMAGE ID       CREATED          SIZE\n" +
            "busybox                          latest    6d5fcfe5ff17   2 days ago       4.26MB\n" +
            "registry.local:5000/tools/busybox   1.36      6d5fcfe5ff17   2 days ago       4.26MB\n" +
            "<none>                           <none>    aaaaaaaaaaaa   21 minutes ago   1kB\n";
        Assert.Equal(expected.Replace("REPOSITORY                       TAG", "REPOSITORY                          TAG", StringComparison.Ordinal)
            .Replace("busybox                          latest", "busybox                             latest", StringComparison.Ordinal)
            .Replace("<none>                           <none>", "<none>                              <none>", StringComparison.Ordinal), stdout);
    }

    [Fact]
    public async Task ImageLs_ReferenceAndDigests_FiltersAndDigestColumn()
    {
        await using var engine = await FakeEngine.StartAsync();
        engine.On("GET", "/v1.41/images/json", 200, ImagesJson);
        var (code, stdout, _) = await Cli.RunAsync(engine, "image", "ls", "-a", "--digests", "busybox");
        Assert.Equal(0, code);
        Assert.Contains("busybox                             latest    sha256:9ae97d36d26566ff84e8893c64a6dc4fe8ca6d1144bf5b87b2b85a32def253c7   6d5fcfe5ff17", stdout, StringComparison.Ordinal);
        Assert.Equal("?all=1&filters={\"reference\":{\"busybox\":true}}", Uri.UnescapeDataString(engine.Requests.Single().Query));
    }

    [Fact]
    public async Task Rmi_Deleted_PrintsUntaggedAndDeleted()
    {
        await using var engine = await FakeEngine.StartAsync();
        engine.On("DELETE", "/v1.41/images/busybox", 200, "[{\"Untagged\":\"busybox:latest\"},{\"Deleted\":\"sha256:6d5f\"}]");
        var (code, stdout, _) = await Cli.RunAsync(engine, "rmi", "-f", "busybox");
        Assert.Equal(0, code);
        Assert.Equal("Untagged: busybox:latest\nDeleted: sha256:6d5f\n", stdout);
        Assert.Equal("?force=1", engine.Requests.Single().Query);
    }

    [Fact]
    public async Task Tag_Target_SendsRepoAndTag()
    {
        await using var engine = await FakeEngine.StartAsync();
        engine.On("POST", "/v1.41/images/busybox/tag", 201, "", null);
        var (code, _, _) = await Cli.RunAsync(engine, "tag", "busybox", "myrepo/box:v1");
        Assert.Equal(0, code);
        Assert.Equal("?repo=docker.io%2Fmyrepo%2Fbox&tag=v1", engine.Requests.Single().Query);
    }

    [Fact]
    public async Task Pull_Progress_PrintsStatusLinesAndReference()
    {
        await using var engine = await FakeEngine.StartAsync();
        engine.On("POST", "/v1.41/images/create", 200, "{\"status\":\"Pulling from library/alpine\",\"id\":\"3.20\"}\n{\"status\":\"Digest: sha256:abc\"}\n");
        var (code, stdout, _) = await Cli.RunAsync(engine, "pull", "alpine:3.20");
        Assert.Equal(0, code);
        Assert.Equal("3.20: Pulling from library/alpine\nDigest: sha256:abc\ndocker.io/library/alpine:3.20\n", stdout);
        Assert.Equal("e30=", engine.Requests.Single().Headers["X-Registry-Auth"].ToString());
    }

    [Fact]
    public async Task Pull_StreamError_PrintsMessageExit1()
    {
        await using var engine = await FakeEngine.StartAsync();
        engine.On("POST", "/v1.41/images/create", 200, "{\"errorDetail\":{\"message\":\"manifest unknown\"},\"error\":\"manifest unknown\"}\n");
        var (code, _, stderr) = await Cli.RunAsync(engine, "pull", "-q", "nope");
        Assert.Equal(1, code);
        Assert.Equal("manifest unknown\n", stderr);
    }

    [Fact]
    public async Task NetworkLs_Default_SortedTable()
    {
        await using var engine = await FakeEngine.StartAsync();
        engine.On("GET", "/v1.41/networks", 200, """
            [{"Name":"host","Id":"1111111111111111111","Driver":"host","Scope":"local"},
             {"Name":"bridge","Id":"2222222222222222222","Driver":"bridge","Scope":"local"}]
            """);
        var (code, stdout, _) = await Cli.RunAsync(engine, "network", "ls");
        Assert.Equal(0, code);
        Assert.Equal("NETWORK ID     NAME      DRIVER    SCOPE\n222222222222   bridge    bridge    local\n111111111111   host      host      local\n", stdout);
    }

    [Fact]
    public async Task NetworkCreate_Flags_SendsIpamConfig()
    {
        await using var engine = await FakeEngine.StartAsync();
        engine.On("POST", "/v1.41/networks/create", 201, "{\"Id\":\"netid\",\"Warning\":\"\"}");
        var (code, stdout, _) = await Cli.RunAsync(engine, "network", "create", "--subnet", "10.9.0.0/24", "--gateway", "10.9.0.1", "--label", "a=b", "--internal", "backend");
        Assert.Equal(0, code);
        Assert.Equal("netid\n", stdout);
        var body = System.Text.Json.Nodes.JsonNode.Parse(engine.Requests.Single().Body)!;
        Assert.Equal("backend", (string?)body["Name"]);
        Assert.Equal("10.9.0.0/24", (string?)body["IPAM"]!["Config"]![0]!["Subnet"]);
        Assert.Equal("10.9.0.1", (string?)body["IPAM"]!["Config"]![0]!["Gateway"]);
        Assert.True((bool)body["Internal"]!);
        Assert.Equal("b", (string?)body["Labels"]!["a"]);
    }

    [Fact]
    public async Task VolumeLs_Default_DriverAndName()
    {
        await using var engine = await FakeEngine.StartAsync();
        engine.On("GET", "/v1.41/volumes", 200, "{\"Volumes\":[{\"Name\":\"data\",\"Driver\":\"local\"},{\"Name\":\"cache\",\"Driver\":\"local\"}],\"Warnings\":[]}");
        var (code, stdout, _) = await Cli.RunAsync(engine, "volume", "ls");
        Assert.Equal(0, code);
        Assert.Equal("DRIVER    VOLUME NAME\nlocal     cache\nlocal     data\n", stdout);
        Assert.Equal("cache\ndata\n", (await Cli.RunAsync(engine, "volume", "ls", "-q")).Out);
    }

    [Fact]
    public async Task VolumeRm_InUse_PrintsDaemonError()
    {
        await using var engine = await FakeEngine.StartAsync();
        engine.On("DELETE", "/v1.41/volumes/data", 409, "{\"message\":\"remove data: volume is in use - [abc]\"}");
        var (code, _, stderr) = await Cli.RunAsync(engine, "volume", "rm", "data");
        Assert.Equal(1, code);
        Assert.Equal("Error response from daemon: remove data: volume is in use - [abc]\n", stderr);
    }

    [Fact]
    public async Task Error_NonJsonBody_PrintsBodyText()
    {
        await using var engine = await FakeEngine.StartAsync();
        engine.On("GET", "/v1.41/info", 500, "boom\n", "text/plain");
        var (code, _, stderr) = await Cli.RunAsync(engine, "info");
        Assert.Equal(1, code);
        Assert.Equal("Error response from daemon: boom\n", stderr);
    }
}

public class EventsAndHelpTests
{
    [Fact]
    public async Task Events_Stream_PrintsEachEventAndSendsSinceAndFilters()
    {
        await using var engine = await FakeEngine.StartAsync();
        engine.On("GET", "/v1.41/events", 200,
            "{\"Type\":\"container\",\"Action\":\"start\",\"Actor\":{\"ID\":\"abc\",\"Attributes\":{\"name\":\"web\"}},\"time\":1795780800,\"timeNano\":1795780800000000001}\n" +
            "{\"Type\":\"network\",\"Action\":\"connect\",\"Actor\":{\"ID\":\"net1\",\"Attributes\":{}},\"time\":1795780801,\"timeNano\":1795780801000000000}\n");
        var (code, stdout, _) = await Cli.RunAsync(engine, "events", "--since", "10m", "--until", "1795780900", "-f", "type=container", "--format", "{{.Type}} {{.Action}} {{.Actor.Attributes.name}}");
        Assert.Equal(0, code);
        Assert.Equal("container start web\nnetwork connect <no value>\n", stdout);
        var q = Uri.UnescapeDataString(engine.Requests.Single().Query);
        Assert.Equal("?since=1795780200.000000000&until=1795780900&filters={\"type\":{\"container\":true}}", q);
    }

    [Theory]
    [InlineData("run")]
    [InlineData("ps")]
    [InlineData("network")]
    public async Task Help_AnyCommand_PrintsDockerUsageExit0(string command)
    {
        var (code, stdout, stderr) = await Cli.RunAsync(null, command, "--help");
        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        Assert.StartsWith($"Usage:  skiff {command} ", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_Ps_OptionsSortedWithTypes()
    {
        var (_, stdout, _) = await Cli.RunAsync(null, "ps", "--help");
        Assert.Contains("\nOptions:\n  -a, --all             Show all containers (default shows just running)\n  -f, --filter filter   Filter output based on conditions provided\n", stdout, StringComparison.Ordinal);
    }
}

public class LoadTests
{
    [Fact]
    public async Task Load_InputFile_PostsTarAndPrintsStream()
    {
        await using var engine = await FakeEngine.StartAsync();
        engine.On("POST", "/v1.41/images/load", 200, "{\"stream\":\"Loaded image: busybox:latest\\n\"}\n");
        var tar = Path.GetTempFileName();
        await File.WriteAllTextAsync(tar, "not-really-a-tar");
        try
        {
            var (code, stdout, _) = await Cli.RunAsync(engine, "load", "-q", "-i", tar);
            Assert.Equal(0, code);
            Assert.Equal("Loaded image: busybox:latest\n", stdout);
            var req = engine.Requests.Single();
            Assert.Equal("?quiet=1", req.Query);
            Assert.Equal("not-really-a-tar", req.Body);
            Assert.Equal("application/x-tar", req.Headers.ContentType.ToString());
        }
        finally
        {
            File.Delete(tar);
        }
    }

    [Fact]
    public async Task Load_MissingFile_PrintsOpenError()
    {
        var (code, _, stderr) = await Cli.RunAsync(null, "image", "load", "-i", "/nonexistent/x.tar");
        Assert.Equal(1, code);
        Assert.Equal("open /nonexistent/x.tar: no such file or directory\n", stderr);
    }
}
