using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Skiff.Api;
using Skiff.Cli.Connection;
using Skiff.Cli.Formatting;
using Skiff.Compose;
using Skiff.Compose.Local;

namespace Skiff.Cli.Commands;

/// <summary>
/// <c>skiff compose</c>: the compose application model (<see cref="ComposeProjectLoader"/>) carried out on one
/// engine through the Engine API, as docker compose v2 does (client side, same names and labels).
/// </summary>
internal static partial class ComposeCommands
{
    /// <summary>The project options every compose sub-command takes (before or after the sub-command).</summary>
    private sealed class ProjectOptions
    {
        public Option<string[]> Files { get; } = Recursive(Common.List("--file", "-f", "Compose configuration files"));
        public Option<string?> Name { get; } = Recursive(Common.Str("--project-name", "-p", "Project name"));
        public Option<string?> Directory { get; } = Recursive(Common.Str("--project-directory", null, "Specify an alternate working directory (default: the path of the, first specified, Compose file)"));
        public Option<string[]> EnvFiles { get; } = Recursive(Common.List("--env-file", null, "Specify an alternate environment file"));
        public Option<string[]> Profiles { get; } = Recursive(Common.List("--profile", null, "Specify a profile to enable"));

        private static Option<T> Recursive<T>(Option<T> o)
        {
            o.Recursive = true;
            return o;
        }
    }

    /// <summary>A loaded project plus what the commands need around it.</summary>
    internal sealed record Loaded(ComposeProject Project, IReadOnlyList<string> ConfigFiles, Func<string, string?> Lookup);

    public static void Register(CliApp.App app, CliContext ctx)
    {
        var group = Common.Cmd("compose", "Define and run multi-container applications");
        group.SetAction(pr => new DockerHelpAction(ctx.Out).Invoke(pr));
        var po = new ProjectOptions();
        foreach (var o in new Option[] { po.Files, po.Name, po.Directory, po.EnvFiles, po.Profiles })
        {
            group.Options.Add(o);
        }

        app.Root.Subcommands.Add(group);
        group.Subcommands.Add(Config(ctx, po));
        group.Subcommands.Add(Up(ctx, po));
        group.Subcommands.Add(Down(ctx, po));
        group.Subcommands.Add(Ps(ctx, po));
        group.Subcommands.Add(Ls(ctx));
        group.Subcommands.Add(Logs(ctx, po));
        group.Subcommands.Add(StartStop(ctx, po, "start", "Start services"));
        group.Subcommands.Add(StartStop(ctx, po, "stop", "Stop services"));
        group.Subcommands.Add(StartStop(ctx, po, "restart", "Restart service containers"));
        group.Subcommands.Add(Exec(app, ctx, po));
        group.Subcommands.Add(Run(app, ctx, po));
        group.Subcommands.Add(Pull(ctx, po));
        group.Subcommands.Add(BuildCmd(ctx, po));
    }

    /// <summary>
    /// Finds the files (<c>-f</c>, <c>COMPOSE_FILE</c>, or discovery upwards from the working directory), reads
    /// <c>.env</c> (or <c>--env-file</c>) and loads the model; file problems become one-line errors.
    /// </summary>
    private static Loaded Load(ParseResult pr, CliContext ctx, ProjectOptions po, bool print = true, IReadOnlyList<string>? services = null)
    {
        var cwd = ctx.WorkingDirectory();
        var given = pr.GetValue(po.Files) ?? [];
        List<string> files;
        if (given.Length > 0)
        {
            files = given.Select(f => f == "-" ? "-" : Path.GetFullPath(f, cwd)).ToList();
        }
        else
        {
            var found = ComposeFileDiscovery.Discover(cwd, ctx.GetEnv);
            foreach (var w in found.Warnings)
            {
                Warn(ctx, w);
            }

            if (found.Files.Count == 0)
            {
                throw new CliException("no configuration file provided: not found");
            }

            files = [.. found.Files];
        }

        var projectDir = pr.GetValue(po.Directory) is { } d ? Path.GetFullPath(d, cwd)
            : files[0] == "-" ? cwd : Path.GetDirectoryName(files[0])!;
        var envFiles = (pr.GetValue(po.EnvFiles) ?? []).Select(f => Path.GetFullPath(f, cwd)).ToList();
        var profiles = pr.GetValue(po.Profiles) is { Length: > 0 } p ? p : null;
        return LoadProject(ctx, files, projectDir, pr.GetValue(po.Name), envFiles, profiles, services ?? [], print);
    }

