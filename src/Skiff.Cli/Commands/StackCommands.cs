using System.CommandLine;
using System.Text.Json;
using Skiff.Api;
using Skiff.Cli.Connection;
using Skiff.Cli.Formatting;
using Skiff.Compose;
using Skiff.Compose.Local;
using Skiff.Compose.Stack;

namespace Skiff.Cli.Commands;

/// <summary>
/// <c>stack deploy|ls|ps|services|rm</c>: a compose file on the swarm, converted by <see cref="StackConverter"/>
/// from the same loader as <c>compose</c>. Beyond docker: <c>depends_on</c> is honoured (a service is created
/// or updated only after its dependencies have converged) and services with <c>build:</c> are built first.
/// </summary>
internal static class StackCommands
{
    public static void Register(CliApp.App app, CliContext ctx)
    {
        var group = Common.Cmd("stack", "Manage Swarm stacks");
        group.SetAction(pr => new DockerHelpAction(ctx.Out).Invoke(pr));
        app.Root.Subcommands.Add(group);
        group.Subcommands.Add(Deploy(ctx));
        group.Subcommands.Add(Ls(ctx));
        group.Subcommands.Add(Services(ctx));
        group.Subcommands.Add(Ps(ctx));
        group.Subcommands.Add(Rm(ctx));
    }

    private static Command Deploy(CliContext ctx)
    {
        var cmd = Common.Cmd("deploy", "Deploy a new stack or update an existing stack", "up");
        var files = Common.List("--compose-file", "-c", "Path to a Compose file, or \"-\" to read from stdin");
        var prune = Common.Flag("--prune", null, "Prune services that are no longer referenced");
        var detach = new Option<bool>("--detach", "-d") { Description = "Exit immediately instead of waiting for the stack services to converge", DefaultValueFactory = _ => true };
        var quiet = Common.Flag("--quiet", "-q", "Suppress progress output");
        var resolveImage = Common.Str("--resolve-image", null, "Query the registry to resolve image digest and supported platforms (\"always\", \"changed\", \"never\") (default \"always\")");
        var withRegistryAuth = Common.Flag("--with-registry-auth", null, "Send registry authentication details to Swarm agents");
        var stack = Common.Arg("STACK");
        foreach (var o in new Option[] { files, prune, detach, quiet, resolveImage, withRegistryAuth })
        {
            cmd.Options.Add(o);
        }

        cmd.Arguments.Add(stack);
        cmd.SetAction(async (pr, ct) =>
        {
            var name = pr.GetValue(stack)!;
            if (!ProjectName.IsValid(name))
            {
                throw new CliException($"invalid stack name \"{name}\": use lowercase letters, digits, dashes and underscores, starting with a letter or digit");
            }

            var paths = pr.GetValue(files) ?? [];
            if (paths.Length == 0)
            {
                throw new CliException("Please specify a Compose file (with --compose-file).");
            }

            await EnsureManagerAsync(ctx, ct);
            var (project, lookup) = LoadStack(ctx, paths, name);
            var warnings = new List<string>();
            IReadOnlyList<StackService> services;
            try
            {
                services = StackConverter.Convert(project, name, warnings, lookup);
            }
            catch (ComposeEngineException e)
            {
                throw new CliException(e.Message);
            }

            foreach (var w in warnings)
            {
                ComposeCommands.Warn(ctx, w);
            }

            foreach (var s in project.Services.Where(s => s.Build is not null))
            {
                await ComposeCommands.BuildForStackAsync(ctx, project, s, ct);
            }

            await EnsureNetworksAsync(ctx, project, name, ct);
            await EnsureFilesAsync(ctx, project, name, services, lookup, ct);
            var existing = await StackServicesAsync(ctx, name, ct);
            if (pr.GetValue(prune))
            {
                var wanted = services.Select(s => s.Spec.Name).ToHashSet(StringComparer.Ordinal);
                foreach (var old in existing.Where(e => !wanted.Contains(e.Spec.Name)))
                {
                    await ctx.Out.WriteLineAsync($"Removing service {old.Spec.Name}");
                    await ctx.Client.DeleteAsync($"/services/{Common.Escape(old.ID)}", ct);
                }
            }

            var ids = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var s in services)
            {
                // Beyond docker: dependencies converge before a dependant is created or updated.
                foreach (var dep in s.DependsOn.Where(ids.ContainsKey))
                {
                    await WaitConvergedAsync(ctx, ids[dep], StackConverter.ServiceName(name, dep), ct);
                }

                var current = existing.FirstOrDefault(e => e.Spec.Name == s.Spec.Name);
                if (current is null)
                {
                    await ctx.Out.WriteLineAsync($"Creating service {s.Spec.Name}");
                    var created = await ctx.Client.PostAsync("/services/create", s.Spec, SkiffJson.Default.ServiceSpecWire, SkiffJson.Default.ServiceCreateResponse, ct);
                    ids[s.ComposeName] = created.ID;
                    PrintDaemonWarnings(ctx, created.Warnings);
                }
                else
                {
                    await ctx.Out.WriteLineAsync($"Updating service {s.Spec.Name} (id: {current.ID})");
                    var q = new Query().Add("version", current.Version.Index.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    var updated = await ctx.Client.PostAsync($"/services/{Common.Escape(current.ID)}/update{q}", s.Spec, SkiffJson.Default.ServiceSpecWire, SkiffJson.Default.ServiceUpdateResponse, ct);
                    ids[s.ComposeName] = current.ID;
                    PrintDaemonWarnings(ctx, updated.Warnings);
                }
            }

            if (!pr.GetValue(detach))
            {
                foreach (var s in services)
                {
                    await WaitConvergedAsync(ctx, ids[s.ComposeName], s.Spec.Name, ct);
                }
            }

            return 0;
        });
        return cmd;
    }

