using System.Globalization;
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
        app.MapGet("/services/{id}/logs", (string id) =>
        {
            _ = swarm.Control.GetService(id);
            return Fail(501, "service logs is not supported by skiffd yet: use docker logs on the node that runs the task (docker ps shows it as <service>.<slot>.<task id>)");
        });

        app.MapGet("/tasks", (HttpContext ctx) => Http.Json([.. swarm.Control.ListTasks(Http.Filters(ctx.Request))], SkiffJson.Wire.ListTaskWire));
        app.MapGet("/tasks/{id}", (string id) => Http.Json(swarm.Control.InspectTask(id), SkiffJson.Wire.TaskWire));
        app.MapGet("/tasks/{id}/logs", (string id) =>
        {
            _ = swarm.Control.InspectTask(id);
            return Fail(501, "task logs are not supported by skiffd yet: use docker logs on the node that runs the task");
        });

        foreach (var resource in new[] { "secrets", "configs" })
        {
            app.MapGet("/" + resource, () =>
            {
                _ = swarm.Control;
                return Http.Json(new List<string>(), SkiffJson.Wire.ListString);
            });
            app.MapGet("/" + resource + "/{id}", (string id) =>
            {
                _ = swarm.Control;
                return Fail(404, $"{resource.TrimEnd('s')} {id} not found");
            });
            app.MapPost("/" + resource + "/{**rest}", () =>
            {
                _ = swarm.Control;
                return Fail(501, $"{resource} are not supported by skiffd yet");
            });
            app.MapDelete("/" + resource + "/{**rest}", () =>
            {
                _ = swarm.Control;
                return Fail(501, $"{resource} are not supported by skiffd yet");
            });
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
