using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Skiff.Api;
using Skiff.Network;
using Skiff.Runtime.Containers;
using Skiff.Runtime.Events;
using Skiff.Runtime.Util;

namespace Skiff.Runtime.Networking;

/// <param name="DefaultBindIp">Address for port bindings that name none (dockerd's <c>--ip</c>); null binds every address.</param>
public sealed record NetworkManagerOptions(string DataRoot, string ExecRoot, string BridgeName, string BridgeCidr, string? DefaultBindIp = null);

/// <summary>A local network as persisted in <c>{data-root}/network/networks.json</c>.</summary>
public sealed class NetworkRecord
{
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    /// <summary>bridge, host or null.</summary>
    public string Driver { get; set; } = "bridge";
    public string? Subnet { get; set; }
    public string? Gateway { get; set; }
    public string? IpRange { get; set; }
    public string? Bridge { get; set; }
    public bool Internal { get; set; }
    public bool Attachable { get; set; }
    public bool Predefined { get; set; }
    public DateTimeOffset Created { get; set; }
    public Dictionary<string, string> Labels { get; set; } = [];
    public Dictionary<string, string> Options { get; set; } = [];
}

[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(List<NetworkRecord>))]
internal sealed partial class NetworkJson : JsonSerializerContext
{
}

/// <summary>
/// Docker's local networks (bridge, host, none and user-defined bridges) over Skiff.Network: one Linux bridge per
/// bridge network, a veth per endpoint in the container's own namespace, one nftables table per daemon for NAT and
/// published ports, and an embedded DNS server on each user-defined network's gateway.
/// </summary>
public sealed class NetworkManager : IContainerNetworking, IAsyncDisposable
{
    private readonly NetworkManagerOptions _options;
    private readonly EventBus _events;
    private readonly ILogger _log;
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _apply = new(1, 1);
    private readonly Dictionary<string, NetworkRecord> _networks = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IpamPool> _pools = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, List<PortReservation>> _reservations = new();
    private readonly ConcurrentDictionary<string, EmbeddedDns> _dns = new();
    private readonly NetnsManager _netns;
    private readonly NftFirewall _firewall;
    private readonly HostPortAllocator _ports = new();

    public NetworkManager(NetworkManagerOptions options, EventBus events, ILogger<NetworkManager> log)
    {
        _options = options;
        _events = events;
        _log = log;
        _netns = new NetnsManager(Path.Combine(options.ExecRoot, "netns"));
        _firewall = new NftFirewall(NftFirewall.TableNameFor(options.BridgeName));
        Directory.CreateDirectory(Path.Combine(options.DataRoot, "network"));
        Load();
    }

    /// <summary>The containers, for DNS answers and "active endpoints" checks (set by the engine).</summary>
    public Func<IEnumerable<ContainerRecord>> Containers { get; set; } = () => [];

    private string StateFile => Path.Combine(_options.DataRoot, "network", "networks.json");

    private void Load()
    {
        if (File.Exists(StateFile))
        {
            foreach (var n in JsonSerializer.Deserialize(File.ReadAllBytes(StateFile), NetworkJson.Default.ListNetworkRecord) ?? [])
            {
                _networks[n.Id] = n;
            }
        }

        var bridgeCidr = Ipv4Cidr.Parse(_options.BridgeCidr);
        var gw = _options.BridgeCidr.Split('/')[0];
        var bridge = _networks.Values.FirstOrDefault(n => n.Name == "bridge");
        if (bridge is null)
        {
            bridge = new NetworkRecord { Id = Ids.NewHexId(), Name = "bridge", Predefined = true, Created = DateTimeOffset.UtcNow };
            _networks[bridge.Id] = bridge;
        }

        bridge.Driver = "bridge";
        bridge.Bridge = _options.BridgeName;
        bridge.Subnet = bridgeCidr.ToString();
        bridge.Gateway = gw;
        bridge.Options = new Dictionary<string, string>
        {
            ["com.docker.network.bridge.default_bridge"] = "true",
            ["com.docker.network.bridge.enable_icc"] = "true",
            ["com.docker.network.bridge.enable_ip_masquerade"] = "true",
            ["com.docker.network.bridge.host_binding_ipv4"] = "0.0.0.0",
            ["com.docker.network.bridge.name"] = _options.BridgeName,
            ["com.docker.network.driver.mtu"] = "1500",
        };
        foreach (var (name, driver) in new[] { ("host", "host"), ("none", "null") })
        {
            if (!_networks.Values.Any(n => n.Name == name))
            {
                var r = new NetworkRecord { Id = Ids.NewHexId(), Name = name, Driver = driver, Predefined = true, Created = DateTimeOffset.UtcNow };
                _networks[r.Id] = r;
            }
        }

        foreach (var n in _networks.Values.Where(n => n.Driver == "bridge"))
        {
            _pools[n.Id] = new IpamPool(n.Subnet!, n.Gateway, n.IpRange);
        }

        Save();
    }

