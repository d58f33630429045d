using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Skiff.Api;
using Skiff.Cli.Connection;
using Skiff.Cli.Formatting;

namespace Skiff.Cli.Commands;

/// <summary>Option factories with docker's names and shared helpers for the command groups.</summary>
internal static class Common
{
    public const string TableFormatHelp = "Format output using a custom template:\n'table':            Print output in table format with column headers (default)\n'table TEMPLATE':   Print output in table format using the given Go template\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template.\nRefer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates";
    public const string InspectFormatHelp = "Format output using a custom template:\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template.\nRefer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates";

    public static Option<bool> Flag(string name, string? alias, string description) =>
        alias == null ? new Option<bool>(name) { Description = description } : new Option<bool>(name, alias) { Description = description };

    public static Option<string?> Str(string name, string? alias, string description) =>
        alias == null ? new Option<string?>(name) { Description = description } : new Option<string?>(name, alias) { Description = description };

    public static Option<string[]> List(string name, string? alias, string description) =>
        alias == null
            ? new Option<string[]>(name) { Description = description, DefaultValueFactory = _ => [] }
            : new Option<string[]>(name, alias) { Description = description, DefaultValueFactory = _ => [] };

    public static Option<int?> Int(string name, string? alias, string description) =>
        alias == null ? new Option<int?>(name) { Description = description } : new Option<int?>(name, alias) { Description = description };

    public static Command Cmd(string name, string description, params string[] aliases)
    {
        var c = new Command(name, description);
        foreach (var a in aliases)
        {
            c.Aliases.Add(a);
        }
        return c;
    }

    public static Argument<string> Arg(string name) => new(name);

    public static Argument<string[]> Args(string name, int min = 1) => new(name) { Arity = min == 0 ? ArgumentArity.ZeroOrMore : ArgumentArity.OneOrMore };

    /// <summary><c>-f key=value</c> flags to docker's filters JSON <c>{"key":{"value":true}}</c>.</summary>
    public static string? FiltersJson(IEnumerable<string> filters, IEnumerable<KeyValuePair<string, string>>? extra = null)
    {
        var map = new Dictionary<string, Dictionary<string, bool>>(StringComparer.Ordinal);
        foreach (var f in filters)
        {
            var eq = f.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new CliException("bad format of filter (expected name=value)");
            }
            Add(map, f[..eq].Trim().ToLowerInvariant(), f[(eq + 1)..].Trim());
        }
        if (extra != null)
        {
            foreach (var kv in extra)
            {
                Add(map, kv.Key, kv.Value);
            }
        }
        return map.Count == 0 ? null : JsonSerializer.Serialize(map, SkiffJson.Default.DictionaryStringDictionaryStringBoolean);

