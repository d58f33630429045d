using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Skiff.Runtime.Build;

/// <summary>
/// Parses a Dockerfile as BuildKit's <c>frontend/dockerfile/parser</c> and <c>instructions/parse.go</c> do:
/// parser directives (<c>escape</c>, <c>syntax</c>, <c>check</c>) only before anything else, line continuations with the
/// escape token, comment lines dropped (also inside continuations), keywords case-insensitive, JSON (exec) form
/// with fallback to shell form. Heredocs, ONBUILD and a few flags are refused with a one-line error.
/// </summary>
public static partial class DockerfileParser
{
    private static readonly string[] HealthcheckFlags = ["interval", "timeout", "start-period", "start-interval", "retries"];

    public static Dockerfile Parse(string text, string fileName = "Dockerfile")
    {
        ArgumentNullException.ThrowIfNull(text);
        var notes = new List<string>();
        var lines = text.Replace("\r\n", "\n").Split('\n');
        if (lines.Length > 0 && lines[0].StartsWith('\uFEFF'))
        {
            lines[0] = lines[0][1..];
        }

        var escape = '\\';
        var i = 0;
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (; i < lines.Length; i++)
        {
            var m = DirectiveRegex().Match(lines[i].TrimStart());
            if (!m.Success)
            {
                break;
            }

            var name = m.Groups[1].Value.ToLowerInvariant();
            var value = m.Groups[2].Value;
            if (name is not ("escape" or "syntax" or "check"))
            {
                break; // an ordinary comment ends the directives
            }

            if (!seen.Add(name))
            {
                throw new DockerfileException(fileName, i + 1, $"only one {name} parser directive can be used");
            }

            switch (name)
            {
                case "escape":
                    if (value is not ("`" or "\\"))
                    {
                        throw new DockerfileException(fileName, i + 1, $"invalid escape token '{value}' does not match ` or \\");
                    }

                    escape = value[0];
                    break;
                case "syntax":
                    notes.Add($"{fileName}:{i + 1}: syntax directive '{value}' ignored: skiff uses its built-in Dockerfile frontend");
                    break;
                default:
                    notes.Add($"{fileName}:{i + 1}: check directive ignored: skiff runs no build checks");
                    break;
            }
        }

        var instructions = new List<Instruction>();
        var sb = new StringBuilder();
        var start = 0;
        for (; i < lines.Length; i++)
        {
            var line = lines[i];
            var trimmedStart = line.TrimStart();
            if (trimmedStart.StartsWith('#'))
            {
                continue; // comments are dropped, also between continuation lines
            }

            if (trimmedStart.Length == 0 && (sb.Length == 0 || i + 1 < lines.Length))
            {
                continue; // blank lines, also inside a continuation (BuildKit skips them)
            }

            if (sb.Length == 0)
            {
                start = i + 1;
            }

            var (body, continues) = TrimContinuation(line, escape);
            if (sb.Length == 0)
            {
                body = body.TrimStart();
            }

            sb.Append(body);
            if (continues && i + 1 < lines.Length)
            {
                continue;
            }

            var joined = sb.ToString();
            sb.Clear();
            if (joined.Trim().Length == 0)
            {
                continue;
            }

            instructions.Add(ParseInstruction(joined.Trim(), fileName, start, escape));
        }

        return new Dockerfile(fileName, escape, instructions, notes);
    }

    private static (string Body, bool Continues) TrimContinuation(string line, char escape)
    {
        var end = line.Length;
        while (end > 0 && line[end - 1] is ' ' or '\t')
        {
            end--;
        }

        // BuildKit: the escape token at the end continues the line unless it is itself escaped ("a \\\\").
        if (end > 0 && line[end - 1] == escape && (end == 1 || line[end - 2] != escape))
        {
            return (line[..(end - 1)], true);
        }

        return (line, false);
    }

