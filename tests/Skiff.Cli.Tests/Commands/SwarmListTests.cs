using Skiff.Api;
using Skiff.Cli.Commands;

namespace Skiff.Cli.Tests.Commands;

/// <summary>service ls/ps and node ls/ps tables, checked against docker 28's output for the same objects.</summary>
public class SwarmListTests
{
    private const string RedisId = "aaaaredisredisredisredis1";
    private const string MonId = "bbbbglobalglobalglobalgl1";

    private static List<ServiceWire> Services()
    {
        var redis = Swarm.Service(RedisId, "redis", 5);
        redis.Spec.TaskTemplate.Placement = new PlacementWire { MaxReplicas = 2 };
        redis.Endpoint = new EndpointWire
        {
            Ports =
            [
                new PortConfig { Protocol = "udp", TargetPort = 53, PublishedPort = 5353, PublishMode = "ingress" },
                new PortConfig { Protocol = "tcp", TargetPort = 6379, PublishedPort = 6379, PublishMode = "ingress" },
                new PortConfig { Protocol = "tcp", TargetPort = 81, PublishedPort = 8081, PublishMode = "host" },
                new PortConfig { Protocol = "tcp", TargetPort = 7001, PublishedPort = 7001, PublishMode = "ingress" },
                new PortConfig { Protocol = "tcp", TargetPort = 7002, PublishedPort = 7002, PublishMode = "ingress" },
            ],
        };
        redis.ServiceStatus = new ServiceStatusWire { RunningTasks = 3, DesiredTasks = 5 };
        var mon = Swarm.Service(MonId, "mon");
        mon.Spec.Mode = new ServiceModeWire { Global = new GlobalMode() };
        mon.Spec.TaskTemplate.ContainerSpec!.Image = "bb:2";
        mon.ServiceStatus = new ServiceStatusWire { RunningTasks = 2, DesiredTasks = 2 };
        var job = Swarm.Service("ccccjobjobjobjobjobjobjo1", "job");
        job.Spec.Mode = new ServiceModeWire { ReplicatedJob = new ReplicatedJobMode { MaxConcurrent = 2, TotalCompletions = 4 } };
        job.Spec.TaskTemplate.ContainerSpec!.Image = "bb:2";
        job.ServiceStatus = new ServiceStatusWire { RunningTasks = 1, DesiredTasks = 2, CompletedTasks = 3 };
        var web10 = Swarm.Service("dddd10web10web10web10web1", "web10", 1);
        web10.ServiceStatus = new ServiceStatusWire { RunningTasks = 1, DesiredTasks = 1 };
        var web9 = Swarm.Service("eeee9web9web9web9web9web9", "web9", 1);
        web9.ServiceStatus = new ServiceStatusWire { RunningTasks = 0, DesiredTasks = 1 };
        return [web10, redis, web9, mon, job];
    }

    [Fact]
    public async Task ServiceLs_DockerColumns_NaturalOrder_IngressPortRanges()
    {
        await using var engine = await FakeEngine.StartAsync();
        engine.On("GET", "/v1.41/services", 200, Swarm.Json(Services(), SkiffJson.Default.ListServiceWire));
        var (code, stdout, stderr) = await Cli.RunAsync(engine, "service", "ls");
        Assert.Equal("", stderr);
        Assert.Equal(0, code);
        Assert.Equal(
            "ID             NAME      MODE             REPLICAS               IMAGE          PORTS\n" +
            "ccccjobjobjo   job       replicated job   1/2 (3/4 completed)    bb:2           \n" +
            "bbbbglobalgl   mon       global           2/2                    bb:2           \n" +
            "aaaaredisred   redis     replicated       3/5 (max 2 per node)   redis:latest   *:6379->6379/tcp, *:7001-7002->7001-7002/tcp, *:5353->53/udp\n" +
            "eeee9web9web   web9      replicated       0/1                    redis:latest   \n" +
            "dddd10web10w   web10     replicated       1/1                    redis:latest   \n",
            stdout);
        Assert.Equal("?status=true", engine.Requests.Single(r => r.Path == "/v1.41/services").Query);
    }

