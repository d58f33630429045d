using System.Text.Json.Nodes;
using Skiff.Api;

namespace Skiff.Cli.Tests.Commands;

/// <summary>
/// Flags to ServiceSpec, compared with the bodies docker sent to a real dockerd (captured in
/// shared/reference/engine-api/requests/; copied here so the tests stand alone).
/// </summary>
public class ServiceSpecMappingTests
{
    private const string ProbeYId = "9lqlzpxcvlnbsrtid030h5ukd";
    private const string ProbeXId = "hpodtxswe1r01ljwfaqzelwfj";

    // requests/service-create-20.10-ports-limits-constraints.json
    private const string CreatePortsLimitsConstraints = """
        {"Name":"probe-y","Labels":{"a":"b"},"TaskTemplate":{"ContainerSpec":{"Image":"bb:2","Args":["sh","-c","echo hello-out; echo hello-err >&2; sleep 1000"],
         "Env":["X=1"],"Init":false,"DNSConfig":{}},"Resources":{"Limits":{"MemoryBytes":67108864},"Reservations":{}},
         "RestartPolicy":{"Condition":"on-failure","Delay":5000000000,"MaxAttempts":0},"Placement":{"Constraints":["node.role==manager"]},"ForceUpdate":0},
         "Mode":{"Replicated":{"Replicas":2}},"EndpointSpec":{"Mode":"vip","Ports":[{"Protocol":"tcp","TargetPort":80,"PublishedPort":18999,"PublishMode":"ingress"}]}}
        """;

    // requests/service-create-28-minimal.json
    private const string CreateMinimal = """
        {"Name":"probe-x","Labels":{},"TaskTemplate":{"ContainerSpec":{"Image":"bb:2","Args":["sleep","1000"],"Init":false,"DNSConfig":{}},
         "Resources":{"Limits":{},"Reservations":{}},"Placement":{},"ForceUpdate":0},"Mode":{"Replicated":{}},"EndpointSpec":{"Mode":"vip"}}
        """;

    // The spec of probe-x as the daemon stored it (before the captured updates).
    private const string ProbeXSpec = """
        {"Name":"probe-x","Labels":{},"TaskTemplate":{"ContainerSpec":{"Image":"bb:2","Args":["sleep","1000"],"Init":false,"DNSConfig":{},"Isolation":"default"},
         "Resources":{"Limits":{},"Reservations":{}},"Placement":{},"ForceUpdate":0,"Runtime":"container"},"Mode":{"Replicated":{"Replicas":2}},"EndpointSpec":{"Mode":"vip"}}
        """;

    // requests/service-update-limit-cpu.json (body)
    private const string UpdateLimitCpu = """
        {"Name":"probe-x","Labels":{},"TaskTemplate":{"ContainerSpec":{"Image":"bb:2","Args":["sleep","1000"],"Init":false,"DNSConfig":{},"Isolation":"default"},
         "Resources":{"Limits":{"NanoCPUs":1000000000},"Reservations":{}},"Placement":{},"ForceUpdate":0,"Runtime":"container"},
         "Mode":{"Replicated":{"Replicas":2}},"EndpointSpec":{"Mode":"vip"}}
        """;

    // requests/service-update-rollback-previous.json (body: the current spec, unchanged)
    private const string RollbackPrevious = UpdateLimitCpu;

    private static string ServiceJson(string id, ulong version, string specJson)
    {
        var service = new JsonObject
        {
            ["ID"] = id,
            ["Version"] = new JsonObject { ["Index"] = version },
            ["CreatedAt"] = "2026-11-27T06:20:51.194442552Z",
            ["UpdatedAt"] = "2026-11-27T06:20:51.194442552Z",
            ["Spec"] = JsonNode.Parse(specJson),
        };
        return service.ToJsonString();
    }