    private static Instruction ParseInstruction(string text, string file, int line, char escape)
    {
        var ws = 0;
        while (ws < text.Length && !char.IsWhiteSpace(text[ws]))
        {
            ws++;
        }

        var keyword = text[..ws];
        var rest = text[ws..].Trim();
        DockerfileException Error(string msg) => new(file, line, msg);

        var (flags, args) = ExtractFlags(rest);
        var upper = keyword.ToUpperInvariant();
        if (upper is "RUN" or "COPY" or "ADD" && !LooksLikeJson(args) && HeredocRegex().IsMatch(args))
        {
            throw Error($"heredocs are not supported by skiff: {upper} {args}");
        }

        void AllowFlags(params string[] allowed)
        {
            foreach (var f in flags.Keys)
            {
                if (!allowed.Contains(f))
                {
                    throw Error(RefusedFlag(upper, f));
                }
            }
        }

        switch (upper)
        {
            case "FROM":
            {
                AllowFlags();
                var w = SplitFields(args);
                if (w.Count == 1)
                {
                    return new FromInstruction(line, text, w[0], null);
                }

                if (w.Count != 3 || !w[1].Equals("AS", StringComparison.OrdinalIgnoreCase))
                {
                    throw Error("FROM requires either one or three arguments");
                }

                var stage = w[2].ToLowerInvariant();
                if (!StageNameRegex().IsMatch(stage))
                {
                    throw Error($"invalid name for build stage: \"{w[2]}\", name can't start with a number or contain symbols");
                }

                return new FromInstruction(line, text, w[0], stage);
            }

            case "RUN":
                AllowFlags();
                return new RunInstruction(line, text, Command(args, "RUN", Error));
            case "CMD":
                AllowFlags();
                return new CmdInstruction(line, text, Command(args, "CMD", Error, allowEmptyExec: true));
            case "ENTRYPOINT":
                AllowFlags();
                return new EntrypointInstruction(line, text, Command(args, "ENTRYPOINT", Error, allowEmptyExec: true));
            case "SHELL":
            {
                AllowFlags();
                var json = TryJson(args);
                if (json is null)
                {
                    throw Error("SHELL requires the arguments to be in JSON form");
                }

                if (json.Count == 0)
                {
                    throw Error("SHELL requires at least one argument");
                }

                return new ShellInstruction(line, text, json);
            }

            case "COPY":
            case "ADD":
            {
                var isAdd = upper == "ADD";
                if (isAdd)
                {
                    AllowFlags("chown", "chmod");
                }
                else
                {
                    AllowFlags("chown", "chmod", "from");
                }

                var list = TryJson(args) ?? SplitFields(args);
                if (list.Count < 2)
                {
                    throw Error($"{upper} requires at least two arguments, but only one was provided. Destination could not be determined.");
                }

                return new CopyInstruction(line, text, isAdd, list.Take(list.Count - 1).ToList(), list[^1],
                    FlagValue(flags, "chown", Error), FlagValue(flags, "chmod", Error), FlagValue(flags, "from", Error));
            }

            case "ENV":
            case "LABEL":
            {
                AllowFlags();
                var pairs = NameValues(args, upper, escape, Error);
                return upper == "ENV"
                    ? new EnvInstruction(line, text, pairs)
                    : new LabelInstruction(line, text, pairs);
            }

            case "ARG":
            {
                AllowFlags();
                var words = ParseWords(args, escape);
                if (words.Count == 0)
                {
                    throw Error("ARG requires at least one argument");
                }

                var decls = new List<ArgDeclaration>();
                foreach (var w in words)
                {
                    var eq = w.IndexOf('=');
                    var name = eq < 0 ? w : w[..eq];
                    if (name.Length == 0)
                    {
                        throw Error("ARG names can not be blank");
                    }

                    decls.Add(new ArgDeclaration(name, eq < 0 ? null : w[(eq + 1)..]));
                }

                return new ArgInstruction(line, text, decls);
            }

            case "WORKDIR":
                AllowFlags();
                return args.Length == 0 ? throw Error("WORKDIR requires exactly one argument") : new WorkdirInstruction(line, text, args);
            case "USER":
                AllowFlags();
                return args.Length == 0 ? throw Error("USER requires exactly one argument") : new UserInstruction(line, text, args);
            case "STOPSIGNAL":
                AllowFlags();
                return args.Length == 0 || SplitFields(args).Count != 1
                    ? throw Error("STOPSIGNAL requires exactly one argument")
                    : new StopSignalInstruction(line, text, args);
            case "MAINTAINER":
                AllowFlags();
                return args.Length == 0 ? throw Error("MAINTAINER requires exactly one argument") : new MaintainerInstruction(line, text, args);
            case "EXPOSE":
            {
                AllowFlags();
                var ports = SplitFields(args);
                return ports.Count == 0 ? throw Error("EXPOSE requires at least one argument") : new ExposeInstruction(line, text, ports);
            }

            case "VOLUME":
            {
                AllowFlags();
                var paths = TryJson(args) ?? SplitFields(args);
                if (paths.Count == 0 || paths.Any(p => p.Trim().Length == 0))
                {
                    throw Error("VOLUME specified can not be an empty string");
                }

                return new VolumeInstruction(line, text, paths);
            }

            case "HEALTHCHECK":
                return Healthcheck(line, text, flags, args, Error);
            case "ONBUILD":
                throw Error("ONBUILD is not supported by skiff");
            default:
                throw Error($"unknown instruction: {keyword.ToUpperInvariant()}");
        }
    }

