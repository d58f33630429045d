using System.CommandLine;
using System.Text.Json.Nodes;
using Skiff.Api;
using Skiff.Cli.Connection;
using Skiff.Cli.Formatting;

namespace Skiff.Cli.Commands;

/// <summary><c>volume create|ls|inspect|rm|prune</c>.</summary>
internal static class VolumeCommands
{
    public static readonly IReadOnlyDictionary<string, string> Headers = new Dictionary<string, string>
    {
        ["Name"] = "VOLUME NAME",
        ["Driver"] = "DRIVER",
        ["Scope"] = "SCOPE",
        ["Mountpoint"] = "MOUNTPOINT",
        ["Labels"] = "LABELS",
        ["Links"] = "LINKS",
        ["Size"] = "SIZE",
    };

    public static void Register(CliApp.App app, CliContext ctx)
    {
        var group = Common.Cmd("volume", "Manage volumes");
        group.SetAction(pr => new DockerHelpAction(ctx.Out).Invoke(pr));
        app.Root.Subcommands.Add(group);
        group.Subcommands.Add(Create(ctx));
        group.Subcommands.Add(Ls(ctx));
        group.Subcommands.Add(Inspect(ctx));
        group.Subcommands.Add(Rm(ctx));
        group.Subcommands.Add(Prune(ctx));
    }

    private static Command Create(CliContext ctx)
    {
        var cmd = Common.Cmd("create", "Create a volume");
        var driver = Common.Str("--driver", "-d", "Specify volume driver name (default \"local\")");
        var label = Common.List("--label", null, "Set metadata for a volume");
        var opt = Common.List("--opt", "-o", "Set driver specific options (default map[])");
        var nameFlag = new Option<string?>("--name") { Description = "Specify volume name", Hidden = true };
        var name = new Argument<string?>("VOLUME") { Arity = ArgumentArity.ZeroOrOne };
        cmd.Options.Add(driver);
        cmd.Options.Add(label);
        cmd.Options.Add(opt);
        cmd.Options.Add(nameFlag);
        cmd.Arguments.Add(name);
        cmd.SetAction(async (pr, ct) =>
        {
            var argName = pr.GetValue(name);
            var flagName = pr.GetValue(nameFlag);
            if (!string.IsNullOrEmpty(argName) && !string.IsNullOrEmpty(flagName) && argName != flagName)
            {
                throw new CliException($"conflicting options: cannot specify a volume-name through both --name and as a positional arg");
            }
            var req = new VolumeCreateRequest
            {
                Name = argName ?? flagName ?? "",
                Driver = pr.GetValue(driver) ?? "local",
                DriverOpts = Common.KeyValues(pr.GetValue(opt) ?? []) ?? [],
                Labels = Common.KeyValues(pr.GetValue(label) ?? []) ?? [],
            };
            var vol = await ctx.Client.PostAsync("/volumes/create", req, SkiffJson.Default.VolumeCreateRequest, SkiffJson.Default.VolumeResource, ct);
            await ctx.Out.WriteLineAsync(vol.Name);
            return 0;
        });
        return cmd;
    }

