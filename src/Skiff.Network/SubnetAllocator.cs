using System.Text.Json;
using Skiff.Api;

namespace Skiff.Network;

/// <summary>A pool of address space carved into subnets of one size (Docker's default-address-pools entry).</summary>
public sealed record AddressPool(string Base, int Size);

/// <summary>
/// Picks a free subnet for a new user-defined network, avoiding subnets already used by networks and
/// any host route (another daemon's bridge, a VPN, Docker's docker0 ...). Pure apart from
/// <see cref="ReadHostRoutesAsync"/>.
/// </summary>
/// <remarks>
/// Default pool: 10.210.0.0/16 in /24s (256 networks of 253 containers). Docker uses
/// 172.17.0.0/16-172.31.0.0/16 and 192.168.0.0/16 by default, so Skiff running next to Docker does
/// not take its addresses, and 10.210/16 is rarely used by LANs or VPNs. The default <c>bridge</c>
/// network uses the first /24 of it (<see cref="DefaultBridgeSubnet"/>), which the allocator then skips
/// because it is in use (and routed). A second daemon on the same host sees the first one's routes and
/// picks other subnets.
/// </remarks>
public sealed class SubnetAllocator(IReadOnlyList<AddressPool> pools)
{
    public const string DefaultBridgeSubnet = "10.210.0.0/24";

    public static IReadOnlyList<AddressPool> DefaultPools { get; } = [new("10.210.0.0/16", 24)];

    public SubnetAllocator()
        : this(DefaultPools)
    {
    }

    public IReadOnlyList<AddressPool> Pools { get; } = pools;

    /// <summary>
    /// The first subnet of the pools overlapping none of <paramref name="inUse"/> and none of
    /// <paramref name="hostRoutes"/> (CIDRs or bare addresses; "default" and unparsable entries are ignored).
    /// </summary>
    public string Allocate(IEnumerable<string> inUse, IEnumerable<string> hostRoutes)
    {
        var taken = inUse.Concat(hostRoutes)
            .Select(s => Ipv4Cidr.TryParse(s, out var c) ? c : (Ipv4Cidr?)null)
            .Where(c => c is not null && c.Value.PrefixLength > 0)
            .Select(c => c!.Value)
            .ToList();
        foreach (var pool in Pools)
        {
            var b = Ipv4Cidr.Parse(pool.Base);
            if (pool.Size < b.PrefixLength || pool.Size > 30)
            {
                throw new BadRequestException($"invalid address pool {pool.Base} size {pool.Size}");
            }

            var step = 1UL << (32 - pool.Size);
            for (ulong n = b.Network; n <= b.Broadcast; n += step)
            {
                var candidate = new Ipv4Cidr((uint)n, pool.Size);
                if (!taken.Any(t => t.Overlaps(candidate)))
                {
                    return candidate.ToString();
                }
            }
        }

        throw new SkiffException(500, "could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network");
    }

    /// <summary>Destinations of the host's IPv4 routes (all tables), from <c>ip -j -4 route show table all</c>.</summary>
    public static async Task<IReadOnlyList<string>> ReadHostRoutesAsync(CancellationToken ct = default)
    {
        var json = await Ip.RunAsync(["-j", "-4", "route", "show", "table", "all"], ct);
        var result = new List<string>();
        if (string.IsNullOrWhiteSpace(json))
        {
            return result;
        }

        using var doc = JsonDocument.Parse(json);
        foreach (var r in doc.RootElement.EnumerateArray())
        {
            if (!r.TryGetProperty("dst", out var dst) || dst.GetString() is not { } d || d == "default")
            {
                continue;
            }

            // Skip the loopback and broadcast entries of the local table: they are not networks.
            if (r.TryGetProperty("type", out var t) && t.GetString() is "broadcast")
            {
                continue;
            }

            if (d.StartsWith("127.", StringComparison.Ordinal))
            {
                continue;
            }

            result.Add(d);
        }

        return result;
    }
}
