using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Skiff.Api;

namespace Skiff.Cli.Tests.Commands;

/// <summary>A clock that only moves when the CLI waits: each delay advances it instantly (no real sleeps).</summary>
internal sealed class SteppingClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public List<TimeSpan> Delays { get; } = [];

    public override DateTimeOffset GetUtcNow()
    {
        lock (Delays)
        {
            return _now;
        }
    }

    public Task DelayAsync(TimeSpan d, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        lock (Delays)
        {
            Delays.Add(d);
            _now += d;
        }
        return Task.CompletedTask;
    }
}

/// <summary>Runs the CLI with a stepping clock (service progress polls without waiting) and optional terminal.</summary>
internal static class SwarmCli
{
    public static async Task<(int Code, string Out, string Err)> RunAsync(FakeEngine engine, SteppingClock clock, bool terminal, int width, params string[] args)
    {
        using var stdout = new MemoryStream();
        using var stderr = new MemoryStream();
        var host = "unix://" + engine.SocketPath;
        int code;
        using (var ctx = new CliContext(stdout, stderr, Stream.Null, name => name == "SKIFF_HOST" ? host : null, clock)
        {
            StdoutIsTerminal = terminal,
            TerminalWidth = () => width,
        })
        {
            ctx.Delay = clock.DelayAsync;
            ctx.Confirm = _ => true;
            code = await CliApp.RunAsync(args, ctx);
        }
        return (code, Encoding.UTF8.GetString(stdout.ToArray()), Encoding.UTF8.GetString(stderr.ToArray()));
    }

    public static Task<(int Code, string Out, string Err)> RunAsync(FakeEngine engine, params string[] args) =>
        RunAsync(engine, new SteppingClock(FixedTime.Now), terminal: false, width: 80, args);
}

/// <summary>Builders of the swarm objects the fake engine answers with (serialized like the daemon's).</summary>
internal static class Swarm
{
    public const string SelfId = "rx03hnmwx6z9jc9x9velz46if";
    public const string WorkerId = "yozazaogirhpj8skccfwqtl8f";

    public static string Ts(TimeSpan ago) => (FixedTime.Now - ago).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffff", CultureInfo.InvariantCulture) + "Z";

    public static string Json<T>(T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info) => JsonSerializer.Serialize(value, info);

    public static NodeWire Node(string id, string hostname, bool leader = false, bool manager = false, string state = "ready", string availability = "active") => new()
    {
        ID = id,
        Version = new ObjectVersion { Index = 9 },
        CreatedAt = "2026-11-27T05:55:37.40310328Z",
        Spec = new NodeSpecWire { Labels = [], Role = manager || leader ? "manager" : "worker", Availability = availability },
        Description = new NodeDescription
        {
            Hostname = hostname,
            Platform = new PlatformWire { Architecture = "x86_64", OS = "linux" },
            Resources = new ResourceObject { NanoCPUs = 2_000_000_000, MemoryBytes = 25276510208 },
            Engine = new EngineDescription { EngineVersion = "0.1.0" },
        },
        Status = new NodeStatusWire { State = state, Addr = "192.0.2.2" },
        ManagerStatus = manager || leader ? new ManagerStatusWire { Leader = leader, Reachability = "reachable", Addr = "192.0.2.2:2377" } : null,
    };

    public static ServiceWire Service(string id, string name, ulong? replicas = 1, ulong version = 10) => new()
    {
        ID = id,
        Version = new ObjectVersion { Index = version },
        CreatedAt = "2026-11-27T06:20:51.194442552Z",
        UpdatedAt = "2026-11-27T06:20:51.194442552Z",
        Spec = new ServiceSpecWire
        {
            Name = name,
            Labels = [],
            TaskTemplate = new TaskSpecWire { ContainerSpec = new ContainerSpecWire { Image = "redis:latest@sha256:" + new string('a', 64) } },
            Mode = new ServiceModeWire { Replicated = new ReplicatedMode { Replicas = replicas } },
            EndpointSpec = new EndpointSpecWire { Mode = "vip" },
        },
    };

    public static TaskWire Task(string id, string serviceId, int slot, string? node, string state, string desired = "running", TimeSpan? created = null, TimeSpan? since = null, string? err = null) => new()
    {
        ID = id,
        Version = new ObjectVersion { Index = 20 },
        CreatedAt = Ts(created ?? TimeSpan.FromSeconds(100)),
        UpdatedAt = Ts(since ?? TimeSpan.FromSeconds(9)),
        Spec = new TaskSpecWire { ContainerSpec = new ContainerSpecWire { Image = "redis:latest@sha256:" + new string('a', 64) } },
        ServiceID = serviceId,
        Slot = slot,
        NodeID = node,
        Status = new TaskStatusWire { Timestamp = Ts(since ?? TimeSpan.FromSeconds(9)), State = state, Message = state, Err = err },
        DesiredState = desired,
    };

    /// <summary>The Swarm section of /info for this node as a manager of a 2-node cluster.</summary>
    public static string InfoJson() => """
        {"Swarm":{"NodeID":"rx03hnmwx6z9jc9x9velz46if","NodeAddr":"192.0.2.2","LocalNodeState":"active","ControlAvailable":true,"Error":"",
         "RemoteManagers":[{"NodeID":"rx03hnmwx6z9jc9x9velz46if","Addr":"192.0.2.2:2377"}],"Nodes":2,"Managers":1,
         "Cluster":{"ID":"pra7vf8twscua8to8hlep251s","Version":{"Index":10},"CreatedAt":"2026-11-27T05:55:37.403039926Z","UpdatedAt":"2026-11-27T05:55:38.013113263Z",
          "Spec":{"Name":"default","Labels":{},"Orchestration":{"TaskHistoryRetentionLimit":5},"Raft":{"SnapshotInterval":10000,"KeepOldSnapshots":0,"LogEntriesForSlowFollowers":500,"ElectionTick":10,"HeartbeatTick":1},
           "Dispatcher":{"HeartbeatPeriod":5000000000},"CAConfig":{"NodeCertExpiry":7776000000000000},"TaskDefaults":{},"EncryptionConfig":{"AutoLockManagers":false}},
          "TLSInfo":{"TrustRoot":"root","CertIssuerSubject":"subj","CertIssuerPublicKey":"key"},"RootRotationInProgress":false,"DefaultAddrPool":["10.0.0.0/8"],"SubnetSize":24,"DataPathPort":4789}}}
        """;
}

/// <summary>Compares request bodies the way the wire means them: Go's omitempty drops zero values, so do we.</summary>
internal static class WireJson
{
    /// <summary>Removes null, false, 0 and "" members (recursively) and sorts keys; objects and arrays stay, even empty.</summary>
    public static string Normalize(string json) => Normalize(JsonNode.Parse(json))?.ToJsonString() ?? "null";

    private static JsonNode? Normalize(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                {
                    var result = new JsonObject();
                    foreach (var (key, value) in o.OrderBy(p => p.Key, StringComparer.Ordinal))
                    {
                        if (IsZero(value))
                        {
                            continue;
                        }
                        result[key] = Normalize(value);
                    }
                    return result;
                }
            case JsonArray a:
                return new JsonArray(a.Select(Normalize).ToArray());
            default:
                return node?.DeepClone();
        }
    }

    private static bool IsZero(JsonNode? value) => value switch
    {
        null => true,
        JsonValue v when v.GetValueKind() == JsonValueKind.False => true,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>().Length == 0,
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.GetValue<double>() == 0,
        _ => false,
    };
}
