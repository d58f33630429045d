using System.Net;
using Skiff.Api;

namespace Skiff.Network;

/// <summary>
/// Linux bridges and veth pairs for bridge networks. Bridges (rare) are made with <c>ip</c>; a container's veth
/// pair and its address and route (every start) through route netlink from the daemon (<see cref="RtNetlink"/>),
/// the inside half over a netlink socket opened in the container's namespace (see <see cref="NetnsManager"/>).
/// </summary>
public static class BridgeDriver
{
    /// <summary>
    /// Creates the bridge if missing, sets <paramref name="gatewayCidr"/> (e.g. 10.210.0.1/24) on it,
    /// brings it up and enables forwarding and route_localnet (so DNAT of 127.0.0.1:port to a
    /// container can leave through the bridge). Idempotent and safe against a concurrent creator.
    /// </summary>
    public static async Task EnsureBridgeAsync(string bridgeName, string gatewayCidr, CancellationToken ct = default)
    {
        NftFirewall.ValidateIfName(bridgeName);
        if (!Ipv4Cidr.TryParse(gatewayCidr, out _) || !gatewayCidr.Contains('/'))
        {
            throw new BadRequestException($"invalid gateway CIDR: {gatewayCidr}");
        }

        if (!await Ip.LinkExistsAsync(bridgeName, ct))
        {
            var r = await Cmd.RunAsync("ip", ["link", "add", "name", bridgeName, "type", "bridge"], null, ct);
            if (r.ExitCode != 0 && !await Ip.LinkExistsAsync(bridgeName, ct))
            {
                throw new CommandException($"ip link add name {bridgeName} type bridge", r.ExitCode, r.StdErr);
            }
        }

        await Ip.RunAsync(["addr", "replace", gatewayCidr, "dev", bridgeName], ct);
        await Ip.RunAsync(["link", "set", "dev", bridgeName, "up"], ct);
        await WriteSysctlAsync("/proc/sys/net/ipv4/ip_forward", "1", ct);
        await WriteSysctlAsync($"/proc/sys/net/ipv4/conf/{bridgeName}/route_localnet", "1", ct);
    }

    /// <summary>Deletes the bridge; a missing bridge is fine.</summary>
    public static async Task DeleteBridgeAsync(string bridgeName, CancellationToken ct = default)
    {
        NftFirewall.ValidateIfName(bridgeName);
        var r = await Cmd.RunAsync("ip", ["link", "del", "dev", bridgeName], null, ct);
        if (r.ExitCode != 0 && await Ip.LinkExistsAsync(bridgeName, ct))
        {
            throw new CommandException($"ip link del dev {bridgeName}", r.ExitCode, r.StdErr);
        }
    }

    /// <summary>
    /// Host-side veth name for interface <paramref name="index"/> of a container: <c>sk</c> + 11 hex
    /// digits of the id + the index (at most 15 characters, the kernel's limit). Docker's are
    /// <c>veth</c> + 7 hex, so the two never collide.
    /// </summary>
    public static string HostVethName(string containerId, int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(index, 99);
        var id = new string([.. containerId.Where(char.IsAsciiLetterOrDigit)]).ToLowerInvariant();
        var take = Math.Min(id.Length, index < 10 ? 12 : 11);
        return $"sk{id[..take]}{index}";
    }