        static void Add(Dictionary<string, Dictionary<string, bool>> map, string key, string value)
        {
            if (!map.TryGetValue(key, out var values))
            {
                values = new Dictionary<string, bool>(StringComparer.Ordinal);
                map[key] = values;
            }
            values[value] = true;
        }
    }

    /// <summary>Strips "sha256:" and keeps 12 characters (docker's stringid.TruncateID).</summary>
    public static string TruncateId(string id)
    {
        var i = id.IndexOf(':', StringComparison.Ordinal);
        if (i >= 0)
        {
            id = id[(i + 1)..];
        }
        return id.Length > 12 ? id[..12] : id;
    }

    /// <summary>docker's formatter.Ellipsis: at most <paramref name="max"/> characters, the last one "…".</summary>
    public static string Ellipsis(string s, int max)
    {
        if (max <= 0)
        {
            return "";
        }
        if (s.Length <= max)
        {
            return s;
        }
        return max == 1 ? "…" : s[..(max - 1)] + "…";
    }

    /// <summary>Parses the daemon's RFC3339(Nano) timestamps.</summary>
    public static DateTimeOffset? ParseTime(string? text)
    {
        if (string.IsNullOrEmpty(text) || text.StartsWith("0001-01-01", StringComparison.Ordinal))
        {
            return null;
        }
        // .NET accepts at most 7 fractional digits.
        var t = System.Text.RegularExpressions.Regex.Replace(text, @"\.(\d{7})\d+", ".$1");
        return DateTimeOffset.TryParse(t, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var dto) ? dto : null;
    }

    /// <summary>"2 hours ago" style, relative to the context clock.</summary>
    public static string Ago(CliContext ctx, DateTimeOffset when) => Units.HumanDuration(ctx.Time.GetUtcNow() - when) + " ago";

    /// <summary>Go's time.Time String(): "2006-01-02 15:04:05 -0700 MST" in local time.</summary>
    public static string GoTimeString(DateTimeOffset t)
    {
        var local = t.ToLocalTime();
        var offset = local.Offset;
        var sign = offset < TimeSpan.Zero ? "-" : "+";
        var zone = offset == TimeSpan.Zero ? "UTC" : sign + offset.ToString("hhmm", CultureInfo.InvariantCulture);
        return local.ToString("yyyy-MM-dd HH:mm:ss ", CultureInfo.InvariantCulture) + sign + offset.ToString("hhmm", CultureInfo.InvariantCulture) + " " + zone;
    }

    /// <summary>
    /// Runs <paramref name="action"/> for each argument like docker's multi-object commands: errors are
    /// collected and printed at the end (one line each), exit 1 if any failed.
    /// </summary>
    public static async Task<int> ForEachAsync(CliContext ctx, IEnumerable<string> items, Func<string, Task> action)
    {
        var errors = new List<string>();
        foreach (var item in items)
        {
            try
            {
                await action(item);
            }
            catch (DaemonUnreachableException)
            {
                throw;
            }
            catch (CliException e)
            {
                errors.Add(e.Message);
            }
        }
        if (errors.Count > 0)
        {
            foreach (var e in errors)
            {
                await ctx.Err.WriteLineAsync(e);
            }
            return 1;
        }
        return 0;
    }

    public static string Escape(string s) => Uri.EscapeDataString(s);

    /// <summary>"KEY=VALUE" list to a dictionary (labels, options); "KEY" alone maps to "".</summary>
    public static Dictionary<string, string>? KeyValues(IEnumerable<string> items)
    {
        Dictionary<string, string>? map = null;
        foreach (var item in items)
        {
            map ??= new Dictionary<string, string>(StringComparer.Ordinal);
            var eq = item.IndexOf('=', StringComparison.Ordinal);
            if (eq < 0)
            {
                map[item] = "";
            }
            else
            {
                map[item[..eq]] = item[(eq + 1)..];
            }
        }
        return map;
    }

    /// <summary>docker's opts.ParseEnvFile: KEY=VALUE lines, comments, and bare names taken from the environment.</summary>
    public static List<string> ReadKeyValueFile(string path, Func<string, string?> getEnv, bool envLookup)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (IOException e)
        {
            throw new CliException($"open {path}: {e.Message}", CliApp.UsageExitCode);
        }
        catch (UnauthorizedAccessException)
        {
            throw new CliException($"open {path}: permission denied", CliApp.UsageExitCode);
        }
        var result = new List<string>();
        foreach (var raw in lines)
        {
            var line = raw.TrimStart();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }
            if (line.Contains('=', StringComparison.Ordinal))
            {
                var eq = line.IndexOf('=', StringComparison.Ordinal);
                var key = line[..eq];
                if (key.Contains(' ', StringComparison.Ordinal))
                {
                    throw new CliException($"variable '{key}' contains whitespaces", CliApp.UsageExitCode);
                }
                result.Add(line);
            }
            else if (envLookup)
            {
                var v = getEnv(line.Trim());
                if (v != null)
                {
                    result.Add(line.Trim() + "=" + v);
                }
            }
            else
            {
                result.Add(line.Trim());
            }
        }
        return result;
    }

    /// <summary>docker's timetypes.GetTimestamp: a duration ("10m" ago), a unix timestamp, or an RFC3339 date.</summary>
    public static string ToApiTimestamp(string value, DateTimeOffset now)
    {
        if (Units.TryParseGoDuration(value, out var d))
        {
            var t = now - d;
            return t.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture) + "." + (t.Ticks % TimeSpan.TicksPerSecond * 100).ToString("000000000", CultureInfo.InvariantCulture);
        }
        if (System.Text.RegularExpressions.Regex.IsMatch(value, @"^\d+(\.\d+)?$"))
        {
            return value;
        }
        var parsed = ParseTime(value);
        if (parsed == null)
        {
            if (DateTime.TryParseExact(value, ["yyyy-MM-dd", "yyyy-MM-ddTHH:mm", "yyyy-MM-ddTHH:mm:ss"], CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal, out var local))
            {
                parsed = new DateTimeOffset(local);
            }
            else
            {
                throw new CliException($"invalid value for \"since\"/\"until\": failed to parse value as time or duration: \"{value}\"");
            }
        }
        var p = parsed.Value;
        return p.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture) + "." + (p.Ticks % TimeSpan.TicksPerSecond * 100).ToString("000000000", CultureInfo.InvariantCulture);
    }
}