    [Fact]
    public async Task ServiceLs_QuietAndFilter_NoStatusAndFiltersJson()
    {
        await using var engine = await FakeEngine.StartAsync();
        engine.On("GET", "/v1.41/services", 200, Swarm.Json(Services(), SkiffJson.Default.ListServiceWire));
        var (code, stdout, _) = await Cli.RunAsync(engine, "service", "ls", "-q", "-f", "name=redis", "-f", "label=a");
        Assert.Equal(0, code);
        Assert.Equal("ccccjobjobjo\nbbbbglobalgl\naaaaredisred\neeee9web9web\ndddd10web10w\n", stdout);
        Assert.Equal("?filters=" + Uri.EscapeDataString("{\"label\":{\"a\":true},\"name\":{\"redis\":true}}"), engine.Requests.Single().Query);
    }

    private static async Task<FakeEngine> PsEngineAsync()
    {
        var engine = await FakeEngine.StartAsync();
        var redis = Services()[1];
        engine.On("GET", "/v1.41/services", 200, Swarm.Json(new List<ServiceWire> { redis }, SkiffJson.Default.ListServiceWire));
        engine.On("GET", $"/v1.41/services/{RedisId}", 200, Swarm.Json(redis, SkiffJson.Default.ServiceWire));
        engine.On("GET", $"/v1.41/nodes/{Swarm.SelfId}", 200, Swarm.Json(Swarm.Node(Swarm.SelfId, "n1-common", leader: true), SkiffJson.Default.NodeWire));
        engine.On("GET", $"/v1.41/nodes/{Swarm.WorkerId}", 200, Swarm.Json(Swarm.Node(Swarm.WorkerId, "moby"), SkiffJson.Default.NodeWire));
        var tasks = new List<TaskWire>
        {
            Swarm.Task("task10000000aaaaaaaaaaaa1", RedisId, 10, Swarm.WorkerId, "running", since: TimeSpan.FromMinutes(70)),
            Swarm.Task("oldtask20000aaaaaaaaaaaa1", RedisId, 1, Swarm.SelfId, "failed", "shutdown", created: TimeSpan.FromSeconds(300), since: TimeSpan.FromSeconds(150), err: "task: non-zero exit (1) because the command was not found"),
            Swarm.Task("fegu7p341u58aaaaaaaaaaaa1", RedisId, 1, Swarm.WorkerId, "running", created: TimeSpan.FromSeconds(100), since: TimeSpan.FromSeconds(9)),
            Swarm.Task("task30000000aaaaaaaaaaaa1", RedisId, 3, null, "pending", since: TimeSpan.FromMilliseconds(200)),
            Swarm.Task("oldtask10000aaaaaaaaaaaa1", RedisId, 1, Swarm.WorkerId, "shutdown", "shutdown", created: TimeSpan.FromSeconds(200), since: TimeSpan.FromSeconds(11)),
            Swarm.Task("task20000000aaaaaaaaaaaa1", RedisId, 2, Swarm.SelfId, "preparing", since: TimeSpan.FromSeconds(1)),
        };
        tasks[0].Status.PortStatus = new PortStatusWire { Ports = [new PortConfig { Protocol = "tcp", TargetPort = 81, PublishedPort = 8081, PublishMode = "host" }] };
        engine.On("GET", "/v1.41/tasks", 200, Swarm.Json(tasks, SkiffJson.Default.ListTaskWire));
        return engine;
    }