    /// <summary>
    /// The model from absolute file paths (<c>-</c> is stdin): <c>.env</c> in the project directory (or the given env
    /// files) under the OS environment, then the loader; every problem is one line. Shared by compose and stack.
    /// </summary>
    internal static Loaded LoadProject(
        CliContext ctx, IReadOnlyList<string> files, string projectDir, string? name, IReadOnlyList<string> envFiles,
        IReadOnlyList<string>? profiles, IReadOnlyList<string> services, bool print)
    {
        IReadOnlyDictionary<string, string> dotEnv;
        try
        {
            if (envFiles.Count == 0)
            {
                var defaultEnv = Path.Combine(projectDir, ".env");
                dotEnv = File.Exists(defaultEnv) ? DotEnv.ReadFiles([defaultEnv], ctx.GetEnv) : new Dictionary<string, string>();
            }
            else
            {
                foreach (var f in envFiles.Where(f => !File.Exists(f)))
                {
                    throw new CliException($"couldn't find env file: {f}");
                }

                dotEnv = DotEnv.ReadFiles(envFiles, ctx.GetEnv);
            }
        }
        catch (DotEnvException e)
        {
            throw new CliException(e.Message);
        }

        // The OS environment wins over .env, as in compose.
        string? Lookup(string variable) => ctx.GetEnv(variable) ?? dotEnv.GetValueOrDefault(variable);
        var sources = new List<ComposeFileSource>();
        foreach (var f in files)
        {
            try
            {
                sources.Add(f == "-" ? new ComposeFileSource("-", new StreamReader(ctx.Stdin).ReadToEnd()) : new ComposeFileSource(f, File.ReadAllText(f)));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CliException($"open {f}: {(e is FileNotFoundException or DirectoryNotFoundException ? "no such file or directory" : e.Message)}");
            }
        }

        ComposeProject project;
        try
        {
            project = ComposeProjectLoader.Load(sources, new ComposeLoadOptions
            {
                ProjectDirectory = projectDir,
                ProjectName = name,
                Lookup = Lookup,
                Home = ctx.GetEnv("HOME"),
                Profiles = profiles,
                ExplicitServices = services,
            });
        }
        catch (Exception e) when (e is ComposeFileException or InterpolationException or ComposeEngineException)
        {
            throw new CliException(e.Message);
        }

        if (print)
        {
            foreach (var w in project.Warnings)
            {
                Warn(ctx, w);
            }
        }

        return new Loaded(project, files, Lookup);
    }

    /// <summary>Only the project name (for commands that work without a file, as <c>ps</c>/<c>down -p x</c>).</summary>
    private static string ProjectNameOnly(ParseResult pr, CliContext ctx, ProjectOptions po)
    {
        if (pr.GetValue(po.Name) is { Length: > 0 } name)
        {
            return ProjectName.Normalize(name);
        }

        return Load(pr, ctx, po, print: false).Project.Name;
    }

    internal static void Warn(CliContext ctx, string message) => ctx.Err.WriteLine($"WARN[0000] {message}");

    /// <summary>Compose's plain progress line: <c> Container p-web-1  Started</c>.</summary>
    private static void Progress(CliContext ctx, string kind, string name, string state) => ctx.Err.WriteLine($" {kind} {name}  {state}");

    private static async Task<List<ContainerSummary>> ProjectContainersAsync(CliContext ctx, string project, bool all, CancellationToken ct, string? service = null)
    {
        var labels = new List<string> { $"{ComposeLabels.Project}={project}" };
        if (service is not null)
        {
            labels.Add($"{ComposeLabels.Service}={service}");
        }

        var filters = JsonSerializer.Serialize(new Dictionary<string, List<string>> { ["label"] = labels }, SkiffJson.Default.DictionaryStringListString);
        var q = new Query().AddIf(all, "all", "1").Add("filters", filters);
        var list = await ctx.Client.GetAsync("/containers/json" + q, SkiffJson.Default.ListContainerSummary, ct);
        return list
            .OrderBy(c => c.Labels.GetValueOrDefault(ComposeLabels.Service, ""), StringComparer.Ordinal)
            .ThenBy(c => int.TryParse(c.Labels.GetValueOrDefault(ComposeLabels.ContainerNumber), CultureInfo.InvariantCulture, out var n) ? n : 0)
            .ToList();
    }

