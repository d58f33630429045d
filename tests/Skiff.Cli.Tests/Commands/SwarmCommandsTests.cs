using System.Text;
using System.Text.Json.Nodes;
using Skiff.Api;
using Skiff.Cli.Commands;
using Skiff.Cli.Connection;

namespace Skiff.Cli.Tests.Commands;

/// <summary>swarm/node/service commands end to end against the fake engine: requests, docker 28's texts, exit codes.</summary>
public class SwarmCommandsTests
{
    private const string SwarmJson = """
        {"ID":"pra7vf8twscua8to8hlep251s","Version":{"Index":10},"CreatedAt":"2026-11-27T05:55:37.403039926Z","UpdatedAt":"2026-11-27T05:55:38.013113263Z",
         "Spec":{"Name":"default","Labels":{},"Orchestration":{"TaskHistoryRetentionLimit":5},"Raft":{"SnapshotInterval":10000,"KeepOldSnapshots":0,"LogEntriesForSlowFollowers":500,"ElectionTick":10,"HeartbeatTick":1},
          "Dispatcher":{"HeartbeatPeriod":5000000000},"CAConfig":{"NodeCertExpiry":7776000000000000},"TaskDefaults":{},"EncryptionConfig":{"AutoLockManagers":false}},
         "TLSInfo":{"TrustRoot":"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n","CertIssuerSubject":"c3Vi","CertIssuerPublicKey":"a2V5"},
         "RootRotationInProgress":false,"DefaultAddrPool":["10.0.0.0/8"],"SubnetSize":24,"DataPathPort":4789,
         "JoinTokens":{"Worker":"SWMTKN-1-worker","Manager":"SWMTKN-1-manager"}}
        """;

    private const string NotManager = "This node is not a swarm manager. Use \"docker swarm init\" or \"docker swarm join\" to connect this node to swarm and try again.";

    private static async Task<FakeEngine> ManagerEngineAsync()
    {
        var engine = await FakeEngine.StartAsync();
        engine.On("GET", "/v1.41/swarm", 200, SwarmJson);
        engine.On("GET", "/v1.41/info", 200, Swarm.InfoJson());
        engine.On("GET", $"/v1.41/nodes/{Swarm.SelfId}", 200, Swarm.Json(Swarm.Node(Swarm.SelfId, "n1-common", leader: true), SkiffJson.Default.NodeWire));
        return engine;
    }

    [Fact]
    public async Task SwarmInit_PrintsDockersJoinInstructions()
    {
        await using var engine = await ManagerEngineAsync();
        engine.On("POST", "/v1.41/swarm/init", 200, $"\"{Swarm.SelfId}\"");
        var (code, stdout, stderr) = await Cli.RunAsync(engine, "swarm", "init", "--advertise-addr", "192.0.2.2");
        Assert.Equal("", stderr);
        Assert.Equal(0, code);
        Assert.Equal(
            $"Swarm initialized: current node ({Swarm.SelfId}) is now a manager.\n\n" +
            "To add a worker to this swarm, run the following command:\n\n" +
            "    docker swarm join --token SWMTKN-1-worker 192.0.2.2:2377\n\n" +
            "To add a manager to this swarm, run 'docker swarm join-token manager' and follow the instructions.\n",
            stdout);
        var body = JsonNode.Parse(engine.Requests.Single(r => r.Method == "POST").Body)!;
        // requests/swarminit28--POST-swarm-init.json
        Assert.Equal(
            WireJson.Normalize("""
                {"ListenAddr":"0.0.0.0:2377","AdvertiseAddr":"192.0.2.2","DataPathAddr":"","DataPathPort":0,"ForceNewCluster":false,
                 "Spec":{"Labels":null,"Orchestration":{},"Raft":{"ElectionTick":0,"HeartbeatTick":0},"Dispatcher":{},"CAConfig":{},"TaskDefaults":{},"EncryptionConfig":{"AutoLockManagers":false}},
                 "AutoLockManagers":false,"Availability":"","DefaultAddrPool":[],"SubnetSize":24}
                """),
            WireJson.Normalize(body.ToJsonString()));
    }

