using System.CommandLine;
using System.Globalization;
using System.Text;
using Skiff.Api;
using Skiff.Cli.Connection;
using Skiff.Cli.Formatting;

namespace Skiff.Cli.Commands;

/// <summary><c>node ls|inspect|update|ps|rm|promote|demote</c>.</summary>
internal static class NodeCommands
{
    public static void Register(CliApp.App app, CliContext ctx)
    {
        var group = Common.Cmd("node", "Manage Swarm nodes");
        group.SetAction(pr => new DockerHelpAction(ctx.Out).Invoke(pr));
        app.Root.Subcommands.Add(group);
        group.Subcommands.Add(Demote(ctx));
        group.Subcommands.Add(Inspect(ctx));
        group.Subcommands.Add(Ls(ctx));
        group.Subcommands.Add(Promote(ctx));
        group.Subcommands.Add(Ps(ctx));
        group.Subcommands.Add(Rm(ctx));
        group.Subcommands.Add(Update(ctx));
    }

    private static async Task<NodeWire> GetNodeAsync(CliContext ctx, string reference, CancellationToken ct) =>
        await ctx.Client.GetAsync($"/nodes/{Common.Escape(reference)}", SkiffJson.Default.NodeWire, ct);

    private static Command Ls(CliContext ctx)
    {
        var cmd = Common.Cmd("ls", "List nodes in the swarm", "list");
        var filter = Common.List("--filter", "-f", "Filter output based on conditions provided");
        var format = Common.Str("--format", null, Common.TableFormatHelp);
        var quiet = Common.Flag("--quiet", "-q", "Only display IDs");
        cmd.Options.Add(filter);
        cmd.Options.Add(format);
        cmd.Options.Add(quiet);
        cmd.SetAction(async (pr, ct) =>
        {
            var isQuiet = pr.GetValue(quiet);
            var q = new Query().AddIfNotEmpty("filters", SwarmFilters.FromFlags(pr.GetValue(filter) ?? []));
            var nodes = await ctx.Client.GetAsync("/nodes" + q, SkiffJson.Default.ListNodeWire, ct);
            SwarmInfo? swarm = null;
            if (nodes.Count > 0 && !isQuiet)
            {
                swarm = (await ctx.Client.GetAsync("/info", SkiffJson.Default.SystemInfo, ct)).Swarm;
            }
            var rows = nodes.OrderBy(n => n.Description.Hostname, GoText.Natural).Select(n => NodeFormat.Row(n, swarm)).ToList();
            var f = pr.GetValue(format);
            var effective = string.IsNullOrEmpty(f) || f == ListFormatter.TableKey ? (isQuiet ? "{{.ID}}" : NodeFormat.DefaultTable) : f;
            await ctx.Out.WriteAsync(ListFormatter.Render(effective, rows, NodeFormat.Headers));
            return 0;
        });
        return cmd;
    }

