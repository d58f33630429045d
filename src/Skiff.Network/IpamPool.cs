using System.Net;
using Skiff.Api;

namespace Skiff.Network;

/// <summary>
/// Address allocation inside one network's subnet (pure, thread-safe). The network address, the
/// broadcast address and the gateway are never handed out. Like Docker's default IPAM it hands out
/// the lowest free address, optionally restricted to an <c>IPRange</c> inside the subnet.
/// </summary>
public sealed class IpamPool
{
    private readonly Lock _lock = new();
    private readonly HashSet<uint> _used = [];
    private readonly uint _first;
    private readonly uint _last;

    /// <param name="subnet">CIDR, e.g. <c>10.210.3.0/24</c>.</param>
    /// <param name="gateway">Gateway address; default the first host address of the subnet.</param>
    /// <param name="ipRange">Optional CIDR inside the subnet to allocate container addresses from.</param>
    public IpamPool(string subnet, string? gateway = null, string? ipRange = null)
    {
        Subnet = Ipv4Cidr.Parse(subnet);
        if (Subnet.PrefixLength > 30)
        {
            throw new BadRequestException($"subnet {subnet} is too small: a network needs at least a /30");
        }

        var firstHost = Subnet.Network + 1;
        var lastHost = Subnet.Broadcast - 1;
        if (gateway is null or "")
        {
            Gateway = Ipv4.ToAddress(firstHost);
        }
        else
        {
            if (!Ipv4.TryParseStrict(gateway, out var gw))
            {
                throw new BadRequestException($"invalid gateway address {gateway}");
            }

            if (!Subnet.Contains(gw))
            {
                throw new BadRequestException($"gateway {gateway} is not in subnet {Subnet}");
            }

            Gateway = gw;
        }

        (_first, _last) = (firstHost, lastHost);
        if (ipRange is not null and not "")
        {
            var range = Ipv4Cidr.Parse(ipRange);
            if (!Subnet.Contains(range.Network) || range.PrefixLength < Subnet.PrefixLength)
            {
                throw new BadRequestException($"ip-range {ipRange} is not in subnet {Subnet}");
            }

            _first = Math.Max(range.Network, firstHost);
            _last = Math.Min(range.Broadcast, lastHost);
        }
    }

    public Ipv4Cidr Subnet { get; }

    public IPAddress Gateway { get; }

    /// <summary>The gateway with the subnet's prefix length, e.g. <c>10.210.3.1/24</c> (for the bridge).</summary>
    public string GatewayCidr => $"{Gateway}/{Subnet.PrefixLength}";

    /// <summary>Container address with prefix, e.g. <c>10.210.3.2/24</c>.</summary>
    public string ToCidr(IPAddress address) => $"{address}/{Subnet.PrefixLength}";

    public int AllocatedCount
    {
        get
        {
            lock (_lock)
            {
                return _used.Count;
            }
        }
    }

    /// <summary>
    /// Allocates <paramref name="requested"/> (409 when taken) or the lowest free address.
    /// </summary>
    public IPAddress Allocate(IPAddress? requested = null)
    {
        var gw = Ipv4.ToUInt(Gateway);
        lock (_lock)
        {
            if (requested is not null)
            {
                var r = Ipv4.ToUInt(requested);
                if (!Subnet.Contains(r) || r == Subnet.Network || r == Subnet.Broadcast)
                {
                    throw new BadRequestException($"requested address {requested} is not a host address of subnet {Subnet}");
                }

                if (r == gw || !_used.Add(r))
                {
                    throw new ConflictException($"Address already in use: {requested}");
                }

                return requested;
            }

            for (var a = _first; a <= _last && a >= _first; a++)
            {
                if (a != gw && _used.Add(a))
                {
                    return Ipv4.ToAddress(a);
                }
            }
        }

        throw new SkiffException(503, $"no available IPv4 addresses in subnet {Subnet}");
    }

    /// <summary>Returns an address to the pool; unknown addresses are ignored.</summary>
    public bool Release(IPAddress address)
    {
        lock (_lock)
        {
            return _used.Remove(Ipv4.ToUInt(address));
        }
    }

    public bool IsAllocated(IPAddress address)
    {
        lock (_lock)
        {
            return _used.Contains(Ipv4.ToUInt(address));
        }
    }

    /// <summary>Marks addresses as in use after a daemon restart (from the stored endpoints).</summary>
    public void Restore(IEnumerable<IPAddress> addresses)
    {
        lock (_lock)
        {
            foreach (var a in addresses)
            {
                var v = Ipv4.ToUInt(a);
                if (Subnet.Contains(v))
                {
                    _used.Add(v);
                }
            }
        }
    }
}
