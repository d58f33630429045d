using Skiff.Api;

namespace Skiff.Network;

/// <summary>
/// Linux bridges and veth pairs for bridge networks. Every operation shells out to <c>ip</c> with an
/// argument list; configuration inside a container's namespace uses <c>nsenter --net=PATH ip ...</c>,
/// which works for namespace files anywhere (see <see cref="NetnsManager"/>).
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
    public static async Task<string> AttachAsync(
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
            throw new NotFoundException($"network namespace {netnsPath} does not exist");
        }

        var digits = new string([.. ifName.Reverse().TakeWhile(char.IsAsciiDigit).Reverse()]);
        var index = digits.Length is > 0 and <= 2 ? int.Parse(digits, System.Globalization.CultureInfo.InvariantCulture) : 0;
        var hostVeth = HostVethName(containerId, index);

        // Container start latency is dominated by process spawns, so each side is one `ip -batch`.
        if (System.IO.Directory.Exists("/sys/class/net/" + hostVeth))
        {
            await Cmd.RunAsync("ip", ["link", "del", "dev", hostVeth], null, ct); // stale from a crash
        }

        var mac = string.IsNullOrEmpty(macAddress) ? "" : $" address {macAddress}";
        try
        {
            await Cmd.CheckAsync("ip", ["-batch", "-"], string.Join('\n',
                $"link add name {hostVeth} type veth peer name {ifName}{mac} netns {netnsPath}",
                $"link set dev {hostVeth} master {bridgeName}",
                $"link set dev {hostVeth} type bridge_slave hairpin on",
                $"link set dev {hostVeth} up") + "\n", ct);
            var inside = new List<string>
            {
                $"addr add {ipCidr} dev {ifName}",
                "link set dev lo up",
                $"link set dev {ifName} up",
            };
            if (!string.IsNullOrEmpty(gateway))
            {
                inside.Add($"route replace default via {gateway} dev {ifName}");
            }

            await Cmd.CheckAsync("nsenter", [$"--net={netnsPath}", "ip", "-batch", "-"], string.Join('\n', inside) + "\n", ct);
        }
        catch
        {
            await Cmd.RunAsync("ip", ["link", "del", "dev", hostVeth], null, CancellationToken.None);
            throw;
        }

        return hostVeth;
    }

    /// <summary>Removes a veth pair by its host end; already gone (e.g. namespace deleted) is fine.</summary>
    public static async Task DetachAsync(string hostVeth, CancellationToken ct = default)
    {
        NftFirewall.ValidateIfName(hostVeth);
        var r = await Cmd.RunAsync("ip", ["link", "del", "dev", hostVeth], null, ct);
        if (r.ExitCode != 0 && await Ip.LinkExistsAsync(hostVeth, ct))
        {
            throw new CommandException($"ip link del dev {hostVeth}", r.ExitCode, r.StdErr);
        }
    }

    private static async Task WriteSysctlAsync(string path, string value, CancellationToken ct)
    {
        if ((await File.ReadAllTextAsync(path, ct)).Trim() != value)
        {
            await File.WriteAllTextAsync(path, value, ct);
        }
    }
}
