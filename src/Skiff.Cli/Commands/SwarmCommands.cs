using System.CommandLine;
using System.Globalization;
using System.Net;
using Skiff.Api;
using Skiff.Cli.Connection;
using Skiff.Cli.Formatting;

namespace Skiff.Cli.Commands;

/// <summary><c>swarm init|join|join-token|leave|update|ca</c>; <c>unlock</c>/<c>unlock-key</c> fail: skiff has no autolock.</summary>
internal static class SwarmCommands
{
    public const string DefaultListenAddr = "0.0.0.0:2377";
    private const string NoAutolock = "skiff does not support swarm autolock: managers are never locked";

    public static void Register(CliApp.App app, CliContext ctx)
    {
        var group = Common.Cmd("swarm", "Manage Swarm");
        group.SetAction(pr => new DockerHelpAction(ctx.Out).Invoke(pr));
        app.Root.Subcommands.Add(group);
        group.Subcommands.Add(Ca(ctx));
        group.Subcommands.Add(Init(ctx));
        group.Subcommands.Add(Join(ctx));
        group.Subcommands.Add(JoinToken(ctx));
        group.Subcommands.Add(Leave(ctx));
        group.Subcommands.Add(Unlock());
        group.Subcommands.Add(UnlockKey());
        group.Subcommands.Add(Update(ctx));
    }

    /// <summary>The flags init and update share (docker's addSwarmFlags, without autolock, snapshots and external CAs).</summary>
    private sealed class SpecFlags
    {
        public Option<string?> TaskHistoryLimit { get; } = Common.Str("--task-history-limit", null, "Task history retention limit (default 5)");
        public Option<string?> DispatcherHeartbeat { get; } = Common.Str("--dispatcher-heartbeat", null, "Dispatcher heartbeat period (ns|us|ms|s|m|h) (default 5s)");
        public Option<string?> CertExpiry { get; } = Common.Str("--cert-expiry", null, "Validity period for node certificates (ns|us|ms|s|m|h) (default 2160h0m0s)");
        public Option<bool> Autolock { get; } = Common.Flag("--autolock", null, "Not supported by skiff (fails)");

        public Option[] All => [TaskHistoryLimit, DispatcherHeartbeat, CertExpiry, Autolock];

        /// <summary>docker's mergeSwarmSpec: only the flags given change the spec.</summary>
        public void Merge(ParseResult pr, SwarmSpec spec)
        {
            if (ServiceOptions.Changed(pr, Autolock))
            {
                throw new CliException(NoAutolock);
            }
            spec.Orchestration ??= new SwarmOrchestrationConfig();
            spec.Raft ??= new SwarmRaftConfig();
            spec.Dispatcher ??= new SwarmDispatcherConfig();
            spec.CAConfig ??= new SwarmCAConfig();
            if (ServiceOptions.Changed(pr, TaskHistoryLimit))
            {
                spec.Orchestration.TaskHistoryRetentionLimit = ServiceOptions.ParseInt(pr, TaskHistoryLimit);
            }
            if (ServiceOptions.Changed(pr, DispatcherHeartbeat))
            {
                spec.Dispatcher.HeartbeatPeriod = ServiceOptions.ParseDuration(pr, DispatcherHeartbeat, positive: false);
            }
            if (ServiceOptions.Changed(pr, CertExpiry))
            {
                spec.CAConfig.NodeCertExpiry = ServiceOptions.ParseDuration(pr, CertExpiry, positive: false);
            }
        }
    }