    private void Save()
    {
        var list = _networks.Values.OrderBy(n => n.Created).ToList();
        AtomicFile.WriteAllBytes(StateFile, JsonSerializer.SerializeToUtf8Bytes(list, NetworkJson.Default.ListNetworkRecord));
    }

    /// <summary>Brings up the default bridge and the firewall table, and the DNS servers of user networks.</summary>
    public async Task StartAsync(CancellationToken ct)
    {
        var bridge = _networks.Values.First(n => n.Name == "bridge");
        await BridgeDriver.EnsureBridgeAsync(bridge.Bridge!, $"{bridge.Gateway}/{Ipv4Cidr.Parse(bridge.Subnet!).PrefixLength}", ct);
        _firewall.SetNetwork(new FirewallNetwork(bridge.Bridge!, bridge.Subnet!, IPAddress.Parse(bridge.Gateway!)));
        foreach (var n in _networks.Values.Where(n => n.Driver == "bridge" && !n.Predefined))
        {
            await EnsureUserNetworkAsync(n, ct);
        }

        await _firewall.ApplyAsync(ct);
        await NftFirewall.DockerUserRulesAsync(bridge.Bridge!, add: true, ct);
    }

    private async Task EnsureUserNetworkAsync(NetworkRecord n, CancellationToken ct)
    {
        var prefix = Ipv4Cidr.Parse(n.Subnet!).PrefixLength;
        await BridgeDriver.EnsureBridgeAsync(n.Bridge!, $"{n.Gateway}/{prefix}", ct);
        _firewall.SetNetwork(new FirewallNetwork(n.Bridge!, n.Subnet!, IPAddress.Parse(n.Gateway!), n.Internal));
        if (!_dns.ContainsKey(n.Id))
        {
            var dns = new EmbeddedDns(n.Id, new IPEndPoint(IPAddress.Parse(n.Gateway!), 53), Resolve, EmbeddedDns.ReadUpstreams());
            try
            {
                dns.Start();
                _dns[n.Id] = dns;
            }
            catch (Exception ex) when (ex is System.Net.Sockets.SocketException or InvalidOperationException)
            {
                _log.LogWarning(ex, "embedded DNS for network {Name} could not start", n.Name);
                await dns.DisposeAsync();
            }
        }
    }

    /// <summary>Re-reserves the addresses and host ports of containers that kept running across a restart.</summary>
    public async Task RestoreAsync(CancellationToken ct)
    {
        lock (_gate)
        {
            foreach (var c in Containers().Where(c => c.State.Running))
            {
                foreach (var (name, ep) in c.Networks)
                {
                    if (_pools.TryGetValue(ep.NetworkID, out var pool) && IPAddress.TryParse(ep.IPAddress, out var ip))
                    {
                        pool.Restore([ip]);
                    }
                }
            }
        }

        foreach (var c in Containers().Where(c => c.State.Running))
        {
            var ep = c.Networks.Values.FirstOrDefault(e => !string.IsNullOrEmpty(e.IPAddress));
            if (ep is not null && c.Ports.Count > 0)
            {
                _firewall.SetPorts(ep.EndpointID, ToPublished(c, IPAddress.Parse(ep.IPAddress)));
            }
        }

        await ApplyFirewallAsync(ct);
    }

    private async Task ApplyFirewallAsync(CancellationToken ct)
    {
        await _apply.WaitAsync(ct);
        try
        {
            await _firewall.ApplyAsync(ct);
        }
        finally
        {
            _apply.Release();
        }
    }

    // ------------------------------------------------------------------ the API's view

