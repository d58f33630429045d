using System.Globalization;
using System.Text;
using Skiff.Api;
using Skiff.Daemon.Swarm;

namespace Skiff.Daemon.Api;

/// <summary>
/// Swarm-mode routes: <c>/swarm</c> on every node, <c>/nodes</c>, <c>/services</c> and <c>/tasks</c>
/// on managers (elsewhere Docker's 503 "not a swarm manager"). Shapes and status codes follow the
/// captured docker CLI sequences in reference NOTES.md.
/// </summary>
internal static class SwarmEndpoints
{
    public const string NotManager = SwarmNode.NotManager;
    public const string NotInSwarm = SwarmNode.NotInSwarm;

    public static void Map(WebApplication app, SwarmNode swarm)
    {
        app.MapGet("/swarm", () => Http.Json(swarm.Control.InspectSwarm(), SkiffJson.Wire.SwarmInspect));
        app.MapPost("/swarm/init", async (HttpContext ctx) =>
        {
            var request = await Http.ReadJsonAsync(ctx, SkiffJson.Wire.SwarmInitRequest);
            var nodeId = await swarm.InitAsync(request, ctx.RequestAborted);
            return Http.Json(nodeId, SkiffJson.Wire.String);
        });
        app.MapPost("/swarm/join", async (HttpContext ctx) =>
        {
            var request = await Http.ReadJsonAsync(ctx, SkiffJson.Wire.SwarmJoinRequest);
            await swarm.JoinAsync(request, ctx.RequestAborted);
            return Results.Ok();
        });
        app.MapPost("/swarm/leave", async (HttpContext ctx) =>
        {
            await swarm.LeaveAsync(Http.Bool(ctx.Request, "force"), ctx.RequestAborted);
            return Results.Ok();
        });
        app.MapPost("/swarm/update", async (HttpContext ctx) =>
        {
            var control = swarm.Control;
            var spec = await Http.ReadJsonAsync(ctx, SkiffJson.Wire.SwarmSpec);
            await control.UpdateSwarmAsync(Version(ctx.Request), spec, Http.Bool(ctx.Request, "rotateWorkerToken"), Http.Bool(ctx.Request, "rotateManagerToken"), ctx.RequestAborted);
            if (Http.Bool(ctx.Request, "rotateManagerUnlockKey"))
            {
                throw new BadRequestException("autolock is not supported by skiffd yet, so there is no unlock key to rotate");
            }

            return Results.Ok();
        });
        app.MapGet("/swarm/unlockkey", () =>
        {
            _ = swarm.Control;
            return Http.Json(new Dictionary<string, string> { ["UnlockKey"] = "" }, SkiffJson.Wire.DictionaryStringString);
        });
        app.MapPost("/swarm/unlock", () => Fail(400, "this swarm is not locked: skiffd does not offer autolock yet"));

        app.MapGet("/nodes", (HttpContext ctx) => Http.Json([.. swarm.Control.ListNodes(Http.Filters(ctx.Request))], SkiffJson.Wire.ListNodeWire));
        app.MapGet("/nodes/{id}", (string id) => Http.Json(swarm.Control.InspectNode(id), SkiffJson.Wire.NodeWire));
        app.MapPost("/nodes/{id}/update", async (HttpContext ctx, string id) =>
        {
            var control = swarm.Control;
            var spec = await Http.ReadJsonAsync(ctx, SkiffJson.Wire.NodeSpecWire);
            await control.UpdateNodeAsync(id, Version(ctx.Request), spec, ctx.RequestAborted);
            return Results.Ok();
        });
        app.MapDelete("/nodes/{id}", async (HttpContext ctx, string id) =>
        {
            await swarm.Control.RemoveNodeAsync(id, Http.Bool(ctx.Request, "force"), ctx.RequestAborted);
            return Results.Ok();
        });

        app.MapGet("/services", (HttpContext ctx) =>
            Http.Json([.. swarm.Control.ListServices(Http.Filters(ctx.Request), Http.Bool(ctx.Request, "status"))], SkiffJson.Wire.ListServiceWire));
        app.MapPost("/services/create", async (HttpContext ctx) =>
        {
            var control = swarm.Control;
            var spec = await Http.ReadJsonAsync(ctx, SkiffJson.Wire.ServiceSpecWire);
            var id = await control.CreateServiceAsync(spec, ctx.RequestAborted);
            return Http.Json(new ServiceCreateResponse { ID = id, Warnings = Warnings(spec) }, SkiffJson.Wire.ServiceCreateResponse, 201);
        });
        app.MapGet("/services/{id}", (HttpContext ctx, string id) =>
            Http.Json(swarm.Control.InspectService(id, Http.Bool(ctx.Request, "insertDefaults")), SkiffJson.Wire.ServiceWire));
        app.MapPost("/services/{id}/update", async (HttpContext ctx, string id) =>
        {
            var control = swarm.Control;
            var spec = await Http.ReadJsonAsync(ctx, SkiffJson.Wire.ServiceSpecWire);
            var rollback = ctx.Request.Query["rollback"].ToString() switch
            {
                "" => false,
                "previous" => true,
                var r => throw new BadRequestException($"unrecognized rollback option {r}"),
            };
            await control.UpdateServiceAsync(id, Version(ctx.Request), spec, rollback, ctx.RequestAborted);
            return Http.Json(new ServiceUpdateResponse { Warnings = rollback ? null : Warnings(spec) }, SkiffJson.Wire.ServiceUpdateResponse);
        });
        app.MapDelete("/services/{id}", async (HttpContext ctx, string id) =>
        {
            await swarm.Control.RemoveServiceAsync(id, ctx.RequestAborted);
            return Results.Ok();
        });
        app.MapGet("/services/{id}/logs", async (HttpContext ctx, string id) =>
        {
            var service = swarm.Control.GetService(id);
            var tasks = swarm.Control.TasksOf(service.Id);
            await StreamLogsAsync(ctx, swarm, tasks, service.Spec.TaskTemplate.ContainerSpec?.TTY == true);
        });
        app.MapGet("/tasks", (HttpContext ctx) => Http.Json([.. swarm.Control.ListTasks(Http.Filters(ctx.Request))], SkiffJson.Wire.ListTaskWire));
        app.MapGet("/tasks/{id}", (string id) => Http.Json(swarm.Control.InspectTask(id), SkiffJson.Wire.TaskWire));
        app.MapGet("/tasks/{id}/logs", async (HttpContext ctx, string id) =>
        {
            var task = swarm.Control.GetTask(id);
            await StreamLogsAsync(ctx, swarm, [task], task.Spec?.ContainerSpec?.TTY == true);
        });

        MapFiles(app, "secrets", swarm, c => c.Secrets);
        MapFiles(app, "configs", swarm, c => c.Configs);
    }