    [Fact]
    public async Task ServicePs_HistoryRowsUnderTheirSlot_NewestFirst_NaturalOrder()
    {
        await using var engine = await PsEngineAsync();
        var (code, stdout, stderr) = await Cli.RunAsync(engine, "service", "ps", "redis");
        Assert.Equal("", stderr);
        Assert.Equal(0, code);
        Assert.Equal(
            "ID             NAME          IMAGE          NODE        DESIRED STATE   CURRENT STATE                    ERROR                              PORTS\n" +
            "fegu7p341u58   redis.1       redis:latest   moby        Running         Running 9 seconds ago                                               \n" +
            "oldtask10000    \\_ redis.1   redis:latest   moby        Shutdown        Shutdown 11 seconds ago                                             \n" +
            "oldtask20000    \\_ redis.1   redis:latest   n1-common   Shutdown        Failed 2 minutes ago             \"task: non-zero exit (1) becau…\"   \n" +
            "task20000000   redis.2       redis:latest   n1-common   Running         Preparing 1 second ago                                              \n" +
            "task30000000   redis.3       redis:latest               Running         Pending less than a second ago                                      \n" +
            "task10000000   redis.10      redis:latest   moby        Running         Running about an hour ago                                           *:8081->81/tcp\n",
            stdout);
        // docker's lookups: by id, by name, the tasks of the match, then names of services and nodes.
        Assert.Equal(
            [
                "/v1.41/services?filters=" + Uri.EscapeDataString("{\"id\":{\"redis\":true}}"),
                "/v1.41/services?filters=" + Uri.EscapeDataString("{\"name\":{\"redis\":true}}"),
                "/v1.41/tasks?filters=" + Uri.EscapeDataString("{\"service\":{\"" + RedisId + "\":true}}"),
                $"/v1.41/services/{RedisId}?insertDefaults=false",
                $"/v1.41/nodes/{Swarm.WorkerId}",
                $"/v1.41/nodes/{Swarm.SelfId}",
            ],
            engine.Requests.Select(r => r.Path + r.Query));
    }

    [Fact]
    public async Task ServicePs_NoTrunc_FullIdsImagesAndErrors()
    {
        await using var engine = await PsEngineAsync();
        var (code, stdout, _) = await Cli.RunAsync(engine, "service", "ps", "--no-trunc", "-f", "desired-state=shutdown", "redis");
        Assert.Equal(0, code);
        Assert.Contains("oldtask20000aaaaaaaaaaaa1    \\_ redis.1   redis:latest@sha256:" + new string('a', 64), stdout, StringComparison.Ordinal);
        Assert.Contains("\"task: non-zero exit (1) because the command was not found\"", stdout, StringComparison.Ordinal);
        Assert.Contains(engine.Requests, r => r.Path == "/v1.41/tasks"
            && r.Query == "?filters=" + Uri.EscapeDataString("{\"desired-state\":{\"shutdown\":true},\"service\":{\"" + RedisId + "\":true}}"));
    }

