using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Skiff.Api;
using Skiff.Cli.Connection;
using Skiff.Cli.Formatting;

namespace Skiff.Cli.Commands;

/// <summary><c>version</c>, <c>info</c> (also <c>system info</c>) and <c>events</c> (also <c>system events</c>).</summary>
internal static class SystemCommands
{
    public static void Register(CliApp.App app, CliContext ctx)
    {
        app.Root.Subcommands.Add(Version(ctx));
        app.Root.Subcommands.Add(Info(ctx));
        app.Root.Subcommands.Add(Events(ctx));
        var system = Common.Cmd("system", "Manage Docker");
        system.Subcommands.Add(Info(ctx));
        system.Subcommands.Add(Events(ctx));
        system.SetAction(pr => new DockerHelpAction(ctx.Out).Invoke(pr));
        app.Root.Subcommands.Add(system);
    }

    private static Command Version(CliContext ctx)
    {
        var cmd = Common.Cmd("version", "Show the Docker version information");
        var format = Common.Str("--format", "-f", Common.InspectFormatHelp);
        cmd.Options.Add(format);
        cmd.SetAction(async (pr, ct) =>
        {
            var client = new JsonObject
            {
                ["Platform"] = new JsonObject { ["Name"] = "" },
                ["Version"] = CliInfo.Version,
                ["ApiVersion"] = EngineClient.ApiVersion,
                ["DefaultAPIVersion"] = EngineClient.ApiVersion,
                ["GitCommit"] = CliInfo.GitCommit,
                ["GoVersion"] = ".NET " + Environment.Version,
                ["Os"] = "linux",
                ["Arch"] = RuntimeArch(),
                ["BuildTime"] = CliInfo.Built,
                ["Context"] = "default",
            };
            JsonNode? server = null;
            CliException? serverError = null;
            try
            {
                server = await ctx.Client.GetNodeAsync("/version", ct);
            }
            catch (CliException e)
            {
                serverError = e;
            }
            var data = new JsonObject { ["Client"] = client, ["Server"] = server };
            var f = pr.GetValue(format);
            if (!string.IsNullOrEmpty(f))
            {
                var t = GoTemplate.Parse(ListFormatter.FinalFormat(f));
                await ctx.Out.WriteLineAsync(t.Execute(data));
            }
            else
            {
                await ctx.Out.WriteAsync(RenderVersion(client, server));
            }
            if (serverError != null)
            {
                throw serverError;
            }
            return 0;
        });
        return cmd;
    }

    internal static string RuntimeArch() => System.Runtime.InteropServices.RuntimeInformation.OSArchitecture switch
    {
        System.Runtime.InteropServices.Architecture.X64 => "amd64",
        System.Runtime.InteropServices.Architecture.Arm64 => "arm64",
        var a => a.ToString().ToLowerInvariant(),
    };