    private static Command Ls(CliContext ctx)
    {
        var cmd = Common.Cmd("ls", "List volumes", "list");
        var filter = Common.List("--filter", "-f", "Provide filter values (e.g. \"dangling=true\")");
        var format = Common.Str("--format", null, Common.TableFormatHelp);
        var quiet = Common.Flag("--quiet", "-q", "Only display volume names");
        cmd.Options.Add(filter);
        cmd.Options.Add(format);
        cmd.Options.Add(quiet);
        cmd.SetAction(async (pr, ct) =>
        {
            var q = new Query().AddIfNotEmpty("filters", Common.FiltersJson(pr.GetValue(filter) ?? []));
            var list = await ctx.Client.GetAsync("/volumes" + q, SkiffJson.Default.VolumeListResponse, ct);
            var volumes = list.Volumes.OrderBy(v => v.Name, StringComparer.Ordinal).ToList();
            var rows = volumes.Select(v => new JsonObject
            {
                ["Driver"] = v.Driver,
                ["Labels"] = string.Join(',', v.Labels.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + "=" + p.Value)),
                ["Links"] = v.UsageData == null ? "N/A" : v.UsageData.RefCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Mountpoint"] = v.Mountpoint,
                ["Name"] = v.Name,
                ["Scope"] = v.Scope,
                ["Size"] = v.UsageData == null ? "N/A" : Units.HumanSizeWithPrecision(v.UsageData.Size, 3),
            }).ToList();
            var f = pr.GetValue(format);
            var effective = pr.GetValue(quiet) ? "{{.Name}}"
                : string.IsNullOrEmpty(f) || f == "table" ? "table {{.Driver}}\t{{.Name}}"
                : f;
            await ctx.Out.WriteAsync(ListFormatter.Render(effective, rows, Headers));
            foreach (var w in list.Warnings ?? [])
            {
                await ctx.Err.WriteLineAsync(w);
            }
            return 0;
        });
        return cmd;
    }

    private static Command Inspect(CliContext ctx)
    {
        var cmd = Common.Cmd("inspect", "Display detailed information on one or more volumes");
        var format = Common.Str("--format", "-f", Common.InspectFormatHelp);
        var names = Common.Args("VOLUME");
        cmd.Options.Add(format);
        cmd.Arguments.Add(names);
        cmd.SetAction(async (pr, ct) => await InspectCommon.RunAsync(ctx, pr.GetValue(names)!, pr.GetValue(format),
            async n => await ctx.Client.GetNodeAsync($"/volumes/{Common.Escape(n)}", ct), ct));
        return cmd;
    }

    private static Command Rm(CliContext ctx)
    {
        var cmd = Common.Cmd("rm", "Remove one or more volumes. You cannot remove a volume that is in use by a container.", "remove");
        var force = Common.Flag("--force", "-f", "Force the removal of one or more volumes");
        var names = Common.Args("VOLUME");
        cmd.Options.Add(force);
        cmd.Arguments.Add(names);
        cmd.SetAction(async (pr, ct) => await Common.ForEachAsync(ctx, pr.GetValue(names)!, async n =>
        {
            await ctx.Client.DeleteAsync($"/volumes/{Common.Escape(n)}{(pr.GetValue(force) ? "?force=1" : "")}", ct);
            await ctx.Out.WriteLineAsync(n);
        }));
        return cmd;
    }

    private static Command Prune(CliContext ctx)
    {
        var cmd = Common.Cmd("prune", "Remove unused local volumes");
        var all = Common.Flag("--all", "-a", "Remove all unused volumes, not just anonymous ones");
        var filter = Common.List("--filter", null, "Provide filter values (e.g. \"label=<label>\")");
        var force = Common.Flag("--force", "-f", "Do not prompt for confirmation");
        cmd.Options.Add(all);
        cmd.Options.Add(filter);
        cmd.Options.Add(force);
        cmd.SetAction(async (pr, ct) =>
        {
            var isAll = pr.GetValue(all);
            var warning = isAll
                ? "WARNING! This will remove all local volumes not used by at least one container.\nAre you sure you want to continue?"
                : "WARNING! This will remove anonymous local volumes not used by at least one container.\nAre you sure you want to continue?";
            if (!pr.GetValue(force) && !ctx.PromptYesNo(warning))
            {
                return 0;
            }
            var filters = Common.FiltersJson(pr.GetValue(filter) ?? [], isAll ? [new("all", "true")] : null);
            var report = await ctx.Client.PostAsync("/volumes/prune" + new Query().AddIfNotEmpty("filters", filters), SkiffJson.Default.VolumePruneResponse, ct);
            var output = "";
            if (report.VolumesDeleted.Count > 0)
            {
                output = "Deleted Volumes:\n" + string.Concat(report.VolumesDeleted.Select(v => v + "\n"));
            }
            await ctx.Out.WriteLineAsync(output);
            await ctx.Out.WriteLineAsync("Total reclaimed space: " + Units.HumanSize(report.SpaceReclaimed));
            return 0;
        });
        return cmd;
    }
}