    private static Command Inspect(CliContext ctx)
    {
        var cmd = Common.Cmd("inspect", "Display detailed information on one or more nodes");
        var format = Common.Str("--format", "-f", Common.InspectFormatHelp);
        var pretty = Common.Flag("--pretty", null, "Print the information in a human friendly format");
        var names = new Argument<string[]>("self|NODE") { Arity = ArgumentArity.OneOrMore };
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
                    await ctx.Client.GetNodeAsync($"/nodes/{Common.Escape(await SwarmCommon.NodeReferenceAsync(ctx, name, ct))}", ct), ct);
            }
            var text = new StringBuilder();
            foreach (var name in pr.GetValue(names)!)
            {
                var node = await GetNodeAsync(ctx, await SwarmCommon.NodeReferenceAsync(ctx, name, ct), ct);
                text.Append(NodeFormat.Pretty(node));
            }
            await ctx.Out.WriteAsync(text.ToString());
            return 0;
        });
        return cmd;
    }

    /// <summary>docker's updateNodes: GET the node, merge, POST the whole spec; stops at the first error.</summary>
    private static async Task UpdateNodesAsync(CliContext ctx, IEnumerable<string> nodes, Func<NodeWire, Task<bool>> merge, Func<string, Task> success, CancellationToken ct)
    {
        foreach (var reference in nodes)
        {
            var node = await GetNodeAsync(ctx, reference, ct);
            if (!await merge(node))
            {
                continue;
            }
            // Labels are never null, and in key order as Go marshals its maps.
            node.Spec.Labels = (node.Spec.Labels ?? []).OrderBy(p => p.Key, StringComparer.Ordinal).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
            await ctx.Client.PostAsync(
                $"/nodes/{Common.Escape(node.ID)}/update?version={node.Version.Index.ToString(CultureInfo.InvariantCulture)}",
                EngineClient.JsonBody(node.Spec, SkiffJson.Default.NodeSpecWire),
                ct);
            await success(reference);
        }
    }

    private static Command Update(CliContext ctx)
    {
        var cmd = Common.Cmd("update", "Update a node");
        var availability = Common.Str("--availability", null, "Availability of the node (\"active\", \"pause\", \"drain\")");
        var labelAdd = Common.List("--label-add", null, "Add or update a node label (\"key=value\")");
        var labelRm = Common.List("--label-rm", null, "Remove a node label if exists");
        var role = Common.Str("--role", null, "Role of the node (\"worker\", \"manager\")");
        var name = Common.Arg("NODE");
        foreach (var o in new Option[] { availability, labelAdd, labelRm, role })
        {
            cmd.Options.Add(o);
        }
        cmd.Arguments.Add(name);
        cmd.SetAction(async (pr, ct) =>
        {
            var arg = pr.GetValue(name)!;
            await UpdateNodesAsync(ctx, [arg], node =>
            {
                var spec = node.Spec;
                if (ServiceOptions.Changed(pr, role))
                {
                    spec.Role = pr.GetValue(role);
                }
                if (ServiceOptions.Changed(pr, availability))
                {
                    spec.Availability = pr.GetValue(availability);
                }
                spec.Labels ??= new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var label in pr.GetValue(labelAdd) ?? [])
                {
                    var eq = label.IndexOf('=', StringComparison.Ordinal);
                    spec.Labels[eq < 0 ? label : label[..eq]] = eq < 0 ? "" : label[(eq + 1)..];
                }
                foreach (var key in pr.GetValue(labelRm) ?? [])
                {
                    if (!spec.Labels.Remove(key))
                    {
                        throw new CliException($"key {key} doesn't exist in node's labels");
                    }
                }
                return Task.FromResult(true);
            }, async _ => await ctx.Out.WriteLineAsync(arg), ct);
            return 0;
        });
        return cmd;
    }

    private static Command Promote(CliContext ctx) => RoleChange(ctx, "promote", "Promote one or more nodes to manager in the swarm", "manager",
        id => $"Node {id} promoted to a manager in the swarm.");

    private static Command Demote(CliContext ctx) => RoleChange(ctx, "demote", "Demote one or more nodes from manager in the swarm", "worker",
        id => $"Manager {id} demoted in the swarm.");

    private static Command RoleChange(CliContext ctx, string verb, string description, string role, Func<string, string> successText)
    {
        var cmd = Common.Cmd(verb, description);
        var names = Common.Args("NODE");
        cmd.Arguments.Add(names);
        cmd.SetAction(async (pr, ct) =>
        {
            await UpdateNodesAsync(ctx, pr.GetValue(names)!, async node =>
            {
                if (node.Spec.Role == role)
                {
                    await ctx.Out.WriteLineAsync($"Node {node.ID} is already a {role}.");
                    return false;
                }
                node.Spec.Role = role;
                return true;
            }, async id => await ctx.Out.WriteLineAsync(successText(id)), ct);
            return 0;
        });
        return cmd;
    }

    private static Command Ps(CliContext ctx)
    {
        var cmd = Common.Cmd("ps", "List tasks running on one or more nodes, defaults to current node");
        var filter = Common.List("--filter", "-f", "Filter output based on conditions provided");
        var format = Common.Str("--format", null, "Pretty-print tasks using a Go template");
        var noResolve = Common.Flag("--no-resolve", null, "Do not map IDs to Names");
        var noTrunc = Common.Flag("--no-trunc", null, "Do not truncate output");
        var quiet = Common.Flag("--quiet", "-q", "Only display task IDs");
        var names = Common.Args("NODE", min: 0);
        foreach (var o in new Option[] { filter, format, noResolve, noTrunc, quiet })
        {
            cmd.Options.Add(o);
        }
        cmd.Arguments.Add(names);
        cmd.SetAction(async (pr, ct) =>
        {
            var refs = pr.GetValue(names) is { Length: > 0 } given ? given : ["self"];
            var userFilters = SwarmFilters.Parse(pr.GetValue(filter) ?? []);
            var errors = new List<string>();
            var tasks = new List<TaskWire>();
            foreach (var reference in refs)
            {
                try
                {
                    var node = await GetNodeAsync(ctx, await SwarmCommon.NodeReferenceAsync(ctx, reference, ct), ct);
                    var filters = new List<(string, string)>(userFilters) { ("node", node.ID) };
                    tasks.AddRange(await ctx.Client.GetAsync("/tasks" + new Query().Add("filters", SwarmFilters.Json(filters)), SkiffJson.Default.ListTaskWire, ct));
                }
                catch (CliException e) when (e is not DaemonUnreachableException)
                {
                    errors.Add(e.Message);
                }
            }
            if (errors.Count == 0 || tasks.Count > 0)
            {
                await TaskPrinter.PrintAsync(ctx, tasks, new IdResolver(ctx, pr.GetValue(noResolve)), !pr.GetValue(noTrunc), pr.GetValue(quiet), pr.GetValue(format), ct);
            }
            if (errors.Count > 0)
            {
                throw new CliException(string.Join('\n', errors));
            }
            return 0;
        });
        return cmd;
    }

    private static Command Rm(CliContext ctx)
    {
        var cmd = Common.Cmd("rm", "Remove one or more nodes from the swarm", "remove");
        var force = Common.Flag("--force", "-f", "Force remove a node from the swarm");
        var names = Common.Args("NODE");
        cmd.Options.Add(force);
        cmd.Arguments.Add(names);
        cmd.SetAction(async (pr, ct) => await Common.ForEachAsync(ctx, pr.GetValue(names)!, async n =>
        {
            await ctx.Client.DeleteAsync($"/nodes/{Common.Escape(n)}{(pr.GetValue(force) ? "?force=1" : "")}", ct);
            await ctx.Out.WriteLineAsync(n);
        }));
        return cmd;
    }
}