    /// <summary>docker's version template, laid out with tabwriter(minwidth 20, padding 1).</summary>
    internal static string RenderVersion(JsonObject client, JsonNode? server)
    {
        static string S(JsonNode? n, string key) => n?[key]?.GetValueKind() == JsonValueKind.String ? n[key]!.GetValue<string>() : n?[key]?.ToJsonString() ?? "";
        var sb = new StringBuilder();
        sb.Append("Client:\n");
        sb.Append(" Version:\t").Append(S(client, "Version")).Append('\n');
        sb.Append(" API version:\t").Append(S(client, "ApiVersion")).Append('\n');
        sb.Append(" Go version:\t").Append(S(client, "GoVersion")).Append('\n');
        sb.Append(" Git commit:\t").Append(S(client, "GitCommit")).Append('\n');
        sb.Append(" Built:\t").Append(S(client, "BuildTime")).Append('\n');
        sb.Append(" OS/Arch:\t").Append(S(client, "Os")).Append('/').Append(S(client, "Arch")).Append('\n');
        sb.Append(" Context:\t").Append(S(client, "Context")).Append('\n');
        if (server is JsonObject srv)
        {
            var platform = S(srv["Platform"], "Name");
            sb.Append("\nServer:").Append(platform.Length > 0 ? " " + platform : "").Append('\n');
            var components = srv["Components"] as JsonArray;
            if (components == null || components.Count == 0)
            {
                components = new JsonArray(
                    new JsonObject
                    {
                        ["Name"] = "Engine",
                        ["Version"] = S(srv, "Version"),
                        ["Details"] = new JsonObject
                        {
                            ["ApiVersion"] = S(srv, "ApiVersion"),
                            ["MinAPIVersion"] = S(srv, "MinAPIVersion"),
                            ["GoVersion"] = S(srv, "GoVersion"),
                            ["GitCommit"] = S(srv, "GitCommit"),
                            ["BuildTime"] = S(srv, "BuildTime"),
                            ["Os"] = S(srv, "Os"),
                            ["Arch"] = S(srv, "Arch"),
                            ["Experimental"] = "false",
                        },
                    });
            }
            foreach (var c in components)
            {
                var name = S(c, "Name");
                var details = c?["Details"] as JsonObject;
                sb.Append(' ').Append(name).Append(":\n");
                if (name == "Engine")
                {
                    sb.Append("  Version:\t").Append(S(c, "Version")).Append('\n');
                    sb.Append("  API version:\t").Append(S(details, "ApiVersion")).Append(" (minimum version ").Append(S(details, "MinAPIVersion")).Append(")\n");
                    sb.Append("  Go version:\t").Append(S(details, "GoVersion")).Append('\n');
                    sb.Append("  Git commit:\t").Append(S(details, "GitCommit")).Append('\n');
                    sb.Append("  Built:\t").Append(S(details, "BuildTime")).Append('\n');
                    sb.Append("  OS/Arch:\t").Append(S(details, "Os")).Append('/').Append(S(details, "Arch")).Append('\n');
                    sb.Append("  Experimental:\t").Append(S(details, "Experimental")).Append('\n');
                }
                else
                {
                    sb.Append("  Version:\t").Append(S(c, "Version")).Append('\n');
                    if (details != null)
                    {
                        // docker's getDetailsOrder: sorted keys.
                        foreach (var key in details.Select(p => p.Key).OrderBy(k => k, StringComparer.Ordinal))
                        {
                            sb.Append("  ").Append(key).Append(":\t").Append(S(details, key)).Append('\n');
                        }
                    }
                }
            }
        }
        return TabWriter.Format(sb.ToString(), 20, 1);
    }

    private static Command Info(CliContext ctx)
    {
        var cmd = Common.Cmd("info", "Display system-wide information");
        var format = Common.Str("--format", "-f", Common.InspectFormatHelp);
        cmd.Options.Add(format);
        cmd.SetAction(async (pr, ct) =>
        {
            var f = pr.GetValue(format);
            var node = await ctx.Client.GetNodeAsync("/info", ct);
            if (!string.IsNullOrEmpty(f))
            {
                var t = GoTemplate.Parse(ListFormatter.FinalFormat(f));
                await ctx.Out.WriteLineAsync(t.Execute(node));
                return 0;
            }
            var info = node.Deserialize(SkiffJson.Default.SystemInfo) ?? new SystemInfo();
            await ctx.Out.WriteAsync(RenderInfo(info));
            foreach (var w in info.Warnings ?? [])
            {
                await ctx.Err.WriteLineAsync(w);
            }
            return 0;
        });
        return cmd;
    }

