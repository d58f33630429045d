using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Skiff.Api;

namespace Skiff.Runtime.Build;

/// <summary>What a step needs from the executor: nothing (config only), running a command, or copying files.</summary>
public enum BuildStepKind
{
    Config,
    Run,
    Copy,

    /// <summary>WORKDIR: config change plus a layer in which the directory exists (created as the current USER, like BuildKit).</summary>
    Workdir,
}

/// <summary>RUN resolved: the argv (SHELL applied to the shell form) and its environment (image Env plus declared build args).</summary>
public sealed record RunDetails(IReadOnlyList<string> Argv, IReadOnlyList<string> Env);

/// <summary>COPY/ADD resolved. Destination is absolute (relative ones joined to WORKDIR; a trailing '/' kept).
/// <see cref="FromStage"/> is a stage index, <see cref="FromImage"/> an image reference (COPY --from only).
/// <see cref="ArchiveCandidates"/>: ADD sources whose name looks like a local tar archive; Docker decides by the
/// file's content (tar, gzip, bzip2, xz), so the executor must sniff every ADD source, these are a hint.</summary>
public sealed record CopyDetails(
    bool IsAdd,
    IReadOnlyList<string> Sources,
    string Destination,
    string? Chown,
    int? Chmod,
    int? FromStage,
    string? FromImage,
    string ContentDigest,
    IReadOnlyList<string> ArchiveCandidates);

/// <summary>One planned instruction: the config after it, what changed, the cache key and the history entry.</summary>
public sealed record BuildStep(
    Instruction Instruction,
    BuildStepKind Kind,
    string NormalizedText,
    string CacheKey,
    ContainerConfig Config,
    IReadOnlyList<string> Shell,
    IReadOnlyList<string> ChangedFields,
    OciHistory History,
    RunDetails? Run,
    CopyDetails? Copy);

/// <summary>A stage: its base (image reference, "scratch" or an earlier stage) and its steps.</summary>
public sealed record BuildStage(
    int Index,
    string? Name,
    string BaseImage,
    int? BaseStage,
    ContainerConfig BaseConfig,
    string BaseCacheKey,
    IReadOnlyList<BuildStep> Steps,
    ContainerConfig Config,
    IReadOnlyList<string> Shell,
    string? Author)
{
    public string CacheKey => Steps.Count > 0 ? Steps[^1].CacheKey : BaseCacheKey;

    public bool IsScratch => BaseStage is null && BaseImage.Equals("scratch", StringComparison.OrdinalIgnoreCase);
}

