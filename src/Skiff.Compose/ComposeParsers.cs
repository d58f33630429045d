using System.Globalization;
using System.Net;
using System.Text;

namespace Skiff.Compose;

/// <summary>Port short syntax <c>[[IP:](port|range):](port|range)[/protocol]</c>, as docker's nat.ParsePortSpec.</summary>
public static class PortParser
{
    /// <exception cref="FormatException">Not a valid port specification (message says why).</exception>
    public static IReadOnlyList<ServicePort> ParseShort(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var raw = spec;
        var protocol = "tcp";
        var slash = raw.LastIndexOf('/');
        if (slash >= 0)
        {
            protocol = raw[(slash + 1)..];
            raw = raw[..slash];
            if (protocol.Length == 0)
            {
                throw new FormatException("empty protocol");
            }
        }

        string? ip = null;
        string host = "";
        string container;
        if (raw.StartsWith('['))
        {
            var close = raw.IndexOf("]:", StringComparison.Ordinal);
            if (close < 0)
            {
                throw new FormatException("invalid IPv6 address");
            }

            ip = raw[1..close];
            var rest = raw[(close + 2)..].Split(':');
            if (rest.Length != 2)
            {
                throw new FormatException("expected [ip]:host:container");
            }

            (host, container) = (rest[0], rest[1]);
        }
        else
        {
            var parts = raw.Split(':');
            switch (parts.Length)
            {
                case 1:
                    container = parts[0];
                    break;
                case 2:
                    (host, container) = (parts[0], parts[1]);
                    break;
                default:
                    ip = string.Join(':', parts[..^2]);
                    (host, container) = (parts[^2], parts[^1]);
                    break;
            }
        }

        if (ip is not null && (!IPAddress.TryParse(ip, out var address) || (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && ip.Count(c => c == '.') != 3)))
        {
            throw new FormatException($"invalid IP address \"{ip}\"");
        }

        if (container.Length == 0)
        {
            throw new FormatException("no container port");
        }

        var (cStart, cEnd) = Range(container, "container");
        var result = new List<ServicePort>();
        if (host.Length == 0)
        {
            for (var p = cStart; p <= cEnd; p++)
            {
                result.Add(new ServicePort("ingress", p, null, protocol, ip));
            }

            return result;
        }

        var (hStart, hEnd) = Range(host, "host");
        if (cStart == cEnd)
        {
            result.Add(new ServicePort("ingress", cStart, host, protocol, ip));
            return result;
        }

        if (hEnd - hStart != cEnd - cStart)
        {
            throw new FormatException("invalid ranges specified for container and host ports");
        }

        for (var i = 0; i <= cEnd - cStart; i++)
        {
            result.Add(new ServicePort("ingress", cStart + i, (hStart + i).ToString(CultureInfo.InvariantCulture), protocol, ip));
        }

        return result;
    }

    private static (int Start, int End) Range(string text, string what)
    {
        var dash = text.IndexOf('-', StringComparison.Ordinal);
        var start = Port(dash < 0 ? text : text[..dash], what);
        var end = dash < 0 ? start : Port(text[(dash + 1)..], what);
        if (end < start)
        {
            throw new FormatException($"invalid {what} port range {text}");
        }

        return (start, end);
    }

    private static int Port(string text, string what) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is >= 0 and <= 65535
            ? p
            : throw new FormatException($"invalid {what} port \"{text}\"");
}

/// <summary>Volume short syntax <c>[SOURCE:]TARGET[:MODE]</c>.</summary>
public static class VolumeParser
{
    internal static (string? Source, string Target, string? Mode) SplitShort(string spec)
    {
        var parts = spec.Split(':');
        return parts.Length switch
        {
            1 => (null, parts[0], null),
            2 => (parts[0], parts[1], null),
            3 => (parts[0], parts[1], parts[2]),
            _ => throw new FormatException("too many colons"),
        };
    }

    /// <summary>Relative bind sources (<c>.</c>, <c>./x</c>, <c>~/x</c>) are resolved against <paramref name="projectDirectory"/> / home.</summary>
    /// <exception cref="FormatException">Invalid specification.</exception>
    public static ServiceVolume ParseShort(string spec, string projectDirectory, string? home = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var (source, target, mode) = SplitShort(spec);
        if (target.Length == 0)
        {
            throw new FormatException("empty target");
        }

        if (source is { Length: 0 })
        {
            throw new FormatException("empty source");
        }

        var readOnly = false;
        var noCopy = false;
        foreach (var option in (mode ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            switch (option)
            {
                case "ro":
                    readOnly = true;
                    break;
                case "rw" or "z" or "Z" or "shared" or "rshared" or "slave" or "rslave" or "private" or "rprivate" or "consistent" or "cached" or "delegated":
                    break;
                case "nocopy":
                    noCopy = true;
                    break;
                default:
                    throw new FormatException($"invalid mode \"{option}\"");
            }
        }

        if (source is null)
        {
            return new ServiceVolume(VolumeType.Volume, null, target, readOnly) { NoCopy = noCopy };
        }

        if (source.StartsWith('.') || source.StartsWith('/') || source.StartsWith('~'))
        {
            return new ServiceVolume(VolumeType.Bind, ResolvePath(source, projectDirectory, home), target, readOnly) { CreateHostPath = true };
        }

        return new ServiceVolume(VolumeType.Volume, source, target, readOnly) { NoCopy = noCopy };
    }

    public static string ResolvePath(string path, string projectDirectory, string? home = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path == "~" || path.StartsWith("~/", StringComparison.Ordinal))
        {
            home ??= Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            path = home + path[1..];
        }

        return Path.GetFullPath(Path.IsPathRooted(path) ? path : Path.Combine(projectDirectory, path));
    }
}