    private static string Name(ContainerSummary c) => c.Names.Count > 0 ? c.Names[0].TrimStart('/') : c.Id[..12];

    private static ObservedContainer? Observe(ContainerSummary c, string project) =>
        ObservedContainer.FromLabels(c.Id, Name(c), c.Labels, c.State, project);

    /// <summary>Containers of the named services (all services when none is named); unknown names fail.</summary>
    private static List<ContainerSummary> OfServices(List<ContainerSummary> containers, ComposeProject? project, IReadOnlyCollection<string> services)
    {
        if (services.Count == 0)
        {
            return containers;
        }

        foreach (var s in services)
        {
            if (project is not null && project.Service(s) is null)
            {
                throw new CliException($"no such service: {s}");
            }
        }

        return containers.Where(c => services.Contains(c.Labels.GetValueOrDefault(ComposeLabels.Service, ""))).ToList();
    }

    private static Command Config(CliContext ctx, ProjectOptions po)
    {
        var cmd = Common.Cmd("config", "Parse, resolve and render compose file in canonical format", "convert");
        var format = Common.Str("--format", null, "Format the output. Values: [yaml | json] (default \"yaml\")");
        var quiet = Common.Flag("--quiet", "-q", "Only validate the configuration, don't print anything");
        var services = Common.Flag("--services", null, "Print the service names, one per line");
        var volumes = Common.Flag("--volumes", null, "Print the volume names, one per line");
        var output = Common.Str("--output", "-o", "Save to file (default to stdout)");
        foreach (var o in new Option[] { format, quiet, services, volumes, output })
        {
            cmd.Options.Add(o);
        }

        cmd.SetAction((pr, ct) =>
        {
            var loaded = Load(pr, ctx, po);
            var project = loaded.Project;
            if (pr.GetValue(quiet))
            {
                return Task.FromResult(0);
            }

            string text;
            if (pr.GetValue(services))
            {
                text = string.Concat(project.Services.Select(s => s.Name + "\n"));
            }
            else if (pr.GetValue(volumes))
            {
                text = string.Concat(project.Volumes.Keys.Select(v => v + "\n"));
            }
            else
            {
                text = (pr.GetValue(format) ?? "yaml") switch
                {
                    "yaml" => ComposeConfigWriter.ToYaml(project),
                    "json" => ComposeConfigWriter.ToJson(project) + "\n",
                    var f => throw new CliException($"unsupported format \"{f}\""),
                };
            }

            if (pr.GetValue(output) is { Length: > 0 } path)
            {
                File.WriteAllText(Path.GetFullPath(path, ctx.WorkingDirectory()), text);
            }
            else
            {
                ctx.Out.Write(text);
            }

            return Task.FromResult(0);
        });
        return cmd;
    }

    private static Command Ps(CliContext ctx, ProjectOptions po)
    {
        var cmd = Common.Cmd("ps", "List containers");
        var all = Common.Flag("--all", "-a", "Show all stopped containers (including those created by the run command)");
        var quiet = Common.Flag("--quiet", "-q", "Only display IDs");
        var servicesFlag = Common.Flag("--services", null, "Display services");
        var format = Common.Str("--format", null, "Format output using a custom template: 'table', 'table TEMPLATE', 'json', 'TEMPLATE'");
        var services = Common.Args("SERVICE", 0);
        foreach (var o in new Option[] { all, quiet, servicesFlag, format })
        {
            cmd.Options.Add(o);
        }

        cmd.Arguments.Add(services);
        cmd.SetAction(async (pr, ct) =>
        {
            var project = ProjectNameOnly(pr, ctx, po);
            var containers = OfServices(await ProjectContainersAsync(ctx, project, pr.GetValue(all), ct), null, pr.GetValue(services) ?? []);
            if (pr.GetValue(quiet))
            {
                foreach (var c in containers)
                {
                    await ctx.Out.WriteLineAsync(c.Id);
                }

                return 0;
            }

            if (pr.GetValue(servicesFlag))
            {
                foreach (var s in containers.Select(c => c.Labels.GetValueOrDefault(ComposeLabels.Service, "")).Distinct(StringComparer.Ordinal))
                {
                    await ctx.Out.WriteLineAsync(s);
                }

                return 0;
            }

            var fmt = pr.GetValue(format);
            if (fmt is not null and not "table")
            {
                throw new CliException($"--format {fmt}: only the default table is supported by skiff compose ps");
            }

            var rows = new List<string[]> { new[] { "NAME", "IMAGE", "COMMAND", "SERVICE", "CREATED", "STATUS", "PORTS" } };
            foreach (var c in containers)
            {
                rows.Add(
                [
                    Name(c),
                    c.Image,
                    "\"" + Common.Ellipsis(c.Command, 20) + "\"",
                    c.Labels.GetValueOrDefault(ComposeLabels.Service, ""),
                    Common.Ago(ctx, DateTimeOffset.FromUnixTimeSeconds(c.Created)),
                    c.Status,
                    string.Join(", ", c.Ports.OrderBy(p => p.PrivatePort).Select(p => p.PublicPort is { } pub
                        ? $"{(string.IsNullOrEmpty(p.IP) ? "0.0.0.0" : p.IP)}:{pub}->{p.PrivatePort}/{p.Type}"
                        : $"{p.PrivatePort}/{p.Type}")),
                ]);
            }

            await ctx.Out.WriteAsync(Table(rows));
            return 0;
        });
        return cmd;
    }

