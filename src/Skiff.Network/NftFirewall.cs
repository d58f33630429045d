using System.Net;
using System.Text;
using Skiff.Api;

namespace Skiff.Network;

/// <summary>A bridge network as the firewall sees it.</summary>
/// <param name="Bridge">Linux bridge name.</param>
/// <param name="Subnet">IPv4 CIDR of the network.</param>
/// <param name="Gateway">Bridge address; DNS (port 53) to it is never DNATed by published ports.</param>
/// <param name="Internal">No traffic between the bridge and anything else (Docker's <c>--internal</c>).</param>
public sealed record FirewallNetwork(string Bridge, string Subnet, IPAddress? Gateway = null, bool Internal = false);

/// <summary>One published port: (proto, hostIp?, hostPort) -> (containerIp, containerPort).</summary>
/// <param name="HostIp">Null or 0.0.0.0 means every local address.</param>
public sealed record PublishedPort(string Protocol, IPAddress? HostIp, int HostPort, IPAddress ContainerIp, int ContainerPort);

/// <summary>The whole desired state of one daemon's table.</summary>
public sealed record FirewallState(IReadOnlyList<FirewallNetwork> Networks, IReadOnlyList<PublishedPort> Ports);

/// <summary>
/// One nftables table (<c>table ip skiff_&lt;bridge&gt;</c>) per daemon. The table is rebuilt from the
/// desired state on every change, in one <c>nft -f -</c> transaction ("create if missing; delete;
/// recreate"), so rules are a pure function of the state (<see cref="Render"/>) and nothing else on the
/// host (other daemons' tables, Docker's iptables) is touched.
/// </summary>
/// <remarks>
/// <para>Chains and priorities (numeric: nft 1.0.6 rejects <c>dstnat</c> in the output hook):
/// <c>prerouting</c>/<c>output</c> nat at -110, just before iptables' nat table (-100), so for a port both
/// engines map, ours is the DNAT that is applied (the first NAT binding of a connection wins);
/// <c>postrouting</c> nat at 100 (srcnat, like iptables' POSTROUTING); <c>forward</c> filter at -10, before
/// iptables' filter (0).</para>
/// <para>nftables semantics: an <c>accept</c> only ends the current base chain; the packet still
/// traverses the other tables' chains on the same hook, and a <c>drop</c> anywhere is final. When
/// Docker is running, its iptables <c>FORWARD</c> chain has policy DROP (and br_netfilter makes even
/// bridge-internal traffic go through it), so Skiff's forward accepts are not enough: skiffd must also
/// add <c>iptables -I DOCKER-USER -i BR -j ACCEPT</c> and <c>-o BR -j ACCEPT</c> (DOCKER-USER is the
/// chain Docker leaves to the admin), see <see cref="DockerUserRulesAsync"/>.</para>
/// </remarks>
public sealed class NftFirewall(string tableName)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Lock _lock = new();
    private readonly Dictionary<string, FirewallNetwork> _networks = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IReadOnlyList<PublishedPort>> _ports = new(StringComparer.Ordinal);

    public string TableName { get; } = ValidateTableName(tableName);

    /// <summary><c>skiff_</c> + the daemon's default bridge name, with characters nft dislikes as '_'.</summary>
    public static string TableNameFor(string bridgeName)
    {
        var sb = new StringBuilder("skiff_");
        foreach (var c in bridgeName)
        {
            sb.Append(char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_');
        }

        return sb.ToString();
    }

    public void SetNetwork(FirewallNetwork network)
    {
        ValidateIfName(network.Bridge);
        _ = Ipv4Cidr.Parse(network.Subnet);
        lock (_lock)
        {
            _networks[network.Bridge] = network;
        }
    }

    public void RemoveNetwork(string bridge)
    {
        lock (_lock)
        {
            _networks.Remove(bridge);
        }
    }

    /// <summary>Sets the published ports of one endpoint (replacing earlier ones).</summary>
    public void SetPorts(string endpointId, IReadOnlyList<PublishedPort> ports)
    {
        foreach (var p in ports)
        {
            _ = ProtoKeyword(p.Protocol);
            if ((p.HostIp is not null && p.HostIp.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
                || p.ContainerIp.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
            {
                throw new BadRequestException($"only IPv4 port mappings are supported (got {p.HostIp} -> {p.ContainerIp}); leave out the IPv6 bindings");
            }

            if (p.HostPort is < 1 or > 65535 || p.ContainerPort is < 1 or > 65535)
            {
                throw new BadRequestException($"invalid port mapping {p.HostPort} -> {p.ContainerPort}");
            }
        }

        lock (_lock)
        {
            _ports[endpointId] = [.. ports];
        }
    }

    public void RemovePorts(string endpointId)
    {
        lock (_lock)
        {
            _ports.Remove(endpointId);
        }
    }

    public FirewallState Snapshot()
    {
        lock (_lock)
        {
            return new FirewallState(
                [.. _networks.Values.OrderBy(n => n.Bridge, StringComparer.Ordinal)],
                [.. _ports.OrderBy(kv => kv.Key, StringComparer.Ordinal).SelectMany(kv => kv.Value)]);
        }
    }

    /// <summary>Renders the current state and applies it atomically.</summary>
    public async Task ApplyAsync(CancellationToken ct = default)
    {
        await _gate.WaitAsync(ct);
        try
        {
            await Nft.ApplyAsync(Render(TableName, Snapshot()), ct);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Removes the table (daemon shutdown without live-restore, or tests).</summary>
    public async Task DeleteAsync(CancellationToken ct = default)
    {
        await _gate.WaitAsync(ct);
        try
        {
            await Nft.ApplyAsync($"table ip {TableName} {{}}\ndelete table ip {TableName}\n", ct);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The full nft script for a state: creates-or-replaces the table in one transaction.</summary>
    public static string Render(string tableName, FirewallState state)
    {
        ValidateTableName(tableName);
        var nets = state.Networks.OrderBy(n => n.Bridge, StringComparer.Ordinal).ToList();
        var sb = new StringBuilder();
        sb.Append($"table ip {tableName} {{}}\n");
        sb.Append($"delete table ip {tableName}\n");
        sb.Append($"table ip {tableName} {{\n");

        // DNAT of published ports, for packets from elsewhere (prerouting) and from the host (output).
        var gateways = nets.Where(n => n.Gateway is not null).Select(n => n.Gateway!.ToString()).ToList();
        sb.Append("\tchain prerouting {\n\t\ttype nat hook prerouting priority -110; policy accept;\n");
        if (gateways.Count > 0)
        {
            // The embedded DNS listens on the gateways: never steal it for a published port 53.
            sb.Append($"\t\tip daddr {Set(gateways)} meta l4proto {{ tcp, udp }} th dport 53 return\n");
        }

        sb.Append("\t\tfib daddr type local jump published\n\t}\n");
        sb.Append("\tchain output {\n\t\ttype nat hook output priority -110; policy accept;\n");
        sb.Append("\t\tfib daddr type local jump published\n\t}\n");
        sb.Append("\tchain published {\n");
        foreach (var p in state.Ports)
        {
            var proto = ProtoKeyword(p.Protocol);
            var match = IsAny(p.HostIp) ? "" : $"ip daddr {Ipv4.ToAddress(Ipv4.ToUInt(p.HostIp!))} ";
            sb.Append($"\t\t{match}{proto} dport {p.HostPort} dnat to {p.ContainerIp}:{p.ContainerPort}\n");
        }

        sb.Append("\t}\n");

        // Source NAT: outbound masquerade, 127.0.0.1 -> container, and hairpin (container -> own port).
        sb.Append("\tchain postrouting {\n\t\ttype nat hook postrouting priority 100; policy accept;\n");
        foreach (var n in nets.Where(n => !n.Internal))
        {
            sb.Append($"\t\tip saddr {Ipv4Cidr.Parse(n.Subnet)} oifname != {Q(n.Bridge)} masquerade\n");
        }

        if (nets.Count > 0)
        {
            sb.Append($"\t\toifname {Set(nets.Select(n => Q(n.Bridge)))} ip saddr 127.0.0.0/8 masquerade\n");
        }

        foreach (var p in state.Ports)
        {
            sb.Append($"\t\tip saddr {p.ContainerIp} ip daddr {p.ContainerIp} {ProtoKeyword(p.Protocol)} dport {p.ContainerPort} masquerade\n");
        }

        sb.Append("\t}\n");

        // Forwarding: isolation between networks, internal networks, then accept the bridges' traffic.
        sb.Append("\tchain forward {\n\t\ttype filter hook forward priority -10; policy accept;\n");
        foreach (var n in nets)
        {
            var others = nets.Where(o => o.Bridge != n.Bridge).Select(o => Q(o.Bridge)).ToList();
            if (others.Count > 0)
            {
                sb.Append($"\t\tiifname {Q(n.Bridge)} oifname {Set(others)} drop\n");
            }
        }

        foreach (var n in nets.Where(n => n.Internal))
        {
            sb.Append($"\t\tiifname {Q(n.Bridge)} oifname != {Q(n.Bridge)} drop\n");
            sb.Append($"\t\toifname {Q(n.Bridge)} iifname != {Q(n.Bridge)} drop\n");
        }

        if (nets.Count > 0)
        {
            var all = Set(nets.Select(n => Q(n.Bridge)));
            sb.Append($"\t\tiifname {all} accept\n");
            sb.Append($"\t\toifname {all} accept\n");
        }

        sb.Append("\t}\n}\n");
        return sb.ToString();
    }

    /// <summary>
    /// Best effort when Docker's iptables are present: accept this bridge's traffic in DOCKER-USER
    /// (which Docker's FORWARD jumps to first), otherwise Docker's DROP policy drops it. No-op when
    /// iptables or the DOCKER-USER chain is missing. <paramref name="add"/> false removes the rules.
    /// </summary>
    public static async Task DockerUserRulesAsync(string bridge, bool add, CancellationToken ct = default)
    {
        ValidateIfName(bridge);
        try
        {
            if ((await Cmd.RunAsync("iptables", ["-w", "-n", "-L", "DOCKER-USER"], null, ct)).ExitCode != 0)
            {
                return;
            }
        }
        catch (CommandException)
        {
            return; // no iptables binary
        }

        foreach (var dir in new[] { "-i", "-o" })
        {
            string[] rule = ["DOCKER-USER", dir, bridge, "-j", "ACCEPT"];
            var present = (await Cmd.RunAsync("iptables", ["-w", "-C", .. rule], null, ct)).ExitCode == 0;
            if (add && !present)
            {
                await Cmd.CheckAsync("iptables", ["-w", "-I", .. rule], null, ct);
            }
            else if (!add && present)
            {
                await Cmd.CheckAsync("iptables", ["-w", "-D", .. rule], null, ct);
            }
        }
    }

    internal static string ProtoKeyword(string proto) => proto.ToLowerInvariant() switch
    {
        "tcp" => "tcp",
        "udp" => "udp",
        "sctp" => "sctp",
        _ => throw new BadRequestException($"invalid proto: {proto}"),
    };

    internal static void ValidateIfName(string name)
    {
        if (name.Length is 0 or > 15 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
        {
            throw new BadRequestException($"invalid interface name: {name}");
        }
    }

    private static bool IsAny(IPAddress? ip) => ip is null || ip.Equals(IPAddress.Any);

    private static string Q(string ifName) => $"\"{ifName}\"";

    private static string Set(IEnumerable<string> items)
    {
        var list = items.ToList();
        return list.Count == 1 ? list[0] : $"{{ {string.Join(", ", list)} }}";
    }

    private static string ValidateTableName(string name)
    {
        if (name.Length is 0 or > 64 || !char.IsAsciiLetter(name[0]) || !name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
        {
            throw new ArgumentException($"invalid nftables table name: {name}", nameof(name));
        }

        return name;
    }
}