/// <summary>Typed conversions of compose scalars: Go durations, byte sizes, CPUs.</summary>
public static class ComposeUnits
{
    /// <summary>Go duration syntax: <c>10s</c>, <c>1m30s</c>, <c>1.5h</c>, <c>500ms</c>, <c>10us</c>, <c>0</c>.</summary>
    /// <exception cref="FormatException">Not a duration.</exception>
    public static TimeSpan ParseDuration(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var s = text.Trim();
        var negative = s.StartsWith('-');
        if (negative || s.StartsWith('+'))
        {
            s = s[1..];
        }

        if (s == "0")
        {
            return TimeSpan.Zero;
        }

        if (s.Length == 0)
        {
            throw new FormatException($"invalid duration \"{text}\"");
        }

        double ticks = 0;
        var i = 0;
        while (i < s.Length)
        {
            var start = i;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.'))
            {
                i++;
            }

            if (start == i || !double.TryParse(s[start..i], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            {
                throw new FormatException($"invalid duration \"{text}\"");
            }

            var unitStart = i;
            while (i < s.Length && !char.IsAsciiDigit(s[i]) && s[i] != '.')
            {
                i++;
            }

            double unit = s[unitStart..i] switch
            {
                "ns" => 0.01,
                "us" or "µs" or "μs" => 10,
                "ms" => TimeSpan.TicksPerMillisecond,
                "s" => TimeSpan.TicksPerSecond,
                "m" => TimeSpan.TicksPerMinute,
                "h" => TimeSpan.TicksPerHour,
                _ => throw new FormatException($"invalid duration \"{text}\": missing or unknown unit"),
            };
            ticks += number * unit;
        }

        var span = TimeSpan.FromTicks((long)Math.Round(ticks));
        return negative ? -span : span;
    }

    /// <summary>Go-style duration text as compose prints it (<c>1m30s</c>, <c>10s</c>, <c>500ms</c>).</summary>
    public static string FormatDuration(TimeSpan value)
    {
        if (value == TimeSpan.Zero)
        {
            return "0s";
        }

        var sb = new StringBuilder();
        if (value < TimeSpan.Zero)
        {
            sb.Append('-');
            value = -value;
        }

        if (value < TimeSpan.FromSeconds(1))
        {
            var ms = value.Ticks / (double)TimeSpan.TicksPerMillisecond;
            return sb.Append(ms.ToString(CultureInfo.InvariantCulture)).Append("ms").ToString();
        }

        var hours = (long)value.TotalHours;
        if (hours > 0)
        {
            sb.Append(hours).Append('h');
        }

        if (hours > 0 || value.Minutes > 0)
        {
            sb.Append(value.Minutes).Append('m');
        }

        var seconds = value.Seconds + (value.Ticks % TimeSpan.TicksPerSecond / (double)TimeSpan.TicksPerSecond);
        return sb.Append(seconds.ToString(CultureInfo.InvariantCulture)).Append('s').ToString();
    }

    /// <summary>docker/go-units RAMInBytes: <c>50M</c>, <c>1.5g</c>, <c>512kb</c>, <c>1024</c> (binary multiples).</summary>
    /// <exception cref="FormatException">Not a size.</exception>
    public static long ParseBytes(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var s = text.Trim().ToLowerInvariant();
        var i = 0;
        while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.'))
        {
            i++;
        }

        if (i == 0 || !double.TryParse(s[..i], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
        {
            throw new FormatException($"invalid size \"{text}\"");
        }

        long multiplier = s[i..].Trim() switch
        {
            "" or "b" => 1,
            "k" or "kb" or "kib" => 1L << 10,
            "m" or "mb" or "mib" => 1L << 20,
            "g" or "gb" or "gib" => 1L << 30,
            "t" or "tb" or "tib" => 1L << 40,
            "p" or "pb" or "pib" => 1L << 50,
            _ => throw new FormatException($"invalid size \"{text}\""),
        };
        return (long)(number * multiplier);
    }

    /// <summary>CPUs (<c>"0.1"</c>, <c>1.5</c>) to nano-CPUs.</summary>
    /// <exception cref="FormatException">Not a positive number.</exception>
    public static long ParseNanoCpus(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!decimal.TryParse(text.Trim(), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var cpus))
        {
            throw new FormatException($"invalid cpus \"{text}\"");
        }

        return (long)(cpus * 1_000_000_000m);
    }

    /// <summary>Shell-like split of a string command (quotes and backslashes), as compose-go's shellwords.</summary>
    /// <exception cref="FormatException">Unterminated quote.</exception>
    public static IReadOnlyList<string> SplitCommand(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var words = new List<string>();
        var current = new StringBuilder();
        var inWord = false;
        char quote = '\0';
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quote != '\0')
            {
                if (c == quote)
                {
                    quote = '\0';
                }
                else if (c == '\\' && quote == '"' && i + 1 < text.Length && text[i + 1] is '"' or '\\' or '$')
                {
                    current.Append(text[++i]);
                }
                else
                {
                    current.Append(c);
                }
            }
            else if (c is '\'' or '"')
            {
                quote = c;
                inWord = true;
            }
            else if (c == '\\' && i + 1 < text.Length)
            {
                current.Append(text[++i]);
                inWord = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inWord)
                {
                    words.Add(current.ToString());
                    current.Clear();
                    inWord = false;
                }
            }
            else
            {
                current.Append(c);
                inWord = true;
            }
        }

        if (quote != '\0')
        {
            throw new FormatException("unterminated quote");
        }

        if (inWord)
        {
            words.Add(current.ToString());
        }

        return words;
    }
}