    [Fact]
    public async Task ServicePs_QuietAndFormat()
    {
        await using var engine = await PsEngineAsync();
        var (_, quiet, _) = await Cli.RunAsync(engine, "service", "ps", "-q", "redis");
        Assert.Equal("fegu7p341u58aaaaaaaaaaaa1\noldtask10000aaaaaaaaaaaa1\noldtask20000aaaaaaaaaaaa1\ntask20000000aaaaaaaaaaaa1\ntask30000000aaaaaaaaaaaa1\ntask10000000aaaaaaaaaaaa1\n", quiet);
        var (_, formatted, _) = await Cli.RunAsync(engine, "service", "ps", "--format", "{{.Name}} {{.Node}} {{.CurrentState}}", "redis");
        Assert.StartsWith("redis.1 moby Running 9 seconds ago\nredis.1 moby Shutdown 11 seconds ago\n", formatted, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServicePs_UnknownService_OneLineErrorExit1()
    {
        await using var engine = await PsEngineAsync();
        engine.On("GET", "/v1.41/services", 200, "[]");
        var (code, stdout, stderr) = await Cli.RunAsync(engine, "service", "ps", "nope");
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Equal("no such service: nope\n", stderr);
    }

    [Fact]
    public async Task NodeLs_SelfStarredLeaderTitleCasedNaturalOrder()
    {
        await using var engine = await FakeEngine.StartAsync();
        var nodes = new List<NodeWire>
        {
            Swarm.Node(Swarm.SelfId, "n1-common", leader: true),
            Swarm.Node(Swarm.WorkerId, "moby", availability: "drain", state: "down"),
            Swarm.Node("aaazaogirhpj8skccfwqtl8f", "n10", manager: true),
        };
        nodes[2].ManagerStatus!.Reachability = "unreachable";
        engine.On("GET", "/v1.41/nodes", 200, Swarm.Json(nodes, SkiffJson.Default.ListNodeWire));
        engine.On("GET", "/v1.41/info", 200, Swarm.InfoJson());
        var (code, stdout, stderr) = await Cli.RunAsync(engine, "node", "ls");
        Assert.Equal("", stderr);
        Assert.Equal(0, code);
        Assert.Equal(
            "ID                            HOSTNAME    STATUS    AVAILABILITY   MANAGER STATUS   ENGINE VERSION\n" +
            "yozazaogirhpj8skccfwqtl8f     moby        Down      Drain                           0.1.0\n" +
            "rx03hnmwx6z9jc9x9velz46if *   n1-common   Ready     Active         Leader           0.1.0\n" +
            "aaazaogirhpj8skccfwqtl8f      n10         Ready     Active         Unreachable      0.1.0\n",
            stdout);
    }

    [Fact]
    public async Task NodeLs_Quiet_NoInfoRequest()
    {
        await using var engine = await FakeEngine.StartAsync();
        engine.On("GET", "/v1.41/nodes", 200, Swarm.Json(new List<NodeWire> { Swarm.Node(Swarm.SelfId, "n1-common", leader: true) }, SkiffJson.Default.ListNodeWire));
        var (code, stdout, _) = await Cli.RunAsync(engine, "node", "ls", "-q");
        Assert.Equal(0, code);
        Assert.Equal(Swarm.SelfId + "\n", stdout);
        Assert.DoesNotContain(engine.Requests, r => r.Path == "/v1.41/info");
    }

    [Fact]
    public async Task NodePs_Self_ResolvesThroughInfo()
    {
        await using var engine = await PsEngineAsync();
        engine.On("GET", "/v1.41/info", 200, Swarm.InfoJson());
        var (code, stdout, stderr) = await Cli.RunAsync(engine, "node", "ps");
        Assert.True(code == 0, stderr);
        Assert.StartsWith("ID             NAME          IMAGE", stdout, StringComparison.Ordinal);
        Assert.Contains(engine.Requests, r => r.Path == "/v1.41/tasks" && r.Query == "?filters=" + Uri.EscapeDataString("{\"node\":{\"" + Swarm.SelfId + "\":true}}"));
    }

    [Theory]
    [InlineData("redis.2", "redis.10", -1)]
    [InlineData("redis.10", "redis.9", 1)]
    [InlineData("a.rx03", "a.1", 1)]
    [InlineData("web", "web", 0)]
    [InlineData("x01", "x1", 1)]
    public void NaturalOrder_LikeSortorder(string a, string b, int expected) =>
        Assert.Equal(expected, Math.Sign(Skiff.Cli.Formatting.GoText.NaturalCompare(a, b)));

    [Fact]
    public void Ports_GroupsConsecutiveIngressPorts()
    {
        var ports = new List<PortConfig>
        {
            new() { TargetPort = 80, PublishedPort = 80 },
            new() { TargetPort = 80, PublishedPort = 81 },
            new() { TargetPort = 82, PublishedPort = 82 },
            new() { TargetPort = 83, PublishedPort = 83 },
        };
        Assert.Equal("*:80-81->80/tcp, *:82-83->82-83/tcp", ServiceFormat.Ports(ports));
    }
}