/// <summary>
/// The pure planning half of <c>docker build</c>: stages, variable expansion with build args / ARG / ENV,
/// the image config after every step, cache keys and classic-builder history strings.
/// </summary>
public sealed partial record BuildPlan(
    IReadOnlyList<BuildStage> Stages,
    BuildStage Target,
    IReadOnlyDictionary<string, string> MetaArgs,
    IReadOnlyList<string> Warnings,
    IReadOnlyList<string> Notes)
{
    public static readonly IReadOnlyList<string> DefaultShell = ["/bin/sh", "-c"];

    /// <summary>Build args usable without an ARG declaration (not reported as unconsumed, not in history or cache key).</summary>
    public static readonly IReadOnlySet<string> ProxyArgs = new HashSet<string>(StringComparer.Ordinal)
    {
        "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy",
        "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy",
    };

    /// <summary>Stages needed for <see cref="Target"/> (itself and its FROM / COPY --from dependencies), in build order.</summary>
    public IReadOnlyList<BuildStage> RequiredStages
    {
        get
        {
            var need = new HashSet<int>();
            void Visit(int i)
            {
                if (!need.Add(i))
                {
                    return;
                }

                var s = Stages[i];
                if (s.BaseStage is { } b)
                {
                    Visit(b);
                }

                foreach (var st in s.Steps)
                {
                    if (st.Copy?.FromStage is { } f)
                    {
                        Visit(f);
                    }
                }
            }

            Visit(Target.Index);
            return [.. Stages.Where(s => need.Contains(s.Index))];
        }
    }

    public static BuildPlan Create(
        Dockerfile parsed,
        IReadOnlyDictionary<string, string>? buildArgs = null,
        string? target = null,
        Func<IReadOnlyList<string>, string>? contentDigest = null,
        Func<string, ContainerConfig?>? baseConfig = null)
    {
        ArgumentNullException.ThrowIfNull(parsed);
        buildArgs ??= new Dictionary<string, string>();
        var planner = new Planner(parsed, buildArgs, contentDigest, baseConfig);
        return planner.Plan(target);
    }

    internal static string Sha256Hex(string text) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private sealed class Planner(
        Dockerfile file,
        IReadOnlyDictionary<string, string> buildArgs,
        Func<IReadOnlyList<string>, string>? contentDigest,
        Func<string, ContainerConfig?>? baseConfig)
    {
        private readonly ShellLexer _lexer = new(file.EscapeToken);
        private readonly Dictionary<string, string?> _meta = new(StringComparer.Ordinal);
        private readonly Dictionary<string, string> _builtins = Builtins();
        private readonly List<string> _notes = [.. file.Notes];
        private readonly List<BuildStage> _stages = [];
        private readonly List<HashSet<string>> _consumedPerStage = [];
        private readonly HashSet<string> _metaConsumed = new(StringComparer.Ordinal);

        public BuildPlan Plan(string? target)
        {
            var instructions = file.Instructions;
            var i = 0;
            for (; i < instructions.Count && instructions[i] is ArgInstruction meta; i++)
            {
                foreach (var d in meta.Args)
                {
                    _metaConsumed.Add(d.Name);
                    _meta[d.Name] = buildArgs.TryGetValue(d.Name, out var v)
                        ? v
                        : d.Default is null ? null : Expand(meta, d.Default, MetaLookup);
                }
            }

            if (i == instructions.Count)
            {
                throw new DockerfileException(file.FileName, instructions.Count > 0 ? instructions[^1].Line : 1,
                    "the Dockerfile has no FROM instruction (file with no instructions)");
            }

            if (instructions[i] is not FromInstruction)
            {
                throw new DockerfileException(file.FileName, instructions[i].Line,
                    $"no build stage in current context: {instructions[i].Keyword} before FROM");
            }

            while (i < instructions.Count)
            {
                var from = (FromInstruction)instructions[i++];
                var body = new List<Instruction>();
                while (i < instructions.Count && instructions[i] is not FromInstruction)
                {
                    body.Add(instructions[i++]);
                }

                _stages.Add(PlanStage(from, body));
            }

            BuildStage targetStage;
            if (target is null)
            {
                targetStage = _stages[^1];
            }
            else
            {
                targetStage = _stages.FirstOrDefault(s => string.Equals(s.Name, target, StringComparison.OrdinalIgnoreCase))
                    ?? throw new DockerfileException($"target stage \"{target}\" could not be found");
            }

            var plan = new BuildPlan(_stages, targetStage, _meta.Where(kv => kv.Value is not null)
                .ToDictionary(kv => kv.Key, kv => kv.Value!), [], _notes);
            var consumed = new HashSet<string>(_metaConsumed, StringComparer.Ordinal);
            foreach (var s in plan.RequiredStages)
            {
                consumed.UnionWith(_consumedPerStage[s.Index]);
            }

            var unused = buildArgs.Keys.Where(k => !consumed.Contains(k) && !ProxyArgs.Contains(k)).Order(StringComparer.Ordinal).ToList();
            var warnings = unused.Count == 0
                ? []
                : new List<string> { $"[Warning] One or more build-args [{string.Join(' ', unused)}] were not consumed" };
            return plan with { Warnings = warnings };
        }

        private static Dictionary<string, string> Builtins()
        {
            var arch = RuntimeInformation.OSArchitecture switch
            {
                Architecture.Arm64 => "arm64",
                Architecture.Arm => "arm",
                Architecture.S390x => "s390x",
                Architecture.Ppc64le => "ppc64le",
                _ => "amd64",
            };
            var platform = "linux/" + arch;
            return new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["BUILDPLATFORM"] = platform,
                ["BUILDOS"] = "linux",
                ["BUILDARCH"] = arch,
                ["BUILDVARIANT"] = "",
                ["TARGETPLATFORM"] = platform,
                ["TARGETOS"] = "linux",
                ["TARGETARCH"] = arch,
                ["TARGETVARIANT"] = "",
            };
        }

        private string? MetaLookup(string name) =>
            _meta.TryGetValue(name, out var v) ? v : _builtins.GetValueOrDefault(name);

        private string Expand(Instruction ins, string word, Func<string, string?> lookup)
        {
            try
            {
                return _lexer.ProcessWord(word, lookup);
            }
            catch (FormatException e)
            {
                throw new DockerfileException(file.FileName, ins.Line, e.Message);
            }
        }

        private DockerfileException Error(Instruction ins, string message) => new(file.FileName, ins.Line, message);

        private BuildStage PlanStage(FromInstruction from, List<Instruction> body)
        {
            var index = _stages.Count;
            var consumed = new HashSet<string>(StringComparer.Ordinal);
            _consumedPerStage.Add(consumed);
            if (from.StageName is { } n && _stages.Any(s => s.Name == n))
            {
                throw Error(from, $"duplicate stage name \"{n}\"");
            }

            var image = Expand(from, from.Image, MetaLookup);
            if (image.Length == 0)
            {
                throw Error(from, $"base name ({from.Image}) should not be blank");
            }

            int? baseStage = null;
            ContainerConfig config;
            string baseKey;
            var prior = _stages.FirstOrDefault(s => string.Equals(s.Name, image, StringComparison.OrdinalIgnoreCase));
            if (prior is not null)
            {
                baseStage = prior.Index;
                config = ConfigCloner.Clone(prior.Config);
                baseKey = prior.CacheKey;
            }
            else
            {
                config = image.Equals("scratch", StringComparison.OrdinalIgnoreCase)
                    ? new ContainerConfig()
                    : ConfigCloner.Clone(baseConfig?.Invoke(image) ?? new ContainerConfig());
                baseKey = Sha256Hex("FROM " + image);
            }

            var baseSnapshot = ConfigCloner.Clone(config);
            var shell = (IReadOnlyList<string>)(prior?.Shell ?? DefaultShell);
            string? author = prior?.Author;
            var args = new Dictionary<string, string?>(StringComparer.Ordinal);
            var cmdSet = false;
            var parentKey = baseKey;
            var steps = new List<BuildStep>();

            string? EnvValue(string name)
            {
                if (config.Env is { } env)
                {
                    for (var k = env.Count - 1; k >= 0; k--)
                    {
                        var e = env[k];
                        if (e.Length > name.Length && e[name.Length] == '=' && e.StartsWith(name, StringComparison.Ordinal))
                        {
                            return e[(name.Length + 1)..];
                        }

                        if (e == name)
                        {
                            return "";
                        }
                    }
                }

                return null;
            }

            string? Lookup(string name)
            {
                var v = EnvValue(name);
                if (v is not null)
                {
                    return v; // ENV wins over ARG
                }

                return args.TryGetValue(name, out var a) ? a : null;
            }

            foreach (var ins in body)
            {
                var kind = BuildStepKind.Config;
                var changed = new List<string>();
                RunDetails? run = null;
                CopyDetails? copy = null;
                string normalized;
                string createdBy;
                var digestPart = "";
                switch (ins)
                {
                    case RunInstruction r:
                    {
                        kind = BuildStepKind.Run;
                        var argv = r.Command.ToArgv(shell);
                        var argEnv = args.Where(kv => kv.Value is not null && EnvValue(kv.Key) is null)
                            .OrderBy(kv => kv.Key, StringComparer.Ordinal)
                            .Select(kv => kv.Key + "=" + kv.Value).ToList();
                        var proxies = buildArgs.Where(kv => ProxyArgs.Contains(kv.Key) && !args.ContainsKey(kv.Key))
                            .OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key + "=" + kv.Value);
                        run = new RunDetails(argv, [.. config.Env ?? [], .. argEnv, .. proxies]);
                        var prefix = argEnv.Count > 0 ? $"|{argEnv.Count} {string.Join(' ', argEnv)} " : "";
                        createdBy = prefix + string.Join(' ', argv);
                        normalized = "RUN " + Json(new { argv, args = argEnv });
                        break;
                    }

                    case CmdInstruction c:
                        config.Cmd = [.. c.Command.ToArgv(shell)];
                        cmdSet |= c.Command.Args.Count > 0; // "CMD []" does not protect CMD from a later ENTRYPOINT
                        changed.Add("Cmd");
                        createdBy = Nop(shell, "CMD " + GoQuote(config.Cmd));
                        normalized = "CMD " + Json(config.Cmd);
                        break;
                    case EntrypointInstruction e:
                        config.Entrypoint = [.. e.Command.ToArgv(shell)];
                        changed.Add("Entrypoint");
                        if (!cmdSet && config.Cmd is not null)
                        {
                            config.Cmd = null; // ENTRYPOINT drops a CMD inherited from the base
                            changed.Add("Cmd");
                        }

                        createdBy = Nop(shell, "ENTRYPOINT " + GoQuote(config.Entrypoint));
                        normalized = "ENTRYPOINT " + Json(new { config.Entrypoint, config.Cmd });
                        break;
                    case ShellInstruction sh:
                        shell = sh.Shell;
                        changed.Add("Shell");
                        createdBy = Nop(shell, "SHELL [" + string.Join(' ', shell) + "]");
                        normalized = "SHELL " + Json(shell);
                        break;
                    case EnvInstruction env:
                    {
                        var pairs = env.Pairs.Select(p => (K: Expand(env, p.Key, Lookup), V: Expand(env, p.Value, Lookup))).ToList();
                        config.Env ??= [];
                        foreach (var (k, v) in pairs)
                        {
                            var idx = config.Env.FindIndex(x => x == k || x.StartsWith(k + "=", StringComparison.Ordinal));
                            if (idx >= 0)
                            {
                                config.Env[idx] = k + "=" + v;
                            }
                            else
                            {
                                config.Env.Add(k + "=" + v);
                            }
                        }

                        changed.Add("Env");
                        var text = string.Concat(pairs.Select(p => " " + p.K + "=" + p.V));
                        createdBy = Nop(shell, "ENV" + text);
                        normalized = "ENV " + Json(pairs.Select(p => new[] { p.K, p.V }));
                        break;
                    }

                    case LabelInstruction l:
                    {
                        var pairs = l.Pairs.Select(p => (K: Expand(l, p.Key, Lookup), V: Expand(l, p.Value, Lookup))).ToList();
                        config.Labels ??= [];
                        foreach (var (k, v) in pairs)
                        {
                            config.Labels[k] = v;
                        }

                        changed.Add("Labels");
                        createdBy = Nop(shell, "LABEL" + string.Concat(pairs.Select(p => " " + p.K + "=" + p.V)));
                        normalized = "LABEL " + Json(pairs.Select(p => new[] { p.K, p.V }));
                        break;
                    }

                    case ArgInstruction a:
                    {
                        var parts = new List<string>();
                        foreach (var d in a.Args)
                        {
                            consumed.Add(d.Name);
                            string? value;
                            if (buildArgs.TryGetValue(d.Name, out var given))
                            {
                                value = given;
                            }
                            else if (d.Default is not null)
                            {
                                value = Expand(a, d.Default, Lookup);
                            }
                            else if (_meta.TryGetValue(d.Name, out var mv))
                            {
                                value = mv;
                            }
                            else
                            {
                                value = _builtins.TryGetValue(d.Name, out var bv) ? bv : null;
                            }

                            args[d.Name] = value;
                            parts.Add(d.Default is null ? d.Name : d.Name + "=" + Expand(a, d.Default, Lookup));
                        }

                        createdBy = Nop(shell, "ARG " + string.Join(' ', parts));
                        normalized = "ARG " + Json(parts);
                        break;
                    }

                    case WorkdirInstruction w:
                    {
                        var path = Expand(w, w.Path, Lookup);
                        if (path.Length == 0)
                        {
                            throw Error(w, "WORKDIR cannot be empty");
                        }

                        kind = BuildStepKind.Workdir;
                        config.WorkingDir = CleanPath(path.StartsWith('/') ? path : (config.WorkingDir ?? "/") + "/" + path);
                        changed.Add("WorkingDir");
                        createdBy = string.Join(' ', shell) + " #(nop) WORKDIR " + config.WorkingDir; // withCmdCommentString: one space
                        normalized = "WORKDIR " + config.WorkingDir;
                        break;
                    }

                    case UserInstruction u:
                        config.User = Expand(u, u.User, Lookup);
                        changed.Add("User");
                        createdBy = Nop(shell, "USER " + config.User);
                        normalized = "USER " + config.User;
                        break;
                    case StopSignalInstruction s:
                    {
                        var sig = Expand(s, s.Signal, Lookup);
                        if (!IsValidSignal(sig))
                        {
                            throw Error(s, $"Invalid signal: {sig}");
                        }

                        config.StopSignal = sig;
                        changed.Add("StopSignal");
                        createdBy = Nop(shell, "STOPSIGNAL " + sig);
                        normalized = "STOPSIGNAL " + sig;
                        break;
                    }

                    case MaintainerInstruction m:
                        author = m.Maintainer;
                        changed.Add("Author");
                        createdBy = Nop(shell, "MAINTAINER " + author);
                        normalized = "MAINTAINER " + author;
                        break;
                    case ExposeInstruction x:
                    {
                        // EXPOSE is the one instruction whose expansion may yield several words ($PORTS="80 443").
                        var words = x.Ports.SelectMany(p => Expand(x, p, Lookup)
                            .Split([' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries)).ToList();
                        config.ExposedPorts ??= [];
                        foreach (var w in words)
                        {
                            foreach (var port in ParsePorts(x, w))
                            {
                                config.ExposedPorts[port] = new EmptyObject();
                            }
                        }

                        changed.Add("ExposedPorts");
                        createdBy = Nop(shell, "EXPOSE " + string.Join(' ', words));
                        normalized = "EXPOSE " + Json(config.ExposedPorts.Keys.Order(StringComparer.Ordinal));
                        break;
                    }

                    case VolumeInstruction v:
                    {
                        var paths = v.Paths.Select(p => Expand(v, p, Lookup)).ToList();
                        if (paths.Any(p => p.Trim().Length == 0))
                        {
                            throw Error(v, "VOLUME specified can not be an empty string");
                        }

                        config.Volumes ??= [];
                        foreach (var p in paths)
                        {
                            config.Volumes[p] = new EmptyObject();
                        }

                        changed.Add("Volumes");
                        createdBy = Nop(shell, "VOLUME [" + string.Join(' ', paths) + "]");
                        normalized = "VOLUME " + Json(paths);
                        break;
                    }

                    case HealthcheckInstruction h:
                    {
                        var hc = new HealthConfig
                        {
                            Test = h.Command is null
                                ? ["NONE"]
                                : h.Command.IsExec ? ["CMD", .. h.Command.Args] : ["CMD-SHELL", h.Command.Args[0]],
                            Interval = h.Interval,
                            Timeout = h.Timeout,
                            StartPeriod = h.StartPeriod,
                            Retries = h.Retries,
                        };
                        if (h.StartInterval != 0)
                        {
                            _notes.Add($"{file.FileName}:{h.Line}: HEALTHCHECK --start-interval has no field in skiff's HealthConfig and is ignored");
                        }

                        config.Healthcheck = hc;
                        changed.Add("Healthcheck");
                        createdBy = Nop(shell, $"HEALTHCHECK &{{{GoQuote(hc.Test)} \"{GoDuration(hc.Interval)}\" \"{GoDuration(hc.Timeout)}\" \"{GoDuration(hc.StartPeriod)}\" \"{GoDuration(h.StartInterval)}\" '\\x{hc.Retries:x2}'}}");
                        normalized = "HEALTHCHECK " + Json(hc);
                        break;
                    }

                    case CopyInstruction cp:
                    {
                        kind = BuildStepKind.Copy;
                        copy = PlanCopy(cp, config, Lookup, index);
                        digestPart = copy.ContentDigest;
                        var hex = copy.ContentDigest.StartsWith("sha256:", StringComparison.Ordinal) ? copy.ContentDigest[7..] : copy.ContentDigest;
                        var label = copy.Sources.Count == 1 ? "file:" : "multi:";
                        createdBy = $"{string.Join(' ', shell)} #(nop) {cp.Keyword} {label}{hex} in {copy.Destination} ";
                        normalized = cp.Keyword + " " + Json(new
                        {
                            copy.Sources,
                            copy.Destination,
                            copy.Chown,
                            copy.Chmod,
                            from = copy.FromStage is { } fs ? "stage:" + _stages[fs].CacheKey : copy.FromImage,
                        });
                        break;
                    }

                    default:
                        throw Error(ins, $"{ins.Keyword} is not supported by skiff");
                }

                var key = Sha256Hex(parentKey + "\n" + normalized + "\n" + digestPart);
                parentKey = key;
                steps.Add(new BuildStep(ins, kind, normalized, key, ConfigCloner.Clone(config), shell, changed,
                    new OciHistory { CreatedBy = createdBy, EmptyLayer = kind == BuildStepKind.Config ? true : null },
                    run, copy));
            }

            return new BuildStage(index, from.StageName, image, baseStage, baseSnapshot, baseKey, steps, config, shell, author);
        }

        private CopyDetails PlanCopy(CopyInstruction cp, ContainerConfig config, Func<string, string?> lookup, int stageIndex)
        {
            var sources = cp.Sources.Select(s => Expand(cp, s, lookup)).ToList();
            var dest = Expand(cp, cp.Destination, lookup);
            if (dest.Length == 0)
            {
                throw Error(cp, $"{cp.Keyword} destination can not be empty");
            }

            var wd = config.WorkingDir ?? "/";
            var absolute = dest.StartsWith('/') ? dest : (wd.EndsWith('/') ? wd : wd + "/") + dest;
            var trailing = dest.EndsWith('/') || dest.EndsWith("/.", StringComparison.Ordinal) || dest == ".";
            absolute = CleanPath(absolute) + (trailing && absolute != "/" && CleanPath(absolute) != "/" ? "/" : "");
            if (sources.Count > 1 && !absolute.EndsWith('/'))
            {
                throw Error(cp, $"When using {cp.Keyword} with more than one source file, the destination must be a directory and end with a /");
            }

            foreach (var s in sources)
            {
                if (cp.IsAdd && UrlRegex().IsMatch(s))
                {
                    throw Error(cp, $"ADD from a URL or git repository is not supported by skiff: {s} (download it in the build context instead)");
                }
            }

            var chown = cp.Chown is null ? null : Expand(cp, cp.Chown, lookup);
            int? chmod = null;
            if (cp.Chmod is not null)
            {
                var m = Expand(cp, cp.Chmod, lookup);
                if (!ChmodRegex().IsMatch(m))
                {
                    throw Error(cp, $"invalid chmod parameter {m}: only octal modes such as 0755 are supported");
                }

                chmod = Convert.ToInt32(m, 8);
            }

            int? fromStage = null;
            string? fromImage = null;
            string digest;
            if (cp.From is not null)
            {
                var f = Expand(cp, cp.From, lookup);
                var byName = _stages.FirstOrDefault(s => string.Equals(s.Name, f, StringComparison.OrdinalIgnoreCase));
                if (byName is not null)
                {
                    fromStage = byName.Index;
                }
                else if (int.TryParse(f, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                {
                    if (n >= stageIndex)
                    {
                        throw Error(cp, $"invalid from flag value {f}: refers to current or future build stage");
                    }

                    fromStage = n;
                }
                else
                {
                    fromImage = f;
                }

                // Content comes from another stage or image, not the context: its cache key / reference stands for it.
                digest = fromStage is { } fs ? "stage:" + _stages[fs].CacheKey : "image:" + fromImage;
            }
            else
            {
                digest = contentDigest?.Invoke(sources) ?? "sha256:" + Sha256Hex("");
            }

            var archives = cp.IsAdd
                ? sources.Where(s => ArchiveRegex().IsMatch(s)).ToList()
                : [];
            return new CopyDetails(cp.IsAdd, sources, absolute, chown, chmod, fromStage, fromImage, digest, archives);
        }

        private IEnumerable<string> ParsePorts(Instruction ins, string spec)
        {
            // As moby's parsePortSpec: "[ip:][hostPort:]containerPort[/proto]"; only the container port is exposed.
            spec = spec[(spec.LastIndexOf(':') + 1)..];
            if (spec.Length == 0 || spec.StartsWith('/'))
            {
                throw Error(ins, $"no port specified: {spec}<empty>");
            }

            var proto = "tcp";
            var slash = spec.IndexOf('/');
            var portPart = spec;
            if (slash >= 0)
            {
                proto = spec[(slash + 1)..].ToLowerInvariant();
                portPart = spec[..slash];
                if (proto is not ("tcp" or "udp" or "sctp"))
                {
                    throw Error(ins, $"invalid proto: {proto}");
                }
            }

            var dash = portPart.IndexOf('-');
            var startText = dash < 0 ? portPart : portPart[..dash];
            var endText = dash < 0 ? portPart : portPart[(dash + 1)..];
            if (!ushort.TryParse(startText, NumberStyles.None, CultureInfo.InvariantCulture, out var start) || start == 0
                || !ushort.TryParse(endText, NumberStyles.None, CultureInfo.InvariantCulture, out var end) || end == 0)
            {
                throw Error(ins, $"invalid containerPort: {portPart}");
            }

            if (end < start)
            {
                throw Error(ins, $"invalid range specified for container port: {portPart}");
            }

            for (var p = (int)start; p <= end; p++)
            {
                yield return p.ToString(CultureInfo.InvariantCulture) + "/" + proto;
            }
        }
    }

    /// <summary>The classic builder's commit comment: the current SHELL, then "#(nop) " and the comment as separate words.</summary>
    private static string Nop(IReadOnlyList<string> shell, string comment) => string.Join(' ', shell) + " #(nop)  " + comment;

    /// <summary>Go's <c>%q</c> of a []string: <c>["a" "b"]</c>.</summary>
    internal static string GoQuote(IEnumerable<string>? items) =>
        "[" + string.Join(' ', (items ?? []).Select(s => JsonSerializer.Serialize(s))) + "]";

    /// <summary>Go's time.Duration String() for whole units (e.g. 30s, 1m30s, 1h0m0s, 500ms, 0s).</summary>
    internal static string GoDuration(long ns)
    {
        if (ns == 0)
        {
            return "0s";
        }

        if (ns < 1_000_000_000)
        {
            return ns % 1_000_000 == 0 ? $"{ns / 1_000_000}ms" : ns % 1_000 == 0 ? $"{ns / 1_000}µs" : $"{ns}ns";
        }

        var totalSeconds = ns / 1_000_000_000m;
        var h = (long)(totalSeconds / 3600);
        var m = (long)((totalSeconds - (h * 3600)) / 60);
        var s = totalSeconds - (h * 3600) - (m * 60);
        var sText = s.ToString("0.#########", CultureInfo.InvariantCulture) + "s";
        return h > 0 ? $"{h}h{m}m{sText}" : m > 0 ? $"{m}m{sText}" : sText;
    }

    private static string Json<T>(T value) => JsonSerializer.Serialize(value);

    internal static string CleanPath(string path)
    {
        var parts = new List<string>();
        foreach (var p in path.Split('/'))
        {
            if (p.Length == 0 || p == ".")
            {
                continue;
            }

            if (p == "..")
            {
                if (parts.Count > 0)
                {
                    parts.RemoveAt(parts.Count - 1);
                }

                continue;
            }

            parts.Add(p);
        }

        return "/" + string.Join('/', parts);
    }

    private static readonly HashSet<string> SignalNames = new(StringComparer.Ordinal)
    {
        "ABRT", "ALRM", "BUS", "CHLD", "CLD", "CONT", "FPE", "HUP", "ILL", "INT", "IO", "IOT", "KILL", "PIPE", "POLL",
        "PROF", "PWR", "QUIT", "SEGV", "STKFLT", "STOP", "SYS", "TERM", "TRAP", "TSTP", "TTIN", "TTOU", "URG", "USR1",
        "USR2", "VTALRM", "WINCH", "XCPU", "XFSZ", "RTMIN", "RTMAX",
    };

    /// <summary>moby/sys/signal.ParseSignal on Linux: a positive number, or a name with or without SIG, any case.</summary>
    internal static bool IsValidSignal(string raw)
    {
        if (int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            return n > 0;
        }

        var name = raw.ToUpperInvariant();
        name = name.StartsWith("SIG", StringComparison.Ordinal) ? name[3..] : name;
        if (SignalNames.Contains(name))
        {
            return true;
        }

        var m = RealtimeSignalRegex().Match(name);
        return m.Success && int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture) is >= 1 and <= 15 && (m.Groups[1].Value == "RTMIN+" || m.Groups[1].Value == "RTMAX-");
    }

    [GeneratedRegex(@"^(RTMIN\+|RTMAX-)(\d+)$")]
    private static partial Regex RealtimeSignalRegex();

    [GeneratedRegex(@"^([a-zA-Z][a-zA-Z0-9+.\-]*://|git@)")]
    private static partial Regex UrlRegex();

    [GeneratedRegex(@"^[0-7]{3,4}$")]
    private static partial Regex ChmodRegex();

    [GeneratedRegex(@"\.(tar|tar\.gz|tgz|tar\.bz2|tbz2|tbz|tar\.xz|txz|tar\.zst|tzst)$", RegexOptions.IgnoreCase)]
    private static partial Regex ArchiveRegex();
}

/// <summary>Deep copy of <see cref="ContainerConfig"/> (plan steps keep independent snapshots).</summary>
internal static class ConfigCloner
{
    public static ContainerConfig Clone(ContainerConfig c) => new()
    {
        Hostname = c.Hostname,
        Domainname = c.Domainname,
        User = c.User,
        AttachStdin = c.AttachStdin,
        AttachStdout = c.AttachStdout,
        AttachStderr = c.AttachStderr,
        ExposedPorts = c.ExposedPorts is null ? null : new(c.ExposedPorts),
        Tty = c.Tty,
        OpenStdin = c.OpenStdin,
        StdinOnce = c.StdinOnce,
        Env = c.Env is null ? null : [.. c.Env],
        Cmd = c.Cmd is null ? null : [.. c.Cmd],
        Healthcheck = c.Healthcheck is null ? null : new HealthConfig
        {
            Test = c.Healthcheck.Test is null ? null : [.. c.Healthcheck.Test],
            Interval = c.Healthcheck.Interval,
            Timeout = c.Healthcheck.Timeout,
            StartPeriod = c.Healthcheck.StartPeriod,
            Retries = c.Healthcheck.Retries,
        },
        Image = c.Image,
        Volumes = c.Volumes is null ? null : new(c.Volumes),
        WorkingDir = c.WorkingDir,
        Entrypoint = c.Entrypoint is null ? null : [.. c.Entrypoint],
        NetworkDisabled = c.NetworkDisabled,
        Labels = c.Labels is null ? null : new(c.Labels),
        StopSignal = c.StopSignal,
        StopTimeout = c.StopTimeout,
    };
}