    /// <summary><c>/secrets</c> and <c>/configs</c>: the same five routes (create 201 <c>{"ID"}</c>, update 200,
    /// delete 204, as dockerd answers).</summary>
    private static void MapFiles(WebApplication app, string resource, SwarmNode swarm, Func<Skiff.Manager.ControlApi.ControlApi, Skiff.Manager.ControlApi.ISwarmFiles> of)
    {
        app.MapGet("/" + resource, (HttpContext ctx) =>
            Http.Json([.. of(swarm.Control).List(Http.Filters(ctx.Request))], SkiffJson.Wire.ListSwarmFileWire));
        app.MapPost("/" + resource + "/create", async (HttpContext ctx) =>
        {
            var files = of(swarm.Control);
            var spec = await Http.ReadJsonAsync(ctx, SkiffJson.Wire.SwarmFileSpecWire);
            var id = await files.CreateAsync(spec, ctx.RequestAborted);
            return Http.Json(new SwarmCreateResponse { ID = id }, SkiffJson.Wire.SwarmCreateResponse, 201);
        });
        app.MapGet("/" + resource + "/{id}", (string id) => Http.Json(of(swarm.Control).Inspect(id), SkiffJson.Wire.SwarmFileWire));
        app.MapPost("/" + resource + "/{id}/update", async (HttpContext ctx, string id) =>
        {
            var files = of(swarm.Control);
            var spec = await Http.ReadJsonAsync(ctx, SkiffJson.Wire.SwarmFileSpecWire);
            await files.UpdateAsync(id, Version(ctx.Request), spec, ctx.RequestAborted);
            return Results.Ok();
        });
        app.MapDelete("/" + resource + "/{id}", async (HttpContext ctx, string id) =>
        {
            await of(swarm.Control).RemoveAsync(id, ctx.RequestAborted);
            return Results.NoContent();
        });
    }

