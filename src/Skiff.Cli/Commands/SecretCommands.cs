using System.CommandLine;
using System.Text;
using System.Text.Json.Nodes;
using Skiff.Api;
using Skiff.Cli.Connection;
using Skiff.Cli.Formatting;

namespace Skiff.Cli.Commands;

/// <summary>
/// <c>secret create|ls|inspect|rm</c> and <c>config create|ls|inspect|rm</c>: the same commands over
/// <c>/secrets</c> and <c>/configs</c>, with docker's tables, pretty inspect and messages. The two differ in a
/// DRIVER column (secrets) and in showing the data (configs).
/// </summary>
internal static class SecretCommands
{
    private sealed record Kind(string Noun, string Title, bool IsSecret)
    {
        public string Resource => "/" + Noun + "s";

        public string Upper => Noun.ToUpperInvariant();
    }

    private static readonly Kind Secrets = new("secret", "Secret", IsSecret: true);

    private static readonly Kind Configs = new("config", "Config", IsSecret: false);

    private static readonly IReadOnlyDictionary<string, string> Headers = new Dictionary<string, string>
    {
        ["ID"] = "ID",
        ["Name"] = "NAME",
        ["Driver"] = "DRIVER",
        ["CreatedAt"] = "CREATED",
        ["UpdatedAt"] = "UPDATED",
        ["Labels"] = "LABELS",
    };

    public static void Register(CliApp.App app, CliContext ctx)
    {
        foreach (var kind in new[] { Configs, Secrets })
        {
            var group = Common.Cmd(kind.Noun, kind.IsSecret ? "Manage Swarm secrets" : "Manage Swarm configs");
            group.SetAction(pr => new DockerHelpAction(ctx.Out).Invoke(pr));
            app.Root.Subcommands.Add(group);
            group.Subcommands.Add(Create(ctx, kind));
            group.Subcommands.Add(Inspect(ctx, kind));
            group.Subcommands.Add(Ls(ctx, kind));
            group.Subcommands.Add(Rm(ctx, kind));
        }
    }

    private static Command Create(CliContext ctx, Kind kind)
    {
        var cmd = Common.Cmd("create", kind.IsSecret ? "Create a secret from a file or STDIN as content" : "Create a config from a file or STDIN");
        var label = Common.List("--label", "-l", $"{kind.Title} labels");
        var driver = Common.Str("--driver", "-d", "Secret driver");
        var templateDriver = Common.Str("--template-driver", null, "Template driver");
        var name = new Argument<string>(kind.Upper);
        var file = new Argument<string?>("file|-") { Arity = kind.IsSecret ? ArgumentArity.ZeroOrOne : ArgumentArity.ExactlyOne };
        cmd.Options.Add(label);
        if (kind.IsSecret)
        {
            cmd.Options.Add(driver);
        }

        cmd.Options.Add(templateDriver);
        cmd.Arguments.Add(name);
        cmd.Arguments.Add(file);
        cmd.SetAction(async (pr, ct) =>
        {
            if (!string.IsNullOrEmpty(pr.GetValue(templateDriver)))
            {
                throw new CliException($"--template-driver: {kind.Noun} templating is not supported by skiffd");
            }

            if (kind.IsSecret && !string.IsNullOrEmpty(pr.GetValue(driver)))
            {
                throw new CliException("--driver: secret drivers are not supported by skiffd (secrets are kept in the swarm's Raft log)");
            }

            var path = pr.GetValue(file);
            if (string.IsNullOrEmpty(path))
            {
                throw new CliException($"\"docker {kind.Noun} create\" requires a file or \"-\" (standard input) with the {kind.Noun}'s content", CliApp.UsageExitCode);
            }

            var spec = new SwarmFileSpecWire
            {
                Name = pr.GetValue(name)!,
                Labels = Common.KeyValues(pr.GetValue(label) ?? []) ?? [],
                Data = await ReadContentAsync(ctx, path, ct),
            };
            var created = await ctx.Client.PostAsync(kind.Resource + "/create", spec, SkiffJson.Default.SwarmFileSpecWire, SkiffJson.Default.SwarmCreateResponse, ct);
            await ctx.Out.WriteLineAsync(created.ID);
            return 0;
        });
        return cmd;
    }