    private static string RefusedFlag(string instruction, string flag) => (instruction, flag) switch
    {
        ("FROM", "platform") => "FROM --platform is not supported by skiff: it builds for the host platform only",
        ("RUN", "mount" or "network" or "security") => $"RUN --{flag} is not supported by skiff",
        ("ADD", "from") => "ADD does not support --from; use COPY --from",
        ("COPY" or "ADD", "link" or "parents" or "exclude" or "checksum" or "keep-git-dir") => $"{instruction} --{flag} is not supported by skiff",
        _ => $"unknown flag: {flag}",
    };

    private static HealthcheckInstruction Healthcheck(int line, string text, Dictionary<string, string?> flags, string args, Func<string, DockerfileException> error)
    {
        var fields = SplitFields(args);
        if (fields.Count == 0)
        {
            throw error("HEALTHCHECK requires an argument");
        }

        var kind = fields[0].ToUpperInvariant();
        if (kind == "NONE")
        {
            if (fields.Count > 1 || flags.Count > 0)
            {
                throw error("HEALTHCHECK NONE takes no arguments");
            }

            return new HealthcheckInstruction(line, text, null, 0, 0, 0, 0, 0);
        }

        if (kind != "CMD")
        {
            throw error($"Unknown type \"{kind}\" in HEALTHCHECK (try CMD)");
        }

        foreach (var f in flags.Keys)
        {
            if (!HealthcheckFlags.Contains(f))
            {
                throw error($"unknown flag: {f}");
            }
        }

        var cmdArgs = args[fields[0].Length..].Trim();
        if (cmdArgs.Length == 0 || cmdArgs.Replace(" ", "") == "[]")
        {
            throw error("Missing command after HEALTHCHECK CMD");
        }

        var command = Command(cmdArgs, "HEALTHCHECK CMD", error);
        long Duration(string name)
        {
            var v = FlagValue(flags, name, error);
            if (v is null)
            {
                return 0;
            }

            if (!TryParseGoDuration(v, out var ns))
            {
                throw error($"invalid value for --{name}: time: invalid duration \"{v}\"");
            }

            if (ns != 0 && ns < 1_000_000)
            {
                throw error($"Interval \"{name}\" cannot be less than 1ms");
            }

            return ns;
        }

        var retries = 0;
        if (FlagValue(flags, "retries", error) is { } r)
        {
            if (!int.TryParse(r, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out retries))
            {
                throw error($"invalid value for --retries: \"{r}\"");
            }

            if (retries < 0)
            {
                throw error($"--retries cannot be negative ({retries})");
            }
        }

        return new HealthcheckInstruction(line, text, command, Duration("interval"), Duration("timeout"),
            Duration("start-period"), Duration("start-interval"), retries);
    }

    private static CommandForm Command(string args, string what, Func<string, DockerfileException> error, bool allowEmptyExec = false)
    {
        var json = TryJson(args);
        if (json is not null)
        {
            if (json.Count == 0 && !allowEmptyExec)
            {
                throw error($"{what} requires at least one argument");
            }

            return new CommandForm(true, json);
        }

        if (args.Length == 0)
        {
            throw error($"{what} requires at least one argument");
        }

        return new CommandForm(false, [args]);
    }

    private static bool LooksLikeJson(string s) => s.StartsWith('[') && TryJson(s) is not null;

