using System.Globalization;
using System.Text;

namespace Skiff.Cli.Formatting;

/// <summary>Small ports of the Go helpers docker's swarm commands print with (sortorder, shlex, strconv, PrettyPrint).</summary>
internal static class GoText
{
    /// <summary>fvbommel/sortorder <c>NaturalLess</c> as a comparison: digit runs compare numerically.</summary>
    public static int NaturalCompare(string a, string b)
    {
        if (NaturalLess(a, b))
        {
            return -1;
        }
        return NaturalLess(b, a) ? 1 : 0;
    }

    public static readonly IComparer<string> Natural = Comparer<string>.Create(NaturalCompare);

    public static bool NaturalLess(string s1, string s2)
    {
        int i1 = 0, i2 = 0;
        while (i1 < s1.Length && i2 < s2.Length)
        {
            var c1 = s1[i1];
            var c2 = s2[i2];
            var d1 = char.IsAsciiDigit(c1);
            var d2 = char.IsAsciiDigit(c2);
            if (d1 != d2)
            {
                return d1;
            }
            if (!d1)
            {
                if (c1 != c2)
                {
                    return c1 < c2;
                }
                i1++;
                i2++;
                continue;
            }
            while (i1 < s1.Length && s1[i1] == '0')
            {
                i1++;
            }
            while (i2 < s2.Length && s2[i2] == '0')
            {
                i2++;
            }
            int nz1 = i1, nz2 = i2;
            while (i1 < s1.Length && char.IsAsciiDigit(s1[i1]))
            {
                i1++;
            }
            while (i2 < s2.Length && char.IsAsciiDigit(s2[i2]))
            {
                i2++;
            }
            int len1 = i1 - nz1, len2 = i2 - nz2;
            if (len1 != len2)
            {
                return len1 < len2;
            }
            var n1 = s1[nz1..i1];
            var n2 = s2[nz2..i2];
            if (n1 != n2)
            {
                return string.CompareOrdinal(n1, n2) < 0;
            }
            if (nz1 != nz2)
            {
                return nz1 < nz2;
            }
        }
        return s1.Length < s2.Length;
    }

    /// <summary>docker's formatter.PrettyPrint for strings: first letter upper, the rest lower ("" stays, one letter is lowered).</summary>
    public static string PrettyPrint(string? s) => s switch
    {
        null or "" => s ?? "",
        { Length: 1 } => s.ToLowerInvariant(),
        _ => char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant(),
    };

