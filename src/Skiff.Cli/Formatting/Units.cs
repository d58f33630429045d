using System.Globalization;
using System.Text.RegularExpressions;

namespace Skiff.Cli.Formatting;

/// <summary>Ports of docker/go-units: human durations and sizes, and size parsing.</summary>
internal static partial class Units
{
    private static readonly string[] DecimalAbbrs = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
    private static readonly string[] BinaryAbbrs = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"];

    /// <summary>go-units <c>HumanDuration</c>.</summary>
    public static string HumanDuration(TimeSpan d)
    {
        var seconds = (long)d.TotalSeconds;
        if (seconds < 1)
        {
            return "Less than a second";
        }
        if (seconds == 1)
        {
            return "1 second";
        }
        if (seconds < 60)
        {
            return $"{seconds} seconds";
        }
        var minutes = (long)d.TotalMinutes;
        if (minutes == 1)
        {
            return "About a minute";
        }
        if (minutes < 60)
        {
            return $"{minutes} minutes";
        }
        var hours = (long)(d.TotalHours + 0.5);
        if (hours == 1)
        {
            return "About an hour";
        }
        if (hours < 48)
        {
            return $"{hours} hours";
        }
        if (hours < 24 * 7 * 2)
        {
            return $"{hours / 24} days";
        }
        if (hours < 24 * 30 * 2)
        {
            return $"{hours / 24 / 7} weeks";
        }
        if (hours < 24 * 365 * 2)
        {
            return $"{hours / 24 / 30} months";
        }
        return $"{(long)d.TotalHours / 24 / 365} years";
    }

    /// <summary>go-units <c>HumanSizeWithPrecision</c> (decimal units).</summary>
    public static string HumanSizeWithPrecision(double size, int precision)
    {
        var (value, unit) = SizeAndUnit(size, 1000.0, DecimalAbbrs);
        return FormatG(value, precision) + unit;
    }

    /// <summary>go-units <c>HumanSize</c>: precision 4.</summary>
    public static string HumanSize(double size) => HumanSizeWithPrecision(size, 4);

    /// <summary>go-units <c>BytesSize</c> (binary units, precision 4).</summary>
    public static string BytesSize(double size)
    {
        var (value, unit) = SizeAndUnit(size, 1024.0, BinaryAbbrs);
        return FormatG(value, 4) + unit;
    }

    private static (double Value, string Unit) SizeAndUnit(double size, double @base, string[] abbrs)
    {
        var i = 0;
        while (size >= @base && i < abbrs.Length - 1)
        {
            size /= @base;
            i++;
        }
        return (size, abbrs[i]);
    }

    /// <summary>Go's <c>%.Ng</c>.</summary>
    public static string FormatG(double value, int precision)
    {
        var s = value.ToString("G" + precision.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        return s.Replace("E+", "e+", StringComparison.Ordinal).Replace("E-", "e-", StringComparison.Ordinal);
    }

    [GeneratedRegex(@"^(\d+(\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$")]
    private static partial Regex SizeRegex();

    /// <summary>go-units <c>RAMInBytes</c>: binary multipliers, "512m" = 512 MiB.</summary>
    public static long RamInBytes(string size)
    {
        var m = SizeRegex().Match(size);
        if (!m.Success || !double.TryParse(m.Groups[1].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value < 0)
        {
            throw new FormatException($"invalid size: '{size}'");
        }
        var unit = m.Groups[3].Success ? char.ToLowerInvariant(m.Groups[3].Value[0]) : ' ';
        double mult = unit switch
        {
            'k' => 1L << 10,
            'm' => 1L << 20,
            'g' => 1L << 30,
            't' => 1L << 40,
            'p' => 1L << 50,
            _ => 1,
        };
        return (long)(value * mult);
    }

    /// <summary>Go's <c>time.ParseDuration</c> for the units docker accepts (ns, us, ms, s, m, h).</summary>
    public static TimeSpan ParseGoDuration(string text)
    {
        if (!TryParseGoDuration(text, out var d))
        {
            throw new FormatException($"time: invalid duration \"{text}\"");
        }
        return d;
    }

    public static bool TryParseGoDuration(string text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        var s = text;
        var negative = false;
        if (s.StartsWith('-') || s.StartsWith('+'))
        {
            negative = s[0] == '-';
            s = s[1..];
        }
        if (s == "0")
        {
            return true;
        }
        if (s.Length == 0)
        {
            return false;
        }
        double totalNs = 0;
        var i = 0;
        while (i < s.Length)
        {
            var start = i;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.'))
            {
                i++;
            }
            if (start == i || !double.TryParse(s[start..i], NumberStyles.Float, CultureInfo.InvariantCulture, out var n))
            {
                return false;
            }
            var ustart = i;
            while (i < s.Length && !char.IsAsciiDigit(s[i]) && s[i] != '.')
            {
                i++;
            }
            double mult = s[ustart..i] switch
            {
                "ns" => 1,
                "us" or "µs" or "μs" => 1e3,
                "ms" => 1e6,
                "s" => 1e9,
                "m" => 60e9,
                "h" => 3600e9,
                _ => -1,
            };
            if (mult < 0)
            {
                return false;
            }
            totalNs += n * mult;
        }
        duration = TimeSpan.FromTicks((long)(totalNs / 100) * (negative ? -1 : 1));
        return true;
    }

    /// <summary>Nanoseconds in a TimeSpan (Docker's durations on the wire).</summary>
    public static long ToNanoseconds(TimeSpan d) => d.Ticks * 100;

    /// <summary>Go's <c>Duration.String()</c>, e.g. "1m30s", "0s", "500ms".</summary>
    public static string GoDurationString(long nanos)
    {
        if (nanos == 0)
        {
            return "0s";
        }
        var sb = new System.Text.StringBuilder();
        if (nanos < 0)
        {
            sb.Append('-');
            nanos = -nanos;
        }
        if (nanos < 1_000_000_000)
        {
            if (nanos < 1000)
            {
                return sb.Append(nanos).Append("ns").ToString();
            }
            if (nanos < 1_000_000)
            {
                return sb.Append((nanos / 1e3).ToString(CultureInfo.InvariantCulture)).Append("µs").ToString();
            }
            return sb.Append((nanos / 1e6).ToString(CultureInfo.InvariantCulture)).Append("ms").ToString();
        }
        var h = nanos / 3_600_000_000_000;
        var rem = nanos % 3_600_000_000_000;
        var m = rem / 60_000_000_000;
        var sec = (rem % 60_000_000_000) / 1e9;
        if (h > 0)
        {
            sb.Append(h).Append('h');
        }
        if (h > 0 || m > 0)
        {
            sb.Append(m).Append('m');
        }
        sb.Append(sec.ToString(CultureInfo.InvariantCulture)).Append('s');
        return sb.ToString();
    }
}
