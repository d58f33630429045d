using System.CommandLine;
using System.Text.Json.Nodes;
using Skiff.Api;
using Skiff.Cli.Connection;
using Skiff.Cli.Formatting;

namespace Skiff.Cli.Commands;

/// <summary><c>network create|ls|inspect|rm|connect|disconnect|prune</c>.</summary>
internal static class NetworkCommands
{
    public static readonly IReadOnlyDictionary<string, string> Headers = new Dictionary<string, string>
    {
        ["ID"] = "NETWORK ID",
        ["Name"] = "NAME",
        ["Driver"] = "DRIVER",
        ["Scope"] = "SCOPE",
        ["IPv6"] = "IPV6",
        ["Internal"] = "INTERNAL",
        ["Labels"] = "LABELS",
        ["CreatedAt"] = "CREATED AT",
    };

    public static void Register(CliApp.App app, CliContext ctx)
    {
        var group = Common.Cmd("network", "Manage networks");
        group.SetAction(pr => new DockerHelpAction(ctx.Out).Invoke(pr));
        app.Root.Subcommands.Add(group);
        group.Subcommands.Add(Create(ctx));
        group.Subcommands.Add(Ls(ctx));
        group.Subcommands.Add(Inspect(ctx));
        group.Subcommands.Add(Rm(ctx));
        group.Subcommands.Add(Connect(ctx));
        group.Subcommands.Add(Disconnect(ctx));
        group.Subcommands.Add(Prune(ctx));
    }

    private static Command Create(CliContext ctx)
    {
        var cmd = Common.Cmd("create", "Create a network");
        var attachable = Common.Flag("--attachable", null, "Enable manual container attachment");
        var driver = Common.Str("--driver", "-d", "Driver to manage the Network (default \"bridge\")");
        var gateway = Common.List("--gateway", null, "IPv4 or IPv6 Gateway for the master subnet");
        var @internal = Common.Flag("--internal", null, "Restrict external access to the network");
        var ipRange = Common.List("--ip-range", null, "Allocate container ip from a sub-range");
        var ipamDriver = Common.Str("--ipam-driver", null, "IP Address Management Driver (default \"default\")");
        var ipamOpt = Common.List("--ipam-opt", null, "Set IPAM driver specific options (default map[])");
        var ipv6 = Common.Flag("--ipv6", null, "Enable or disable IPv6 address assignment");
        var label = Common.List("--label", null, "Set metadata on a network");
        var opt = Common.List("--opt", "-o", "Set driver specific options (default map[])");
        var scope = Common.Str("--scope", null, "Control the network's scope");
        var subnet = Common.List("--subnet", null, "Subnet in CIDR format that represents a network segment");
        var name = Common.Arg("NETWORK");
        foreach (var o in new Option[] { attachable, driver, gateway, @internal, ipRange, ipamDriver, ipamOpt, ipv6, label, opt, scope, subnet })
        {
            cmd.Options.Add(o);
        }
        cmd.Arguments.Add(name);
        cmd.SetAction(async (pr, ct) =>
        {
            var subnets = pr.GetValue(subnet) ?? [];
            var ranges = pr.GetValue(ipRange) ?? [];
            var gateways = pr.GetValue(gateway) ?? [];
            if (ranges.Length > subnets.Length || gateways.Length > subnets.Length)
            {
                throw new CliException("every ip-range or gateway must have a corresponding subnet");
            }
            var configs = subnets.Select((s, i) => new IpamConfig
            {
                Subnet = s,
                IPRange = i < ranges.Length ? ranges[i] : null,
                Gateway = i < gateways.Length ? gateways[i] : null,
            }).ToList();
            var req = new NetworkCreateRequest
            {
                Name = pr.GetValue(name)!,
                CheckDuplicate = true,
                Driver = pr.GetValue(driver) ?? "bridge",
                Scope = pr.GetValue(scope) ?? "",
                Internal = pr.GetValue(@internal),
                Attachable = pr.GetValue(attachable),
                EnableIPv6 = pr.GetValue(ipv6),
                IPAM = new Ipam
                {
                    Driver = pr.GetValue(ipamDriver) ?? "default",
                    Config = configs,
                    Options = Common.KeyValues(pr.GetValue(ipamOpt) ?? []) ?? [],
                },
                Options = Common.KeyValues(pr.GetValue(opt) ?? []) ?? [],
                Labels = Common.KeyValues(pr.GetValue(label) ?? []) ?? [],
            };
            var resp = await ctx.Client.PostAsync("/networks/create", req, SkiffJson.Default.NetworkCreateRequest, SkiffJson.Default.NetworkCreateResponse, ct);
            if (resp.Warning.Length > 0)
            {
                await ctx.Err.WriteLineAsync(resp.Warning);
            }
            await ctx.Out.WriteLineAsync(resp.Id);
            return 0;
        });
        return cmd;
    }