    public NetworkRecord Find(string idOrName)
    {
        lock (_gate)
        {
            if (_networks.TryGetValue(idOrName, out var n))
            {
                return n;
            }

            var byName = _networks.Values.FirstOrDefault(x => x.Name == idOrName);
            if (byName is not null)
            {
                return byName;
            }

            var byPrefix = _networks.Values.Where(x => x.Id.StartsWith(idOrName, StringComparison.Ordinal)).ToList();
            if (byPrefix.Count == 1)
            {
                return byPrefix[0];
            }

            throw new NotFoundException($"network {idOrName} not found");
        }
    }

    public IReadOnlyList<NetworkRecord> List()
    {
        lock (_gate)
        {
            return _networks.Values.OrderBy(n => n.Created).ToList();
        }
    }

    public NetworkResource ToResource(NetworkRecord n)
    {
        var res = new NetworkResource
        {
            Name = n.Name,
            Id = n.Id,
            Created = Rfc3339.Format(n.Created),
            Scope = "local",
            Driver = n.Driver,
            Internal = n.Internal,
            Attachable = n.Attachable,
            IPAM = new Ipam
            {
                Driver = "default",
                Config = n.Subnet is null ? [] : [new IpamConfig { Subnet = n.Subnet, Gateway = n.Gateway, IPRange = n.IpRange }],
            },
            Options = n.Options,
            Labels = n.Labels,
        };
        foreach (var c in Containers())
        {
            foreach (var ep in c.Networks.Values.Where(e => e.NetworkID == n.Id && (c.State.Running || n.Driver != "bridge")))
            {
                res.Containers[c.Id] = new NetworkContainer
                {
                    Name = c.Name.TrimStart('/'),
                    EndpointID = ep.EndpointID,
                    MacAddress = ep.MacAddress,
                    IPv4Address = string.IsNullOrEmpty(ep.IPAddress) ? "" : $"{ep.IPAddress}/{ep.IPPrefixLen}",
                };
            }
        }

        return res;
    }

    public async Task<NetworkRecord> CreateAsync(NetworkCreateRequest req, CancellationToken ct)
    {
        var driver = string.IsNullOrEmpty(req.Driver) ? "bridge" : req.Driver;
        if (string.IsNullOrWhiteSpace(req.Name))
        {
            throw new BadRequestException("network name is required");
        }

        if (driver == "overlay")
        {
            throw new SkiffException(503, "This node is not a swarm manager. Use \"docker swarm init\" or \"docker swarm join\" to connect this node to swarm and try again.");
        }

        if (driver != "bridge")
        {
            throw new NotFoundException($"plugin \"{driver}\" not found");
        }

        if (req.EnableIPv6)
        {
            throw new BadRequestException("IPv6 networks are not supported by skiffd yet");
        }

        if (req.IPAM?.Config is { Count: > 1 })
        {
            throw new BadRequestException("only one IPv4 subnet per network is supported by skiffd");
        }

        var unsupported = (req.Options ?? []).Keys.Where(k => k is not ("com.docker.network.bridge.name" or "com.docker.network.driver.mtu")).ToList();
        if (unsupported.Count > 0)
        {
            throw new BadRequestException($"network driver options not supported by skiffd: {string.Join(", ", unsupported)}");
        }

        var cfg = req.IPAM?.Config?.FirstOrDefault();
        var routes = string.IsNullOrEmpty(cfg?.Subnet) ? await SubnetAllocator.ReadHostRoutesAsync(ct) : [];
        NetworkRecord n;
        lock (_gate)
        {
            if (_networks.Values.Any(x => x.Name == req.Name))
            {
                throw new ConflictException($"network with name {req.Name} already exists");
            }

            string subnet;
            if (!string.IsNullOrEmpty(cfg?.Subnet))
            {
                if (!Ipv4Cidr.TryParse(cfg.Subnet, out var s))
                {
                    throw new BadRequestException($"invalid subnet {cfg.Subnet}: invalid CIDR address: {cfg.Subnet}");
                }

                if (_networks.Values.Any(x => x.Subnet is not null && Ipv4Cidr.Parse(x.Subnet).Overlaps(s)))
                {
                    throw new ConflictException($"Pool overlaps with other one on this address space");
                }

                subnet = s.ToString();
            }
            else
            {
                subnet = new SubnetAllocator().Allocate(_networks.Values.Where(x => x.Subnet is not null).Select(x => x.Subnet!), routes);
            }

            var pool = new IpamPool(subnet, string.IsNullOrEmpty(cfg?.Gateway) ? null : cfg.Gateway, string.IsNullOrEmpty(cfg?.IPRange) ? null : cfg.IPRange);
            var id = Ids.NewHexId();
            n = new NetworkRecord
            {
                Id = id,
                Name = req.Name,
                Driver = "bridge",
                Subnet = subnet,
                Gateway = pool.Gateway.ToString(),
                IpRange = string.IsNullOrEmpty(cfg?.IPRange) ? null : cfg.IPRange,
                Bridge = (req.Options ?? []).GetValueOrDefault("com.docker.network.bridge.name") ?? "sk-" + id[..12],
                Internal = req.Internal,
                Attachable = req.Attachable,
                Created = DateTimeOffset.UtcNow,
                Labels = req.Labels ?? [],
                Options = req.Options ?? [],
            };
            _networks[id] = n;
            _pools[id] = pool;
            Save();
        }

        try
        {
            await EnsureUserNetworkAsync(n, ct);
            await ApplyFirewallAsync(ct);
        }
        catch
        {
            await RemoveAsync(n.Id, CancellationToken.None);
            throw;
        }

        _events.Publish("network", "create", n.Id, new Dictionary<string, string> { ["name"] = n.Name, ["type"] = n.Driver });
        return n;
    }