    private static Command Init(CliContext ctx)
    {
        var cmd = Common.Cmd("init", "Initialize a swarm");
        var advertise = Common.Str("--advertise-addr", null, "Advertised address (format: \"<ip|interface>[:port]\")");
        var listen = Common.Str("--listen-addr", null, "Listen address (format: \"<ip|interface>[:port]\") (default 0.0.0.0:2377)");
        var availability = Common.Str("--availability", null, "Availability of the node (\"active\", \"pause\", \"drain\") (default \"active\")");
        var pools = Common.List("--default-addr-pool", null, "default address pool in CIDR format (default [])");
        var maskLength = Common.Str("--default-addr-pool-mask-length", null, "default address pool subnet mask length (default 24)");
        var specFlags = new SpecFlags();
        foreach (var o in new Option[] { advertise, listen, availability, pools, maskLength }.Concat(specFlags.All))
        {
            cmd.Options.Add(o);
        }
        cmd.SetAction(async (pr, ct) =>
        {
            var listenAddr = ServiceOptions.Changed(pr, listen) ? ParseNodeAddr(listen, pr.GetValue(listen) ?? "") : DefaultListenAddr;
            var addrPools = new List<string>();
            foreach (var value in pr.GetValue(pools) ?? [])
            {
                foreach (var cidr in value.Split(','))
                {
                    addrPools.Add(ParseCidr(pools, value, cidr.Trim()));
                }
            }
            var subnetSize = ServiceOptions.Changed(pr, maskLength) ? (uint)ServiceOptions.ParseUint(pr, maskLength, 32) : 24;
            var spec = new SwarmSpec { TaskDefaults = new SwarmTaskDefaults(), EncryptionConfig = new SwarmEncryptionConfig() };
            specFlags.Merge(pr, spec);
            var request = new SwarmInitRequest
            {
                ListenAddr = listenAddr,
                AdvertiseAddr = pr.GetValue(advertise) ?? "",
                DataPathAddr = "",
                DataPathPort = 0,
                DefaultAddrPool = addrPools,
                SubnetSize = subnetSize,
                Spec = spec,
                Availability = ServiceOptions.Changed(pr, availability) ? ValidateAvailability(pr.GetValue(availability) ?? "") : "",
            };
            string nodeId;
            try
            {
                nodeId = await ctx.Client.PostAsync("/swarm/init", request, SkiffJson.Default.SwarmInitRequest, SkiffJson.Default.String, ct);
            }
            catch (DaemonException e) when (e.DaemonMessage.Contains("could not choose an IP address to advertise", StringComparison.Ordinal)
                || e.DaemonMessage.Contains("could not find the system's IP address", StringComparison.Ordinal))
            {
                throw new CliException(e.Message + " - specify one with --advertise-addr");
            }
            await ctx.Out.WriteAsync($"Swarm initialized: current node ({nodeId}) is now a manager.\n\n");
            await PrintJoinCommandAsync(ctx, nodeId, worker: true, manager: false, ct);
            await ctx.Out.WriteLineAsync("To add a manager to this swarm, run 'docker swarm join-token manager' and follow the instructions.");
            return 0;
        });
        return cmd;
    }

    private static string ValidateAvailability(string value)
    {
        var lower = value.ToLowerInvariant();
        if (lower is not ("active" or "pause" or "drain"))
        {
            throw new CliException($"invalid availability \"{value}\", only active, pause and drain are supported");
        }
        return lower;
    }

