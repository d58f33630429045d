using System.Buffers.Binary;
using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Skiff.Api;
using Skiff.Cli.Connection;
using Skiff.Cli.Formatting;

namespace Skiff.Cli.Commands;

/// <summary><c>service create|ls|ps|inspect|update|scale|rollback|logs|rm</c> (docker 28's swarm services).</summary>
internal static class ServiceCommands
{
    public static void Register(CliApp.App app, CliContext ctx)
    {
        var group = Common.Cmd("service", "Manage Swarm services");
        group.SetAction(pr => new DockerHelpAction(ctx.Out).Invoke(pr));
        app.Root.Subcommands.Add(group);
        group.Subcommands.Add(Create(app, ctx));
        group.Subcommands.Add(Inspect(ctx));
        group.Subcommands.Add(Logs(ctx));
        group.Subcommands.Add(Ls(ctx));
        group.Subcommands.Add(Ps(ctx));
        group.Subcommands.Add(Rm(ctx));
        group.Subcommands.Add(Rollback(ctx));
        group.Subcommands.Add(Scale(ctx));
        group.Subcommands.Add(Update(ctx));
    }

    // ------------------------------------------------------------------ create / update / scale / rollback

    private static Command Create(CliApp.App app, CliContext ctx)
    {
        var cmd = Common.Cmd("create", "Create a new service");
        var opts = new ServiceOptions(update: false);
        opts.AddTo(cmd);
        app.PassThrough.Add(cmd);
        cmd.SetAction(async (pr, ct) =>
        {
            var spec = await opts.BuildCreateSpecAsync(pr, ctx, ct);
            var resolveWarning = await PrepareImageAsync(ctx, spec, query: !pr.GetValue(opts.NoResolveImage), ct);
            var response = await ctx.Client.PostAsync("/services/create", spec, SkiffJson.Default.ServiceSpecWire, SkiffJson.Default.ServiceCreateResponse, ct);
            await PrintWarningsAsync(ctx, response.Warnings, resolveWarning);
            await ctx.Out.WriteLineAsync(response.ID);
            if (!pr.GetValue(opts.Detach))
            {
                await ServiceProgress.WaitAsync(ctx, response.ID, pr.GetValue(opts.Quiet), ct);
            }
            return 0;
        });
        return cmd;
    }

    private static Command Update(CliContext ctx)
    {
        var cmd = Common.Cmd("update", "Update a service");
        var opts = new ServiceOptions(update: true);
        opts.AddTo(cmd);
        var name = Common.Arg("SERVICE");
        cmd.Arguments.Add(name);
        cmd.SetAction(async (pr, ct) =>
        {
            var arg = pr.GetValue(name)!;
            var service = await GetServiceAsync(ctx, arg, insertDefaults: false, ct);
            var rollback = pr.GetValue(opts.Rollback);
            if (rollback && opts.OtherFlagsThanRollback(pr, cmd))
            {
                throw new CliException("other flags may not be combined with --rollback");
            }
            await opts.ApplyUpdateAsync(pr, service.Spec, ctx, ct);
            var query = !pr.GetValue(opts.NoResolveImage) && ServiceOptions.Changed(pr, opts.Image);
            var resolveWarning = await PrepareImageAsync(ctx, service.Spec, query, ct);
            var q = new Query().Add("registryAuthFrom", "spec").AddIf(rollback, "rollback", "previous").Add("version", service.Version.Index.ToString(CultureInfo.InvariantCulture));
            var response = await PostUpdateAsync(ctx, service, q, ct);
            await PrintWarningsAsync(ctx, response.Warnings, resolveWarning);
            await ctx.Out.WriteLineAsync(arg);
            if (!pr.GetValue(opts.Detach))
            {
                await ServiceProgress.WaitAsync(ctx, arg, pr.GetValue(opts.Quiet), ct);
            }
            return 0;
        });
        return cmd;
    }