    public async Task RemoveAsync(string idOrName, CancellationToken ct)
    {
        var n = Find(idOrName);
        if (n.Predefined)
        {
            throw new SkiffException(403, $"{n.Name} is a pre-defined network and cannot be removed");
        }

        if (Containers().Any(c => c.State.Running && c.Networks.Values.Any(e => e.NetworkID == n.Id)))
        {
            throw new SkiffException(403, $"error while removing network: network {n.Name} id {n.Id} has active endpoints");
        }

        lock (_gate)
        {
            _networks.Remove(n.Id);
            _pools.Remove(n.Id);
            Save();
        }

        if (_dns.TryRemove(n.Id, out var dns))
        {
            await dns.DisposeAsync();
        }

        _firewall.RemoveNetwork(n.Bridge!);
        await ApplyFirewallAsync(ct);
        await BridgeDriver.DeleteBridgeAsync(n.Bridge!, ct);
        _events.Publish("network", "destroy", n.Id, new Dictionary<string, string> { ["name"] = n.Name, ["type"] = n.Driver });
    }

    // ------------------------------------------------------------------ IContainerNetworking

    public void PrepareCreate(ContainerRecord c)
    {
        var mode = c.HostConfig.NetworkMode;
        if (string.IsNullOrEmpty(mode) || mode == "default")
        {
            mode = "bridge";
        }

        if (mode.StartsWith("container:", StringComparison.Ordinal))
        {
            throw new BadRequestException("--network container:<name> is not supported by skiffd yet");
        }

        c.HostConfig.NetworkMode = mode;
        var primary = Find(mode);
        if (primary.Driver is "host" or "null" && c.Networks.Keys.Any(k => Find(k).Id != primary.Id))
        {
            throw new BadRequestException($"container cannot be disconnected from host network or connected to host network");
        }

        if (c.HostConfig.PortBindings is { Count: > 0 } && primary.Driver == "null")
        {
            // Docker accepts this silently and publishes nothing; say so instead.
            throw new BadRequestException("published ports cannot be used with --network none");
        }

        var requested = new Dictionary<string, EndpointSettings>(c.Networks);
        if (requested.Remove("default", out var def))
        {
            // The CLI names the default network "default" in EndpointsConfig.
            requested[mode] = def;
        }

        c.Networks.Clear();
        c.Networks[primary.Name] = Endpoint(primary, requested.GetValueOrDefault(mode) ?? requested.GetValueOrDefault(primary.Name), c);
        foreach (var (name, ep) in requested)
        {
            var n = Find(name);
            if (n.Id != primary.Id)
            {
                c.Networks[n.Name] = Endpoint(n, ep, c);
            }
        }
    }