    /// <summary>docker's prettyPrintInfo for the fields in SystemInfo.</summary>
    internal static string RenderInfo(SystemInfo info)
    {
        var sb = new StringBuilder();
        void L(string line) => sb.Append(line).Append('\n');
        L("Client:");
        L(" Version:    " + CliInfo.Version);
        L(" Context:    default");
        L(" Debug Mode: false");
        L("");
        L("Server:");
        L(" Containers: " + info.Containers);
        L("  Running: " + info.ContainersRunning);
        L("  Paused: " + info.ContainersPaused);
        L("  Stopped: " + info.ContainersStopped);
        L(" Images: " + info.Images);
        L(" Server Version: " + info.ServerVersion);
        L(" Storage Driver: " + info.Driver);
        foreach (var pair in info.DriverStatus.Where(p => p.Count >= 2))
        {
            L("  " + pair[0] + ": " + pair[1]);
        }
        L(" Logging Driver: " + info.LoggingDriver);
        L(" Cgroup Driver: " + info.CgroupDriver);
        L(" Cgroup Version: " + info.CgroupVersion);
        L(" Plugins:");
        L("  Volume: " + string.Join(' ', info.Plugins.Volume));
        L("  Network: " + string.Join(' ', info.Plugins.Network));
        if (info.Plugins.Authorization is { Count: > 0 })
        {
            L("  Authorization: " + string.Join(' ', info.Plugins.Authorization));
        }
        L("  Log: " + string.Join(' ', info.Plugins.Log));
        SwarmInfoFormat.Append(sb, info.Swarm);
        if (info.Runtimes.Count > 0)
        {
            L(" Runtimes: " + string.Join(' ', info.Runtimes.Keys.Order(StringComparer.Ordinal)));
            L(" Default Runtime: " + info.DefaultRuntime);
        }
        L(" Init Binary: " + info.InitBinary);
        L(" containerd version: " + CommitLine(info.ContainerdCommit));
        L(" runc version: " + CommitLine(info.RuncCommit));
        L(" init version: " + CommitLine(info.InitCommit));
        if (info.SecurityOptions.Count > 0)
        {
            L(" Security Options:");
            foreach (var opt in info.SecurityOptions)
            {
                foreach (var kv in opt.Split(','))
                {
                    var eq = kv.IndexOf('=', StringComparison.Ordinal);
                    var k = eq < 0 ? "name" : kv[..eq];
                    var v = eq < 0 ? kv : kv[(eq + 1)..];
                    if (k == "name")
                    {
                        L("  " + v);
                    }
                    else
                    {
                        L("   " + char.ToUpperInvariant(k[0]) + k[1..] + ": " + v);
                    }
                }
            }
        }
        L(" Kernel Version: " + info.KernelVersion);
        L(" Operating System: " + info.OperatingSystem);
        L(" OSType: " + info.OSType);
        L(" Architecture: " + info.Architecture);
        L(" CPUs: " + info.NCPU);
        L(" Total Memory: " + Units.BytesSize(info.MemTotal));
        L(" Name: " + info.Name);
        L(" ID: " + info.ID);
        L(" Docker Root Dir: " + info.DockerRootDir);
        L(" Debug Mode: " + (info.Debug ? "true" : "false"));
        if (info.Debug)
        {
            L("  File Descriptors: " + info.NFd);
            L("  Goroutines: " + info.NGoroutines);
            L("  System Time: " + info.SystemTime);
            L("  EventsListeners: " + info.NEventsListener);
        }
        if (info.HttpProxy.Length > 0)
        {
            L(" HTTP Proxy: " + info.HttpProxy);
        }
        if (info.HttpsProxy.Length > 0)
        {
            L(" HTTPS Proxy: " + info.HttpsProxy);
        }
        if (info.NoProxy.Length > 0)
        {
            L(" No Proxy: " + info.NoProxy);
        }
        if (info.Labels.Count > 0)
        {
            L(" Labels:");
            foreach (var label in info.Labels)
            {
                L("  " + label);
            }
        }
        L(" Experimental: " + (info.ExperimentalBuild ? "true" : "false"));
        var insecure = info.RegistryConfig.InsecureRegistryCIDRs
            .Concat(info.RegistryConfig.IndexConfigs.Values.Where(i => !i.Secure).Select(i => i.Name))
            .ToList();
        if (insecure.Count > 0)
        {
            L(" Insecure Registries:");
            foreach (var r in insecure)
            {
                L("  " + r);
            }
        }
        if (info.RegistryConfig.Mirrors.Count > 0)
        {
            L(" Registry Mirrors:");
            foreach (var m in info.RegistryConfig.Mirrors)
            {
                L("  " + m);
            }
        }
        L(" Live Restore Enabled: " + (info.LiveRestoreEnabled ? "true" : "false"));
        L("");
        return sb.ToString();
    }