    /// <summary>docker's NodeAddrOption (opts.ParseTCPAddr): "ip|interface[:port]" completed from 0.0.0.0:2377.</summary>
    internal static string ParseNodeAddr(Option option, string value)
    {
        var rest = value;
        var scheme = rest.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
        {
            var proto = rest[..scheme];
            if (proto != "tcp")
            {
                throw ServiceOptions.Invalid(option, value, "invalid proto, expected tcp: " + value);
            }
            rest = rest[(scheme + 3)..];
        }
        if (rest.Contains('/', StringComparison.Ordinal))
        {
            throw ServiceOptions.Invalid(option, value, "should not contain a path element");
        }
        string host, port;
        if (rest.StartsWith('['))
        {
            var close = rest.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                throw ServiceOptions.Invalid(option, value, "missing ']' in address");
            }
            host = rest[1..close];
            port = close + 1 < rest.Length && rest[close + 1] == ':' ? rest[(close + 2)..] : "";
        }
        else
        {
            var colon = rest.LastIndexOf(':');
            host = colon < 0 ? rest : rest[..colon];
            port = colon < 0 ? "" : rest[(colon + 1)..];
        }
        if (host.Length == 0)
        {
            host = "0.0.0.0";
        }
        if (port.Length == 0)
        {
            port = "2377";
        }
        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var p) || p is <= 0 or > 65535)
        {
            throw ServiceOptions.Invalid(option, value, "invalid port: " + port);
        }
        return host.Contains(':', StringComparison.Ordinal) ? $"[{host}]:{port}" : $"{host}:{port}";
    }

    /// <summary>A CIDR in canonical form (network address), like Go's net.IPNet String().</summary>
    private static string ParseCidr(Option option, string flagValue, string cidr)
    {
        var slash = cidr.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || !IPAddress.TryParse(cidr[..slash], out var ip)
            || !int.TryParse(cidr[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var prefix)
            || prefix > (ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128))
        {
            throw ServiceOptions.Invalid(option, flagValue, "invalid string being converted to CIDR: " + cidr);
        }
        var bytes = ip.GetAddressBytes();
        for (var i = 0; i < bytes.Length; i++)
        {
            var bits = Math.Clamp(prefix - i * 8, 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - bits));
        }
        return new IPAddress(bytes) + "/" + prefix.ToString(CultureInfo.InvariantCulture);
    }

    private static Command Join(CliContext ctx)
    {
        var cmd = Common.Cmd("join", "Join a swarm as a node and/or manager");
        var advertise = Common.Str("--advertise-addr", null, "Advertised address (format: \"<ip|interface>[:port]\")");
        var availability = Common.Str("--availability", null, "Availability of the node (\"active\", \"pause\", \"drain\") (default \"active\")");
        var listen = Common.Str("--listen-addr", null, "Listen address (format: \"<ip|interface>[:port]\") (default 0.0.0.0:2377)");
        var token = Common.Str("--token", null, "Token for entry into the swarm");
        var remote = Common.Arg("HOST:PORT");
        foreach (var o in new Option[] { advertise, availability, listen, token })
        {
            cmd.Options.Add(o);
        }
        cmd.Arguments.Add(remote);
        cmd.SetAction(async (pr, ct) =>
        {
            var request = new SwarmJoinRequest
            {
                ListenAddr = ServiceOptions.Changed(pr, listen) ? ParseNodeAddr(listen, pr.GetValue(listen) ?? "") : DefaultListenAddr,
                AdvertiseAddr = pr.GetValue(advertise) ?? "",
                DataPathAddr = "",
                RemoteAddrs = [pr.GetValue(remote)!],
                JoinToken = pr.GetValue(token) ?? "",
                Availability = ServiceOptions.Changed(pr, availability) ? ValidateAvailability(pr.GetValue(availability) ?? "") : "",
            };
            await ctx.Client.PostAsync("/swarm/join", EngineClient.JsonBody(request, SkiffJson.Default.SwarmJoinRequest), ct);
            var info = await ctx.Client.GetAsync("/info", SkiffJson.Default.SystemInfo, ct);
            await ctx.Out.WriteLineAsync(info.Swarm.ControlAvailable ? "This node joined a swarm as a manager." : "This node joined a swarm as a worker.");
            return 0;
        });
        return cmd;
    }

    private static Command JoinToken(CliContext ctx)
    {
        var cmd = Common.Cmd("join-token", "Manage join tokens");
        var quiet = Common.Flag("--quiet", "-q", "Only display token");
        var rotate = Common.Flag("--rotate", null, "Rotate join token");
        var role = Common.Arg("(worker|manager)");
        cmd.Options.Add(quiet);
        cmd.Options.Add(rotate);
        cmd.Arguments.Add(role);
        cmd.SetAction(async (pr, ct) =>
        {
            var r = pr.GetValue(role)!;
            var worker = r == "worker";
            var manager = r == "manager";
            if (!worker && !manager)
            {
                throw new CliException("unknown role " + r);
            }
            if (pr.GetValue(rotate))
            {
                var current = await GetSwarmAsync(ctx, ct);
                await UpdateSwarmAsync(ctx, current, rotateWorker: worker, rotateManager: manager, ct);
                if (!pr.GetValue(quiet))
                {
                    await ctx.Out.WriteAsync($"Successfully rotated {r} join token.\n\n");
                }
            }
            var sw = await GetSwarmAsync(ctx, ct);
            if (pr.GetValue(quiet))
            {
                await ctx.Out.WriteLineAsync(worker ? sw.JoinTokens?.Worker ?? "" : sw.JoinTokens?.Manager ?? "");
                return 0;
            }
            var info = await ctx.Client.GetAsync("/info", SkiffJson.Default.SystemInfo, ct);
            await PrintJoinCommandAsync(ctx, info.Swarm.NodeID, worker, manager, ct);
            return 0;
        });
        return cmd;
    }

    private static Task<SwarmInspect> GetSwarmAsync(CliContext ctx, CancellationToken ct) =>
        ctx.Client.GetAsync("/swarm", SkiffJson.Default.SwarmInspect, ct);

    /// <summary>POST /swarm/update with the (modified) spec at the version read.</summary>
    private static async Task UpdateSwarmAsync(CliContext ctx, SwarmInspect sw, bool rotateWorker, bool rotateManager, CancellationToken ct)
    {
        static string B(bool b) => b ? "true" : "false";
        var q = new Query()
            .Add("rotateManagerToken", B(rotateManager))
            .Add("rotateManagerUnlockKey", "false")
            .Add("rotateWorkerToken", B(rotateWorker))
            .Add("version", sw.Version.Index.ToString(CultureInfo.InvariantCulture));
        await ctx.Client.PostAsync("/swarm/update" + q, EngineClient.JsonBody(sw.Spec, SkiffJson.Default.SwarmSpec), ct);
    }

    /// <summary>docker's printJoinCommand: the join command for each role, when this node is a manager.</summary>
    private static async Task PrintJoinCommandAsync(CliContext ctx, string nodeId, bool worker, bool manager, CancellationToken ct)
    {
        var node = await ctx.Client.GetAsync($"/nodes/{Common.Escape(nodeId)}", SkiffJson.Default.NodeWire, ct);
        var sw = await GetSwarmAsync(ctx, ct);
        if (node.ManagerStatus == null)
        {
            return;
        }
        if (worker)
        {
            await ctx.Out.WriteAsync($"To add a worker to this swarm, run the following command:\n\n    docker swarm join --token {sw.JoinTokens?.Worker} {node.ManagerStatus.Addr}\n\n");
        }
        if (manager)
        {
            await ctx.Out.WriteAsync($"To add a manager to this swarm, run the following command:\n\n    docker swarm join --token {sw.JoinTokens?.Manager} {node.ManagerStatus.Addr}\n\n");
        }
    }

    private static Command Leave(CliContext ctx)
    {
        var cmd = Common.Cmd("leave", "Leave the swarm");
        var force = Common.Flag("--force", "-f", "Force this node to leave the swarm, ignoring warnings");
        cmd.Options.Add(force);
        cmd.SetAction(async (pr, ct) =>
        {
            await ctx.Client.PostAsync("/swarm/leave" + (pr.GetValue(force) ? "?force=1" : ""), ct: ct);
            await ctx.Out.WriteLineAsync("Node left the swarm.");
            return 0;
        });
        return cmd;
    }

    private static Command Update(CliContext ctx)
    {
        var cmd = Common.Cmd("update", "Update the swarm");
        var specFlags = new SpecFlags();
        foreach (var o in specFlags.All)
        {
            cmd.Options.Add(o);
        }
        cmd.SetAction(async (pr, ct) =>
        {
            if (!specFlags.All.Any(o => ServiceOptions.Changed(pr, o)))
            {
                await ctx.Out.WriteAsync(SwarmCommon.Help(cmd));
                return 0;
            }
            var sw = await GetSwarmAsync(ctx, ct);
            specFlags.Merge(pr, sw.Spec);
            await UpdateSwarmAsync(ctx, sw, rotateWorker: false, rotateManager: false, ct);
            await ctx.Out.WriteLineAsync("Swarm updated.");
            return 0;
        });
        return cmd;
    }

    private static Command Ca(CliContext ctx)
    {
        var cmd = Common.Cmd("ca", "Display and rotate the root CA");
        var rotationFlags = new Option[]
        {
            Common.Str("--ca-cert", null, "Not supported by skiff (fails)"),
            Common.Str("--ca-key", null, "Not supported by skiff (fails)"),
            Common.Str("--cert-expiry", null, "Not supported by skiff (fails)"),
            Common.Flag("--detach", "-d", "Not supported by skiff (fails)"),
            Common.Str("--external-ca", null, "Not supported by skiff (fails)"),
            Common.Flag("--quiet", "-q", "Not supported by skiff (fails)"),
            Common.Flag("--rotate", null, "Not supported by skiff (fails)"),
        };
        foreach (var o in rotationFlags)
        {
            cmd.Options.Add(o);
        }
        cmd.SetAction(async (pr, ct) =>
        {
            if (rotationFlags.Any(o => ServiceOptions.Changed(pr, o)))
            {
                throw new CliException("skiff does not support rotating the swarm root CA: \"swarm ca\" only displays it");
            }
            var sw = await GetSwarmAsync(ctx, ct);
            var root = sw.TLSInfo.TrustRoot.Trim();
            if (root.Length == 0)
            {
                throw new CliException("No CA information available");
            }
            await ctx.Out.WriteLineAsync(root);
            return 0;
        });
        return cmd;
    }

    private static Func<ParseResult, int> Fail(string suffix) => _ => throw new CliException(NoAutolock + suffix);

    private static Command Unlock()
    {
        var cmd = Common.Cmd("unlock", "Unlock swarm");
        cmd.SetAction(Fail(" (\"swarm unlock\" is not available)"));
        return cmd;
    }

    private static Command UnlockKey()
    {
        var cmd = Common.Cmd("unlock-key", "Manage the unlock key");
        cmd.Options.Add(Common.Flag("--quiet", "-q", "Only display token"));
        cmd.Options.Add(Common.Flag("--rotate", null, "Rotate unlock key"));
        cmd.SetAction(Fail(" (\"swarm unlock-key\" is not available)"));
        return cmd;
    }
}