    /// <summary>google/shlex Split: whitespace-separated words, '…' literal, "…" with backslash escapes, # comments.</summary>
    public static List<string> ShlexSplit(string input)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        var i = 0;
        while (i < input.Length)
        {
            var c = input[i];
            if (char.IsWhiteSpace(c))
            {
                if (inWord)
                {
                    words.Add(word.ToString());
                    word.Clear();
                    inWord = false;
                }
                i++;
                continue;
            }
            if (c == '#' && !inWord)
            {
                while (i < input.Length && input[i] != '\n')
                {
                    i++;
                }
                continue;
            }
            inWord = true;
            switch (c)
            {
                case '\'':
                    {
                        var end = input.IndexOf('\'', i + 1);
                        if (end < 0)
                        {
                            throw new FormatException("EOF found when expecting closing quote");
                        }
                        word.Append(input, i + 1, end - i - 1);
                        i = end + 1;
                        break;
                    }
                case '"':
                    {
                        i++;
                        var closed = false;
                        while (i < input.Length)
                        {
                            var d = input[i];
                            if (d == '"')
                            {
                                closed = true;
                                i++;
                                break;
                            }
                            if (d == '\\' && i + 1 < input.Length)
                            {
                                var next = input[i + 1];
                                if (next is '"' or '\\' or '$' or '`' or '\n')
                                {
                                    if (next != '\n')
                                    {
                                        word.Append(next);
                                    }
                                    i += 2;
                                    continue;
                                }
                            }
                            word.Append(d);
                            i++;
                        }
                        if (!closed)
                        {
                            throw new FormatException("EOF found when expecting closing quote");
                        }
                        break;
                    }
                case '\\':
                    if (i + 1 >= input.Length)
                    {
                        throw new FormatException("EOF found after escape character");
                    }
                    if (input[i + 1] != '\n')
                    {
                        word.Append(input[i + 1]);
                    }
                    i += 2;
                    break;
                default:
                    word.Append(c);
                    i++;
                    break;
            }
        }
        if (inWord)
        {
            words.Add(word.ToString());
        }
        return words;
    }

    /// <summary>Go's strconv.ParseUint(s, base, 64) error texts; <paramref name="base0"/> accepts 0x/0o/0b prefixes like base 0.</summary>
    public static bool TryParseUint(string s, bool base0, int bitSize, out ulong value, out string error)
    {
        value = 0;
        error = "";
        var text = s;
        var radix = 10;
        if (base0 && text.Length > 1 && text[0] == '0')
        {
            switch (char.ToLowerInvariant(text[1]))
            {
                case 'x':
                    radix = 16;
                    text = text[2..];
                    break;
                case 'o':
                    radix = 8;
                    text = text[2..];
                    break;
                case 'b':
                    radix = 2;
                    text = text[2..];
                    break;
                default:
                    radix = 8;
                    text = text[1..];
                    break;
            }
            if (base0)
            {
                text = text.Replace("_", "", StringComparison.Ordinal);
            }
        }
        if (text.Length == 0 && radix == 10)
        {
            error = $"strconv.ParseUint: parsing {Quote(s)}: invalid syntax";
            return false;
        }
        var max = bitSize >= 64 ? ulong.MaxValue : (1UL << bitSize) - 1;
        ulong acc = 0;
        var overflow = false;
        foreach (var ch in text)
        {
            var digit = ch switch
            {
                >= '0' and <= '9' => ch - '0',
                >= 'a' and <= 'z' => ch - 'a' + 10,
                >= 'A' and <= 'Z' => ch - 'A' + 10,
                _ => 99,
            };
            if (digit >= radix)
            {
                error = $"strconv.ParseUint: parsing {Quote(s)}: invalid syntax";
                return false;
            }
            if (!overflow)
            {
                var next = unchecked(acc * (ulong)radix + (ulong)digit);
                if (acc > (ulong.MaxValue - (ulong)digit) / (ulong)radix || next > max)
                {
                    overflow = true;
                }
                else
                {
                    acc = next;
                }
            }
        }
        if (overflow)
        {
            error = $"strconv.ParseUint: parsing {Quote(s)}: value out of range";
            return false;
        }
        value = acc;
        return true;
    }

    /// <summary>Go's strconv.ParseInt(s, 0, 64).</summary>
    public static bool TryParseInt(string s, out long value, out string error)
    {
        value = 0;
        error = "";
        var negative = s.StartsWith('-');
        var body = s.StartsWith('-') || s.StartsWith('+') ? s[1..] : s;
        if (!TryParseUint(body, true, 64, out var magnitude, out var uerr))
        {
            error = uerr.Replace("ParseUint", "ParseInt", StringComparison.Ordinal).Replace(Quote(body), Quote(s), StringComparison.Ordinal);
            return false;
        }
        if (negative ? magnitude > 9223372036854775808UL : magnitude > long.MaxValue)
        {
            error = $"strconv.ParseInt: parsing {Quote(s)}: value out of range";
            return false;
        }
        value = negative ? (long)(0 - magnitude) : (long)magnitude;
        return true;
    }

    /// <summary>Go's strconv.ParseFloat(s, 32) (as docker's float flags).</summary>
    public static bool TryParseFloat(string s, out double value, out string error)
    {
        error = "";
        if (s.Length == 0 || s.Contains(' ', StringComparison.Ordinal)
            || !double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out value))
        {
            value = 0;
            error = $"strconv.ParseFloat: parsing {Quote(s)}: invalid syntax";
            return false;
        }
        value = (float)value;
        return true;
    }

    /// <summary>go-units RAMInBytes (v0.5): binary multipliers and its "invalid size"/"invalid suffix" errors.</summary>
    public static bool TryRamInBytes(string size, out long bytes, out string error)
    {
        bytes = -1;
        error = "";
        var sep = size.LastIndexOfAny("01234567890. ".ToCharArray());
        if (sep < 0)
        {
            error = $"invalid size: '{size}'";
            return false;
        }
        string num, sfx;
        if (size[sep] != ' ')
        {
            num = size[..(sep + 1)];
            sfx = size[(sep + 1)..];
        }
        else
        {
            num = size[..sep];
            sfx = size[(sep + 1)..];
        }
        if (!double.TryParse(num, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || num.Contains(' ', StringComparison.Ordinal))
        {
            error = $"strconv.ParseFloat: parsing {Quote(num)}: invalid syntax";
            return false;
        }
        if (value < 0)
        {
            error = $"invalid size: '{size}'";
            return false;
        }
        if (sfx.Length == 0)
        {
            bytes = (long)value;
            return true;
        }
        var lower = sfx.ToLowerInvariant();
        if (sfx.Length > 3 || (lower[0] == 'b' && lower.Length > 1))
        {
            error = $"invalid suffix: '{(sfx.Length > 3 ? sfx : lower)}'";
            return false;
        }
        if (lower[0] == 'b')
        {
            bytes = (long)value;
            return true;
        }
        double mult = lower[0] switch
        {
            'k' => 1L << 10,
            'm' => 1L << 20,
            'g' => 1L << 30,
            't' => 1L << 40,
            'p' => 1L << 50,
            _ => -1,
        };
        if (mult < 0 || (lower.Length == 2 && lower[1] != 'b') || (lower.Length == 3 && lower[1..] != "ib"))
        {
            error = $"invalid suffix: '{lower}'";
            return false;
        }
        bytes = (long)(value * mult);
        return true;
    }

    /// <summary>Go's %q for printable ASCII.</summary>
    public static string Quote(string s) => "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    /// <summary>Go's %v of a float (shortest representation), e.g. 1.5, 0.25, 2.</summary>
    public static string FormatFloat(double v) => v.ToString("R", CultureInfo.InvariantCulture).Replace("E+", "e+", StringComparison.Ordinal).Replace("E-", "e-", StringComparison.Ordinal);

    /// <summary>Go's %v of a float32.</summary>
    public static string FormatFloat32(double v) => ((float)v).ToString(CultureInfo.InvariantCulture).Replace("E+", "e+", StringComparison.Ordinal).Replace("E-", "e-", StringComparison.Ordinal);

    /// <summary>Go's time.Time String() for a UTC instant: "2006-01-02 15:04:05.999999999 +0000 UTC".</summary>
    public static string GoUtcTimeString(string? rfc3339)
    {
        if (string.IsNullOrEmpty(rfc3339))
        {
            return "0001-01-01 00:00:00 +0000 UTC";
        }
        var t = rfc3339.Trim();
        // Keep the nanoseconds exactly as written (.NET keeps 7 digits).
        var m = System.Text.RegularExpressions.Regex.Match(t, @"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$");
        if (!m.Success)
        {
            return t;
        }
        var frac = m.Groups[3].Success ? m.Groups[3].Value.TrimEnd('0') : "";
        if (frac == ".")
        {
            frac = "";
        }
        var zone = m.Groups[4].Value;
        if (zone == "Z")
        {
            return $"{m.Groups[1].Value} {m.Groups[2].Value}{frac} +0000 UTC";
        }
        var offset = zone.Replace(":", "", StringComparison.Ordinal);
        return $"{m.Groups[1].Value} {m.Groups[2].Value}{frac} {offset} {offset}";
    }
}