    private static Command Rollback(CliContext ctx)
    {
        var cmd = Common.Cmd("rollback", "Revert changes to a service's configuration");
        var detach = Common.Flag("--detach", "-d", "Exit immediately instead of waiting for the service to converge");
        var quiet = Common.Flag("--quiet", "-q", "Suppress progress output");
        var name = Common.Arg("SERVICE");
        cmd.Options.Add(detach);
        cmd.Options.Add(quiet);
        cmd.Arguments.Add(name);
        cmd.SetAction(async (pr, ct) =>
        {
            var arg = pr.GetValue(name)!;
            var service = await GetServiceAsync(ctx, arg, insertDefaults: false, ct);
            await PrepareImageAsync(ctx, service.Spec, query: false, ct);
            var q = new Query().Add("rollback", "previous").Add("version", service.Version.Index.ToString(CultureInfo.InvariantCulture));
            var response = await PostUpdateAsync(ctx, service, q, ct);
            await PrintWarningsAsync(ctx, response.Warnings, null);
            await ctx.Out.WriteLineAsync(arg);
            if (!pr.GetValue(detach))
            {
                await ServiceProgress.WaitAsync(ctx, arg, pr.GetValue(quiet), ct);
            }
            return 0;
        });
        return cmd;
    }

    private static Command Scale(CliContext ctx)
    {
        var cmd = Common.Cmd("scale", "Scale one or multiple replicated services");
        var detach = Common.Flag("--detach", "-d", "Exit immediately instead of waiting for the service to converge");
        var specs = new Argument<string[]>("SERVICE=REPLICAS") { Arity = ArgumentArity.OneOrMore };
        cmd.Options.Add(detach);
        cmd.Arguments.Add(specs);
        cmd.SetAction(async (pr, ct) =>
        {
            var args = pr.GetValue(specs)!;
            foreach (var a in args)
            {
                var eq = a.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0 || eq == a.Length - 1)
                {
                    throw new CliException($"invalid scale specifier '{a}'. See '{CliApp.CommandPath(cmd)} --help'.");
                }
            }
            var errors = new List<string>();
            var scaled = new List<string>();
            foreach (var a in args)
            {
                var eq = a.IndexOf('=', StringComparison.Ordinal);
                var id = a[..eq];
                var value = a[(eq + 1)..];
                if (!GoText.TryParseUint(value, base0: false, 64, out var replicas, out var parseError))
                {
                    errors.Add($"{id}: invalid replicas value {value}: {parseError}");
                    continue;
                }
                try
                {
                    var service = await GetServiceAsync(ctx, id, insertDefaults: false, ct);
                    var mode = service.Spec.Mode;
                    if (mode?.Replicated != null)
                    {
                        mode.Replicated.Replicas = replicas;
                    }
                    else if (mode?.ReplicatedJob != null)
                    {
                        mode.ReplicatedJob.TotalCompletions = replicas;
                    }
                    else
                    {
                        throw new CliException("scale can only be used with replicated or replicated-job mode");
                    }
                    await PrepareImageAsync(ctx, service.Spec, query: false, ct);
                    var response = await PostUpdateAsync(ctx, service, new Query().Add("version", service.Version.Index.ToString(CultureInfo.InvariantCulture)), ct);
                    await PrintWarningsAsync(ctx, response.Warnings, null);
                }
                catch (CliException e) when (e is not DaemonUnreachableException)
                {
                    errors.Add($"{id}: {e.Message}");
                    continue;
                }
                await ctx.Out.WriteLineAsync($"{id} scaled to {replicas}");
                scaled.Add(id);
            }
            if (!pr.GetValue(detach))
            {
                foreach (var id in scaled)
                {
                    try
                    {
                        await ServiceProgress.WaitAsync(ctx, id, quiet: false, ct);
                    }
                    catch (CliException e) when (e is not DaemonUnreachableException)
                    {
                        errors.Add($"{id}: {e.Message}");
                    }
                }
            }
            foreach (var e in errors)
            {
                await ctx.Err.WriteLineAsync(e);
            }
            return errors.Count > 0 ? 1 : 0;
        });
        return cmd;
    }

    internal static async Task<ServiceWire> GetServiceAsync(CliContext ctx, string nameOrId, bool insertDefaults, CancellationToken ct) =>
        await ctx.Client.GetAsync($"/services/{Common.Escape(nameOrId)}?insertDefaults={(insertDefaults ? "true" : "false")}", SkiffJson.Default.ServiceWire, ct);

    private static async Task<ServiceUpdateResponse> PostUpdateAsync(CliContext ctx, ServiceWire service, Query query, CancellationToken ct) =>
        await ctx.Client.PostAsync($"/services/{Common.Escape(service.ID)}/update{query}", service.Spec, SkiffJson.Default.ServiceSpecWire, SkiffJson.Default.ServiceUpdateResponse, ct);

    /// <summary>Warnings on stderr, each followed by a newline (the digest warning ends with one already).</summary>
    private static async Task PrintWarningsAsync(CliContext ctx, List<string>? warnings, string? resolveWarning)
    {
        foreach (var w in warnings ?? [])
        {
            await ctx.Err.WriteLineAsync(w);
        }
        if (resolveWarning != null)
        {
            await ctx.Err.WriteLineAsync(resolveWarning);
        }
    }

    /// <summary>
    /// What docker's client does to the image before it sends a spec: tag a bare name ":latest", and (with
    /// <paramref name="query"/>) pin its digest and platforms from <c>GET /distribution/{image}/json</c>.
    /// Returns docker's warning when the lookup fails.
    /// </summary>
    internal static async Task<string?> PrepareImageAsync(CliContext ctx, ServiceSpecWire spec, bool query, CancellationToken ct)
    {
        var cs = spec.TaskTemplate.ContainerSpec;
        if (cs == null)
        {
            return null;
        }
        cs.Image = TagImage(cs.Image);
        if (!query)
        {
            return null;
        }
        JsonNode? distribution;
        try
        {
            distribution = await ctx.Client.GetNodeAsync($"/distribution/{cs.Image}/json", ct);
        }
        catch (CliException e) when (e is not DaemonUnreachableException)
        {
            return $"image {cs.Image} could not be accessed on a registry to record\nits digest. Each node will access {cs.Image} independently,\npossibly leading to different nodes running different\nversions of the image.\n";
        }
        var descriptor = Get(distribution, "Descriptor");
        var digest = Get(descriptor, "digest") ?? Get(descriptor, "Digest");
        if (digest?.GetValueKind() == JsonValueKind.String)
        {
            cs.Image = WithDigest(cs.Image, digest.GetValue<string>());
        }
        if (Get(distribution, "Platforms") is JsonArray platforms && platforms.Count > 0)
        {
            spec.TaskTemplate.Placement ??= new PlacementWire();
            spec.TaskTemplate.Placement.Platforms = platforms.Select(p =>
            {
                var arch = (Get(p, "architecture") ?? Get(p, "Architecture"))?.ToString() ?? "";
                return new PlatformWire
                {
                    Architecture = arch.Equals("arm", StringComparison.OrdinalIgnoreCase) ? "" : arch,
                    OS = (Get(p, "os") ?? Get(p, "OS"))?.ToString() ?? "",
                };
            }).ToList();
        }
        return null;

        static JsonNode? Get(JsonNode? n, string key) => n is JsonObject o && o.TryGetPropertyValue(key, out var v) ? v : null;
    }

    /// <summary>docker's imageWithTagString: a bare name gets ":latest" (familiar form); unparsable names stay.</summary>
    internal static string TagImage(string image)
    {
        try
        {
            return ImageReference.Parse(image).WithDefaultTag().FamiliarString;
        }
        catch (CliException)
        {
            return image;
        }
    }

    private static string WithDigest(string image, string digest)
    {
        try
        {
            var reference = ImageReference.Parse(image);
            return reference.Digest != null ? image : (reference with { Digest = digest }).FamiliarString;
        }
        catch (CliException)
        {
            return image;
        }
    }

    // ------------------------------------------------------------------ ls / ps / inspect / rm

    private static Command Ls(CliContext ctx)
    {
        var cmd = Common.Cmd("ls", "List services", "list");
        var filter = Common.List("--filter", "-f", "Filter output based on conditions provided");
        var format = Common.Str("--format", null, Common.TableFormatHelp);
        var quiet = Common.Flag("--quiet", "-q", "Only display IDs");
        cmd.Options.Add(filter);
        cmd.Options.Add(format);
        cmd.Options.Add(quiet);
        cmd.SetAction(async (pr, ct) =>
        {
            var isQuiet = pr.GetValue(quiet);
            var q = new Query().AddIfNotEmpty("filters", SwarmFilters.FromFlags(pr.GetValue(filter) ?? [])).AddIf(!isQuiet, "status", "true");
            var services = await ctx.Client.GetAsync("/services" + q, SkiffJson.Default.ListServiceWire, ct);
            var rows = services.OrderBy(s => s.Spec.Name, GoText.Natural).Select(ServiceFormat.Row).ToList();
            var f = pr.GetValue(format);
            var effective = string.IsNullOrEmpty(f) || f == ListFormatter.TableKey ? (isQuiet ? "{{.ID}}" : ServiceFormat.DefaultTable) : f;
            await ctx.Out.WriteAsync(ListFormatter.Render(effective, rows, ServiceFormat.Headers));
            return 0;
        });
        return cmd;
    }

    private static Command Ps(CliContext ctx)
    {
        var cmd = Common.Cmd("ps", "List the tasks of one or more services");
        var filter = Common.List("--filter", "-f", "Filter output based on conditions provided");
        var format = Common.Str("--format", null, "Pretty-print tasks using a Go template");
        var noResolve = Common.Flag("--no-resolve", null, "Do not map IDs to Names");
        var noTrunc = Common.Flag("--no-trunc", null, "Do not truncate output");
        var quiet = Common.Flag("--quiet", "-q", "Only display task IDs");
        var names = Common.Args("SERVICE");
        foreach (var o in new Option[] { filter, format, noResolve, noTrunc, quiet })
        {
            cmd.Options.Add(o);
        }
        cmd.Arguments.Add(names);
        cmd.SetAction(async (pr, ct) =>
        {
            var services = pr.GetValue(names)!;
            var filters = SwarmFilters.Parse(pr.GetValue(filter) ?? []);
            var byId = await ctx.Client.GetAsync("/services" + new Query().Add("filters", SwarmFilters.Json(services.Select(s => ("id", s)))), SkiffJson.Default.ListServiceWire, ct);
            var byName = await ctx.Client.GetAsync("/services" + new Query().Add("filters", SwarmFilters.Json(services.Select(s => ("name", s)))), SkiffJson.Default.ListServiceWire, ct);
            var notFound = new List<string>();
            var count = 0;
            foreach (var service in services)
            {
                var match = byId.FirstOrDefault(s => s.ID == service) ?? byName.FirstOrDefault(s => s.Spec.Name == service);
                if (match != null)
                {
                    filters.Add(("service", match.ID));
                    count++;
                    continue;
                }
                var prefixed = byId.Where(s => s.ID.StartsWith(service, StringComparison.Ordinal)).ToList();
                if (prefixed.Count > 1)
                {
                    throw new CliException("multiple services found with provided prefix: " + service);
                }
                if (prefixed.Count == 1)
                {
                    filters.Add(("service", prefixed[0].ID));
                    count++;
                    continue;
                }
                notFound.Add("no such service: " + service);
            }
            if (count == 0)
            {
                throw new CliException(string.Join('\n', notFound));
            }
            await SwarmFilters.ResolveNodesAsync(ctx, filters, ct);
            var tasks = await ctx.Client.GetAsync("/tasks" + new Query().Add("filters", SwarmFilters.Json(filters)), SkiffJson.Default.ListTaskWire, ct);
            var isQuiet = pr.GetValue(quiet);
            var trunc = !pr.GetValue(noTrunc) && !isQuiet;
            await TaskPrinter.PrintAsync(ctx, tasks, new IdResolver(ctx, pr.GetValue(noResolve)), trunc, isQuiet, pr.GetValue(format), ct);
            if (notFound.Count > 0)
            {
                throw new CliException(string.Join('\n', notFound));
            }
            return 0;
        });
        return cmd;
    }

    private static Command Inspect(CliContext ctx)
    {
        var cmd = Common.Cmd("inspect", "Display detailed information on one or more services");
        var format = Common.Str("--format", "-f", Common.InspectFormatHelp);
        var pretty = Common.Flag("--pretty", null, "Print the information in a human friendly format");
        var names = Common.Args("SERVICE");
        cmd.Options.Add(format);
        cmd.Options.Add(pretty);
        cmd.Arguments.Add(names);
        cmd.SetAction(async (pr, ct) =>
        {
            var f = pr.GetValue(pretty) ? "pretty" : pr.GetValue(format);
            if (f != null && f.StartsWith("pretty", StringComparison.Ordinal) && f != "pretty")
            {
                throw new CliException("cannot supply extra formatting options to the pretty template");
            }
            if (f != "pretty")
            {
                return await InspectCommon.RunAsync(ctx, pr.GetValue(names)!, f, async name =>
                {
                    try
                    {
                        return await ctx.Client.GetNodeAsync($"/services/{Common.Escape(name)}?insertDefaults=true", ct);
                    }
                    catch (DaemonException e) when (e.StatusCode == 404)
                    {
                        throw new CliException("Error: no such service: " + name);
                    }
                }, ct);
            }
            var text = new StringBuilder();
            foreach (var name in pr.GetValue(names)!)
            {
                ServiceWire service;
                try
                {
                    service = await GetServiceAsync(ctx, name, insertDefaults: true, ct);
                }
                catch (DaemonException e) when (e.StatusCode == 404)
                {
                    throw new CliException("Error: no such service: " + name);
                }
                var networkNames = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var n in service.Spec.TaskTemplate.Networks ?? [])
                {
                    try
                    {
                        var network = await ctx.Client.GetAsync($"/networks/{Common.Escape(n.Target)}?scope=swarm", SkiffJson.Default.NetworkResource, ct);
                        networkNames[network.Id.Length > 0 ? network.Id : n.Target] = network.Name;
                        networkNames[n.Target] = network.Name;
                    }
                    catch (DaemonException)
                    {
                        // Shown by ID.
                    }
                }
                text.Append(ServiceFormat.Pretty(service, networkNames, ctx.Time.GetUtcNow())).Append('\n');
            }
            await ctx.Out.WriteAsync(text.ToString());
            return 0;
        });
        return cmd;
    }

    private static Command Rm(CliContext ctx)
    {
        var cmd = Common.Cmd("rm", "Remove one or more services", "remove");
        var names = Common.Args("SERVICE");
        cmd.Arguments.Add(names);
        cmd.SetAction(async (pr, ct) => await Common.ForEachAsync(ctx, pr.GetValue(names)!, async n =>
        {
            await ctx.Client.DeleteAsync($"/services/{Common.Escape(n)}", ct);
            await ctx.Out.WriteLineAsync(n);
        }));
        return cmd;
    }

    // ------------------------------------------------------------------ logs

    private static Command Logs(CliContext ctx)
    {
        var cmd = Common.Cmd("logs", "Fetch the logs of a service or task");
        var details = Common.Flag("--details", null, "Show extra details provided to logs");
        var follow = Common.Flag("--follow", "-f", "Follow log output");
        var noResolve = Common.Flag("--no-resolve", null, "Do not map IDs to Names in output");
        var noTaskIds = Common.Flag("--no-task-ids", null, "Do not include task IDs in output");
        var noTrunc = Common.Flag("--no-trunc", null, "Do not truncate output");
        var raw = Common.Flag("--raw", null, "Do not neatly format logs");
        var since = Common.Str("--since", null, "Show logs since timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\" for 42 minutes)");
        var tail = Common.Str("--tail", "-n", "Number of lines to show from the end of the logs (default \"all\")");
        var timestamps = Common.Flag("--timestamps", "-t", "Show timestamps");
        var target = Common.Arg("SERVICE|TASK");
        foreach (var o in new Option[] { details, follow, noResolve, noTaskIds, noTrunc, raw, since, tail, timestamps })
        {
            cmd.Options.Add(o);
        }
        cmd.Arguments.Add(target);
        cmd.SetAction(async (pr, ct) =>
        {
            var name = pr.GetValue(target)!;
            var options = new LogOptions(pr.GetValue(details), pr.GetValue(raw), pr.GetValue(timestamps), pr.GetValue(noTaskIds), pr.GetValue(noTrunc));
            bool tty;
            var padding = 1;
            string kind;
            try
            {
                var service = await GetServiceAsync(ctx, name, insertDefaults: false, ct);
                kind = "services";
                tty = service.Spec.TaskTemplate.ContainerSpec?.TTY ?? false;
                if (service.Spec.Mode?.Replicated?.Replicas is { } replicas)
                {
                    padding = replicas.ToString(CultureInfo.InvariantCulture).Length;
                }
            }
            catch (DaemonException e) when (e.StatusCode == 404)
            {
                TaskWire task;
                try
                {
                    task = await ctx.Client.GetAsync($"/tasks/{Common.Escape(name)}", SkiffJson.Default.TaskWire, ct);
                }
                catch (DaemonException te) when (te.StatusCode == 404)
                {
                    throw new CliException("no such task or service: " + name);
                }
                kind = "tasks";
                tty = task.Spec.ContainerSpec?.TTY ?? false;
                padding = task.Slot.ToString(CultureInfo.InvariantCulture).Length;
            }
            if (tty && !options.Raw)
            {
                throw new CliException("tty service logs only supported with --raw");
            }
            var q = new Query()
                .AddIf(options.Details || !options.Raw, "details", "1")
                .AddIf(pr.GetValue(follow), "follow", "1");
            if (pr.GetValue(since) is { Length: > 0 } s)
            {
                q.Add("since", Common.ToApiTimestamp(s, ctx.Time.GetUtcNow()));
            }
            q.Add("stderr", "1").Add("stdout", "1").Add("tail", pr.GetValue(tail) ?? "all").AddIf(options.Timestamps, "timestamps", "1");
            using var response = await ctx.Client.SendAsync(HttpMethod.Get, $"/{kind}/{Common.Escape(name)}/logs{q}", stream: true, ct: ct);
            await using var body = await response.Content.ReadAsStreamAsync(ct);
            await ctx.Out.FlushAsync(ct);
            if (tty)
            {
                await StdCopy.CopyRawAsync(body, ctx.StdoutStream, ct);
                return 0;
            }
            if (options.Raw)
            {
                await StdCopy.DemuxAsync(body, ctx.StdoutStream, ctx.StderrStream, ct);
                return 0;
            }
            var formatter = new LogContextFormatter(ctx, options, padding, new IdResolver(ctx, pr.GetValue(noResolve)));
            await DemuxLinesAsync(body, async (kindByte, payload) =>
            {
                var line = await FormatLogLineAsync(formatter, options, payload, ct);
                var bytes = Encoding.UTF8.GetBytes(line);
                var dest = kindByte == 2 ? ctx.StderrStream : ctx.StdoutStream;
                await dest.WriteAsync(bytes, ct);
                await dest.FlushAsync(ct);
            }, ct);
            return 0;
        });
        return cmd;
    }

    internal sealed record LogOptions(bool Details, bool Raw, bool Timestamps, bool NoTaskIds, bool NoTrunc);

    /// <summary>Resolves a log line's node, service and task into docker's "name.slot.taskid@node" context.</summary>
    internal sealed class LogContextFormatter(CliContext ctx, LogOptions options, int padding, IdResolver resolver)
    {
        private readonly Dictionary<(string, string, string), string> _cache = [];

        public async Task<string> FormatAsync(string nodeId, string serviceId, string taskId, CancellationToken ct)
        {
            if (_cache.TryGetValue((nodeId, serviceId, taskId), out var cached))
            {
                return cached;
            }
            var node = await resolver.NodeAsync(nodeId, ct);
            var service = await resolver.ServiceAsync(serviceId, ct);
            var task = await ctx.Client.GetAsync($"/tasks/{Common.Escape(taskId)}", SkiffJson.Default.TaskWire, ct);
            var name = $"{service}.{task.Slot.ToString(CultureInfo.InvariantCulture)}";
            if (!options.NoTaskIds)
            {
                name += "." + (options.NoTrunc ? task.ID : Common.TruncateId(task.ID));
            }
            var pad = padding - task.Slot.ToString(CultureInfo.InvariantCulture).Length;
            var formatted = name + "@" + node + (pad > 0 ? new string(' ', pad) : "");
            _cache[(nodeId, serviceId, taskId)] = formatted;
            return formatted;
        }
    }

    /// <summary>docker's logWriter: "[ts ]name.slot.task@node    | [details ]message".</summary>
    internal static async Task<string> FormatLogLineAsync(LogContextFormatter formatter, LogOptions options, string payload, CancellationToken ct)
    {
        var parts = options.Timestamps ? 3 : 2;
        var split = payload.Split(' ', parts);
        if (split.Length != parts)
        {
            throw new CliException("invalid context in log message: " + payload);
        }
        var detailsText = split[options.Timestamps ? 1 : 0];
        var details = ParseLogDetails(detailsText);
        if (!details.Remove("com.docker.swarm.node.id", out var nodeId))
        {
            throw new CliException("missing node id in details: " + DetailsString(details));
        }
        if (!details.Remove("com.docker.swarm.service.id", out var serviceId))
        {
            throw new CliException("missing service id in details: " + DetailsString(details));
        }
        if (!details.Remove("com.docker.swarm.task.id", out var taskId))
        {
            throw new CliException("missing task id in details: " + DetailsString(details));
        }
        var sb = new StringBuilder();
        if (options.Timestamps)
        {
            sb.Append(split[0]).Append(' ');
        }
        sb.Append(await formatter.FormatAsync(nodeId, serviceId, taskId, ct)).Append("    | ");
        if (options.Details)
        {
            sb.Append(string.Join(',', details.Select(p => p.Key + "=" + p.Value).Order(StringComparer.Ordinal))).Append(' ');
        }
        sb.Append(split[^1]);
        return sb.ToString();
    }

    private static string DetailsString(Dictionary<string, string> details) =>
        "map[" + string.Join(' ', details.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + ":" + p.Value)) + "]";

    /// <summary>docker's logs.ParseLogDetails: comma-separated k=v pairs, each query-escaped.</summary>
    internal static Dictionary<string, string> ParseLogDetails(string details)
    {
        if (details.Length == 0)
        {
            throw new CliException("invalid details format");
        }
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in details.Split(','))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new CliException("invalid details format");
            }
            map[Uri.UnescapeDataString(pair[..eq].Replace('+', ' '))] = Uri.UnescapeDataString(pair[(eq + 1)..].Replace('+', ' '));
        }
        return map;
    }

    /// <summary>Reads stdcopy frames and hands each payload (one log line) to <paramref name="onFrame"/>.</summary>
    internal static async Task DemuxLinesAsync(Stream source, Func<byte, string, Task> onFrame, CancellationToken ct)
    {
        var header = new byte[8];
        while (true)
        {
            var read = 0;
            while (read < 8)
            {
                var n = await source.ReadAsync(header.AsMemory(read), ct);
                if (n == 0)
                {
                    if (read == 0)
                    {
                        return;
                    }
                    throw new IOException("unexpected EOF in a stdcopy frame header");
                }
                read += n;
            }
            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(4));
            var payload = new byte[length];
            await source.ReadExactlyAsync(payload, ct);
            if (header[0] == 3)
            {
                throw new CliException("Error: " + Encoding.UTF8.GetString(payload));
            }
            await onFrame(header[0], Encoding.UTF8.GetString(payload));
        }
    }
}