    private static async Task<byte[]> ReadContentAsync(CliContext ctx, string path, CancellationToken ct)
    {
        if (path == "-")
        {
            using var buffer = new MemoryStream();
            await ctx.Stdin.CopyToAsync(buffer, ct);
            return buffer.ToArray();
        }

        var full = Path.IsPathRooted(path) ? path : Path.Combine(ctx.WorkingDirectory(), path);
        try
        {
            return await File.ReadAllBytesAsync(full, ct);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"error reading content from \"{path}\": {(e is FileNotFoundException or DirectoryNotFoundException ? "no such file or directory" : e.Message)}");
        }
    }

    private static Command Ls(CliContext ctx, Kind kind)
    {
        var cmd = Common.Cmd("ls", $"List {kind.Noun}s", "list");
        var filter = Common.List("--filter", "-f", "Filter output based on conditions provided");
        var format = Common.Str("--format", null, Common.TableFormatHelp);
        var quiet = Common.Flag("--quiet", "-q", "Only display IDs");
        cmd.Options.Add(filter);
        cmd.Options.Add(format);
        cmd.Options.Add(quiet);
        cmd.SetAction(async (pr, ct) =>
        {
            var q = new Query().AddIfNotEmpty("filters", Common.FiltersJson(pr.GetValue(filter) ?? []));
            var list = await ctx.Client.GetAsync(kind.Resource + q, SkiffJson.Default.ListSwarmFileWire, ct);
            var rows = list.OrderBy(s => s.Spec.Name, GoText.Natural).Select(s => new JsonObject
            {
                ["ID"] = s.ID,
                ["Name"] = s.Spec.Name,
                ["Driver"] = "",
                ["CreatedAt"] = Common.ParseTime(s.CreatedAt) is { } c ? Common.Ago(ctx, c) : "",
                ["UpdatedAt"] = Common.ParseTime(s.UpdatedAt) is { } u ? Common.Ago(ctx, u) : "",
                ["Labels"] = string.Join(',', (s.Spec.Labels ?? []).OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + "=" + p.Value)),
            }).ToList();
            var f = pr.GetValue(format);
            var table = kind.IsSecret
                ? "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.CreatedAt}}\t{{.UpdatedAt}}"
                : "table {{.ID}}\t{{.Name}}\t{{.CreatedAt}}\t{{.UpdatedAt}}";
            var effective = pr.GetValue(quiet) ? "{{.ID}}" : string.IsNullOrEmpty(f) || f == ListFormatter.TableKey ? table : f;
            await ctx.Out.WriteAsync(ListFormatter.Render(effective, rows, Headers));
            return 0;
        });
        return cmd;
    }

    private static Command Inspect(CliContext ctx, Kind kind)
    {
        var cmd = Common.Cmd("inspect", $"Display detailed information on one or more {kind.Noun}s");
        var format = Common.Str("--format", "-f", Common.InspectFormatHelp);
        var pretty = Common.Flag("--pretty", null, "Print the information in a human friendly format");
        var names = Common.Args(kind.Upper);
        cmd.Options.Add(format);
        cmd.Options.Add(pretty);
        cmd.Arguments.Add(names);
        cmd.SetAction(async (pr, ct) =>
        {
            var f = pr.GetValue(pretty) ? "pretty" : pr.GetValue(format);
            if (f != "pretty")
            {
                return await InspectCommon.RunAsync(ctx, pr.GetValue(names)!, f,
                    async n => await ctx.Client.GetNodeAsync($"{kind.Resource}/{Common.Escape(n)}", ct), ct);
            }

            var text = new StringBuilder();
            foreach (var n in pr.GetValue(names)!)
            {
                var s = await ctx.Client.GetAsync($"{kind.Resource}/{Common.Escape(n)}", SkiffJson.Default.SwarmFileWire, ct);
                text.Append(Pretty(kind, s));
            }

            await ctx.Out.WriteAsync(text.ToString());
            return 0;
        });
        return cmd;
    }

    /// <summary>docker/cli's pretty templates for secrets and configs (their spacing differs, as docker's does).</summary>
    private static string Pretty(Kind kind, SwarmFileWire s)
    {
        static string Time(string text) => Common.ParseTime(text) is { } t ? GoText.PrettyPrint(Common.GoTimeString(t)) : "";
        var sb = new StringBuilder();
        var (id, name, created, updated) = kind.IsSecret
            ? ("ID:              ", "Name:              ", "Created at:        ", "Updated at:        ")
            : ("ID:\t\t\t", "Name:\t\t\t", "Created at:            \t", "Updated at:            \t");
        sb.Append(id).Append(s.ID).Append('\n');
        sb.Append(name).Append(s.Spec.Name);
        if (s.Spec.Labels is { Count: > 0 } labels)
        {
            sb.Append("\nLabels:");
            foreach (var (k, v) in labels.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                sb.Append("\n - ").Append(k).Append(v.Length > 0 ? "=" + v : "");
            }
        }

        sb.Append('\n');
        if (kind.IsSecret)
        {
            sb.Append("Driver:            \n");
        }

        sb.Append(created).Append(Time(s.CreatedAt)).Append('\n');
        sb.Append(updated).Append(Time(s.UpdatedAt));
        if (!kind.IsSecret)
        {
            sb.Append("\nData:\n").Append(Encoding.UTF8.GetString(s.Spec.Data ?? []));
        }

        return sb.Append('\n').ToString();
    }

    private static Command Rm(CliContext ctx, Kind kind)
    {
        var cmd = Common.Cmd("rm", $"Remove one or more {kind.Noun}s", "remove");
        var names = Common.Args(kind.Upper);
        cmd.Arguments.Add(names);
        cmd.SetAction(async (pr, ct) => await Common.ForEachAsync(ctx, pr.GetValue(names)!, async n =>
        {
            await ctx.Client.DeleteAsync($"{kind.Resource}/{Common.Escape(n)}", ct);
            await ctx.Out.WriteLineAsync(n);
        }));
        return cmd;
    }

    /// <summary>The id of a secret or config named exactly <paramref name="name"/> (docker/cli's <c>ParseSecrets</c>
    /// lookup: <c>GET /secrets?filters={"name":{...}}</c>, then an exact match).</summary>
    public static async Task<string> ResolveIdAsync(CliContext ctx, bool secret, string name, CancellationToken ct)
    {
        var kind = secret ? Secrets : Configs;
        var q = new Query().AddIfNotEmpty("filters", Common.FiltersJson(["name=" + name]));
        var list = await ctx.Client.GetAsync(kind.Resource + q, SkiffJson.Default.ListSwarmFileWire, ct);
        return list.FirstOrDefault(s => s.Spec.Name == name)?.ID
            ?? throw new CliException($"{kind.Noun} not found: {name}");
    }

    /// <summary>docker's <c>--secret</c>/<c>--config</c> value: a name, or CSV <c>source=,target=,uid=,gid=,mode=</c>.</summary>
    public static (string Source, SecretFileTarget File) ParseReference(string flag, bool secret, string value)
    {
        var file = new SecretFileTarget();
        string? source = null;
        string? target = null;
        if (!value.Contains('=', StringComparison.Ordinal))
        {
            source = value;
        }
        else
        {
            foreach (var field in value.Split(','))
            {
                var eq = field.IndexOf('=', StringComparison.Ordinal);
                if (eq < 0)
                {
                    throw new CliException($"invalid argument \"{value}\" for \"{flag}\" flag: invalid field '{field}' must be a key=value pair", CliApp.UsageExitCode);
                }

                var (key, v) = (field[..eq].Trim().ToLowerInvariant(), field[(eq + 1)..].Trim());
                switch (key)
                {
                    case "source" or "src":
                        source = v;
                        break;
                    case "target":
                        target = v;
                        break;
                    case "uid":
                        file.UID = v;
                        break;
                    case "gid":
                        file.GID = v;
                        break;
                    case "mode":
                        file.Mode = v.Length is > 0 and <= 6 && v.All(c => c is >= '0' and <= '7')
                            ? Convert.ToUInt32(v, 8)
                            : throw new CliException($"invalid argument \"{value}\" for \"{flag}\" flag: invalid mode specified: {v}", CliApp.UsageExitCode);
                        break;
                    default:
                        throw new CliException($"invalid argument \"{value}\" for \"{flag}\" flag: invalid field in {(secret ? "secret" : "config")} request: {key}", CliApp.UsageExitCode);
                }
            }
        }

        if (string.IsNullOrEmpty(source))
        {
            throw new CliException($"invalid argument \"{value}\" for \"{flag}\" flag: source is required", CliApp.UsageExitCode);
        }

        file.Name = string.IsNullOrEmpty(target) ? source : target;
        return (source, file);
    }
}