    /// <summary>
    /// <c>service logs</c> and <c>task logs</c>: the nodes that ran the tasks stream their lines through the
    /// manager's log broker; each line carries the details the docker CLI needs (node, service, task ids).
    /// 200 with no Content-Type, stdcopy frames unless the service has a TTY (API 1.41 behaviour).
    /// </summary>
    private static async Task StreamLogsAsync(HttpContext ctx, SwarmNode swarm, IReadOnlyList<Skiff.State.SwarmTask> tasks, bool tty)
    {
        var q = ctx.Request;
        var stdout = Http.Bool(q, "stdout");
        var stderr = Http.Bool(q, "stderr");
        if (!stdout && !stderr)
        {
            throw new BadRequestException("Bad parameters: you must choose at least one stream");
        }

        var tailText = Http.Str(q, "tail");
        var tail = tailText is null or "all" ? -1 : int.TryParse(tailText, NumberStyles.None, CultureInfo.InvariantCulture, out var t) ? t : throw new BadRequestException($"invalid tail: {tailText}");
        var since = SystemEndpoints.ParseTime(Http.Str(q, "since"));
        var until = SystemEndpoints.ParseTime(Http.Str(q, "until"));
        var timestamps = Http.Bool(q, "timestamps");
        var details = Http.Bool(q, "details");
        var follow = Http.Bool(q, "follow");
        var byNode = tasks.Where(x => !string.IsNullOrEmpty(x.NodeId) && x.Status.State >= Skiff.State.TaskState.Starting)
            .GroupBy(x => x.NodeId!)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<string>)[.. g.Select(x => x.Id)]);
        var byId = tasks.ToDictionary(x => x.Id);
        var template = new Skiff.Manager.Dispatch.Proto.LogSubscription
        {
            Follow = follow,
            Tail = tail,
            SinceUnixNanos = since ?? 0,
            UntilUnixNanos = until ?? 0,
        };
        ctx.Response.StatusCode = 200;
        await ctx.Response.StartAsync(ctx.RequestAborted);
        await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
        await foreach (var m in swarm.LogBroker.SubscribeAsync(byNode, template, ctx.RequestAborted))
        {
            if (!byId.TryGetValue(m.TaskId, out var task))
            {
                continue;
            }

            var stream = m.Error.Length > 0 ? 2 : m.Stream;
            if ((stream == 1 && !stdout) || (stream == 2 && !stderr && m.Error.Length == 0))
            {
                continue;
            }

            var text = new StringBuilder();
            if (timestamps)
            {
                text.Append(Rfc3339.FormatNano(m.TimestampUnixNanos > 0 ? DateTimeOffset.UnixEpoch.AddTicks(m.TimestampUnixNanos / 100) : DateTimeOffset.UtcNow)).Append(' ');
            }

            if (details)
            {
                text.Append("com.docker.swarm.node.id=").Append(Uri.EscapeDataString(task.NodeId ?? ""))
                    .Append(",com.docker.swarm.service.id=").Append(Uri.EscapeDataString(task.ServiceId))
                    .Append(",com.docker.swarm.task.id=").Append(Uri.EscapeDataString(task.Id)).Append(' ');
            }

            text.Append(m.Error.Length > 0 ? "skiff: " + m.Error + "\n" : m.Data.ToStringUtf8());
            var bytes = Encoding.UTF8.GetBytes(text.ToString());
            await ctx.Response.Body.WriteAsync(tty ? bytes : Skiff.Runtime.Containers.StdCopy.Frame((byte)stream, bytes), ctx.RequestAborted);
            await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
        }
    }

    /// <summary>Told once, at create/update: what this build does not do with the spec yet.</summary>
    private static List<string>? Warnings(ServiceSpecWire spec)
    {
        var ingress = spec.EndpointSpec?.Ports?.Where(p => p.PublishMode is null or "" or "ingress").ToList() ?? [];
        return ingress.Count == 0
            ? null
            : [$"published port(s) {string.Join(", ", ingress.Select(p => p.PublishedPort.ToString(CultureInfo.InvariantCulture)))} in ingress mode are recorded but not yet reachable: skiffd has no routing mesh yet; publish with mode=host (--publish mode=host,published=P,target=T) to reach tasks on their nodes"];
    }

    private static ulong Version(HttpRequest req)
    {
        var v = req.Query["version"].ToString();
        if (string.IsNullOrEmpty(v))
        {
            throw new BadRequestException("version is required: send the Version.Index you read (optimistic concurrency)");
        }

        return ulong.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var version)
            ? version
            : throw new BadRequestException($"invalid version {v}: must be an unsigned integer");
    }

    private static IResult Fail(int status, string message) => throw new SkiffException(status, message);
}
