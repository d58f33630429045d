using System.CommandLine;
using Skiff.Daemon;

var hostOpt = new Option<string[]>("--host", "-H") { Description = "Daemon socket(s) to listen on: unix:///path or tcp://addr:port (repeatable)", AllowMultipleArgumentsPerToken = false };
var dataRootOpt = new Option<string>("--data-root") { Description = "Root directory of persistent state", DefaultValueFactory = _ => "/var/lib/skiff" };
var execRootOpt = new Option<string>("--exec-root") { Description = "Root directory for execution state (runc, conmon, sockets)", DefaultValueFactory = _ => "/run/skiff" };
var bridgeOpt = new Option<string>("--bridge-name") { Description = "Name of the default bridge", DefaultValueFactory = _ => "skiff0" };
var cidrOpt = new Option<string>("--bridge-cidr") { Description = "Address and prefix of the default bridge", DefaultValueFactory = _ => "10.210.0.1/24" };
var levelOpt = new Option<string>("--log-level", "-l") { Description = "Logging level (debug, info, warn, error, fatal)", DefaultValueFactory = _ => "info" };
var tlsVerifyOpt = new Option<bool>("--tlsverify") { Description = "Use TLS and verify the remote (mutual TLS)" };
var tlsCaOpt = new Option<string?>("--tlscacert") { Description = "Trust certs signed only by this CA" };
var tlsCertOpt = new Option<string?>("--tlscert") { Description = "Path to TLS certificate file" };
var tlsKeyOpt = new Option<string?>("--tlskey") { Description = "Path to TLS key file" };
var hostnameOpt = new Option<string?>("--hostname") { Description = "Node hostname reported by info (defaults to the machine's)" };
var ipOpt = new Option<string?>("--ip") { Description = "Default IP when binding container ports (default 0.0.0.0)" };
var startsOpt = new Option<int?>("--max-concurrent-starts") { Description = "Swarm tasks a node creates and starts at once (default: max(2, cores))" };
var cgroupOpt = new Option<string>("--cgroup-parent") { Description = "Parent cgroup of containers", DefaultValueFactory = _ => "/skiff" };

var root = new RootCommand("skiffd: the Skiff container engine (Docker Engine API v1.41)")
{
    hostOpt, dataRootOpt, execRootOpt, bridgeOpt, cidrOpt, levelOpt, tlsVerifyOpt, tlsCaOpt, tlsCertOpt, tlsKeyOpt, hostnameOpt, cgroupOpt, ipOpt, startsOpt,
};
root.SetAction(async (parse, ct) =>
{
    var execRoot = parse.GetValue(execRootOpt)!;
    var options = new DaemonOptions
    {
        Hosts = [.. parse.GetValue(hostOpt) ?? []],
        DataRoot = parse.GetValue(dataRootOpt)!,
        ExecRoot = execRoot,
        BridgeName = parse.GetValue(bridgeOpt)!,
        BridgeCidr = parse.GetValue(cidrOpt)!,
        LogLevel = parse.GetValue(levelOpt)!,
        TlsVerify = parse.GetValue(tlsVerifyOpt),
        TlsCaCert = parse.GetValue(tlsCaOpt),
        TlsCert = parse.GetValue(tlsCertOpt),
        TlsKey = parse.GetValue(tlsKeyOpt),
        NodeHostname = parse.GetValue(hostnameOpt),
        CgroupParent = parse.GetValue(cgroupOpt)!,
        DefaultBindIp = parse.GetValue(ipOpt),
        MaxConcurrentStarts = parse.GetValue(startsOpt) ?? Math.Max(2, Environment.ProcessorCount),
    };
    if (options.MaxConcurrentStarts is < 1 or > 256)
    {
        Console.Error.WriteLine($"skiffd: --max-concurrent-starts {options.MaxConcurrentStarts}: must be between 1 and 256");
        return 1;
    }

    if (options.DefaultBindIp is { } bindIp && (!System.Net.IPAddress.TryParse(bindIp, out var parsed) || parsed.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork))
    {
        Console.Error.WriteLine($"skiffd: --ip {bindIp}: not an IPv4 address");
        return 1;
    }

    if (Environment.UserName != "root" && Environment.GetEnvironmentVariable("SKIFF_ALLOW_NONROOT") != "1")
    {
        Console.Error.WriteLine("skiffd: must run as root (containers need namespaces, cgroups and mounts)");
        return 1;
    }

    // Container starts and stops run external programs (runc, conmon, ip, nft) whose waits hold
    // pool threads briefly; on a 2-core host the pool's slow growth then delays heartbeats and API
    // calls by seconds. A floor of threads keeps the daemon responsive under churn.
    ThreadPool.GetMinThreads(out var workers, out var io);
    ThreadPool.SetMinThreads(Math.Max(workers, 64), Math.Max(io, 64));
    try
    {
        var app = DaemonHost.Build(options);
        var engine = app.Services.GetRequiredService<Engine>();
        await engine.StartAsync(ct);
        var swarm = app.Services.GetRequiredService<Skiff.Daemon.Swarm.SwarmNode>();
        await swarm.StartAsync(ct);
        app.Logger.LogInformation("skiffd {Version} listening on {Hosts}; data root {DataRoot}", Skiff.Daemon.Api.SystemEndpoints.EngineVersion, string.Join(", ", options.Hosts.DefaultIfEmpty("unix://" + options.DefaultSocket)), options.DataRoot);
        await app.RunAsync(ct);
        await swarm.DisposeAsync();
        await engine.DisposeAsync();
        return 0;
    }
    catch (ArgumentException ex)
    {
        Console.Error.WriteLine("skiffd: " + ex.Message);
        return 1;
    }
});
return await root.Parse(args).InvokeAsync();