    private static EndpointSettings Endpoint(NetworkRecord n, EndpointSettings? requested, ContainerRecord c)
    {
        if (requested?.IPAMConfig?.IPv4Address is { Length: > 0 } ip && n.Predefined)
        {
            throw new BadRequestException("user specified IP address is supported on user defined networks only");
        }

        if (requested?.Aliases is { Count: > 0 } && n.Predefined)
        {
            throw new BadRequestException("network-scoped alias is supported only for containers in user defined networks");
        }

        return new EndpointSettings
        {
            NetworkID = n.Id,
            IPAMConfig = requested?.IPAMConfig,
            Aliases = n.Predefined ? null : [.. (requested?.Aliases ?? []), c.Id[..12]],
            Links = requested?.Links,
            DriverOpts = requested?.DriverOpts,
        };
    }

    public async Task AttachAsync(ContainerRecord c, CancellationToken ct)
    {
        var primary = Find(c.HostConfig.NetworkMode!);
        c.Ports = [];
        if (primary.Driver == "host")
        {
            c.NetnsPath = null;
            return;
        }

        if (primary.Driver == "null")
        {
            // runc makes a fresh namespace with only lo.
            c.NetnsPath = null;
            return;
        }

        c.NetnsPath = await _netns.CreateAsync(c.Id, ct);
        try
        {
            var index = 0;
            foreach (var (name, ep) in c.Networks.ToList())
            {
                await ConnectEndpointAsync(c, Find(name), ep, index++, ct);
            }

            await PublishPortsAsync(c, ct);
        }
        catch
        {
            await DetachAsync(c, CancellationToken.None);
            throw;
        }
    }

    private async Task ConnectEndpointAsync(ContainerRecord c, NetworkRecord n, EndpointSettings ep, int index, CancellationToken ct)
    {
        IpamPool pool;
        IPAddress ip;
        lock (_gate)
        {
            pool = _pools[n.Id];
            IPAddress? want = null;
            if (ep.IPAMConfig?.IPv4Address is { Length: > 0 } s && !IPAddress.TryParse(s, out want))
            {
                throw new BadRequestException($"invalid IPv4 address: {s}");
            }

            ip = pool.Allocate(want);
        }

        try
        {
            var mac = Ipv4.MacFromIp(ip);
            var veth = await BridgeDriver.AttachAsync(c.Id, c.NetnsPath!, n.Bridge!, "eth" + index, pool.ToCidr(ip), index == 0 ? pool.Gateway.ToString() : null, mac, ct);
            c.HostVeths.Add(veth);
            ep.NetworkID = n.Id;
            ep.EndpointID = Ids.NewHexId();
            ep.IPAddress = ip.ToString();
            ep.IPPrefixLen = pool.Subnet.PrefixLength;
            ep.Gateway = pool.Gateway.ToString();
            ep.MacAddress = mac;
        }
        catch
        {
            lock (_gate)
            {
                pool.Release(ip);
            }

            throw;
        }
    }

    private async Task PublishPortsAsync(ContainerRecord c, CancellationToken ct)
    {
        var ep = c.Networks.Values.First();
        var bindings = new Dictionary<string, List<PortBinding>?>();
        foreach (var (k, v) in c.HostConfig.PortBindings ?? [])
        {
            bindings[k] = v;
        }

        if (c.HostConfig.PublishAllPorts)
        {
            foreach (var k in (c.Config.ExposedPorts ?? []).Keys)
            {
                if (!bindings.TryGetValue(k, out var b) || b is null || b.Count == 0)
                {
                    bindings[k] = [new PortBinding { HostIp = "", HostPort = "" }];
                }
            }
        }

        var reservations = new List<PortReservation>();
        var resolved = new Dictionary<string, List<PortBinding>?>();
        try
        {
            foreach (var (key, list) in bindings)
            {
                var (port, proto) = ContainerManager.ParsePortKey(key);
                var outList = new List<PortBinding>();
                foreach (var b in list ?? [])
                {
                    IPAddress? hostIp = !string.IsNullOrEmpty(b.HostIp) ? IPAddress.Parse(b.HostIp)
                        : _options.DefaultBindIp is { } defaultIp ? IPAddress.Parse(defaultIp) : null;
                    if (hostIp is { AddressFamily: System.Net.Sockets.AddressFamily.InterNetworkV6 })
                    {
                        continue;
                    }

                    PortReservation r;
                    var endpointName = c.Name.TrimStart('/');
                    if (string.IsNullOrEmpty(b.HostPort))
                    {
                        r = _ports.Reserve(proto, hostIp, 0, endpointName);
                    }
                    else if (b.HostPort.Contains('-', StringComparison.Ordinal))
                    {
                        var parts = b.HostPort.Split('-');
                        r = _ports.ReserveRange(proto, hostIp, int.Parse(parts[0]), int.Parse(parts[1]), endpointName);
                    }
                    else
                    {
                        r = _ports.Reserve(proto, hostIp, int.Parse(b.HostPort), endpointName);
                    }

                    reservations.Add(r);
                    outList.Add(new PortBinding { HostIp = hostIp?.ToString() ?? "0.0.0.0", HostPort = r.HostPort.ToString() });
                }

                resolved[key] = outList;
            }
        }
        catch (Exception ex) when (ex is not SkiffException)
        {
            foreach (var r in reservations)
            {
                r.Dispose();
            }

            throw new SkiffException(500, ex.Message);
        }
        catch
        {
            foreach (var r in reservations)
            {
                r.Dispose();
            }

            throw;
        }

        c.Ports = resolved;
        _reservations[c.Id] = reservations;
        if (resolved.Count > 0)
        {
            _firewall.SetPorts(ep.EndpointID, ToPublished(c, IPAddress.Parse(ep.IPAddress)));
            await ApplyFirewallAsync(ct);
        }
    }