    private static Command Ls(CliContext ctx)
    {
        var cmd = Common.Cmd("ls", "List running compose projects");
        var all = Common.Flag("--all", "-a", "Show all stopped Compose projects");
        var quiet = Common.Flag("--quiet", "-q", "Only display project names");
        var filter = Common.List("--filter", null, "Filter output based on conditions provided");
        cmd.Options.Add(all);
        cmd.Options.Add(quiet);
        cmd.Options.Add(filter);
        cmd.SetAction(async (pr, ct) =>
        {
            string? nameFilter = null;
            foreach (var f in pr.GetValue(filter) ?? [])
            {
                nameFilter = f.StartsWith("name=", StringComparison.Ordinal) ? f["name=".Length..]
                    : throw new CliException($"invalid filter '{f}': only name=... is supported");
            }

            var filters = JsonSerializer.Serialize(new Dictionary<string, List<string>> { ["label"] = [ComposeLabels.Project] }, SkiffJson.Default.DictionaryStringListString);
            var containers = await ctx.Client.GetAsync("/containers/json" + new Query().Add("all", "1").Add("filters", filters), SkiffJson.Default.ListContainerSummary, ct);
            var projects = containers
                .GroupBy(c => c.Labels[ComposeLabels.Project], StringComparer.Ordinal)
                .Where(g => nameFilter is null || g.Key.Contains(nameFilter, StringComparison.Ordinal))
                .Where(g => pr.GetValue(all) || g.Any(c => c.State == "running"))
                .OrderBy(g => g.Key, StringComparer.Ordinal)
                .ToList();
            if (pr.GetValue(quiet))
            {
                foreach (var g in projects)
                {
                    await ctx.Out.WriteLineAsync(g.Key);
                }

                return 0;
            }

            var rows = new List<string[]> { new[] { "NAME", "STATUS", "CONFIG FILES" } };
            foreach (var g in projects)
            {
                var status = string.Join(", ", g.GroupBy(c => c.State, StringComparer.Ordinal).OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"{s.Key}({s.Count()})"));
                var files = g.Select(c => c.Labels.GetValueOrDefault(ComposeLabels.ConfigFiles, "")).FirstOrDefault(f => f.Length > 0) ?? "";
                rows.Add([g.Key, status, files]);
            }

            await ctx.Out.WriteAsync(Table(rows));
            return 0;
        });
        return cmd;
    }

    /// <summary>Columns padded to the widest cell plus three spaces, like docker's tabwriter tables.</summary>
    private static string Table(List<string[]> rows)
    {
        var widths = new int[rows[0].Length];
        foreach (var r in rows)
        {
            for (var i = 0; i < r.Length; i++)
            {
                widths[i] = Math.Max(widths[i], r[i].Length);
            }
        }

        var sb = new System.Text.StringBuilder();
        foreach (var r in rows)
        {
            for (var i = 0; i < r.Length; i++)
            {
                sb.Append(i == r.Length - 1 ? r[i] : r[i].PadRight(widths[i] + 3));
            }

            sb.Append('\n');
        }

        return sb.ToString();
    }
}