    private static async Task<(FakeEngine Engine, int Code, string Out, string Err, RecordedRequest? Create)> CreateAsync(params string[] args)
    {
        var engine = await FakeEngine.StartAsync();
        engine.On("POST", "/v1.41/services/create", 201, $"{{\"ID\":\"{ProbeYId}\"}}");
        engine.On("GET", "/v1.41/networks/backend", 200, "{\"Name\":\"backend\",\"Id\":\"n3tw0rk1d\",\"Scope\":\"swarm\"}");
        var (code, stdout, stderr) = await SwarmCli.RunAsync(engine, ["service", "create", .. args]);
        return (engine, code, stdout, stderr, engine.Requests.FirstOrDefault(r => r.Path == "/v1.41/services/create"));
    }

    private static JsonNode Body(RecordedRequest? r) => JsonNode.Parse(r!.Body)!;

    [Fact]
    public async Task Create_SecretAndConfig_NamesResolvedToIdsAsDockerCli()
    {
        await using var engine = await FakeEngine.StartAsync();
        engine.On("POST", "/v1.41/services/create", 201, $"{{\"ID\":\"{ProbeYId}\"}}");
        engine.On("GET", "/v1.41/secrets", 200, "[{\"ID\":\"s1\",\"Spec\":{\"Name\":\"db_pw_old\"}},{\"ID\":\"s2\",\"Spec\":{\"Name\":\"db_pw\"}}]");
        engine.On("GET", "/v1.41/configs", 200, "[{\"ID\":\"c1\",\"Spec\":{\"Name\":\"app\"}}]");

        var (code, _, stderr) = await SwarmCli.RunAsync(engine, "service", "create", "-d", "--no-resolve-image", "--name", "x",
            "--secret", "source=db_pw,target=/etc/pw,mode=0400", "--config", "app", "bb:2");

        Assert.Equal("", stderr);
        Assert.Equal(0, code);
        var get = engine.Requests.First(r => r.Path == "/v1.41/secrets");
        Assert.Contains(Uri.EscapeDataString("{\"name\":{\"db_pw\":true}}"), get.Query, StringComparison.Ordinal);
        var cs = Body(engine.Requests.First(r => r.Path == "/v1.41/services/create"))["TaskTemplate"]!["ContainerSpec"]!;
        Assert.Equal(
            "[{\"File\":{\"Name\":\"/etc/pw\",\"UID\":\"0\",\"GID\":\"0\",\"Mode\":256},\"SecretID\":\"s2\",\"SecretName\":\"db_pw\"}]",
            cs["Secrets"]!.ToJsonString());
        Assert.Equal("c1", cs["Configs"]![0]!["ConfigID"]!.GetValue<string>());
        Assert.Equal("app", cs["Configs"]![0]!["File"]!["Name"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("--secret", "source=db_pw,target=pw", "source=db_pw_old,target=pw", "duplicate secret target for db_pw_old not allowed")]
    [InlineData("--config", "source=app,target=/etc/app.conf", "source=app2,target=/etc/app.conf", "duplicate config target for app2 not allowed")]
    public async Task Create_TwoReferencesOneTarget_RefusedAsDockerCliAndNothingCreated(string flag, string first, string second, string message)
    {
        await using var engine = await FakeEngine.StartAsync();
        engine.On("POST", "/v1.41/services/create", 201, $"{{\"ID\":\"{ProbeYId}\"}}");
        engine.On("GET", "/v1.41/secrets", 200, "[{\"ID\":\"s1\",\"Spec\":{\"Name\":\"db_pw_old\"}},{\"ID\":\"s2\",\"Spec\":{\"Name\":\"db_pw\"}}]");
        engine.On("GET", "/v1.41/configs", 200, "[{\"ID\":\"c1\",\"Spec\":{\"Name\":\"app\"}},{\"ID\":\"c2\",\"Spec\":{\"Name\":\"app2\"}}]");

        var (code, _, stderr) = await SwarmCli.RunAsync(engine, "service", "create", "-d", "--no-resolve-image", "--name", "x", flag, first, flag, second, "bb:2");

        Assert.NotEqual(0, code);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(engine.Requests, r => r.Path == "/v1.41/services/create");
    }

    [Fact]
    public async Task Create_PortsLimitsConstraints_SendsDockersBody()
    {
        var (engine, code, stdout, stderr, create) = await CreateAsync(
            "-d", "--no-resolve-image", "--name", "probe-y", "--label", "a=b", "-e", "X=1", "--limit-memory", "64M",
            "--restart-condition", "on-failure", "--constraint", "node.role==manager", "--replicas", "2", "-p", "18999:80",
            "bb:2", "sh", "-c", "echo hello-out; echo hello-err >&2; sleep 1000");
        await using var _ = engine;
        Assert.Equal("", stderr);
        Assert.Equal(0, code);
        Assert.Equal(ProbeYId + "\n", stdout);
        Assert.Equal(WireJson.Normalize(CreatePortsLimitsConstraints), WireJson.Normalize(create!.Body));
        Assert.DoesNotContain(engine.Requests, r => r.Path.Contains("/distribution/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Create_Minimal_OmitsReplicasAndKeepsDockersEmptyObjects()
    {
        var (engine, code, _, _, create) = await CreateAsync("-d", "--no-resolve-image", "--name", "probe-x", "bb:2", "sleep", "1000");
        await using var _e = engine;
        Assert.Equal(0, code);
        Assert.Equal(WireJson.Normalize(CreateMinimal), WireJson.Normalize(create!.Body));
        var body = Body(create);
        Assert.Null(body["Mode"]!["Replicated"]!["Replicas"]);
        Assert.Equal("{}", body["TaskTemplate"]!["ContainerSpec"]!["DNSConfig"]!.ToJsonString());
        Assert.False((bool)body["TaskTemplate"]!["ContainerSpec"]!["Init"]!);
    }

    [Fact]
    public async Task Create_ManyFlags_MapToTheSpecFields()
    {
        var (engine, code, _, stderr, create) = await CreateAsync(
            "-d", "--no-resolve-image", "--name", "web", "--mode", "replicated", "--replicas", "5", "--replicas-max-per-node", "2",
            "--constraint", "node.labels.type==db", "--placement-pref", "spread=node.labels.zone",
            "--container-label", "c=1", "--hostname", "h", "-w", "/app", "-u", "nobody", "--entrypoint", "/bin/sh -c",
            "-t", "--init", "--stop-grace-period", "20s", "--stop-signal", "SIGINT",
            "--limit-cpu", "1.5", "--limit-pids", "100", "--reserve-cpu", "0.25", "--reserve-memory", "1g",
            "--restart-delay", "3s", "--restart-max-attempts", "4", "--restart-window", "1m",
            "--update-delay", "10s", "--update-parallelism", "2", "--update-failure-action", "rollback", "--update-monitor", "7s",
            "--update-max-failure-ratio", "0.25", "--update-order", "start-first", "--rollback-parallelism", "3",
            "--health-cmd", "redis-cli ping", "--health-interval", "30s", "--health-timeout", "5s", "--health-retries", "3", "--health-start-period", "1s",
            "-p", "mode=host,published=8081,target=81,protocol=udp", "-p", "90-91:90-91/udp", "-p", "6379:6379",
            "--mount", "type=volume,source=data,target=/data,readonly", "--network", "backend", "--endpoint-mode", "DNSRR",
            "--with-registry-auth", "redis");
        await using var _e = engine;
        Assert.True(code == 0, stderr);
        var b = Body(create);
        var t = b["TaskTemplate"]!;
        var c = t["ContainerSpec"]!;
        Assert.Equal("redis:latest", (string?)c["Image"]);
        Assert.Null(c["Args"]);
        Assert.Equal(["/bin/sh", "-c"], c["Command"]!.AsArray().Select(n => (string)n!));
        Assert.Equal("1", (string?)c["Labels"]!["c"]);
        Assert.Equal("h", (string?)c["Hostname"]);
        Assert.Equal("/app", (string?)c["Dir"]);
        Assert.Equal("nobody", (string?)c["User"]);
        Assert.True((bool)c["TTY"]!);
        Assert.True((bool)c["Init"]!);
        Assert.Equal(20_000_000_000L, (long)c["StopGracePeriod"]!);
        Assert.Equal("SIGINT", (string?)c["StopSignal"]);
        Assert.Equal(["CMD-SHELL", "redis-cli ping"], c["Healthcheck"]!["Test"]!.AsArray().Select(n => (string)n!));
        Assert.Equal(30_000_000_000L, (long)c["Healthcheck"]!["Interval"]!);
        Assert.Equal(5_000_000_000L, (long)c["Healthcheck"]!["Timeout"]!);
        Assert.Equal(1_000_000_000L, (long)c["Healthcheck"]!["StartPeriod"]!);
        Assert.Equal(3, (int)c["Healthcheck"]!["Retries"]!);
        var mount = c["Mounts"]![0]!;
        Assert.Equal(("volume", "data", "/data", true), ((string?)mount["Type"], (string?)mount["Source"], (string?)mount["Target"], (bool)mount["ReadOnly"]!));
        Assert.Equal(1_500_000_000L, (long)t["Resources"]!["Limits"]!["NanoCPUs"]!);
        Assert.Equal(100L, (long)t["Resources"]!["Limits"]!["Pids"]!);
        Assert.Equal(250_000_000L, (long)t["Resources"]!["Reservations"]!["NanoCPUs"]!);
        Assert.Equal(1L << 30, (long)t["Resources"]!["Reservations"]!["MemoryBytes"]!);
        // Restart policy: swarmkit's defaults (any, 5s, 0) overridden by the flags given.
        Assert.Equal("any", (string?)t["RestartPolicy"]!["Condition"]);
        Assert.Equal(3_000_000_000L, (long)t["RestartPolicy"]!["Delay"]!);
        Assert.Equal(4UL, (ulong)t["RestartPolicy"]!["MaxAttempts"]!);
        Assert.Equal(60_000_000_000L, (long)t["RestartPolicy"]!["Window"]!);
        Assert.Equal(["node.labels.type==db"], t["Placement"]!["Constraints"]!.AsArray().Select(n => (string)n!));
        Assert.Equal("node.labels.zone", (string?)t["Placement"]!["Preferences"]![0]!["Spread"]!["SpreadDescriptor"]);
        Assert.Equal(2UL, (ulong)t["Placement"]!["MaxReplicas"]!);
        Assert.Equal("n3tw0rk1d", (string?)t["Networks"]![0]!["Target"]);
        Assert.Equal(5UL, (ulong)b["Mode"]!["Replicated"]!["Replicas"]!);
        var update = b["UpdateConfig"]!;
        Assert.Equal("""{"Parallelism":2,"Delay":10000000000,"FailureAction":"rollback","Monitor":7000000000,"MaxFailureRatio":0.25,"Order":"start-first"}""", update.ToJsonString());
        // Rollback config: docker's defaults (1, pause, 5s, stop-first) with the one flag given.
        Assert.Equal("""{"Parallelism":3,"Delay":0,"FailureAction":"pause","Monitor":5000000000,"MaxFailureRatio":0,"Order":"stop-first"}""", b["RollbackConfig"]!.ToJsonString());
        Assert.Equal("dnsrr", (string?)b["EndpointSpec"]!["Mode"]);
        var ports = b["EndpointSpec"]!["Ports"]!.AsArray().Select(p => $"{p!["Protocol"]}:{p["PublishedPort"]}->{p["TargetPort"]}/{p["PublishMode"]}").ToList();
        Assert.Equal(["udp:8081->81/host", "udp:90->90/ingress", "udp:91->91/ingress", "tcp:6379->6379/ingress"], ports);
        Assert.False(create!.Headers.ContainsKey("X-Registry-Auth"));
    }

    [Fact]
    public async Task Create_GlobalAndJobModes_MapLikeDocker()
    {
        var (engine, _, _, _, create) = await CreateAsync("-d", "--no-resolve-image", "--mode", "global", "busybox");
        await using (engine)
        {
            Assert.Equal("{}", Body(create)["Mode"]!["Global"]!.ToJsonString());
        }
        var (engine2, _, _, _, create2) = await CreateAsync("-d", "--no-resolve-image", "--mode", "replicated-job", "--replicas", "4", "busybox");
        await using (engine2)
        {
            Assert.Equal("""{"MaxConcurrent":4,"TotalCompletions":4}""", Body(create2)["Mode"]!["ReplicatedJob"]!.ToJsonString());
        }
    }

    [Fact]
    public async Task Create_ResolvesImageDigestAndPlatforms_WhenTheDaemonCanTell()
    {
        await using var engine = await FakeEngine.StartAsync();
        engine.On("POST", "/v1.41/services/create", 201, $"{{\"ID\":\"{ProbeYId}\"}}");
        engine.On("GET", "/v1.41/distribution/busybox:latest/json", 200,
            "{\"Descriptor\":{\"mediaType\":\"x\",\"digest\":\"sha256:" + new string('b', 64) + "\",\"size\":1},\"Platforms\":[{\"architecture\":\"amd64\",\"os\":\"linux\"},{\"architecture\":\"arm\",\"os\":\"linux\"}]}");
        var (code, _, stderr) = await SwarmCli.RunAsync(engine, "service", "create", "-d", "busybox");
        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        var body = Body(engine.Requests.Single(r => r.Path == "/v1.41/services/create"));
        Assert.Equal("busybox:latest@sha256:" + new string('b', 64), (string?)body["TaskTemplate"]!["ContainerSpec"]!["Image"]);
        var platforms = body["TaskTemplate"]!["Placement"]!["Platforms"]!.AsArray();
        Assert.Equal(["amd64/linux", "/linux"], platforms.Select(p => $"{p!["Architecture"]}/{p["OS"]}"));
    }

    [Fact]
    public async Task Create_DigestLookupFails_WarnsLikeDockerAndCreatesAnyway()
    {
        await using var engine = await FakeEngine.StartAsync();
        engine.On("POST", "/v1.41/services/create", 201, $"{{\"ID\":\"{ProbeYId}\"}}");
        var (code, stdout, stderr) = await SwarmCli.RunAsync(engine, "service", "create", "-d", "bb:2");
        Assert.Equal(0, code);
        Assert.Equal(ProbeYId + "\n", stdout);
        Assert.Equal(
            "image bb:2 could not be accessed on a registry to record\nits digest. Each node will access bb:2 independently,\npossibly leading to different nodes running different\nversions of the image.\n\n",
            stderr);
        Assert.Contains(engine.Requests, r => r.Method == "GET" && r.Path == "/v1.41/distribution/bb:2/json");
    }

    [Fact]
    public async Task Update_LimitCpu_SendsFullSpecWithVersionAndRegistryAuthFromSpec()
    {
        await using var engine = await FakeEngine.StartAsync();
        engine.On("GET", "/v1.41/services/probe-x", 200, ServiceJson(ProbeXId, 36, ProbeXSpec));
        engine.On("POST", $"/v1.41/services/{ProbeXId}/update", 200, "{\"Warnings\":null}");
        var (code, stdout, stderr) = await SwarmCli.RunAsync(engine, "service", "update", "-d", "--limit-cpu", "1", "probe-x");
        Assert.Equal("", stderr);
        Assert.Equal(0, code);
        Assert.Equal("probe-x\n", stdout);
        Assert.Equal("?insertDefaults=false", engine.Requests.Single(r => r.Method == "GET").Query);
        var post = engine.Requests.Single(r => r.Method == "POST");
        Assert.Equal("?registryAuthFrom=spec&version=36", post.Query);
        Assert.Equal(WireJson.Normalize(UpdateLimitCpu), WireJson.Normalize(post.Body));
    }

    [Fact]
    public async Task Scale_SetsReplicasOnly_VersionWithoutRegistryAuth()
    {
        await using var engine = await FakeEngine.StartAsync();
        engine.On("GET", "/v1.41/services/probe-x", 200, ServiceJson(ProbeXId, 30, ProbeXSpec.Replace("\"Replicas\":2", "\"Replicas\":1", StringComparison.Ordinal)));
        engine.On("POST", $"/v1.41/services/{ProbeXId}/update", 200, "{\"Warnings\":null}");
        var (code, stdout, _) = await SwarmCli.RunAsync(engine, "service", "scale", "-d", "probe-x=2");
        Assert.Equal(0, code);
        Assert.Equal("probe-x scaled to 2\n", stdout);
        var post = engine.Requests.Single(r => r.Method == "POST");
        Assert.Equal("?version=30", post.Query);
        // requests/service-scale-update.json is the stored spec with Replicas 2.
        Assert.Equal(WireJson.Normalize(ProbeXSpec), WireJson.Normalize(post.Body));
    }

    [Fact]
    public async Task Rollback_SendsCurrentSpecWithRollbackPrevious()
    {
        await using var engine = await FakeEngine.StartAsync();
        engine.On("GET", "/v1.41/services/probe-x", 200, ServiceJson(ProbeXId, 61, RollbackPrevious));
        engine.On("POST", $"/v1.41/services/{ProbeXId}/update", 200, "{\"Warnings\":null}");
        var (code, stdout, _) = await SwarmCli.RunAsync(engine, "service", "rollback", "-d", "probe-x");
        Assert.Equal(0, code);
        Assert.Equal("probe-x\n", stdout);
        var post = engine.Requests.Single(r => r.Method == "POST");
        Assert.Equal("?rollback=previous&version=61", post.Query);
        Assert.Equal(WireJson.Normalize(RollbackPrevious), WireJson.Normalize(post.Body));
    }

    [Fact]
    public async Task UpdateRollbackFlag_AddsRollbackPreviousToTheUpdate()
    {
        await using var engine = await FakeEngine.StartAsync();
        engine.On("GET", "/v1.41/services/probe-x", 200, ServiceJson(ProbeXId, 98, ProbeXSpec));
        engine.On("POST", $"/v1.41/services/{ProbeXId}/update", 200, "{\"Warnings\":[\"careful\"]}");
        var (code, stdout, stderr) = await SwarmCli.RunAsync(engine, "service", "update", "-d", "--rollback", "probe-x");
        Assert.Equal(0, code);
        Assert.Equal("probe-x\n", stdout);
        Assert.Equal("careful\n", stderr);
        Assert.Equal("?registryAuthFrom=spec&rollback=previous&version=98", engine.Requests.Single(r => r.Method == "POST").Query);
    }

    [Fact]
    public async Task Update_AddAndRemoveFlags_EditTheStoredSpec()
    {
        var spec = new ServiceSpecWire
        {
            Name = "web",
            Labels = new Dictionary<string, string> { ["a"] = "b", ["keep"] = "1" },
            TaskTemplate = new TaskSpecWire
            {
                ContainerSpec = new ContainerSpecWire
                {
                    Image = "redis:7",
                    Env = ["X=1", "Y=2"],
                    Labels = new Dictionary<string, string> { ["old"] = "1" },
                    Mounts = [new MountWire { Type = "volume", Source = "data", Target = "/data" }, new MountWire { Type = "bind", Source = "/tmp", Target = "/tmp" }],
                },
                Placement = new PlacementWire
                {
                    Constraints = ["z==1", "node.role==manager"],
                    Preferences = [new PlacementPreference { Spread = new SpreadOver { SpreadDescriptor = "node.labels.zone" } }],
                },
                ForceUpdate = 2,
            },
            Mode = new ServiceModeWire { Replicated = new ReplicatedMode { Replicas = 2 } },
            EndpointSpec = new EndpointSpecWire { Mode = "vip", Ports = [new PortConfig { TargetPort = 80, PublishedPort = 8080 }, new PortConfig { TargetPort = 53, PublishedPort = 53, Protocol = "udp" }] },
        };
        var service = new ServiceWire { ID = "svcid", Version = new ObjectVersion { Index = 7 }, Spec = spec };
        await using var engine = await FakeEngine.StartAsync();
        engine.On("GET", "/v1.41/services/web", 200, Swarm.Json(service, SkiffJson.Default.ServiceWire));
        engine.On("POST", "/v1.41/services/svcid/update", 200, "{\"Warnings\":null}");
        var (code, _, stderr) = await SwarmCli.RunAsync(engine,
            "service", "update", "-d", "--env-add", "Y=3", "--env-add", "Z=4", "--env-rm", "X", "--label-add", "new=2", "--label-rm", "a",
            "--container-label-add", "c=1", "--container-label-rm", "old", "--constraint-add", "b==1", "--constraint-rm", "z==1",
            "--placement-pref-rm", "spread=node.labels.zone", "--placement-pref-add", "spread=node.labels.rack",
            "--publish-add", "9000:90", "--publish-rm", "80", "--mount-add", "type=bind,source=/s,target=/t", "--mount-rm", "/tmp",
            "--image", "redis:8", "--args", "redis-server --appendonly \"yes please\"", "--replicas", "3", "--force", "--no-resolve-image", "web");
        Assert.True(code == 0, stderr);
        var b = JsonNode.Parse(engine.Requests.Single(r => r.Method == "POST").Body)!;
        var c = b["TaskTemplate"]!["ContainerSpec"]!;
        Assert.Equal(["Y=3", "Z=4"], c["Env"]!.AsArray().Select(n => (string)n!));
        Assert.Equal("""{"keep":"1","new":"2"}""", b["Labels"]!.ToJsonString());
        Assert.Equal("""{"c":"1"}""", c["Labels"]!.ToJsonString());
        Assert.Equal(["b==1", "node.role==manager"], b["TaskTemplate"]!["Placement"]!["Constraints"]!.AsArray().Select(n => (string)n!));
        Assert.Equal("node.labels.rack", (string?)b["TaskTemplate"]!["Placement"]!["Preferences"]![0]!["Spread"]!["SpreadDescriptor"]);
        Assert.Single(b["TaskTemplate"]!["Placement"]!["Preferences"]!.AsArray());
        Assert.Equal(["53:53/udp", "9000:90/tcp"], b["EndpointSpec"]!["Ports"]!.AsArray().Select(p => $"{p!["PublishedPort"]}:{p["TargetPort"]}/{p["Protocol"]}"));
        Assert.Equal(["/s:/t", "data:/data"], c["Mounts"]!.AsArray().Select(m => $"{m!["Source"]}:{m["Target"]}"));
        Assert.Equal("redis:8", (string?)c["Image"]);
        Assert.Equal(["redis-server", "--appendonly", "yes please"], c["Args"]!.AsArray().Select(n => (string)n!));
        Assert.Equal(3UL, (ulong)b["Mode"]!["Replicated"]!["Replicas"]!);
        Assert.Equal(3UL, (ulong)b["TaskTemplate"]!["ForceUpdate"]!);
    }

    [Fact]
    public async Task Update_RestartAndUpdateFlags_StartFromDockersDefaults()
    {
        var service = Swarm.Service("svcid", "web");
        await using var engine = await FakeEngine.StartAsync();
        engine.On("GET", "/v1.41/services/web", 200, Swarm.Json(service, SkiffJson.Default.ServiceWire));
        engine.On("POST", "/v1.41/services/svcid/update", 200, "{\"Warnings\":null}");
        var (code, _, stderr) = await SwarmCli.RunAsync(engine, "service", "update", "-d", "--restart-max-attempts", "3", "--update-delay", "10s",
            "--limit-memory", "512m", "--no-healthcheck", "web");
        Assert.True(code == 0, stderr);
        var b = JsonNode.Parse(engine.Requests.Single(r => r.Method == "POST").Body)!;
        Assert.Equal("""{"Condition":"any","Delay":5000000000,"MaxAttempts":3}""", b["TaskTemplate"]!["RestartPolicy"]!.ToJsonString());
        Assert.Equal("""{"Parallelism":1,"Delay":10000000000,"FailureAction":"pause","Monitor":5000000000,"MaxFailureRatio":0,"Order":"stop-first"}""", b["UpdateConfig"]!.ToJsonString());
        Assert.Null(b["RollbackConfig"]);
        Assert.Equal(512L << 20, (long)b["TaskTemplate"]!["Resources"]!["Limits"]!["MemoryBytes"]!);
        Assert.Equal(["NONE"], b["TaskTemplate"]!["ContainerSpec"]!["Healthcheck"]!["Test"]!.AsArray().Select(n => (string)n!));
    }
}
