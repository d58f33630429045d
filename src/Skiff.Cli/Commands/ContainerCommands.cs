using System.CommandLine;
using System.Globalization;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Skiff.Api;
using Skiff.Cli.Connection;
using Skiff.Cli.Formatting;

namespace Skiff.Cli.Commands;

/// <summary><c>container …</c> and its top-level shortcuts (run, create, start, stop, ps, logs, exec, …).</summary>
internal static class ContainerCommands
{
    public static readonly IReadOnlyDictionary<string, string> PsHeaders = new Dictionary<string, string>
    {
        ["ID"] = "CONTAINER ID",
        ["Image"] = "IMAGE",
        ["Command"] = "COMMAND",
        ["CreatedAt"] = "CREATED AT",
        ["RunningFor"] = "CREATED",
        ["Ports"] = "PORTS",
        ["State"] = "STATE",
        ["Status"] = "STATUS",
        ["Size"] = "SIZE",
        ["Names"] = "NAMES",
        ["Labels"] = "LABELS",
        ["Mounts"] = "MOUNTS",
        ["Networks"] = "NETWORKS",
        ["LocalVolumes"] = "LOCAL VOLUMES",
        ["Platform"] = "PLATFORM",
    };

    public const string PsDefaultTable = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}";

    public static void Register(CliApp.App app, CliContext ctx)
    {
        var group = Common.Cmd("container", "Manage containers");
        group.SetAction(pr => new DockerHelpAction(ctx.Out).Invoke(pr));
        app.Root.Subcommands.Add(group);

        // Each entry is added under "container" and, except ls/prune/inspect, at the top level too.
        (Func<Command> Make, bool TopLevel)[] commands =
        [
            (() => Run(app, ctx), true),
            (() => Create(app, ctx), true),
            (() => Start(ctx), true),
            (() => Simple(ctx, "stop", "Stop one or more running containers", StopLike("stop")), true),
            (() => Simple(ctx, "restart", "Restart one or more containers", StopLike("restart")), true),
            (() => Kill(ctx), true),
            (() => Rm(ctx), true),
            (() => Logs(ctx), true),
            (() => Exec(app, ctx), true),
            (() => Wait(ctx), true),
            (() => Top(app, ctx), true),
            (() => Rename(ctx), true),
            (() => Simple(ctx, "pause", "Pause all processes within one or more containers", null), true),
            (() => Simple(ctx, "unpause", "Unpause all processes within one or more containers", null), true),
            (() => Port(ctx), true),
            (() => Prune(ctx), false),
            (() => Inspect(ctx, "Display detailed information on one or more containers"), false),
        ];
        foreach (var (make, top) in commands)
        {
            group.Subcommands.Add(make());
            if (top)
            {
                app.Root.Subcommands.Add(make());
            }
        }
        var ls = Ps(ctx, "ls");
        ls.Aliases.Add("list");
        ls.Aliases.Add("ps");
        group.Subcommands.Add(ls);
        app.Root.Subcommands.Add(Ps(ctx, "ps"));
        app.Root.Subcommands.Add(TopLevelInspect(ctx));
    }

    // ------------------------------------------------------------------ run / create

    private static Command Create(CliApp.App app, CliContext ctx)
    {
        var cmd = Common.Cmd("create", "Create a new container");
        var opts = new CreateOptions();
        opts.AddTo(cmd);
        app.PassThrough.Add(cmd);
        cmd.SetAction(async (pr, ct) =>
        {
            try
            {
                var req = opts.BuildRequest(pr, ctx.GetEnv, detach: false);
                var id = await CreateContainerAsync(ctx, req, pr.GetValue(opts.Name), pr.GetValue(opts.Platform), pr.GetValue(opts.Pull), pr.GetValue(opts.Quiet), ct);
                await ctx.Out.WriteLineAsync(id);
                return 0;
            }
            catch (CliException e) when (e is not DaemonUnreachableException && e.ExitCode != CliApp.UsageExitCode)
            {
                throw RunError(e, "create");
            }
        });
        return cmd;
    }

    private static Command Run(CliApp.App app, CliContext ctx)
    {
        var cmd = Common.Cmd("run", "Create and run a new container from an image");
        var opts = new CreateOptions();
        var detach = Common.Flag("--detach", "-d", "Run container in background and print container ID");
        cmd.Options.Add(detach);
        opts.AddTo(cmd);
        app.PassThrough.Add(cmd);
        cmd.SetAction(async (pr, ct) =>
        {
            var isDetached = pr.GetValue(detach);
            ContainerCreateRequest req = opts.BuildRequest(pr, ctx.GetEnv, isDetached);
            string id;
            try
            {
                id = await CreateContainerAsync(ctx, req, pr.GetValue(opts.Name), pr.GetValue(opts.Platform), pr.GetValue(opts.Pull), pr.GetValue(opts.Quiet), ct);
            }
            catch (CliException e) when (e is not DaemonUnreachableException && e.ExitCode != CliApp.UsageExitCode)
            {
                throw RunError(e, "run");
            }
            if (isDetached)
            {
                try
                {
                    await ctx.Client.PostAsync($"/containers/{id}/start", ct: ct);
                }
                catch (CliException e) when (e is not DaemonUnreachableException)
                {
                    throw RunError(e, "run");
                }
                await ctx.Out.WriteLineAsync(id);
                return 0;
            }
            return await AttachStartWaitAsync(ctx, id, req.Tty, req.OpenStdin, waitCondition: req.HostConfig!.AutoRemove ? "removed" : "next-exit", runErrors: true, ct);
        });
        return cmd;
    }

    private static CliException RunError(CliException e, string command) =>
        new($"skiff: {e.Message}\n\nRun 'skiff {command} --help' for more information", CliApp.UsageExitCode);

    /// <summary>POST /containers/create; pulls a missing image like docker ("Unable to find image ... locally").</summary>
    internal static async Task<string> CreateContainerAsync(CliContext ctx, ContainerCreateRequest req, string? name, string? platform, string? pull, bool quiet, CancellationToken ct)
    {
        var pullPolicy = string.IsNullOrEmpty(pull) ? "missing" : pull;
        if (pullPolicy is not ("always" or "missing" or "never"))
        {
            throw new CliException($"invalid pull option: '{pullPolicy}': must be one of \"always\", \"missing\" or \"never\"", CliApp.UsageExitCode);
        }
        var reference = ImageReference.Parse(req.Image ?? "");
        if (pullPolicy == "always")
        {
            await ImageCommands.PullAsync(ctx, reference.WithDefaultTag(), platform, quiet, toStderr: true, ct);
        }
        var q = new Query().AddIfNotEmpty("name", name).AddIfNotEmpty("platform", platform);
        ContainerCreateResponse response;
        try
        {
            response = await ctx.Client.PostAsync("/containers/create" + q, req, SkiffJson.Default.ContainerCreateRequest, SkiffJson.Default.ContainerCreateResponse, ct);
        }
        catch (DaemonException e) when (e.StatusCode == 404 && pullPolicy == "missing" && e.DaemonMessage.Contains("image", StringComparison.OrdinalIgnoreCase))
        {
            var tagged = reference.WithDefaultTag();
            await ctx.Err.WriteLineAsync($"Unable to find image '{tagged.FamiliarString}' locally");
            await ImageCommands.PullAsync(ctx, tagged, platform, quiet, toStderr: true, ct);
            response = await ctx.Client.PostAsync("/containers/create" + q, req, SkiffJson.Default.ContainerCreateRequest, SkiffJson.Default.ContainerCreateResponse, ct);
        }
        foreach (var w in response.Warnings ?? [])
        {
            await ctx.Err.WriteLineAsync("WARNING: " + w);
        }
        return response.Id;
    }

    /// <summary>Attach (hijacked), register the wait, start, copy output, and return the exit status.</summary>
    internal static async Task<int> AttachStartWaitAsync(CliContext ctx, string id, bool tty, bool stdin, string waitCondition, bool runErrors, CancellationToken ct)
    {
        Stream attached;
        HttpResponseMessage waitResponse;
        try
        {
            var q = new Query().Add("stream", "1").AddIf(stdin, "stdin", "1").Add("stdout", "1").Add("stderr", "1");
            attached = await ctx.Client.HijackAsync($"/containers/{id}/attach{q}", null, ct);
            waitResponse = await ctx.Client.SendAsync(HttpMethod.Post, $"/containers/{id}/wait?condition={waitCondition}", stream: true, ct: ct);
            await ctx.Client.PostAsync($"/containers/{id}/start", ct: ct);
        }
        catch (CliException e) when (runErrors && e is not DaemonUnreachableException)
        {
            throw RunError(e, "run");
        }
        await using (attached)
        {
            using (waitResponse)
            {
                var pump = PumpAsync(ctx, attached, tty, stdin, ct);
                await pump;
                await using var body = await waitResponse.Content.ReadAsStreamAsync(ct);
                var result = await JsonSerializer.DeserializeAsync(body, SkiffJson.Default.ContainerWaitResponse, ct);
                if (result?.Error is { Message.Length: > 0 } err)
                {
                    await ctx.Err.WriteLineAsync("Error response from daemon: " + err.Message);
                    return CliApp.UsageExitCode;
                }
                return result?.StatusCode ?? 0;
            }
        }
    }

    /// <summary>Copies a hijacked stream to stdout/stderr (demultiplexed without a TTY) and stdin to it.</summary>
    internal static async Task PumpAsync(CliContext ctx, Stream attached, bool tty, bool stdin, CancellationToken ct)
    {
        await ctx.Out.FlushAsync(ct);
        if (stdin)
        {
            _ = Task.Run(async () =>
            {
                try
                {
                    await ctx.Stdin.CopyToAsync(attached, ct);
                    await attached.FlushAsync(ct);
                    if (attached is NetworkStream ns)
                    {
                        ns.Socket.Shutdown(SocketShutdown.Send);
                    }
                }
                catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException or OperationCanceledException)
                {
                    // The container ended first.
                }
            }, ct);
        }
        try
        {
            if (tty)
            {
                await StdCopy.CopyRawAsync(attached, ctx.StdoutStream, ct);
            }
            else
            {
                await StdCopy.DemuxAsync(attached, ctx.StdoutStream, ctx.StderrStream, ct);
            }
        }
        catch (IOException)
        {
            // Connection closed by the daemon as the container exited.
        }
    }

    // ------------------------------------------------------------------ lifecycle

    private static Command Start(CliContext ctx)
    {
        var cmd = Common.Cmd("start", "Start one or more stopped containers");
        var attach = Common.Flag("--attach", "-a", "Attach STDOUT/STDERR and forward signals");
        var interactive = Common.Flag("--interactive", "-i", "Attach container's STDIN");
        var containers = Common.Args("CONTAINER");
        cmd.Options.Add(attach);
        cmd.Options.Add(interactive);
        cmd.Arguments.Add(containers);
        cmd.SetAction(async (pr, ct) =>
        {
            var names = pr.GetValue(containers)!;
            if (pr.GetValue(attach) || pr.GetValue(interactive))
            {
                if (names.Length > 1)
                {
                    throw new CliException("you cannot start and attach multiple containers at once");
                }
                var info = await ctx.Client.GetAsync($"/containers/{Common.Escape(names[0])}/json", SkiffJson.Default.ContainerInspect, ct);
                return await AttachStartWaitAsync(ctx, info.Id, info.Config.Tty, pr.GetValue(interactive) && info.Config.OpenStdin, "next-exit", runErrors: false, ct);
            }
            return await Common.ForEachAsync(ctx, names, async n =>
            {
                await ctx.Client.PostAsync($"/containers/{Common.Escape(n)}/start", ct: ct);
                await ctx.Out.WriteLineAsync(n);
            });
        });
        return cmd;
    }

    private static Func<Command, Func<ParseResult, string, string>> StopLike(string verb) => cmd =>
    {
        var signal = Common.Str("--signal", "-s", "Signal to send to the container");
        var timeout = Common.Int("--timeout", "-t", "Seconds to wait before killing the container");
        var time = new Option<int?>("--time") { Description = "Seconds to wait before killing the container (deprecated: use --timeout)", Hidden = true };
        cmd.Options.Add(signal);
        cmd.Options.Add(timeout);
        cmd.Options.Add(time);
        return (pr, name) =>
        {
            var t = pr.GetValue(timeout) ?? pr.GetValue(time);
            var q = new Query()
                .AddIf(t != null, "t", t?.ToString(CultureInfo.InvariantCulture) ?? "")
                .AddIfNotEmpty("signal", pr.GetValue(signal));
            return $"/containers/{Common.Escape(name)}/{verb}{q}";
        };
    };

    /// <summary>A "POST /containers/{name}/{verb}" command over one or more containers that prints each name.</summary>
    private static Command Simple(CliContext ctx, string verb, string description, Func<Command, Func<ParseResult, string, string>>? configure)
    {
        var cmd = Common.Cmd(verb, description);
        var pathFor = configure?.Invoke(cmd);
        var containers = Common.Args("CONTAINER");
        cmd.Arguments.Add(containers);
        cmd.SetAction(async (pr, ct) => await Common.ForEachAsync(ctx, pr.GetValue(containers)!, async n =>
        {
            var path = pathFor != null ? pathFor(pr, n) : $"/containers/{Common.Escape(n)}/{verb}";
            await ctx.Client.PostAsync(path, ct: ct);
            await ctx.Out.WriteLineAsync(n);
        }));
        return cmd;
    }

    private static Command Kill(CliContext ctx)
    {
        var cmd = Common.Cmd("kill", "Kill one or more running containers");
        var signal = Common.Str("--signal", "-s", "Signal to send to the container");
        var containers = Common.Args("CONTAINER");
        cmd.Options.Add(signal);
        cmd.Arguments.Add(containers);
        cmd.SetAction(async (pr, ct) => await Common.ForEachAsync(ctx, pr.GetValue(containers)!, async n =>
        {
            var q = new Query().AddIfNotEmpty("signal", pr.GetValue(signal));
            await ctx.Client.PostAsync($"/containers/{Common.Escape(n)}/kill{q}", ct: ct);
            await ctx.Out.WriteLineAsync(n);
        }));
        return cmd;
    }

    private static Command Rm(CliContext ctx)
    {
        var cmd = Common.Cmd("rm", "Remove one or more containers", "remove");
        var force = Common.Flag("--force", "-f", "Force the removal of a running container (uses SIGKILL)");
        var link = Common.Flag("--link", "-l", "Remove the specified link");
        var volumes = Common.Flag("--volumes", "-v", "Remove anonymous volumes associated with the container");
        var containers = Common.Args("CONTAINER");
        cmd.Options.Add(force);
        cmd.Options.Add(link);
        cmd.Options.Add(volumes);
        cmd.Arguments.Add(containers);
        cmd.SetAction(async (pr, ct) => await Common.ForEachAsync(ctx, pr.GetValue(containers)!, async n =>
        {
            var q = new Query().AddIf(pr.GetValue(volumes), "v", "1").AddIf(pr.GetValue(link), "link", "1").AddIf(pr.GetValue(force), "force", "1");
            await ctx.Client.DeleteAsync($"/containers/{Common.Escape(n.TrimStart('/'))}{q}", ct);
            await ctx.Out.WriteLineAsync(n);
        }));
        return cmd;
    }

    private static Command Wait(CliContext ctx)
    {
        var cmd = Common.Cmd("wait", "Block until one or more containers stop, then print their exit codes");
        var containers = Common.Args("CONTAINER");
        cmd.Arguments.Add(containers);
        cmd.SetAction(async (pr, ct) => await Common.ForEachAsync(ctx, pr.GetValue(containers)!, async n =>
        {
            using var response = await ctx.Client.SendAsync(HttpMethod.Post, $"/containers/{Common.Escape(n)}/wait?condition=not-running", stream: true, ct: ct);
            await using var body = await response.Content.ReadAsStreamAsync(ct);
            var result = await JsonSerializer.DeserializeAsync(body, SkiffJson.Default.ContainerWaitResponse, ct);
            if (result?.Error is { Message.Length: > 0 } err)
            {
                throw new CliException("Error response from daemon: " + err.Message);
            }
            await ctx.Out.WriteLineAsync((result?.StatusCode ?? 0).ToString(CultureInfo.InvariantCulture));
        }));
        return cmd;
    }

    private static Command Rename(CliContext ctx)
    {
        var cmd = Common.Cmd("rename", "Rename a container");
        var container = Common.Arg("CONTAINER");
        var newName = Common.Arg("NEW_NAME");
        cmd.Arguments.Add(container);
        cmd.Arguments.Add(newName);
        cmd.SetAction(async (pr, ct) =>
        {
            var name = pr.GetValue(newName)!.Trim();
            if (name.Length == 0)
            {
                throw new CliException("Error: neither old nor new names may be empty");
            }
            await ctx.Client.PostAsync($"/containers/{Common.Escape(pr.GetValue(container)!)}/rename?name={Common.Escape(name)}", ct: ct);
            return 0;
        });
        return cmd;
    }

    // ------------------------------------------------------------------ logs / exec / top / port

    private static Command Logs(CliContext ctx)
    {
        var cmd = Common.Cmd("logs", "Fetch the logs of a container");
        var details = Common.Flag("--details", null, "Show extra details provided to logs");
        var follow = Common.Flag("--follow", "-f", "Follow log output");
        var since = Common.Str("--since", null, "Show logs since timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\" for 42 minutes)");
        var tail = Common.Str("--tail", "-n", "Number of lines to show from the end of the logs (default \"all\")");
        var timestamps = Common.Flag("--timestamps", "-t", "Show timestamps");
        var until = Common.Str("--until", null, "Show logs before a timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\" for 42 minutes)");
        var container = Common.Arg("CONTAINER");
        foreach (var o in new Option[] { details, follow, since, tail, timestamps, until })
        {
            cmd.Options.Add(o);
        }
        cmd.Arguments.Add(container);
        cmd.SetAction(async (pr, ct) =>
        {
            var name = pr.GetValue(container)!;
            var info = await ctx.Client.GetAsync($"/containers/{Common.Escape(name)}/json", SkiffJson.Default.ContainerInspect, ct);
            var now = ctx.Time.GetUtcNow();
            var q = new Query().Add("stdout", "1").Add("stderr", "1")
                .AddIf(pr.GetValue(follow), "follow", "1")
                .AddIf(pr.GetValue(timestamps), "timestamps", "1")
                .AddIf(pr.GetValue(details), "details", "1")
                .Add("tail", pr.GetValue(tail) ?? "all");
            if (pr.GetValue(since) is { Length: > 0 } s)
            {
                q.Add("since", Common.ToApiTimestamp(s, now));
            }
            if (pr.GetValue(until) is { Length: > 0 } u)
            {
                q.Add("until", Common.ToApiTimestamp(u, now));
            }
            using var response = await ctx.Client.SendAsync(HttpMethod.Get, $"/containers/{Common.Escape(name)}/logs{q}", stream: true, ct: ct);
            await using var body = await response.Content.ReadAsStreamAsync(ct);
            await ctx.Out.FlushAsync(ct);
            if (info.Config.Tty)
            {
                await StdCopy.CopyRawAsync(body, ctx.StdoutStream, ct);
            }
            else
            {
                await StdCopy.DemuxAsync(body, ctx.StdoutStream, ctx.StderrStream, ct);
            }
            return 0;
        });
        return cmd;
    }

    private static Command Exec(CliApp.App app, CliContext ctx)
    {
        var cmd = Common.Cmd("exec", "Execute a command in a running container");
        var detach = Common.Flag("--detach", "-d", "Detached mode: run command in the background");
        var env = Common.List("--env", "-e", "Set environment variables");
        var envFile = Common.List("--env-file", null, "Read in a file of environment variables");
        var interactive = Common.Flag("--interactive", "-i", "Keep STDIN open even if not attached");
        var privileged = Common.Flag("--privileged", null, "Give extended privileges to the command");
        var tty = Common.Flag("--tty", "-t", "Allocate a pseudo-TTY");
        var user = Common.Str("--user", "-u", "Username or UID (format: \"<name|uid>[:<group|gid>]\")");
        var workdir = Common.Str("--workdir", "-w", "Working directory inside the container");
        var container = Common.Arg("CONTAINER");
        var command = new Argument<string[]>("COMMAND") { Arity = ArgumentArity.OneOrMore };
        foreach (var o in new Option[] { detach, env, envFile, interactive, privileged, tty, user, workdir })
        {
            cmd.Options.Add(o);
        }
        cmd.Arguments.Add(container);
        cmd.Arguments.Add(command);
        app.PassThrough.Add(cmd);
        cmd.SetAction(async (pr, ct) =>
        {
            var name = pr.GetValue(container)!;
            var envList = new List<string>();
            foreach (var f in pr.GetValue(envFile) ?? [])
            {
                envList.AddRange(Common.ReadKeyValueFile(f, ctx.GetEnv, envLookup: true));
            }
            foreach (var e in pr.GetValue(env) ?? [])
            {
                envList.Add(!e.Contains('=', StringComparison.Ordinal) && ctx.GetEnv(e) is { } v ? e + "=" + v : e);
            }
            var isDetached = pr.GetValue(detach);
            var isTty = pr.GetValue(tty);
            var withStdin = pr.GetValue(interactive) && !isDetached;
            var req = new ExecCreateRequest
            {
                AttachStdin = withStdin,
                AttachStdout = !isDetached,
                AttachStderr = !isDetached,
                Tty = isTty,
                Env = envList.Count > 0 ? envList : null,
                Cmd = [.. pr.GetValue(command)!],
                Privileged = pr.GetValue(privileged),
                User = pr.GetValue(user),
                WorkingDir = pr.GetValue(workdir),
            };
            var created = await ctx.Client.PostAsync($"/containers/{Common.Escape(name)}/exec", req, SkiffJson.Default.ExecCreateRequest, SkiffJson.Default.IdResponse, ct);
            var start = new ExecStartRequest { Detach = isDetached, Tty = isTty };
            if (isDetached)
            {
                await ctx.Client.PostAsync($"/exec/{created.Id}/start", EngineClient.JsonBody(start, SkiffJson.Default.ExecStartRequest), ct);
                return 0;
            }
            var body = JsonSerializer.SerializeToUtf8Bytes(start, SkiffJson.Default.ExecStartRequest);
            await using (var attached = await ctx.Client.HijackAsync($"/exec/{created.Id}/start", body, ct))
            {
                await PumpAsync(ctx, attached, isTty, withStdin, ct);
            }
            var inspect = await ctx.Client.GetAsync($"/exec/{created.Id}/json", SkiffJson.Default.ExecInspect, ct);
            return inspect.ExitCode ?? 0;
        });
        return cmd;
    }

    private static Command Top(CliApp.App app, CliContext ctx)
    {
        var cmd = Common.Cmd("top", "Display the running processes of a container");
        var container = Common.Arg("CONTAINER");
        var psArgs = new Argument<string[]>("ps OPTIONS") { Arity = ArgumentArity.ZeroOrMore };
        cmd.Arguments.Add(container);
        cmd.Arguments.Add(psArgs);
        app.PassThrough.Add(cmd);
        cmd.SetAction(async (pr, ct) =>
        {
            var args = pr.GetValue(psArgs) ?? [];
            var q = new Query().AddIf(args.Length > 0, "ps_args", string.Join(' ', args));
            var top = await ctx.Client.GetAsync($"/containers/{Common.Escape(pr.GetValue(container)!)}/top{q}", SkiffJson.Default.ContainerTopResponse, ct);
            var sb = new System.Text.StringBuilder();
            sb.Append(string.Join('\t', top.Titles)).Append('\n');
            foreach (var p in top.Processes)
            {
                sb.Append(string.Join('\t', p)).Append('\n');
            }
            await ctx.Out.WriteAsync(TabWriter.Format(sb.ToString(), 20, 3));
            return 0;
        });
        return cmd;
    }

    private static Command Port(CliContext ctx)
    {
        var cmd = Common.Cmd("port", "List port mappings or a specific mapping for the container");
        var container = Common.Arg("CONTAINER");
        var privatePort = new Argument<string?>("PRIVATE_PORT[/PROTO]") { Arity = ArgumentArity.ZeroOrOne };
        cmd.Arguments.Add(container);
        cmd.Arguments.Add(privatePort);
        cmd.SetAction(async (pr, ct) =>
        {
            var name = pr.GetValue(container)!;
            var info = await ctx.Client.GetAsync($"/containers/{Common.Escape(name)}/json", SkiffJson.Default.ContainerInspect, ct);
            var lines = new List<string>();
            var filter = pr.GetValue(privatePort);
            if (!string.IsNullOrEmpty(filter))
            {
                var key = filter.Contains('/', StringComparison.Ordinal) ? filter : filter + "/tcp";
                if (info.NetworkSettings.Ports.TryGetValue(key, out var bindings) && bindings != null)
                {
                    lines.AddRange(bindings.Select(b => JoinHostPort(b.HostIp ?? "", b.HostPort ?? "")));
                }
                else
                {
                    throw new CliException($"Error: No public port '{key}' published for {name}");
                }
            }
            else
            {
                foreach (var (from, bindings) in info.NetworkSettings.Ports)
                {
                    foreach (var b in bindings ?? [])
                    {
                        lines.Add($"{from} -> {JoinHostPort(b.HostIp ?? "", b.HostPort ?? "")}");
                    }
                }
                lines.Sort(StringComparer.Ordinal);
            }
            foreach (var l in lines)
            {
                await ctx.Out.WriteLineAsync(l);
            }
            return 0;
        });
        return cmd;
    }

    internal static string JoinHostPort(string host, string port) =>
        host.Contains(':', StringComparison.Ordinal) ? $"[{host}]:{port}" : $"{host}:{port}";

    private static Command Prune(CliContext ctx)
    {
        var cmd = Common.Cmd("prune", "Remove all stopped containers");
        var filter = Common.List("--filter", null, "Provide filter values (e.g. \"until=<timestamp>\")");
        var force = Common.Flag("--force", "-f", "Do not prompt for confirmation");
        cmd.Options.Add(filter);
        cmd.Options.Add(force);
        cmd.SetAction(async (pr, ct) =>
        {
            if (!pr.GetValue(force) && !ctx.PromptYesNo("WARNING! This will remove all stopped containers.\nAre you sure you want to continue?"))
            {
                return 0;
            }
            var q = new Query().AddIfNotEmpty("filters", Common.FiltersJson(pr.GetValue(filter) ?? []));
            var report = await ctx.Client.PostAsync("/containers/prune" + q, SkiffJson.Default.ContainerPruneResponse, ct);
            var output = "";
            if (report.ContainersDeleted.Count > 0)
            {
                output = "Deleted Containers:\n" + string.Concat(report.ContainersDeleted.Select(id => id + "\n"));
            }
            await ctx.Out.WriteLineAsync(output);
            await ctx.Out.WriteLineAsync("Total reclaimed space: " + Units.HumanSize(report.SpaceReclaimed));
            return 0;
        });
        return cmd;
    }

    // ------------------------------------------------------------------ inspect

    private static Command Inspect(CliContext ctx, string description)
    {
        var cmd = Common.Cmd("inspect", description);
        var format = Common.Str("--format", "-f", Common.InspectFormatHelp);
        var size = Common.Flag("--size", "-s", "Display total file sizes");
        var containers = Common.Args("CONTAINER");
        cmd.Options.Add(format);
        cmd.Options.Add(size);
        cmd.Arguments.Add(containers);
        cmd.SetAction(async (pr, ct) => await InspectCommon.RunAsync(ctx, pr.GetValue(containers)!, pr.GetValue(format), async name =>
            await ctx.Client.GetNodeAsync($"/containers/{Common.Escape(name)}/json{(pr.GetValue(size) ? "?size=1" : "")}", ct), ct));
        return cmd;
    }

    private static Command TopLevelInspect(CliContext ctx)
    {
        var cmd = Common.Cmd("inspect", "Return low-level information on Docker objects");
        var format = Common.Str("--format", "-f", Common.InspectFormatHelp);
        var size = Common.Flag("--size", "-s", "Display total file sizes if the type is container");
        var type = Common.Str("--type", null, "Only inspect objects of the given type");
        var names = Common.Args("NAME|ID");
        cmd.Options.Add(format);
        cmd.Options.Add(size);
        cmd.Options.Add(type);
        cmd.Arguments.Add(names);
        cmd.SetAction(async (pr, ct) =>
        {
            var t = pr.GetValue(type);
            if (t != null && t is not ("container" or "image" or "network" or "volume"))
            {
                throw new CliException($"\"{t}\" is not a valid value for --type");
            }
            return await InspectCommon.RunAsync(ctx, pr.GetValue(names)!, pr.GetValue(format), async name =>
            {
                var e = Common.Escape(name);
                var paths = new List<string>();
                if (t is null or "container")
                {
                    paths.Add($"/containers/{e}/json{(pr.GetValue(size) ? "?size=1" : "")}");
                }
                if (t is null or "image")
                {
                    paths.Add($"/images/{e}/json");
                }
                if (t is null or "network")
                {
                    paths.Add($"/networks/{e}");
                }
                if (t is null or "volume")
                {
                    paths.Add($"/volumes/{e}");
                }
                foreach (var p in paths)
                {
                    try
                    {
                        return await ctx.Client.GetNodeAsync(p, ct);
                    }
                    catch (DaemonException d) when (d.StatusCode == 404)
                    {
                        // Try the next kind of object.
                    }
                }
                throw new CliException(t == null ? $"Error: No such object: {name}" : $"Error: No such {t}: {name}");
            }, ct);
        });
        return cmd;
    }

    // ------------------------------------------------------------------ ps

    private static Command Ps(CliContext ctx, string name)
    {
        var cmd = Common.Cmd(name, "List containers");
        var all = Common.Flag("--all", "-a", "Show all containers (default shows just running)");
        var filter = Common.List("--filter", "-f", "Filter output based on conditions provided");
        var format = Common.Str("--format", null, Common.TableFormatHelp);
        var last = new Option<int>("--last", "-n") { Description = "Show n last created containers (includes all states) (default -1)", DefaultValueFactory = _ => -1 };
        var latest = Common.Flag("--latest", "-l", "Show the latest created container (includes all states)");
        var noTrunc = Common.Flag("--no-trunc", null, "Don't truncate output");
        var quiet = Common.Flag("--quiet", "-q", "Only display container IDs");
        var size = Common.Flag("--size", "-s", "Display total file sizes");
        foreach (var o in new Option[] { all, filter, format, last, latest, noTrunc, quiet, size })
        {
            cmd.Options.Add(o);
        }
        cmd.SetAction(async (pr, ct) =>
        {
            var f = pr.GetValue(format);
            var showSize = pr.GetValue(size);
            var limit = pr.GetValue(latest) ? 1 : pr.GetValue(last);
            var wantsSize = showSize || (f?.Contains(".Size", StringComparison.Ordinal) ?? false);
            var q = new Query()
                .AddIf(pr.GetValue(all), "all", "1")
                .AddIf(limit > 0, "limit", limit.ToString(CultureInfo.InvariantCulture))
                .AddIf(wantsSize, "size", "1")
                .AddIfNotEmpty("filters", Common.FiltersJson(pr.GetValue(filter) ?? []));
            var list = await ctx.Client.GetAsync("/containers/json" + q, SkiffJson.Default.ListContainerSummary, ct);
            string effective;
            if (pr.GetValue(quiet))
            {
                effective = "{{.ID}}";
            }
            else if (string.IsNullOrEmpty(f) || f == "table")
            {
                effective = showSize ? PsDefaultTable + "\t{{.Size}}" : PsDefaultTable;
            }
            else
            {
                effective = f;
            }
            var trunc = !pr.GetValue(noTrunc);
            var rows = list.Select(c => PsRow(ctx, c, trunc)).ToList();
            var byRow = list.Zip(rows).ToDictionary(p => p.Second, p => p.First);
            await ctx.Out.WriteAsync(ListFormatter.Render(effective, rows, PsHeaders, row => PsMethods(byRow[row])));
            return 0;
        });
        return cmd;
    }

    private static Dictionary<string, Func<IReadOnlyList<object?>, object?>> PsMethods(ContainerSummary c) => new()
    {
        ["Label"] = args => args.Count > 0 && c.Labels.TryGetValue(GoTemplate.Print(args[0]), out var v) ? v : "",
    };

    /// <summary>docker's ContainerContext fields for one row (keys sorted, as its JSON output is).</summary>
    internal static JsonObject PsRow(CliContext ctx, ContainerSummary c, bool trunc)
    {
        var created = DateTimeOffset.FromUnixTimeSeconds(c.Created);
        var names = c.Names.Select(n => n.TrimStart('/')).ToList();
        if (trunc)
        {
            var primary = names.FirstOrDefault(n => !n.Contains('/', StringComparison.Ordinal));
            if (primary != null)
            {
                names = [primary];
            }
        }
        var image = c.Image;
        if (trunc)
        {
            if (image.StartsWith("sha256:", StringComparison.Ordinal))
            {
                image = Common.TruncateId(image);
            }
            else if (image.Contains('@', StringComparison.Ordinal))
            {
                image = image[..image.IndexOf('@', StringComparison.Ordinal)];
            }
        }
        var command = trunc ? Common.Ellipsis(c.Command, 20) : c.Command;
        var size = Units.HumanSizeWithPrecision(c.SizeRw ?? 0, 3);
        if ((c.SizeRootFs ?? 0) > 0)
        {
            size = $"{size} (virtual {Units.HumanSizeWithPrecision(c.SizeRootFs ?? 0, 3)})";
        }
        var mounts = c.Mounts.Select(m =>
        {
            var n = !string.IsNullOrEmpty(m.Name) ? m.Name : m.Source;
            return trunc ? Common.Ellipsis(n, 15) : n;
        });
        return new JsonObject
        {
            ["Command"] = GoQuote(command),
            ["CreatedAt"] = Common.GoTimeString(created),
            ["ID"] = trunc ? Common.TruncateId(c.Id) : c.Id,
            ["Image"] = image,
            ["Labels"] = string.Join(',', c.Labels.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + "=" + p.Value)),
            ["LocalVolumes"] = c.Mounts.Count(m => m.Driver == "local").ToString(CultureInfo.InvariantCulture),
            ["Mounts"] = string.Join(',', mounts),
            ["Names"] = string.Join(',', names),
            ["Networks"] = string.Join(',', c.NetworkSettings.Networks.Keys.Order(StringComparer.Ordinal)),
            ["Ports"] = DisplayablePorts(c.Ports),
            ["RunningFor"] = Common.Ago(ctx, created),
            ["Size"] = size,
            ["State"] = c.State,
            ["Status"] = c.Status,
        };
    }

    /// <summary>Go's strconv.Quote for printable text.</summary>
    internal static string GoQuote(string s)
    {
        var sb = new System.Text.StringBuilder("\"");
        foreach (var ch in s)
        {
            switch (ch)
            {
                case '"':
                    sb.Append("\\\"");
                    break;
                case '\\':
                    sb.Append("\\\\");
                    break;
                case '\n':
                    sb.Append("\\n");
                    break;
                case '\t':
                    sb.Append("\\t");
                    break;
                case '\r':
                    sb.Append("\\r");
                    break;
                default:
                    if (ch < 0x20)
                    {
                        sb.Append("\\x").Append(((int)ch).ToString("x2", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(ch);
                    }
                    break;
            }
        }
        return sb.Append('"').ToString();
    }

    /// <summary>docker's DisplayablePorts: sorted, consecutive ports grouped into ranges, host mappings last.</summary>
    internal static string DisplayablePorts(IEnumerable<ContainerPort> input)
    {
        var ports = input.ToList();
        ports.Sort((a, b) =>
        {
            if (a.PrivatePort != b.PrivatePort)
            {
                return a.PrivatePort.CompareTo(b.PrivatePort);
            }
            if ((a.IP ?? "") != (b.IP ?? ""))
            {
                return string.CompareOrdinal(a.IP ?? "", b.IP ?? "");
            }
            if ((a.PublicPort ?? 0) != (b.PublicPort ?? 0))
            {
                return (a.PublicPort ?? 0).CompareTo(b.PublicPort ?? 0);
            }
            return string.CompareOrdinal(a.Type, b.Type);
        });
        var groups = new Dictionary<string, (int First, int Last)>(StringComparer.Ordinal);
        var order = new List<string>();
        var result = new List<string>();
        var hostMappings = new List<string>();
        foreach (var p in ports)
        {
            var current = p.PrivatePort;
            var key = p.Type;
            if (!string.IsNullOrEmpty(p.IP))
            {
                if ((p.PublicPort ?? 0) != current)
                {
                    hostMappings.Add($"{JoinHostPort(p.IP, (p.PublicPort ?? 0).ToString(CultureInfo.InvariantCulture))}->{p.PrivatePort}/{p.Type}");
                    continue;
                }
                key = p.IP + "/" + p.Type;
            }
            if (!groups.TryGetValue(key, out var g))
            {
                groups[key] = (current, current);
                order.Add(key);
                continue;
            }
            if (current == g.Last + 1)
            {
                groups[key] = (g.First, current);
                continue;
            }
            result.Add(FormGroup(key, g.First, g.Last));
            groups[key] = (current, current);
        }
        foreach (var key in order)
        {
            var g = groups[key];
            result.Add(FormGroup(key, g.First, g.Last));
        }
        result.AddRange(hostMappings);
        return string.Join(", ", result);
    }

    private static string FormGroup(string key, int start, int last)
    {
        var slash = key.LastIndexOf('/');
        var ip = slash >= 0 ? key[..slash] : "";
        var type = slash >= 0 ? key[(slash + 1)..] : key;
        var group = start.ToString(CultureInfo.InvariantCulture);
        if (start != last)
        {
            group += "-" + last.ToString(CultureInfo.InvariantCulture);
        }
        if (ip.Length > 0)
        {
            group = $"{ip}:{group}->{group}";
        }
        return $"{group}/{type}";
    }
}

/// <summary>Shared inspect output: an indented JSON array, or the template per object.</summary>
internal static class InspectCommon
{
    public static async Task<int> RunAsync(CliContext ctx, IEnumerable<string> names, string? format, Func<string, Task<JsonNode?>> fetch, CancellationToken ct)
    {
        var found = new List<JsonNode?>();
        var errors = new List<string>();
        foreach (var name in names)
        {
            try
            {
                found.Add(await fetch(name));
            }
            catch (DaemonUnreachableException)
            {
                throw;
            }
            catch (DaemonException e) when (e.StatusCode == 404)
            {
                errors.Add(e.Message);
            }
            catch (CliException e)
            {
                errors.Add(e.Message);
            }
        }
        if (string.IsNullOrEmpty(format) || format.Trim() == "json")
        {
            var arr = new JsonArray();
            foreach (var n in found)
            {
                arr.Add(n?.DeepClone());
            }
            await ctx.Out.WriteLineAsync(ListFormatter.IndentJson(arr));
        }
        else
        {
            var template = GoTemplate.Parse(ListFormatter.FinalFormat(format));
            foreach (var n in found)
            {
                await ctx.Out.WriteLineAsync(template.Execute(n));
            }
        }
        foreach (var e in errors)
        {
            await ctx.Err.WriteLineAsync(e);
        }
        _ = ct;
        return errors.Count > 0 ? 1 : 0;
    }
}
