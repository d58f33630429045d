using System.Globalization;

namespace Skiff.Api;

public static class Rfc3339
{
    public const string ZeroTime = "0001-01-01T00:00:00Z";

    /// <summary>RFC 3339 with nanoseconds (Go's time.RFC3339Nano, trailing zeros trimmed).</summary>
    public static string Format(DateTimeOffset t)
    {
        var utc = t.UtcDateTime;
        var s = utc.ToString("yyyy-MM-ddTHH:mm:ss.fffffff", CultureInfo.InvariantCulture).TrimEnd('0').TrimEnd('.');
        return s + "Z";
    }

    /// <summary>RFC 3339 with exactly nine fractional digits, as docker logs --timestamps prints.</summary>
    public static string FormatNano(DateTimeOffset t) =>
        t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffff", CultureInfo.InvariantCulture) + "00Z";

    public static bool TryParse(string s, out DateTimeOffset value)
    {
        // Go writes up to 9 fractional digits; .NET parses up to 7.
        var t = s;
        var dot = t.IndexOf('.', StringComparison.Ordinal);
        if (dot > 0)
        {
            var end = dot + 1;
            while (end < t.Length && char.IsAsciiDigit(t[end]))
            {
                end++;
            }

            if (end - dot - 1 > 7)
            {
                t = t[..(dot + 8)] + t[end..];
            }
        }

        return DateTimeOffset.TryParse(t, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out value);
    }
}