    /// <summary>
    /// Connects the namespace at <paramref name="netnsPath"/> to <paramref name="bridgeName"/>: a veth
    /// pair whose container end is created directly inside the namespace as <paramref name="ifName"/>
    /// with <paramref name="macAddress"/>, address <paramref name="ipCidr"/> (e.g. 10.210.0.2/24), lo up
    /// and, when <paramref name="gateway"/> is given (first interface only), the default route. The host
    /// end (<see cref="HostVethName"/> of <paramref name="containerId"/> and the index in ifName) joins
    /// the bridge with hairpin on (a container reaching its own published port). A stale veth of the same
    /// name is replaced; on failure the pair is removed. Returns the host veth name.
    /// </summary>
    public static Task<string> AttachAsync(
        string containerId,
        string netnsPath,
        string bridgeName,
        string ifName,
        string ipCidr,
        string? gateway,
        string macAddress,
        CancellationToken ct = default)
    {
        NftFirewall.ValidateIfName(bridgeName);
        NftFirewall.ValidateIfName(ifName);
        if (!File.Exists(netnsPath))
        {
            throw new InvalidOperationException($"network namespace {netnsPath} does not exist");
        }

        var digits = new string([.. ifName.Reverse().TakeWhile(char.IsAsciiDigit).Reverse()]);
        var index = digits.Length is > 0 and <= 2 ? int.Parse(digits, System.Globalization.CultureInfo.InvariantCulture) : 0;
        var hostVeth = HostVethName(containerId, index);

        if (!Ipv4Cidr.TryParse(ipCidr, out var cidr) || !ipCidr.Contains('/'))
        {
            throw new InvalidOperationException($"invalid address: {ipCidr}");
        }

        var address = IPAddress.Parse(ipCidr[..ipCidr.IndexOf('/')]);
        var gatewayAddress = string.IsNullOrEmpty(gateway) ? null : IPAddress.Parse(gateway);
        var mac = string.IsNullOrEmpty(macAddress) ? null : ParseMac(macAddress);

        // Container start latency is dominated by process spawns on these machines, so this is route netlink from the
        // daemon (what `ip` would send), not `ip` and `nsenter ip` processes.
        using var host = RtNetlink.Open();
        _ = host.DeleteLink(hostVeth); // stale from a crash
        var master = host.LinkIndex(bridgeName) ?? throw new InvalidOperationException($"bridge {bridgeName} does not exist");
        using (var ns = File.OpenHandle(netnsPath, FileMode.Open, FileAccess.Read))
        {
            host.CreateVeth(hostVeth, master, ifName, mac, (int)ns.DangerousGetHandle());
        }

        try
        {
            host.SetHairpin(host.LinkIndex(hostVeth) ?? throw new IOException($"{hostVeth} vanished after its creation"));
            using var inside = RtNetlink.OpenIn(netnsPath);
            var link = inside.LinkIndex(ifName) ?? throw new IOException($"{ifName} did not appear in {netnsPath}");
            inside.AddAddress(link, address, cidr.PrefixLength);
            inside.SetUp(link);
            inside.SetUp(inside.LinkIndex("lo") ?? throw new IOException($"no loopback in {netnsPath}"));
            if (gatewayAddress is not null)
            {
                inside.ReplaceDefaultRoute(gatewayAddress, link);
            }
        }
        catch
        {
            _ = host.DeleteLink(hostVeth);
            throw;
        }

        return Task.FromResult(hostVeth);
    }

    private static byte[] ParseMac(string mac)
    {
        var parts = mac.Split(':');
        if (parts.Length != 6 || parts.Any(p => p.Length != 2 || !p.All(char.IsAsciiHexDigit)))
        {
            throw new InvalidOperationException($"invalid MAC address: {mac}");
        }

        return [.. parts.Select(p => Convert.ToByte(p, 16))];
    }

    /// <summary>Removes a veth pair by its host end; already gone (e.g. namespace deleted) is fine.</summary>
    public static Task DetachAsync(string hostVeth, CancellationToken ct = default)
    {
        NftFirewall.ValidateIfName(hostVeth);
        using var host = RtNetlink.Open();
        _ = host.DeleteLink(hostVeth);
        return Task.CompletedTask;
    }

    private static async Task WriteSysctlAsync(string path, string value, CancellationToken ct)
    {
        if ((await File.ReadAllTextAsync(path, ct)).Trim() != value)
        {
            await File.WriteAllTextAsync(path, value, ct);
        }
    }
}