    private static string CommitLine(CommitInfo c) =>
        c.Expected.Length > 0 && c.Expected != c.ID ? $"{c.ID} (expected: {c.Expected})" : c.ID;

    private static Command Events(CliContext ctx)
    {
        var cmd = Common.Cmd("events", "Get real time events from the server");
        var filter = Common.List("--filter", "-f", "Filter output based on conditions provided");
        var format = Common.Str("--format", null, Common.InspectFormatHelp);
        var since = Common.Str("--since", null, "Show all events created since timestamp");
        var until = Common.Str("--until", null, "Stream events until this timestamp");
        cmd.Options.Add(filter);
        cmd.Options.Add(format);
        cmd.Options.Add(since);
        cmd.Options.Add(until);
        cmd.SetAction(async (pr, ct) =>
        {
            var now = ctx.Time.GetUtcNow();
            var q = new Query();
            if (pr.GetValue(since) is { Length: > 0 } s)
            {
                q.Add("since", Common.ToApiTimestamp(s, now));
            }
            if (pr.GetValue(until) is { Length: > 0 } u)
            {
                q.Add("until", Common.ToApiTimestamp(u, now));
            }
            q.AddIfNotEmpty("filters", Common.FiltersJson(pr.GetValue(filter) ?? []));
            var f = pr.GetValue(format);
            var template = string.IsNullOrEmpty(f) ? null : GoTemplate.Parse(ListFormatter.FinalFormat(f));
            using var response = await ctx.Client.SendAsync(HttpMethod.Get, "/events" + q, stream: true, ct: ct);
            await using var body = await response.Content.ReadAsStreamAsync(ct);
            using var reader = new StreamReader(body);
            string? line;
            while ((line = await reader.ReadLineAsync(ct)) != null)
            {
                if (line.Trim().Length == 0)
                {
                    continue;
                }
                var node = JsonNode.Parse(line);
                if (template != null)
                {
                    await ctx.Out.WriteLineAsync(template.Execute(node));
                    continue;
                }
                var ev = node.Deserialize(SkiffJson.Default.EventMessage)!;
                await ctx.Out.WriteAsync(FormatEvent(ev));
            }
            return 0;
        });
        return cmd;
    }

    /// <summary>docker's prettyPrintEvent.</summary>
    internal static string FormatEvent(EventMessage ev)
    {
        var sb = new StringBuilder();
        if (ev.TimeNano != 0 || ev.Time != 0)
        {
            var t = ev.TimeNano != 0
                ? DateTimeOffset.UnixEpoch.AddTicks(ev.TimeNano / 100)
                : DateTimeOffset.FromUnixTimeSeconds(ev.Time);
            var local = t.ToLocalTime();
            var frac = (ev.TimeNano != 0 ? ev.TimeNano % 1_000_000_000 : 0).ToString("000000000", CultureInfo.InvariantCulture);
            var offset = local.Offset == TimeSpan.Zero ? "Z" : (local.Offset < TimeSpan.Zero ? "-" : "+") + local.Offset.ToString("hh\\:mm", CultureInfo.InvariantCulture);
            sb.Append(local.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture)).Append('.').Append(frac).Append(offset).Append(' ');
        }
        sb.Append(ev.Type).Append(' ').Append(ev.Action).Append(' ').Append(ev.Actor.ID);
        if (ev.Actor.Attributes.Count > 0)
        {
            sb.Append(" (").Append(string.Join(", ", ev.Actor.Attributes.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + "=" + p.Value))).Append(')');
        }
        sb.Append('\n');
        return sb.ToString();
    }
}