    private static List<PublishedPort> ToPublished(ContainerRecord c, IPAddress containerIp)
    {
        var list = new List<PublishedPort>();
        foreach (var (key, binds) in c.Ports)
        {
            var (port, proto) = ContainerManager.ParsePortKey(key);
            foreach (var b in binds ?? [])
            {
                var hostIp = string.IsNullOrEmpty(b.HostIp) || b.HostIp == "0.0.0.0" ? null : IPAddress.Parse(b.HostIp);
                list.Add(new PublishedPort(proto, hostIp, int.Parse(b.HostPort!), containerIp, port));
            }
        }

        return list;
    }

    public async Task DetachAsync(ContainerRecord c, CancellationToken ct)
    {
        foreach (var ep in c.Networks.Values)
        {
            if (!string.IsNullOrEmpty(ep.EndpointID))
            {
                _firewall.RemovePorts(ep.EndpointID);
            }
        }

        if (_reservations.TryRemove(c.Id, out var res))
        {
            foreach (var r in res)
            {
                r.Dispose();
            }

            await ApplyFirewallAsync(ct);
        }

        foreach (var veth in c.HostVeths)
        {
            await BridgeDriver.DetachAsync(veth, ct);
        }

        c.HostVeths.Clear();
        if (c.NetnsPath is not null)
        {
            await NetnsManager.DeleteAsync(c.NetnsPath, ct);
            c.NetnsPath = null;
        }

        lock (_gate)
        {
            foreach (var ep in c.Networks.Values)
            {
                if (_pools.TryGetValue(ep.NetworkID, out var pool) && IPAddress.TryParse(ep.IPAddress, out var ip))
                {
                    pool.Release(ip);
                }

                ep.IPAddress = "";
                ep.IPPrefixLen = 0;
                ep.Gateway = "";
                ep.MacAddress = "";
                ep.EndpointID = "";
            }
        }

        c.Ports = [];
    }

    public string ResolvConf(ContainerRecord c)
    {
        var host = File.Exists("/etc/resolv.conf") ? File.ReadAllLines("/etc/resolv.conf") : [];
        var search = host.Where(l => l.StartsWith("search ", StringComparison.Ordinal)).ToList();
        var dns = c.HostConfig.Dns ?? [];
        var primary = Find(c.HostConfig.NetworkMode!);
        var lines = new List<string>();
        if (dns.Count > 0)
        {
            lines.AddRange(dns.Select(d => "nameserver " + d));
        }
        else if (primary.Driver == "host")
        {
            return string.Join('\n', host) + "\n";
        }
        else if (!primary.Predefined && primary.Gateway is not null)
        {
            // The embedded DNS of the network (names of containers, then the host's resolvers).
            lines.Add("nameserver " + primary.Gateway);
        }
        else
        {
            var servers = host.Where(l => l.StartsWith("nameserver ", StringComparison.Ordinal))
                .Where(l => !l.Contains(" 127.", StringComparison.Ordinal) && !l.Contains(" ::1", StringComparison.Ordinal)).ToList();
            lines.AddRange(servers.Count > 0 ? servers : ["nameserver 8.8.8.8", "nameserver 8.8.4.4"]);
        }

        lines.AddRange(c.HostConfig.DnsSearch is { Count: > 0 } ds ? ["search " + string.Join(' ', ds)] : search);
        if (c.HostConfig.DnsOptions is { Count: > 0 } o)
        {
            lines.Add("options " + string.Join(' ', o));
        }
        else if (!primary.Predefined)
        {
            lines.Add("options ndots:0");
        }

        return string.Join('\n', lines) + "\n";
    }