    private static Command Ls(CliContext ctx)
    {
        var cmd = Common.Cmd("ls", "List networks", "list");
        var filter = Common.List("--filter", "-f", "Provide filter values (e.g. \"driver=bridge\")");
        var format = Common.Str("--format", null, Common.TableFormatHelp);
        var noTrunc = Common.Flag("--no-trunc", null, "Do not truncate the output");
        var quiet = Common.Flag("--quiet", "-q", "Only display network IDs");
        foreach (var o in new Option[] { filter, format, noTrunc, quiet })
        {
            cmd.Options.Add(o);
        }
        cmd.SetAction(async (pr, ct) =>
        {
            var q = new Query().AddIfNotEmpty("filters", Common.FiltersJson(pr.GetValue(filter) ?? []));
            var networks = await ctx.Client.GetAsync("/networks" + q, SkiffJson.Default.ListNetworkResource, ct);
            networks.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
            var trunc = !pr.GetValue(noTrunc);
            var rows = networks.Select(n => new JsonObject
            {
                ["CreatedAt"] = Common.ParseTime(n.Created) is { } t ? Common.GoTimeString(t) : "",
                ["Driver"] = n.Driver,
                ["ID"] = trunc ? Common.TruncateId(n.Id) : n.Id,
                ["IPv6"] = n.EnableIPv6 ? "true" : "false",
                ["Internal"] = n.Internal ? "true" : "false",
                ["Labels"] = string.Join(',', n.Labels.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + "=" + p.Value)),
                ["Name"] = n.Name,
                ["Scope"] = n.Scope,
            }).ToList();
            var f = pr.GetValue(format);
            var effective = pr.GetValue(quiet) ? "{{.ID}}"
                : string.IsNullOrEmpty(f) || f == "table" ? "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}"
                : f;
            await ctx.Out.WriteAsync(ListFormatter.Render(effective, rows, Headers));
            return 0;
        });
        return cmd;
    }

    private static Command Inspect(CliContext ctx)
    {
        var cmd = Common.Cmd("inspect", "Display detailed information on one or more networks");
        var format = Common.Str("--format", "-f", Common.InspectFormatHelp);
        var verbose = Common.Flag("--verbose", "-v", "Verbose output for diagnostics");
        var names = Common.Args("NETWORK");
        cmd.Options.Add(format);
        cmd.Options.Add(verbose);
        cmd.Arguments.Add(names);
        cmd.SetAction(async (pr, ct) => await InspectCommon.RunAsync(ctx, pr.GetValue(names)!, pr.GetValue(format),
            async n => await ctx.Client.GetNodeAsync($"/networks/{Common.Escape(n)}{(pr.GetValue(verbose) ? "?verbose=true" : "")}", ct), ct));
        return cmd;
    }

    private static Command Rm(CliContext ctx)
    {
        var cmd = Common.Cmd("rm", "Remove one or more networks", "remove");
        var force = Common.Flag("--force", "-f", "Do not error if the network does not exist");
        var names = Common.Args("NETWORK");
        cmd.Options.Add(force);
        cmd.Arguments.Add(names);
        cmd.SetAction(async (pr, ct) => await Common.ForEachAsync(ctx, pr.GetValue(names)!, async n =>
        {
            try
            {
                await ctx.Client.DeleteAsync($"/networks/{Common.Escape(n)}", ct);
            }
            catch (DaemonException e) when (e.StatusCode == 404 && pr.GetValue(force))
            {
                return;
            }
            await ctx.Out.WriteLineAsync(n);
        }));
        return cmd;
    }

    private static Command Connect(CliContext ctx)
    {
        var cmd = Common.Cmd("connect", "Connect a container to a network");
        var alias = Common.List("--alias", null, "Add network-scoped alias for the container");
        var ip = Common.Str("--ip", null, "IPv4 address (e.g., \"172.30.100.104\")");
        var ip6 = Common.Str("--ip6", null, "IPv6 address (e.g., \"2001:db8::33\")");
        var link = Common.List("--link", null, "Add link to another container");
        var network = Common.Arg("NETWORK");
        var container = Common.Arg("CONTAINER");
        foreach (var o in new Option[] { alias, ip, ip6, link })
        {
            cmd.Options.Add(o);
        }
        cmd.Arguments.Add(network);
        cmd.Arguments.Add(container);
        cmd.SetAction(async (pr, ct) =>
        {
            var endpoint = new EndpointSettings
            {
                Aliases = pr.GetValue(alias) is { Length: > 0 } a ? [.. a] : null,
                Links = pr.GetValue(link) is { Length: > 0 } l ? [.. l] : null,
            };
            if (pr.GetValue(ip) != null || pr.GetValue(ip6) != null)
            {
                endpoint.IPAMConfig = new EndpointIpamConfig { IPv4Address = pr.GetValue(ip), IPv6Address = pr.GetValue(ip6) };
            }
            var req = new NetworkConnectRequest { Container = pr.GetValue(container)!, EndpointConfig = endpoint };
            await ctx.Client.PostAsync($"/networks/{Common.Escape(pr.GetValue(network)!)}/connect", EngineClient.JsonBody(req, SkiffJson.Default.NetworkConnectRequest), ct);
            return 0;
        });
        return cmd;
    }

    private static Command Disconnect(CliContext ctx)
    {
        var cmd = Common.Cmd("disconnect", "Disconnect a container from a network");
        var force = Common.Flag("--force", "-f", "Force the container to disconnect from a network");
        var network = Common.Arg("NETWORK");
        var container = Common.Arg("CONTAINER");
        cmd.Options.Add(force);
        cmd.Arguments.Add(network);
        cmd.Arguments.Add(container);
        cmd.SetAction(async (pr, ct) =>
        {
            var req = new NetworkDisconnectRequest { Container = pr.GetValue(container)!, Force = pr.GetValue(force) };
            await ctx.Client.PostAsync($"/networks/{Common.Escape(pr.GetValue(network)!)}/disconnect", EngineClient.JsonBody(req, SkiffJson.Default.NetworkDisconnectRequest), ct);
            return 0;
        });
        return cmd;
    }

    private static Command Prune(CliContext ctx)
    {
        var cmd = Common.Cmd("prune", "Remove all unused networks");
        var filter = Common.List("--filter", null, "Provide filter values (e.g. \"until=<timestamp>\")");
        var force = Common.Flag("--force", "-f", "Do not prompt for confirmation");
        cmd.Options.Add(filter);
        cmd.Options.Add(force);
        cmd.SetAction(async (pr, ct) =>
        {
            if (!pr.GetValue(force) && !ctx.PromptYesNo("WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue?"))
            {
                return 0;
            }
            var q = new Query().AddIfNotEmpty("filters", Common.FiltersJson(pr.GetValue(filter) ?? []));
            var report = await ctx.Client.PostAsync("/networks/prune" + q, SkiffJson.Default.NetworkPruneResponse, ct);
            if (report.NetworksDeleted.Count > 0)
            {
                await ctx.Out.WriteLineAsync("Deleted Networks:\n" + string.Concat(report.NetworksDeleted.Select(n => n + "\n")));
            }
            return 0;
        });
        return cmd;
    }
}
