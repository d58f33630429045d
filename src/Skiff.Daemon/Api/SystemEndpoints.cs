using System.Runtime.InteropServices;
using System.Text.Json;
using Skiff.Api;
using Skiff.Runtime.Util;

namespace Skiff.Daemon.Api;

internal static class SystemEndpoints
{
    public const string EngineVersion = "28.2.2-skiff";

    public static void Map(WebApplication app, Engine engine)
    {
        app.MapMethods("/_ping", ["GET", "HEAD"], (HttpContext ctx) =>
        {
            var h = ctx.Response.Headers;
            h["Api-Version"] = ApiMiddleware.MaxVersion;
            h["Ostype"] = "linux";
            h["Docker-Experimental"] = "false";
            h["Builder-Version"] = "1";
            var swarm = engine.SwarmInfo?.Invoke();
            h["Swarm"] = swarm is null || swarm.LocalNodeState == "inactive"
                ? "inactive"
                : swarm.LocalNodeState == "active" ? (swarm.ControlAvailable ? "active/manager" : "active/worker") : swarm.LocalNodeState;
            h["Cache-Control"] = "no-cache, no-store, must-revalidate";
            h["Pragma"] = "no-cache";
            ctx.Response.ContentType = "text/plain; charset=utf-8";
            if (HttpMethods.IsHead(ctx.Request.Method))
            {
                ctx.Response.ContentLength = 0;
                return Task.CompletedTask;
            }

            return ctx.Response.WriteAsync("OK");
        });

        app.MapGet("/version", () => Http.Json(Version(), SkiffJson.Wire.SystemVersion));
        app.MapGet("/info", () => Http.Json(engine.Info(), SkiffJson.Wire.SystemInfo));
        app.MapGet("/events", (HttpContext ctx) => EventsAsync(ctx, engine));
    }

    public static SystemVersion Version()
    {
        var kernel = ReadTrim("/proc/sys/kernel/osrelease");
        var v = new SystemVersion
        {
            Platform = new PlatformName { Name = "Skiff Engine" },
            Version = EngineVersion,
            ApiVersion = ApiMiddleware.MaxVersion,
            MinAPIVersion = ApiMiddleware.MinVersion,
            GitCommit = ThisAssembly.Commit,
            GoVersion = "dotnet" + Environment.Version,
            Os = "linux",
            Arch = RuntimeInformation.OSArchitecture == Architecture.Arm64 ? "arm64" : "amd64",
            KernelVersion = kernel,
            BuildTime = ThisAssembly.BuildTime,
        };
        v.Components =
        [
            new VersionComponent
            {
                Name = "Engine",
                Version = v.Version,
                Details = new Dictionary<string, string>
                {
                    ["ApiVersion"] = v.ApiVersion,
                    ["Arch"] = v.Arch,
                    ["BuildTime"] = v.BuildTime,
                    ["Experimental"] = "false",
                    ["GitCommit"] = v.GitCommit,
                    ["GoVersion"] = v.GoVersion,
                    ["KernelVersion"] = kernel,
                    ["MinAPIVersion"] = v.MinAPIVersion,
                    ["Os"] = "linux",
                },
            },
            new VersionComponent { Name = "runc", Version = RuncVersion(), Details = new Dictionary<string, string> { ["GitCommit"] = "" } },
        ];
        return v;
    }

    private static string? _runcVersion;

    private static string RuncVersion()
    {
        if (_runcVersion is not null)
        {
            return _runcVersion;
        }

        try
        {
            var r = Proc.RunAsync("runc", ["--version"]).GetAwaiter().GetResult();
            var first = r.Stdout.Split('\n')[0];
            _runcVersion = first.StartsWith("runc version ", StringComparison.Ordinal) ? first[13..] : first;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            _runcVersion = "not installed";
        }

        return _runcVersion;
    }

    internal static string ReadTrim(string path)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (IOException)
        {
            return "";
        }
        catch (UnauthorizedAccessException)
        {
            return "";
        }
    }

    private static async Task EventsAsync(HttpContext ctx, Engine engine)
    {
        var filters = Http.Filters(ctx.Request);
        Http.CheckFilters(filters, "container", "event", "image", "label", "network", "type", "volume", "daemon", "scope", "node", "service", "secret", "config", "plugin");
        var since = ParseTime(Http.Str(ctx.Request, "since"));
        var until = ParseTime(Http.Str(ctx.Request, "until"));
        using var sub = engine.Events.Subscribe(since ?? long.MinValue);
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = Http.JsonContentType;
        await ctx.Response.StartAsync(ctx.RequestAborted);
        await ctx.Response.Body.FlushAsync(ctx.RequestAborted);

        async Task<bool> Emit(EventMessage m)
        {
            if (until is { } u && m.TimeNano > u)
            {
                return false;
            }

            if ((since is null || m.TimeNano >= since) && EventMatches(m, filters))
            {
                await ctx.Response.WriteAsync(JsonSerializer.Serialize(m, SkiffJson.Wire.EventMessage) + "\n", ctx.RequestAborted);
                await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
            }

            return true;
        }

        foreach (var m in since is null ? [] : sub.Past)
        {
            if (!await Emit(m))
            {
                return;
            }
        }

        if (until is { } end && end <= DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000)
        {
            return;
        }

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted);
        if (until is { } u2)
        {
            var wait = TimeSpan.FromTicks(Math.Max(0, (u2 - (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000)) / 100));
            cts.CancelAfter(wait);
        }

        try
        {
            await foreach (var m in sub.Reader.ReadAllAsync(cts.Token))
            {
                if (!await Emit(m))
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static bool EventMatches(EventMessage m, Dictionary<string, Dictionary<string, bool>> f)
    {
        bool Any(string key, Func<string, bool> pred) => !f.TryGetValue(key, out var vals) || vals.Keys.Any(pred);
        var name = m.Actor.Attributes.GetValueOrDefault("name", "");
        return Any("type", v => v == m.Type)
            && Any("event", v => v == m.Action || m.Action.StartsWith(v + ":", StringComparison.Ordinal))
            && Any("container", v => m.Type == "container" && (m.Actor.ID.StartsWith(v, StringComparison.Ordinal) || name == v))
            && Any("image", v => (m.Type == "image" && (m.Actor.ID == v || name == v)) || m.Actor.Attributes.GetValueOrDefault("image") == v)
            && Any("network", v => m.Type == "network" && (m.Actor.ID.StartsWith(v, StringComparison.Ordinal) || name == v))
            && Any("volume", v => m.Type == "volume" && m.Actor.ID == v)
            && (!f.TryGetValue("label", out var lv) || lv.Keys.All(v => Skiff.Runtime.Containers.ContainerManager.LabelMatch(m.Actor.Attributes, v)))
            && Any("scope", v => v == m.Scope);
    }

    /// <summary>Docker's since/until: unix seconds with optional fraction, or RFC 3339. Returns unix nanoseconds.</summary>
    internal static long? ParseTime(string? s)
    {
        if (string.IsNullOrEmpty(s))
        {
            return null;
        }

        if (decimal.TryParse(s, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var secs))
        {
            return (long)(secs * 1_000_000_000m);
        }

        if (Rfc3339.TryParse(s, out var t))
        {
            return (t.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;
        }

        throw new BadRequestException($"invalid time: {s}");
    }
}