    public IEnumerable<string> HostsEntries(ContainerRecord c) => [];

    public void Forget(ContainerRecord c)
    {
        // DNS answers are computed from the live container list on every query: nothing cached to drop.
    }

    /// <summary>Embedded DNS: running containers of the network by name, alias or short id.</summary>
    private IReadOnlyList<IPAddress> Resolve(string networkId, string name)
    {
        var q = name.TrimEnd('.');
        var result = new List<IPAddress>();
        foreach (var c in Containers().Where(c => c.State.Running))
        {
            foreach (var ep in c.Networks.Values.Where(e => e.NetworkID == networkId && !string.IsNullOrEmpty(e.IPAddress)))
            {
                var match = string.Equals(c.Name.TrimStart('/'), q, StringComparison.OrdinalIgnoreCase)
                    || (ep.Aliases ?? []).Any(a => string.Equals(a, q, StringComparison.OrdinalIgnoreCase))
                    || (q.Length >= 12 && c.Id.StartsWith(q, StringComparison.OrdinalIgnoreCase));
                if (match && IPAddress.TryParse(ep.IPAddress, out var ip))
                {
                    result.Add(ip);
                }
            }
        }

        return result;
    }

    // ------------------------------------------------------------------ connect / disconnect

    public async Task ConnectAsync(ContainerRecord c, string network, EndpointSettings? settings, CancellationToken ct)
    {
        var n = Find(network);
        if (n.Driver is "host" or "null" || Find(c.HostConfig.NetworkMode!).Driver is "host" or "null")
        {
            throw new BadRequestException("container cannot be disconnected from host network or connected to host network");
        }

        if (c.Networks.Values.Any(e => e.NetworkID == n.Id))
        {
            throw new SkiffException(403, $"endpoint with name {c.Name.TrimStart('/')} already exists in network {n.Name}");
        }

        var ep = Endpoint(n, settings, c);
        if (c.State.Running && c.NetnsPath is not null)
        {
            await ConnectEndpointAsync(c, n, ep, c.Networks.Count, ct);
        }

        c.Networks[n.Name] = ep;
        _events.Publish("network", "connect", n.Id, new Dictionary<string, string> { ["container"] = c.Id, ["name"] = n.Name, ["type"] = n.Driver });
    }

    public async Task DisconnectAsync(ContainerRecord c, string network, CancellationToken ct)
    {
        var n = Find(network);
        var entry = c.Networks.FirstOrDefault(kv => kv.Value.NetworkID == n.Id);
        if (entry.Value is null)
        {
            throw new SkiffException(403, $"container {c.Id} is not connected to network {n.Name}");
        }

        if (c.State.Running)
        {
            var index = c.Networks.Keys.ToList().IndexOf(entry.Key);
            var veth = BridgeDriver.HostVethName(c.Id, index);
            await BridgeDriver.DetachAsync(veth, ct);
            c.HostVeths.Remove(veth);
            lock (_gate)
            {
                if (_pools.TryGetValue(n.Id, out var pool) && IPAddress.TryParse(entry.Value.IPAddress, out var ip))
                {
                    pool.Release(ip);
                }
            }
        }

        c.Networks.Remove(entry.Key);
        if (c.HostConfig.NetworkMode == n.Name && c.Networks.Count > 0)
        {
            c.HostConfig.NetworkMode = c.Networks.Keys.First();
        }

        _events.Publish("network", "disconnect", n.Id, new Dictionary<string, string> { ["container"] = c.Id, ["name"] = n.Name, ["type"] = n.Driver });
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var d in _dns.Values)
        {
            await d.DisposeAsync();
        }

        foreach (var list in _reservations.Values)
        {
            foreach (var r in list)
            {
                r.Dispose();
            }
        }

        _apply.Dispose();
    }
}