    [Fact]
    public async Task SwarmInit_Flags_MapToTheRequest()
    {
        await using var engine = await ManagerEngineAsync();
        engine.On("POST", "/v1.41/swarm/init", 200, $"\"{Swarm.SelfId}\"");
        var (code, _, stderr) = await Cli.RunAsync(engine, "swarm", "init", "--listen-addr", "10.0.0.1", "--default-addr-pool", "10.10.1.0/16,10.20.0.0/16",
            "--default-addr-pool-mask-length", "26", "--task-history-limit", "10", "--dispatcher-heartbeat", "10s", "--cert-expiry", "48h", "--availability", "DRAIN");
        Assert.True(code == 0, stderr);
        var b = JsonNode.Parse(engine.Requests.Single(r => r.Method == "POST").Body)!;
        Assert.Equal("10.0.0.1:2377", (string?)b["ListenAddr"]);
        Assert.Equal(["10.10.0.0/16", "10.20.0.0/16"], b["DefaultAddrPool"]!.AsArray().Select(n => (string)n!));
        Assert.Equal(26, (int)b["SubnetSize"]!);
        Assert.Equal("drain", (string?)b["Availability"]);
        Assert.Equal(10, (int)b["Spec"]!["Orchestration"]!["TaskHistoryRetentionLimit"]!);
        Assert.Equal(10_000_000_000L, (long)b["Spec"]!["Dispatcher"]!["HeartbeatPeriod"]!);
        Assert.Equal(172_800_000_000_000L, (long)b["Spec"]!["CAConfig"]!["NodeCertExpiry"]!);
    }

    [Fact]
    public async Task SwarmJoin_AsWorker()
    {
        await using var engine = await FakeEngine.StartAsync();
        engine.On("POST", "/v1.41/swarm/join", 200, "", null);
        engine.On("GET", "/v1.41/info", 200, "{\"Swarm\":{\"NodeID\":\"x\",\"LocalNodeState\":\"active\",\"ControlAvailable\":false}}");
        var (code, stdout, _) = await Cli.RunAsync(engine, "swarm", "join", "--token", "SWMTKN-1-x", "192.0.2.9:2377");
        Assert.Equal(0, code);
        Assert.Equal("This node joined a swarm as a worker.\n", stdout);
        // requests/swarmjoin28--POST-swarm-join.json
        Assert.Equal(
            """{"ListenAddr":"0.0.0.0:2377","AdvertiseAddr":"","DataPathAddr":"","RemoteAddrs":["192.0.2.9:2377"],"JoinToken":"SWMTKN-1-x","Availability":""}""",
            engine.Requests.Single(r => r.Method == "POST").Body.TrimEnd('\n'));
    }

    [Fact]
    public async Task JoinToken_ManagerQuietAndRotate()
    {
        await using var engine = await ManagerEngineAsync();
        engine.On("POST", "/v1.41/swarm/update", 200, "", null);
        var (_, stdout, _) = await Cli.RunAsync(engine, "swarm", "join-token", "manager");
        Assert.Equal("To add a manager to this swarm, run the following command:\n\n    docker swarm join --token SWMTKN-1-manager 192.0.2.2:2377\n\n", stdout);
        var (_, quiet, _) = await Cli.RunAsync(engine, "swarm", "join-token", "-q", "worker");
        Assert.Equal("SWMTKN-1-worker\n", quiet);
        var (code, rotated, _) = await Cli.RunAsync(engine, "swarm", "join-token", "--rotate", "-q", "worker");
        Assert.Equal(0, code);
        Assert.Equal("SWMTKN-1-worker\n", rotated);
        var update = engine.Requests.Single(r => r.Method == "POST");
        Assert.Equal("?rotateManagerToken=false&rotateManagerUnlockKey=false&rotateWorkerToken=true&version=10", update.Query);
        Assert.Equal("default", (string?)JsonNode.Parse(update.Body)!["Name"]);
    }