    private static async Task EnsureNetworksAsync(CliContext ctx, ComposeProject project, string stack, CancellationToken ct)
    {
        foreach (var external in project.Networks.Values.Where(n => n.External))
        {
            try
            {
                using var _ = await ctx.Client.SendAsync(HttpMethod.Get, $"/networks/{Common.Escape(external.Name)}", ct: ct);
            }
            catch (DaemonException e) when (e.StatusCode == 404)
            {
                throw new CliException($"network \"{external.Name}\" is declared as external, but could not be found. You need to create a swarm-scoped network before the stack is deployed");
            }
        }

        var existing = (await StackNetworksAsync(ctx, stack, ct)).Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var request in StackConverter.Networks(project, stack).Where(r => !existing.Contains(r.Name)))
        {
            await ctx.Out.WriteLineAsync($"Creating network {request.Name}");
            await ctx.Client.PostAsync("/networks/create", request, SkiffJson.Default.NetworkCreateRequest, SkiffJson.Default.NetworkCreateResponse, ct);
        }
    }

    /// <summary>
    /// docker/cli's createSecrets/createConfigs: each stack secret or config is created ("Creating secret NAME") or, if
    /// it exists, updated with the same spec (only labels may change: new content is refused by the daemon, as in
    /// Docker); external ones must exist. The services' references then get the ids.
    /// </summary>
    private static async Task EnsureFilesAsync(CliContext ctx, ComposeProject project, string stack, IReadOnlyList<StackService> services, Func<string, string?> lookup, CancellationToken ct)
    {
        List<StackFile> files;
        try
        {
            files = [.. StackConverter.Files(project, stack)];
        }
        catch (ComposeEngineException e)
        {
            throw new CliException(e.Message);
        }

        var ids = new Dictionary<(bool, string), string>();
        foreach (var f in files)
        {
            var noun = f.IsSecret ? "secret" : "config";
            var resource = f.IsSecret ? "/secrets" : "/configs";
            if (f.External)
            {
                ids[(f.IsSecret, f.Name)] = await SecretCommands.ResolveIdAsync(ctx, f.IsSecret, f.Name, ct);
                continue;
            }

            var spec = new SwarmFileSpecWire
            {
                Name = f.Name,
                Labels = new Dictionary<string, string>(f.Labels, StringComparer.Ordinal),
                Data = await ReadStackFileAsync(f, noun, lookup, ct),
            };
            SwarmFileWire? current = null;
            try
            {
                current = await ctx.Client.GetAsync($"{resource}/{Common.Escape(f.Name)}", SkiffJson.Default.SwarmFileWire, ct);
            }
            catch (DaemonException e) when (e.StatusCode == 404)
            {
            }

            if (current is null)
            {
                await ctx.Out.WriteLineAsync($"Creating {noun} {f.Name}");
                var created = await ctx.Client.PostAsync(resource + "/create", spec, SkiffJson.Default.SwarmFileSpecWire, SkiffJson.Default.SwarmCreateResponse, ct);
                ids[(f.IsSecret, f.Name)] = created.ID;
            }
            else
            {
                var q = new Query().Add("version", current.Version.Index.ToString(System.Globalization.CultureInfo.InvariantCulture));
                try
                {
                    using var _ = await ctx.Client.SendAsync(HttpMethod.Post, $"{resource}/{Common.Escape(current.ID)}/update{q}",
                        EngineClient.JsonBody(spec, SkiffJson.Default.SwarmFileSpecWire), ct: ct);
                }
                catch (DaemonException e)
                {
                    throw new CliException($"failed to update {noun} {f.Name}: {e.Message}" +
                        (e.Message.Contains("only updates to Labels", StringComparison.Ordinal) ? $" (its content changed: {noun}s cannot change; give the new content a new name)" : ""));
                }

                ids[(f.IsSecret, f.Name)] = current.ID;
            }
        }

        foreach (var cs in services.Select(s => s.Spec.TaskTemplate.ContainerSpec).OfType<ContainerSpecWire>())
        {
            foreach (var r in cs.Secrets ?? [])
            {
                r.SecretID = ids[(true, r.SecretName)];
            }

            foreach (var r in cs.Configs ?? [])
            {
                r.ConfigID = ids[(false, r.ConfigName)];
            }
        }
    }

    private static async Task<byte[]> ReadStackFileAsync(StackFile f, string noun, Func<string, string?> lookup, CancellationToken ct)
    {
        if (f.File is { } path)
        {
            try
            {
                return await File.ReadAllBytesAsync(path, ct);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CliException($"{noun} {f.Key}: cannot read {path}: {(e is FileNotFoundException or DirectoryNotFoundException ? "no such file or directory" : e.Message)}");
            }
        }

        return lookup(f.Environment!) is { } value
            ? System.Text.Encoding.UTF8.GetBytes(value)
            : throw new CliException($"{noun} {f.Key}: environment variable {f.Environment} is not set");
    }

    /// <summary><c>{"label":["com.docker.stack.namespace=STACK"]}</c>: what docker/cli lists a stack's objects by.</summary>
    private static string NamespaceFilter(string stack) =>
        JsonSerializer.Serialize(new Dictionary<string, List<string>> { ["label"] = [$"{StackConverter.NamespaceLabel}={stack}"] }, SkiffJson.Default.DictionaryStringListString);

    /// <summary>The stack's secrets or configs (by the namespace label).</summary>
    private static async Task<List<SwarmFileWire>> StackFilesAsync(CliContext ctx, string resource, string stack, CancellationToken ct)
    {
        var filters = NamespaceFilter(stack);
        return await ctx.Client.GetAsync(resource + new Query().Add("filters", filters), SkiffJson.Default.ListSwarmFileWire, ct);
    }

    private static async Task<List<NetworkResource>> StackNetworksAsync(CliContext ctx, string stack, CancellationToken ct)
    {
        var filters = NamespaceFilter(stack);
        return await ctx.Client.GetAsync("/networks" + new Query().Add("filters", filters), SkiffJson.Default.ListNetworkResource, ct);
    }

    private static void PrintDaemonWarnings(CliContext ctx, List<string>? warnings)
    {
        foreach (var w in warnings ?? [])
        {
            ctx.Err.WriteLine(w);
        }
    }

    /// <summary>The stack file(s) through the compose loader; the stack name is the project name.</summary>
    private static (ComposeProject Project, Func<string, string?> Lookup) LoadStack(CliContext ctx, string[] paths, string name)
    {
        var cwd = ctx.WorkingDirectory();
        var files = paths.Select(p => p == "-" ? "-" : Path.GetFullPath(p, cwd)).ToList();
        var projectDir = files[0] == "-" ? cwd : Path.GetDirectoryName(files[0])!;
        var loaded = ComposeCommands.LoadProject(ctx, files, projectDir, name, [], profiles: null, services: [], print: true);
        return (loaded.Project, loaded.Lookup);
    }

    private static async Task EnsureManagerAsync(CliContext ctx, CancellationToken ct)
    {
        var info = await ctx.Client.GetAsync("/info", SkiffJson.Default.SystemInfo, ct);
        if (info.Swarm?.LocalNodeState != "active" || !info.Swarm.ControlAvailable)
        {
            throw new CliException("this node is not a swarm manager. Use \"docker swarm init\" or \"docker swarm join\" to connect this node to swarm and try again");
        }
    }

    private static async Task<List<ServiceWire>> StackServicesAsync(CliContext ctx, string stack, CancellationToken ct)
    {
        var filters = NamespaceFilter(stack);
        var list = await ctx.Client.GetAsync("/services" + new Query().Add("status", "true").Add("filters", filters), SkiffJson.Default.ListServiceWire, ct);
        return list.OrderBy(s => s.Spec.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>Until the service's running tasks reach its desired count (jobs: until they completed).</summary>
    private static async Task WaitConvergedAsync(CliContext ctx, string id, string name, CancellationToken ct)
    {
        var reported = false;
        var filters = JsonSerializer.Serialize(new Dictionary<string, List<string>> { ["id"] = [id] }, SkiffJson.Default.DictionaryStringListString);
        while (true)
        {
            // One list call per poll: it carries the spec (for the mode) and the task counts.
            var service = (await ctx.Client.GetAsync("/services" + new Query().Add("status", "true").Add("filters", filters), SkiffJson.Default.ListServiceWire, ct))
                .FirstOrDefault(x => x.ID == id) ?? throw new CliException($"service {name} disappeared while waiting for it to converge");
            var status = service.ServiceStatus;
            var isJob = service.Spec.Mode?.ReplicatedJob is not null || service.Spec.Mode?.GlobalJob is not null;
            if (status is { DesiredTasks: > 0 } && (status.RunningTasks >= status.DesiredTasks || (isJob && status.CompletedTasks >= status.DesiredTasks)))
            {
                if (reported)
                {
                    await ctx.Out.WriteLineAsync($"{name}: converged ({status.RunningTasks}/{status.DesiredTasks})");
                }

                return;
            }

            if (!reported)
            {
                await ctx.Out.WriteLineAsync($"Waiting for {name} to converge");
                reported = true;
            }

            await ctx.Delay(TimeSpan.FromMilliseconds(500), ct);
        }
    }

    private static Command Ls(CliContext ctx)
    {
        var cmd = Common.Cmd("ls", "List stacks", "list");
        var format = Common.Str("--format", null, "Format output using a custom template");
        cmd.Options.Add(format);
        cmd.SetAction(async (pr, ct) =>
        {
            if (pr.GetValue(format) is { } f && f != "table")
            {
                throw new CliException($"--format {f}: only the default table is supported by skiff stack ls");
            }

            var filters = JsonSerializer.Serialize(new Dictionary<string, List<string>> { ["label"] = [StackConverter.NamespaceLabel] }, SkiffJson.Default.DictionaryStringListString);
            var services = await ctx.Client.GetAsync("/services" + new Query().Add("filters", filters), SkiffJson.Default.ListServiceWire, ct);
            var stacks = services.GroupBy(s => s.Spec.Labels?.GetValueOrDefault(StackConverter.NamespaceLabel) ?? "", StringComparer.Ordinal)
                .Where(g => g.Key.Length > 0)
                .OrderBy(g => g.Key, StringComparer.Ordinal)
                .ToList();
            var width = Math.Max("NAME".Length, stacks.Count == 0 ? 0 : stacks.Max(g => g.Key.Length));
            await ctx.Out.WriteLineAsync("NAME".PadRight(width + 3) + "SERVICES");
            foreach (var g in stacks)
            {
                await ctx.Out.WriteLineAsync(g.Key.PadRight(width + 3) + g.Count());
            }

            return 0;
        });
        return cmd;
    }

    /// <summary><c>stack services</c> is <c>service ls</c> filtered on the namespace label (same table, same flags).</summary>
    private static Command Services(CliContext ctx)
    {
        var cmd = Common.Cmd("services", "List the services in the stack");
        var quiet = Common.Flag("--quiet", "-q", "Only display IDs");
        var format = Common.Str("--format", null, "Format output using a custom template");
        var filter = Common.List("--filter", "-f", "Filter output based on conditions provided");
        var stack = Common.Arg("STACK");
        cmd.Options.Add(quiet);
        cmd.Options.Add(format);
        cmd.Options.Add(filter);
        cmd.Arguments.Add(stack);
        cmd.SetAction(async (pr, ct) =>
        {
            var name = pr.GetValue(stack)!;
            if ((await StackServicesAsync(ctx, name, ct)).Count == 0)
            {
                throw new CliException($"Nothing found in stack: {name}");
            }

            var args = Forward(ctx, ["service", "ls", "--filter", $"label={StackConverter.NamespaceLabel}={name}"]);
            args.AddRange((pr.GetValue(filter) ?? []).SelectMany(f => new[] { "--filter", f }));
            if (pr.GetValue(quiet))
            {
                args.Add("-q");
            }

            if (pr.GetValue(format) is { } f)
            {
                args.AddRange(["--format", f]);
            }

            return await CliApp.RunAsync([.. args], ctx);
        });
        return cmd;
    }

    /// <summary><c>stack ps</c> is <c>service ps</c> over every service of the stack.</summary>
    private static Command Ps(CliContext ctx)
    {
        var cmd = Common.Cmd("ps", "List the tasks in the stack");
        var noTrunc = Common.Flag("--no-trunc", null, "Do not truncate output");
        var quiet = Common.Flag("--quiet", "-q", "Only display task IDs");
        var filter = Common.List("--filter", "-f", "Filter output based on conditions provided");
        var format = Common.Str("--format", null, "Pretty-print tasks using a Go template");
        var stack = Common.Arg("STACK");
        foreach (var o in new Option[] { noTrunc, quiet, filter, format })
        {
            cmd.Options.Add(o);
        }

        cmd.Arguments.Add(stack);
        cmd.SetAction(async (pr, ct) =>
        {
            var name = pr.GetValue(stack)!;
            var services = await StackServicesAsync(ctx, name, ct);
            if (services.Count == 0)
            {
                throw new CliException($"nothing found in stack: {name}");
            }

            var args = Forward(ctx, ["service", "ps"]);
            args.AddRange((pr.GetValue(filter) ?? []).SelectMany(f => new[] { "--filter", f }));
            if (pr.GetValue(noTrunc))
            {
                args.Add("--no-trunc");
            }

            if (pr.GetValue(quiet))
            {
                args.Add("-q");
            }

            if (pr.GetValue(format) is { } f)
            {
                args.AddRange(["--format", f]);
            }

            args.AddRange(services.Select(s => s.Spec.Name));
            return await CliApp.RunAsync([.. args], ctx);
        });
        return cmd;
    }

    private static Command Rm(CliContext ctx)
    {
        var cmd = Common.Cmd("rm", "Remove one or more stacks", "remove", "down");
        var stacks = Common.Args("STACK");
        cmd.Arguments.Add(stacks);
        cmd.SetAction(async (pr, ct) =>
        {
            var status = 0;
            foreach (var name in pr.GetValue(stacks) ?? [])
            {
                var services = await StackServicesAsync(ctx, name, ct);
                var networks = await StackNetworksAsync(ctx, name, ct);
                var secrets = await StackFilesAsync(ctx, "/secrets", name, ct);
                var configs = await StackFilesAsync(ctx, "/configs", name, ct);
                if (services.Count == 0 && networks.Count == 0 && secrets.Count == 0 && configs.Count == 0)
                {
                    await ctx.Err.WriteLineAsync($"Nothing found in stack: {name}");
                    status = 1;
                    continue;
                }

                // As docker/cli: each removal that fails is reported and the rest carry on (a secret another stack
                // uses as external stays, the networks still go), then one summary line and exit 1.
                var failed = false;
                async Task RemoveAsync(string noun, string name, string path)
                {
                    await ctx.Out.WriteLineAsync($"Removing {noun} {name}");
                    try
                    {
                        await ctx.Client.DeleteAsync(path, ct);
                    }
                    catch (DaemonException e)
                    {
                        await ctx.Err.WriteLineAsync($"Failed to remove {noun} {name}: {e.Message}");
                        failed = true;
                    }
                }

                foreach (var s in services)
                {
                    await RemoveAsync("service", s.Spec.Name, $"/services/{Common.Escape(s.ID)}");
                }

                foreach (var (noun, list) in new[] { ("secret", secrets), ("config", configs) })
                {
                    foreach (var f in list)
                    {
                        await RemoveAsync(noun, f.Spec.Name, $"/{noun}s/{Common.Escape(f.ID)}");
                    }
                }

                foreach (var n in networks)
                {
                    await RemoveAsync("network", n.Name, $"/networks/{Common.Escape(n.Id)}");
                }

                if (failed)
                {
                    await ctx.Err.WriteLineAsync($"Failed to remove some resources from stack: {name}");
                    status = 1;
                }
            }

            return status;
        });
        return cmd;
    }

    private static List<string> Forward(CliContext ctx, string[] args)
    {
        var list = new List<string>();
        if (ctx.HostFlag is { } host)
        {
            list.AddRange(["-H", host]);
        }

        list.AddRange(args);
        return list;
    }
}
