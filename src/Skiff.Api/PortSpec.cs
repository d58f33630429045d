using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Skiff.Api;

/// <summary>One container port ("80/tcp") and one host binding for it.</summary>
public sealed record PortMapping(string Port, PortBinding Binding);

/// <summary>Exposed ports and host bindings from <c>-p</c> options (Engine API shapes).</summary>
public sealed class ParsedPortSpecs
{
    public Dictionary<string, EmptyObject> ExposedPorts { get; } = [];

    public Dictionary<string, List<PortBinding>> PortBindings { get; } = [];

    /// <summary>The bindings in <c>HostConfig.PortBindings</c>' shape.</summary>
    public Dictionary<string, List<PortBinding>?> ToHostConfigBindings()
        => PortBindings.ToDictionary(kv => kv.Key, kv => (List<PortBinding>?)kv.Value);
}

/// <summary>
/// Docker's <c>-p/--publish</c> syntax, a port of go-connections' <c>nat.ParsePortSpecs</c>
/// (the version vendored by Docker 20.10, including its error messages):
/// <c>[ip:][hostPort[-end]:]containerPort[-end][/proto]</c>, IPv6 addresses in brackets.
/// No reflection: shared with the NativeAOT CLI.
/// </summary>
public static class PortSpec
{
    /// <summary>Parses several specs into exposed ports and bindings, like <c>nat.ParsePortSpecs</c>.</summary>
    public static ParsedPortSpecs ParseSpecs(IEnumerable<string> specs)
    {
        var result = new ParsedPortSpecs();
        foreach (var raw in specs)
        {
            foreach (var m in ParseSpec(raw))
            {
                result.ExposedPorts.TryAdd(m.Port, new EmptyObject());
                if (!result.PortBindings.TryGetValue(m.Port, out var list))
                {
                    list = [];
                    result.PortBindings[m.Port] = list;
                }

                list.Add(m.Binding);
            }
        }

        return result;
    }

    /// <summary>Parses one spec into one mapping per container port (<c>nat.ParsePortSpec</c>).</summary>
    public static List<PortMapping> ParseSpec(string rawPort)
    {
        var (ip, hostPort, containerPort) = SplitParts(rawPort);
        (var proto, containerPort) = SplitProtoPort(containerPort);

        if (ip.Length > 0 && ip[0] == '[')
        {
            // Go: net.SplitHostPort(ip + ":") strips the brackets.
            var close = ip.IndexOf(']');
            if (close < 0)
            {
                throw new BadRequestException($"Invalid ip address {ip}: address {ip}:: missing ']' in address");
            }

            if (close != ip.Length - 1)
            {
                throw new BadRequestException($"Invalid ip address {ip}: address {ip}:: missing port in address");
            }

            ip = ip[1..close];
        }

        if (ip.Length > 0 && !IsGoIp(ip))
        {
            throw new BadRequestException($"Invalid ip address: {ip}");
        }

        if (containerPort.Length == 0)
        {
            throw new BadRequestException($"No port specified: {rawPort}<empty>");
        }

        if (!TryParsePortRange(containerPort, out var startPort, out var endPort))
        {
            throw new BadRequestException($"invalid containerPort: {containerPort}");
        }

        uint startHostPort = 0, endHostPort = 0;
        if (hostPort.Length > 0 && !TryParsePortRange(hostPort, out startHostPort, out endHostPort))
        {
            throw new BadRequestException($"invalid hostPort: {hostPort}");
        }

        // A host range with a single container port is the range to allocate the host port from.
        if (hostPort.Length > 0 && endPort - startPort != endHostPort - startHostPort && endPort != startPort)
        {
            throw new BadRequestException(
                $"Invalid ranges specified for container and host Ports: {containerPort} and {hostPort}");
        }

        var lowerProto = proto.ToLowerInvariant();
        if (lowerProto is not ("tcp" or "udp" or "sctp"))
        {
            throw new BadRequestException($"invalid proto: {proto}");
        }

        var result = new List<PortMapping>();
        for (uint i = 0; i <= endPort - startPort; i++)
        {
            var cp = (startPort + i).ToString(CultureInfo.InvariantCulture);
            if (hostPort.Length > 0)
            {
                hostPort = (startHostPort + i).ToString(CultureInfo.InvariantCulture);
            }

            if (startPort == endPort && startHostPort != endHostPort)
            {
                hostPort = $"{hostPort}-{endHostPort.ToString(CultureInfo.InvariantCulture)}";
            }

            result.Add(new PortMapping($"{cp}/{lowerProto}", new PortBinding { HostIp = ip, HostPort = hostPort }));
        }

        return result;
    }

    /// <summary><c>nat.SplitProtoPort</c>: "80/udp" -> ("udp", "80"); no proto means tcp.</summary>
    public static (string Proto, string Port) SplitProtoPort(string rawPort)
    {
        var parts = rawPort.Split('/');
        if (rawPort.Length == 0 || parts[0].Length == 0)
        {
            return ("", "");
        }

        if (parts.Length == 1)
        {
            return ("tcp", rawPort);
        }

        return parts[1].Length == 0 ? ("tcp", parts[0]) : (parts[1], parts[0]);
    }

    /// <summary><c>nat.ParsePortRange</c>: "80" or "8000-8010" (end >= start), each 0-65535.</summary>
    public static bool TryParsePortRange(string ports, out uint start, out uint end)
    {
        start = end = 0;
        if (ports.Length == 0)
        {
            return false;
        }

        if (!ports.Contains('-'))
        {
            if (!TryParseUint16(ports, out start))
            {
                return false;
            }

            end = start;
            return true;
        }

        var parts = ports.Split('-');
        if (!TryParseUint16(parts[0], out start) || !TryParseUint16(parts[1], out end))
        {
            start = end = 0;
            return false;
        }

        return end >= start;
    }

    private static (string Ip, string HostPort, string ContainerPort) SplitParts(string raw)
    {
        var parts = raw.Split(':');
        var n = parts.Length;
        var containerPort = parts[n - 1];
        return n switch
        {
            1 => ("", "", containerPort),
            2 => ("", parts[0], containerPort),
            3 => (parts[0], parts[1], containerPort),
            _ => (string.Join(':', parts[..(n - 2)]), parts[n - 2], containerPort),
        };
    }

    // strconv.ParseUint(s, 10, 16): ASCII digits only, value <= 65535.
    private static bool TryParseUint16(string s, out uint value)
    {
        value = 0;
        if (s.Length == 0 || !s.All(char.IsAsciiDigit))
        {
            return false;
        }

        return uint.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value <= 65535;
    }

    // Go's net.ParseIP: dotted quad without leading zeros, or IPv6 (no zone).
    private static bool IsGoIp(string s)
    {
        if (!s.Contains(':'))
        {
            var parts = s.Split('.');
            return parts.Length == 4 && parts.All(p =>
                p.Length is > 0 and <= 3 && p.All(char.IsAsciiDigit) && (p.Length == 1 || p[0] != '0')
                && int.Parse(p, CultureInfo.InvariantCulture) <= 255);
        }

        return !s.Contains('%') && !s.Contains('[')
            && IPAddress.TryParse(s, out var a) && a.AddressFamily == AddressFamily.InterNetworkV6;
    }
}