    /// <summary>A JSON array of strings, or null (then the text is the shell form, as BuildKit's parseMaybeJSON).</summary>
    internal static List<string>? TryJson(string s)
    {
        if (!s.StartsWith('['))
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(s);
            if (doc.RootElement.ValueKind != JsonValueKind.Array)
            {
                return null;
            }

            var list = new List<string>();
            foreach (var e in doc.RootElement.EnumerateArray())
            {
                if (e.ValueKind != JsonValueKind.String)
                {
                    return null;
                }

                list.Add(e.GetString()!);
            }

            return list;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static List<string> SplitFields(string s) =>
        [.. s.Split([' ', '\t', '\n', '\r', '\f', '\v'], StringSplitOptions.RemoveEmptyEntries)];

    private static string? FlagValue(Dictionary<string, string?> flags, string name, Func<string, DockerfileException> error)
    {
        if (!flags.TryGetValue(name, out var v))
        {
            return null;
        }

        return v ?? throw error($"missing a value on flag: {name}");
    }

    /// <summary>Leading <c>--name=value</c> / <c>--name</c> words, as BuildKit's extractBuilderFlags.</summary>
    private static (Dictionary<string, string?> Flags, string Args) ExtractFlags(string rest)
    {
        var flags = new Dictionary<string, string?>(StringComparer.Ordinal);
        while (rest.StartsWith("--", StringComparison.Ordinal))
        {
            var end = 0;
            while (end < rest.Length && !char.IsWhiteSpace(rest[end]))
            {
                end++;
            }

            var word = rest[2..end];
            rest = rest[end..].TrimStart();
            if (word.Length == 0)
            {
                break; // "--" ends the flags
            }

            var eq = word.IndexOf('=');
            flags[eq < 0 ? word : word[..eq]] = eq < 0 ? null : word[(eq + 1)..];
        }

        return (flags, rest);
    }

    /// <summary>ENV/LABEL: <c>k=v k2=v2</c>, or the legacy single <c>k value with spaces</c>.</summary>
    private static List<KeyValuePair<string, string>> NameValues(string args, string what, char escape, Func<string, DockerfileException> error)
    {
        var words = ParseWords(args, escape);
        if (words.Count == 0)
        {
            throw error($"{what} requires at least one argument");
        }

        var pairs = new List<KeyValuePair<string, string>>();
        if (!words[0].Contains('='))
        {
            var parts = args.Split([' ', '\t'], 2, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 2)
            {
                throw error($"{what} must have two arguments");
            }

            pairs.Add(new(parts[0], parts[1].TrimStart()));
            return pairs;
        }

        foreach (var w in words)
        {
            var eq = w.IndexOf('=');
            if (eq < 0)
            {
                throw error($"Syntax error - can't find = in \"{w}\". Must be of the form: name=value");
            }

            if (eq == 0)
            {
                throw error($"{what} names can not be blank");
            }

            pairs.Add(new(w[..eq], w[(eq + 1)..]));
        }

        return pairs;
    }

    /// <summary>Splits on whitespace outside quotes, keeping quotes and escapes (BuildKit's parseWords).</summary>
    internal static List<string> ParseWords(string rest, char escape)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var blankOk = false;
        char? quote = null;
        for (var pos = 0; pos < rest.Length; pos++)
        {
            var ch = rest[pos];
            if (quote is null)
            {
                if (char.IsWhiteSpace(ch))
                {
                    if (blankOk || word.Length > 0)
                    {
                        words.Add(word.ToString());
                    }

                    word.Clear();
                    blankOk = false;
                    continue;
                }

                if (ch is '\'' or '"')
                {
                    quote = ch;
                    blankOk = true;
                }
                else if (ch == escape)
                {
                    if (pos + 1 == rest.Length)
                    {
                        continue;
                    }

                    word.Append(ch);
                    ch = rest[++pos];
                }

                word.Append(ch);
                continue;
            }

            if (ch == quote)
            {
                quote = null;
            }
            else if (ch == escape && quote != '\'')
            {
                if (pos + 1 == rest.Length)
                {
                    continue;
                }

                word.Append(ch);
                ch = rest[++pos];
            }

            word.Append(ch);
        }

        if (word.Length > 0 || blankOk)
        {
            words.Add(word.ToString());
        }

        return words;
    }

    /// <summary>Go's time.ParseDuration (units ns, us, µs, ms, s, m, h; decimals; sums like 1m30s) to nanoseconds.</summary>
    public static bool TryParseGoDuration(string s, out long nanoseconds)
    {
        nanoseconds = 0;
        if (s == "0")
        {
            return true;
        }

        var m = DurationRegex().Match(s);
        if (!m.Success)
        {
            return false;
        }

        decimal total = 0;
        foreach (Capture part in m.Groups["part"].Captures)
        {
            var pm = DurationPartRegex().Match(part.Value);
            var n = decimal.Parse(pm.Groups[1].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
            total += n * pm.Groups[2].Value switch
            {
                "ns" => 1m,
                "us" or "µs" => 1_000m,
                "ms" => 1_000_000m,
                "s" => 1_000_000_000m,
                "m" => 60_000_000_000m,
                _ => 3_600_000_000_000m,
            };
        }

        if (total > long.MaxValue)
        {
            return false;
        }

        nanoseconds = (long)total;
        if (s.StartsWith('-'))
        {
            nanoseconds = -nanoseconds;
        }

        return true;
    }

    [GeneratedRegex(@"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$")]
    private static partial Regex DirectiveRegex();

    [GeneratedRegex(@"(^|\s)<<-?[""']?[A-Za-z_][A-Za-z0-9_]*[""']?")]
    private static partial Regex HeredocRegex();

    [GeneratedRegex(@"^[a-z][a-z0-9\-_\.]*$")]
    private static partial Regex StageNameRegex();

    [GeneratedRegex(@"^[-+]?(?<part>(\d+\.?\d*|\.\d+)(ns|us|µs|ms|s|m|h))+$")]
    private static partial Regex DurationRegex();

    [GeneratedRegex(@"^(\d+\.?\d*|\.\d+)(ns|us|µs|ms|s|m|h)$")]
    private static partial Regex DurationPartRegex();
}