/// <summary>An image reference split like docker's reference.ParseNormalizedNamed.</summary>
internal sealed record ImageReference(string Domain, string Path, string? Tag, string? Digest)
{
    public string FullName => Domain + "/" + Path;

    /// <summary>"busybox" rather than "docker.io/library/busybox".</summary>
    public string FamiliarName => Domain == "docker.io"
        ? Path.StartsWith("library/", StringComparison.Ordinal) ? Path["library/".Length..] : Path
        : FullName;

    public string FamiliarString => FamiliarName + (Tag != null ? ":" + Tag : "") + (Digest != null ? "@" + Digest : "");

    public string FullString => FullName + (Tag != null ? ":" + Tag : "") + (Digest != null ? "@" + Digest : "");

    public ImageReference WithDefaultTag() => Tag == null && Digest == null ? this with { Tag = "latest" } : this;

    public static ImageReference Parse(string reference)
    {
        if (reference.Length == 0 || reference != reference.Trim() || reference.Any(char.IsUpper) && !reference.Contains('/', StringComparison.Ordinal))
        {
            throw new CliException($"invalid reference format: repository name ({reference}) must be lowercase");
        }
        string? digest = null;
        var at = reference.IndexOf('@', StringComparison.Ordinal);
        var name = reference;
        if (at >= 0)
        {
            digest = reference[(at + 1)..];
            name = reference[..at];
        }
        string? tag = null;
        var lastColon = name.LastIndexOf(':');
        var lastSlash = name.LastIndexOf('/');
        if (lastColon > lastSlash)
        {
            tag = name[(lastColon + 1)..];
            name = name[..lastColon];
        }
        string domain;
        string path;
        var slash = name.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            domain = "docker.io";
            path = "library/" + name;
        }
        else
        {
            var first = name[..slash];
            if (first.Contains('.', StringComparison.Ordinal) || first.Contains(':', StringComparison.Ordinal) || first == "localhost" || first.Any(char.IsUpper))
            {
                domain = first;
                path = name[(slash + 1)..];
            }
            else
            {
                domain = "docker.io";
                path = name;
            }
        }
        if (domain == "index.docker.io")
        {
            domain = "docker.io";
        }
        if (path.Any(char.IsUpper))
        {
            throw new CliException($"invalid reference format: repository name ({path}) must be lowercase");
        }
        if (path.Length == 0 || tag is { Length: 0 })
        {
            throw new CliException("invalid reference format");
        }
        return new ImageReference(domain, path, tag, digest);
    }
}