/// <summary>docker's filters JSON for swarm lists: keys and values sorted, as Go marshals its maps.</summary>
internal static class SwarmFilters
{
    public static string Json(IEnumerable<(string Key, string Value)> pairs)
    {
        var map = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var (k, v) in pairs)
        {
            if (!map.TryGetValue(k, out var set))
            {
                set = new SortedSet<string>(StringComparer.Ordinal);
                map[k] = set;
            }
            set.Add(v);
        }
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            foreach (var (k, values) in map)
            {
                w.WritePropertyName(k);
                w.WriteStartObject();
                foreach (var v in values)
                {
                    w.WriteBoolean(v, true);
                }
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    /// <summary>"-f key=value" flags to pairs (docker's "bad format of filter" otherwise).</summary>
    public static List<(string Key, string Value)> Parse(IEnumerable<string> flags)
    {
        var list = new List<(string, string)>();
        foreach (var f in flags)
        {
            var eq = f.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new CliException("bad format of filter (expected name=value)");
            }
            list.Add((f[..eq].Trim().ToLowerInvariant(), f[(eq + 1)..].Trim()));
        }
        return list;
    }

    public static string? FromFlags(IEnumerable<string> flags)
    {
        var pairs = Parse(flags);
        return pairs.Count == 0 ? null : Json(pairs);
    }

    /// <summary>Resolves <c>node=self</c> to this engine's node ID (docker's updateNodeFilter).</summary>
    public static async Task ResolveNodesAsync(CliContext ctx, List<(string Key, string Value)> pairs, CancellationToken ct)
    {
        for (var i = 0; i < pairs.Count; i++)
        {
            if (pairs[i].Key == "node")
            {
                pairs[i] = ("node", await SwarmCommon.NodeReferenceAsync(ctx, pairs[i].Value, ct));
            }
        }
    }
}