    [Fact]
    public async Task LeaveAndUpdate()
    {
        await using var engine = await ManagerEngineAsync();
        engine.On("POST", "/v1.41/swarm/leave", 200, "", null);
        engine.On("POST", "/v1.41/swarm/update", 200, "", null);
        var (_, left, _) = await Cli.RunAsync(engine, "swarm", "leave", "-f");
        Assert.Equal("Node left the swarm.\n", left);
        Assert.Equal("?force=1", engine.Requests.Single(r => r.Path == "/v1.41/swarm/leave").Query);
        var (code, updated, _) = await Cli.RunAsync(engine, "swarm", "update", "--task-history-limit", "7");
        Assert.Equal(0, code);
        Assert.Equal("Swarm updated.\n", updated);
        var post = engine.Requests.Single(r => r.Path == "/v1.41/swarm/update");
        Assert.Equal("?rotateManagerToken=false&rotateManagerUnlockKey=false&rotateWorkerToken=false&version=10", post.Query);
        var spec = JsonNode.Parse(post.Body)!;
        Assert.Equal(7, (int)spec["Orchestration"]!["TaskHistoryRetentionLimit"]!);
        Assert.Equal(10000, (int)spec["Raft"]!["SnapshotInterval"]!);
        var (_, help, _) = await Cli.RunAsync(engine, "swarm", "update");
        Assert.StartsWith("Usage:  skiff swarm update [OPTIONS]", help, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ca_PrintsTheRootCertificate_RotationFailsLoudly()
    {
        await using var engine = await ManagerEngineAsync();
        var (code, stdout, _) = await Cli.RunAsync(engine, "swarm", "ca");
        Assert.Equal(0, code);
        Assert.Equal("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", stdout);
        var (rc, _, err) = await Cli.RunAsync(engine, "swarm", "ca", "--rotate");
        Assert.Equal(1, rc);
        Assert.Equal("skiff does not support rotating the swarm root CA: \"swarm ca\" only displays it\n", err);
    }

    [Theory]
    [InlineData("unlock")]
    [InlineData("unlock-key")]
    public async Task Unlock_NotSupported_OneLineExit1(string command)
    {
        var (code, stdout, stderr) = await Cli.RunAsync(null, "swarm", command);
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Equal($"skiff does not support swarm autolock: managers are never locked (\"swarm {command}\" is not available)\n", stderr);
    }

    [Fact]
    public async Task NotAManager_DaemonMessageAsDockerPrintsIt()
    {
        await using var engine = await FakeEngine.StartAsync();
        engine.On("GET", "/v1.41/nodes", 503, "{\"message\":" + System.Text.Json.JsonSerializer.Serialize(NotManager, SkiffJson.Default.String) + "}");
        var (code, stdout, stderr) = await Cli.RunAsync(engine, "node", "ls");
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Equal("Error response from daemon: " + NotManager + "\n", stderr);
    }

    [Fact]
    public void Info_SwarmSection_LikeDocker28()
    {
        var info = System.Text.Json.JsonSerializer.Deserialize(Swarm.InfoJson(), SkiffJson.Default.SystemInfo)!;
        var text = SystemCommands.RenderInfo(info);
        Assert.Contains(
            " Swarm: active\n" +
            "  NodeID: rx03hnmwx6z9jc9x9velz46if\n" +
            "  Is Manager: true\n" +
            "  ClusterID: pra7vf8twscua8to8hlep251s\n" +
            "  Managers: 1\n" +
            "  Nodes: 2\n" +
            "  Default Address Pool: 10.0.0.0/8  \n" +
            "  SubnetSize: 24\n" +
            "  Data Path Port: 4789\n" +
            "  Orchestration:\n" +
            "   Task History Retention Limit: 5\n" +
            "  Raft:\n" +
            "   Snapshot Interval: 10000\n" +
            "   Number of Old Snapshots to Retain: 0\n" +
            "   Heartbeat Tick: 1\n" +
            "   Election Tick: 10\n" +
            "  Dispatcher:\n" +
            "   Heartbeat Period: 5 seconds\n" +
            "  CA Configuration:\n" +
            "   Expiry Duration: 3 months\n" +
            "   Force Rotate: 0\n" +
            "  Autolock Managers: false\n" +
            "  Root Rotation In Progress: false\n" +
            "  Node Address: 192.0.2.2\n" +
            "  Manager Addresses:\n" +
            "   192.0.2.2:2377\n",
            text,
            StringComparison.Ordinal);
        // A worker sees no cluster details.
        info.Swarm.ControlAvailable = false;
        Assert.Contains("  Is Manager: false\n  Node Address: 192.0.2.2\n", SystemCommands.RenderInfo(info), StringComparison.Ordinal);
    }

    [Fact]
    public async Task NodeUpdate_SendsWholeSpecAtItsVersion()
    {
        await using var engine = await FakeEngine.StartAsync();
        engine.On("GET", "/v1.41/nodes/moby", 200, Swarm.Json(Swarm.Node(Swarm.WorkerId, "moby"), SkiffJson.Default.NodeWire));
        engine.On("POST", $"/v1.41/nodes/{Swarm.WorkerId}/update", 200, "", null);
        var (code, stdout, _) = await Cli.RunAsync(engine, "node", "update", "--label-add", "type=db", "--label-add", "zone=a", "--role", "manager", "moby");
        Assert.Equal(0, code);
        Assert.Equal("moby\n", stdout);
        var post = engine.Requests.Single(r => r.Method == "POST");
        Assert.Equal("?version=9", post.Query);
        // requests/nodeupdate28--POST-nodes-ID-update.json
        Assert.Equal("""{"Labels":{"type":"db","zone":"a"},"Role":"manager","Availability":"active"}""", post.Body.TrimEnd('\n'));
        var (rc, _, err) = await Cli.RunAsync(engine, "node", "update", "--label-rm", "nokey", "moby");
        Assert.Equal(1, rc);
        Assert.Equal("key nokey doesn't exist in node's labels\n", err);
    }

    [Fact]
    public async Task PromoteDemoteRemove_DockersMessages()
    {
        await using var engine = await FakeEngine.StartAsync();
        engine.On("GET", "/v1.41/nodes/moby", 200, Swarm.Json(Swarm.Node(Swarm.WorkerId, "moby"), SkiffJson.Default.NodeWire));
        engine.On("GET", "/v1.41/nodes/n1", 200, Swarm.Json(Swarm.Node(Swarm.SelfId, "n1-common", leader: true), SkiffJson.Default.NodeWire));
        engine.On("POST", $"/v1.41/nodes/{Swarm.WorkerId}/update", 200, "", null);
        engine.On("POST", $"/v1.41/nodes/{Swarm.SelfId}/update", 200, "", null);
        engine.On("DELETE", "/v1.41/nodes/moby", 200, "", null);
        var (_, promoted, _) = await Cli.RunAsync(engine, "node", "promote", "moby", "n1");
        Assert.Equal($"Node moby promoted to a manager in the swarm.\nNode {Swarm.SelfId} is already a manager.\n", promoted);
        var (_, demoted, _) = await Cli.RunAsync(engine, "node", "demote", "n1");
        Assert.Equal("Manager n1 demoted in the swarm.\n", demoted);
        Assert.Equal("""{"Labels":{},"Role":"worker","Availability":"active"}""", engine.Requests.Last(r => r.Method == "POST").Body.TrimEnd('\n'));
        var (rc, removed, err) = await Cli.RunAsync(engine, "node", "rm", "-f", "moby", "nope");
        Assert.Equal(1, rc);
        Assert.Equal("moby\n", removed);
        Assert.Equal("Error response from daemon: page not found\n", err);
        Assert.Equal("?force=1", engine.Requests.First(r => r.Method == "DELETE").Query);
    }

    [Fact]
    public async Task NodeInspectPretty_DockersTemplate()
    {
        var node = Swarm.Node(Swarm.SelfId, "n1-common", leader: true);
        node.Description.Engine = new EngineDescription
        {
            EngineVersion = "20.10.24+dfsg1",
            Plugins = [new() { Type = "Log", Name = "awslogs" }, new() { Type = "Network", Name = "bridge" }, new() { Type = "Log", Name = "fluentd" }, new() { Type = "Volume", Name = "local" }],
        };
        node.Description.TLSInfo = new TlsInfo { TrustRoot = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", CertIssuerSubject = "c3Vi", CertIssuerPublicKey = "a2V5" };
        await using var engine = await FakeEngine.StartAsync();
        engine.On("GET", "/v1.41/info", 200, Swarm.InfoJson());
        engine.On("GET", $"/v1.41/nodes/{Swarm.SelfId}", 200, Swarm.Json(node, SkiffJson.Default.NodeWire));
        var (code, stdout, _) = await Cli.RunAsync(engine, "node", "inspect", "--pretty", "self");
        Assert.Equal(0, code);
        Assert.Equal(
            "ID:\t\t\trx03hnmwx6z9jc9x9velz46if\n" +
            "Hostname:              \tn1-common\n" +
            "Joined at:             \t2026-11-27 05:55:37.40310328 +0000 utc\n" +
            "Status:\n State:\t\t\tReady\n Availability:         \tActive\n Address:\t\t192.0.2.2\n" +
            "Manager Status:\n Address:\t\t192.0.2.2:2377\n Raft Status:\t\tReachable\n Leader:\t\tYes\n" +
            "Platform:\n Operating System:\tlinux\n Architecture:\t\tx86_64\n" +
            "Resources:\n CPUs:\t\t\t2\n Memory:\t\t23.54GiB\n" +
            "Plugins:\n Log:\t\tawslogs, fluentd\n Network:\t\tbridge\n Volume:\t\tlocal\n" +
            "Engine Version:\t\t20.10.24+dfsg1\n" +
            "TLS Info:\n TrustRoot:\n-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n\n Issuer Subject:\tc3Vi\n Issuer Public Key:\ta2V5\n",
            stdout);
    }

    private static ServiceWire ProbeY()
    {
        var update = new UpdateConfigWire { Parallelism = 1, FailureAction = "pause", Monitor = 5_000_000_000, Order = "stop-first" };
        var rollback = new UpdateConfigWire { Parallelism = 1, FailureAction = "pause", Monitor = 5_000_000_000, Order = "stop-first" };
        var port = new PortConfig { Protocol = "tcp", TargetPort = 80, PublishedPort = 18999, PublishMode = "ingress" };
        return new ServiceWire
        {
            ID = "9lqlzpxcvlnbsrtid030h5ukd",
            Version = new ObjectVersion { Index = 86 },
            Spec = new ServiceSpecWire
            {
                Name = "probe-y",
                Labels = new Dictionary<string, string> { ["a"] = "b" },
                TaskTemplate = new TaskSpecWire
                {
                    ContainerSpec = new ContainerSpecWire { Image = "bb:2", Args = ["sh", "-c", "echo hello-out; echo hello-err >&2; sleep 1000"], Env = ["X=1"], Init = false, StopGracePeriod = 10_000_000_000 },
                    Resources = new ResourceRequirements { Limits = new LimitsWire { MemoryBytes = 67108864 }, Reservations = new ResourceObject() },
                    RestartPolicy = new RestartPolicyWire { Condition = "on-failure", Delay = 5_000_000_000, MaxAttempts = 0 },
                    Placement = new PlacementWire { Constraints = ["node.role==manager"] },
                },
                Mode = new ServiceModeWire { Replicated = new ReplicatedMode { Replicas = 2 } },
                UpdateConfig = update,
                RollbackConfig = rollback,
                EndpointSpec = new EndpointSpecWire { Mode = "vip", Ports = [port] },
            },
            Endpoint = new EndpointWire { Spec = new EndpointSpecWire { Mode = "vip", Ports = [port] }, Ports = [port] },
        };
    }

    [Fact]
    public async Task ServiceInspectPretty_DockersTemplate_AndMissingService()
    {
        await using var engine = await FakeEngine.StartAsync();
        engine.On("GET", "/v1.41/services/probe-y", 200, Swarm.Json(ProbeY(), SkiffJson.Default.ServiceWire));
        engine.On("GET", "/v1.41/services/nope", 404, "{\"message\":\"service nope not found\"}");
        var (code, stdout, _) = await Cli.RunAsync(engine, "service", "inspect", "--pretty", "probe-y");
        Assert.Equal(0, code);
        // Captured from docker 28.2.2 for the same service.
        Assert.Equal(
            "\nID:\t\t9lqlzpxcvlnbsrtid030h5ukd\nName:\t\tprobe-y\nLabels:\n a=b\nService Mode:\tReplicated\n Replicas:\t2\n" +
            "Placement:\n Constraints:\t[node.role==manager]\n" +
            "UpdateConfig:\n Parallelism:\t1\n On failure:\tpause\n Monitoring Period: 5s\n Max failure ratio: 0\n Update order:      stop-first\n" +
            "RollbackConfig:\n Parallelism:\t1\n On failure:\tpause\n Monitoring Period: 5s\n Max failure ratio: 0\n Rollback order:    stop-first\n" +
            "ContainerSpec:\n Image:\t\tbb:2\n Args:\t\tsh -c echo hello-out; echo hello-err >&2; sleep 1000 \n Env:\t\tX=1 \n Init:\t\tfalse\n" +
            "Resources:\n Limits:\n  Memory:\t64MiB\nEndpoint Mode:\tvip\n" +
            "Ports:\n PublishedPort = 18999\n  Protocol = tcp\n  TargetPort = 80\n  PublishMode = ingress \n\n",
            stdout);
        Assert.Equal("?insertDefaults=true", engine.Requests[0].Query);
        var (rc, _, err) = await Cli.RunAsync(engine, "service", "inspect", "probe-y", "nope");
        Assert.Equal(1, rc);
        Assert.Equal("Error: no such service: nope\n", err);
    }

    [Fact]
    public async Task ServiceLogs_PrefixesTaskAndNode()
    {
        var d = $"com.docker.swarm.node.id={Swarm.SelfId},com.docker.swarm.service.id=svc1,com.docker.swarm.task.id=0y8oi3lv34k86n8cmsviu3qd5";
        var body = StdCopy.Frame(1, Encoding.UTF8.GetBytes(d + " hello-out\n")).Concat(StdCopy.Frame(2, Encoding.UTF8.GetBytes(d + ",extra=a%20b hello-err\n"))).ToArray();
        var service = Swarm.Service("svc1", "probe-y", 2);
        var task = Swarm.Task("0y8oi3lv34k86n8cmsviu3qd5", "svc1", 2, Swarm.SelfId, "running");
        await using var engine = await FakeEngine.StartAsync();
        engine.On("GET", "/v1.41/services/probe-y", 200, Swarm.Json(service, SkiffJson.Default.ServiceWire));
        engine.On("GET", "/v1.41/services/svc1", 200, Swarm.Json(service, SkiffJson.Default.ServiceWire));
        engine.On("GET", "/v1.41/services/probe-y/logs", 200, body, "application/octet-stream");
        engine.On("GET", $"/v1.41/nodes/{Swarm.SelfId}", 200, Swarm.Json(Swarm.Node(Swarm.SelfId, "vm", leader: true), SkiffJson.Default.NodeWire));
        engine.On("GET", "/v1.41/tasks/0y8oi3lv34k86n8cmsviu3qd5", 200, Swarm.Json(task, SkiffJson.Default.TaskWire));
        var (code, stdout, stderr) = await Cli.RunAsync(engine, "service", "logs", "--details", "probe-y");
        Assert.Equal(0, code);
        // docker appends the (here empty) remaining details and a space: two spaces before the message.
        Assert.Equal("probe-y.2.0y8oi3lv34k8@vm    |  hello-out\n", stdout);
        Assert.Equal("probe-y.2.0y8oi3lv34k8@vm    | extra=a b hello-err\n", stderr);
        Assert.Equal("?details=1&stderr=1&stdout=1&tail=all", engine.Requests.Single(r => r.Path.EndsWith("/logs", StringComparison.Ordinal)).Query);
    }

    [Theory]
    [InlineData(1, "Unknown mode: bogus, only replicated and global supported", "service", "create", "--mode", "bogus", "busybox")]
    [InlineData(125, "invalid argument \"80:foo\" for \"-p, --publish\" flag: invalid containerPort: foo", "service", "create", "-p", "80:foo", "busybox")]
    [InlineData(125, "invalid argument \"published=81\" for \"-p, --publish\" flag: missing mandatory field 'target'", "service", "create", "-p", "published=81", "busybox")]
    [InlineData(125, "invalid argument \"mode=x,target=80\" for \"-p, --publish\" flag: invalid publish mode value x", "service", "create", "-p", "mode=x,target=80", "busybox")]
    [InlineData(125, "invalid argument \"1.2.3.4:80:80\" for \"-p, --publish\" flag: hostip is not supported", "service", "create", "-p", "1.2.3.4:80:80", "busybox")]
    [InlineData(125, "invalid argument \"x\" for \"--update-delay\" flag: time: invalid duration \"x\"", "service", "create", "--update-delay", "x", "busybox")]
    [InlineData(125, "invalid argument \"-1s\" for \"--health-interval\" flag: duration cannot be negative", "service", "create", "--health-interval", "-1s", "busybox")]
    [InlineData(125, "invalid argument \"-1\" for \"--replicas\" flag: strconv.ParseUint: parsing \"-1\": invalid syntax", "service", "create", "--replicas", "-1", "busybox")]
    [InlineData(125, "invalid argument \"abc\" for \"--limit-cpu\" flag: failed to parse abc as a rational number", "service", "create", "--limit-cpu", "abc", "busybox")]
    [InlineData(125, "invalid argument \"12q\" for \"--limit-memory\" flag: invalid suffix: 'q'", "service", "create", "--limit-memory", "12q", "busybox")]
    [InlineData(125, "invalid argument \"foo\" for \"--placement-pref\" flag: placement preference must be of the format \"<strategy>=<arg>\"", "service", "create", "--placement-pref", "foo", "busybox")]
    [InlineData(125, "invalid argument \"source=x\" for \"--mount\" flag: target is required", "service", "create", "--mount", "source=x", "busybox")]
    [InlineData(125, "invalid argument \"=x\" for \"-e, --env\" flag: invalid environment variable: =x", "service", "create", "-e", "=x", "busybox")]
    [InlineData(1, "replicas can only be used with replicated or replicated-job mode", "service", "create", "--mode", "global", "--replicas", "2", "busybox")]
    [InlineData(1, "update and rollback configuration is not supported for jobs", "service", "create", "--mode", "replicated-job", "--update-delay", "1s", "busybox")]
    [InlineData(1, "--no-healthcheck conflicts with --health-* options", "service", "create", "--no-healthcheck", "--health-cmd", "x", "busybox")]
    [InlineData(125, "skiff service create: unknown flag: --bogus. See 'skiff service create --help'.", "service", "create", "--bogus", "busybox")]
    [InlineData(125, "skiff service update: unknown flag: --dns-add. See 'skiff service update --help'.", "service", "update", "--dns-add", "1.1.1.1", "web")]
    [InlineData(1, "invalid scale specifier 'redis'. See 'skiff service scale --help'.", "service", "scale", "redis")]
    [InlineData(1, "invalid scale specifier 'redis='. See 'skiff service scale --help'.", "service", "scale", "redis=")]
    [InlineData(1, "unknown role bogus", "swarm", "join-token", "bogus")]
    [InlineData(1, "invalid availability \"bad\", only active, pause and drain are supported", "swarm", "init", "--availability", "bad")]
    [InlineData(125, "invalid argument \"udp://x\" for \"--listen-addr\" flag: invalid proto, expected tcp: udp://x", "swarm", "init", "--listen-addr", "udp://x")]
    [InlineData(1, "skiff does not support swarm autolock: managers are never locked", "swarm", "init", "--autolock")]
    public async Task BadInput_OneLineErrorAndDockersExitCode(int exitCode, string message, params string[] args)
    {
        // No daemon: every one of these must fail before any request.
        var (code, stdout, stderr) = await Cli.RunAsync(null, args);
        Assert.Equal(message + "\n", stderr);
        Assert.Equal(exitCode, code);
        Assert.Equal("", stdout);
    }

    [Fact]
    public async Task Scale_BadValueAndNonReplicated_CollectsErrorsExit1()
    {
        var mon = Swarm.Service("monid", "mon");
        mon.Spec.Mode = new ServiceModeWire { Global = new GlobalMode() };
        await using var engine = await FakeEngine.StartAsync();
        engine.On("GET", "/v1.41/services/mon", 200, Swarm.Json(mon, SkiffJson.Default.ServiceWire));
        var (code, stdout, stderr) = await SwarmCli.RunAsync(engine, "service", "scale", "-d", "redis=x", "mon=3");
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Equal("redis: invalid replicas value x: strconv.ParseUint: parsing \"x\": invalid syntax\nmon: scale can only be used with replicated or replicated-job mode\n", stderr);
    }

    [Fact]
    public async Task Update_RollbackWithOtherFlags_Rejected()
    {
        await using var engine = await FakeEngine.StartAsync();
        engine.On("GET", "/v1.41/services/web", 200, Swarm.Json(Swarm.Service("svcid", "web"), SkiffJson.Default.ServiceWire));
        var (code, _, stderr) = await SwarmCli.RunAsync(engine, "service", "update", "--rollback", "--replicas", "2", "web");
        Assert.Equal(1, code);
        Assert.Equal("other flags may not be combined with --rollback\n", stderr);
        Assert.DoesNotContain(engine.Requests, r => r.Method == "POST");
    }

    [Fact]
    public async Task Scale_WithProgress_TheWalkthroughsOutput()
    {
        var clock = new SteppingClock(FixedTime.Now);
        var before = Swarm.Service("redisid", "redis", 5);
        var after = Swarm.Service("redisid", "redis", 3, version: 11);
        after.UpdateStatus = null;
        var running = new List<TaskWire>
        {
            Swarm.Task("t1", "redisid", 1, Swarm.WorkerId, "running"),
            Swarm.Task("t4", "redisid", 4, Swarm.WorkerId, "running"),
            Swarm.Task("t5", "redisid", 5, Swarm.WorkerId, "running"),
        };
        await using var engine = await FakeEngine.StartAsync();
        engine.On("GET", "/v1.41/services/redis", 200, Swarm.Json(before, SkiffJson.Default.ServiceWire));
        engine.On("GET", "/v1.41/services/redis", 200, Swarm.Json(after, SkiffJson.Default.ServiceWire));
        engine.On("POST", "/v1.41/services/redisid/update", 200, "{\"Warnings\":null}");
        engine.On("GET", "/v1.41/tasks", 200, Swarm.Json(running, SkiffJson.Default.ListTaskWire));
        engine.On("GET", "/v1.41/nodes", 200, Swarm.Json(new List<NodeWire> { Swarm.Node(Swarm.WorkerId, "moby") }, SkiffJson.Default.ListNodeWire));
        var (code, stdout, stderr) = await SwarmCli.RunAsync(engine, clock, terminal: false, width: 80, "service", "scale", "redis=3");
        Assert.True(code == 0, stderr);
        var bar = "[" + new string('=', 50) + ">]";
        Assert.Equal(
            "redis scaled to 3\n" +
            "overall progress: 0 out of 3 tasks\n" +
            $"1/3: running   {bar}\n2/3: running   {bar}\n3/3: running   {bar}\n" +
            "overall progress: 3 out of 3 tasks\n" +
            "verify: Waiting 5 seconds to verify that tasks are stable...\n" +
            "verify: Waiting 4 seconds to verify that tasks are stable...\n" +
            "verify: Waiting 3 seconds to verify that tasks are stable...\n" +
            "verify: Waiting 2 seconds to verify that tasks are stable...\n" +
            "verify: Waiting 1 seconds to verify that tasks are stable...\n" +
            "verify: Service redis converged\n",
            stdout);
        var tasksQuery = engine.Requests.First(r => r.Path == "/v1.41/tasks").Query;
        Assert.Equal("?filters=" + Uri.EscapeDataString("{\"_up-to-date\":{\"true\":true},\"service\":{\"redisid\":true}}"), tasksQuery);
        Assert.Equal(25, clock.Delays.Count);
    }
}
