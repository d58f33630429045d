using Skiff.Api;

namespace Skiff.Daemon.Api;

internal static class NetworkEndpoints
{
    public static void Map(WebApplication app, Engine engine)
    {
        var nets = engine.Networks;

        // Swarm-scoped (overlay) networks live in the cluster store and are served by managers beside the local ones.
        var swarm = app.Services.GetRequiredService<Swarm.SwarmNode>();

        app.MapGet("/networks", (HttpContext ctx) =>
        {
            var f = Http.Filters(ctx.Request);
            Http.CheckFilters(f, "dangling", "driver", "id", "label", "name", "scope", "type");
            var all = nets.List().Select(nets.ToResource).ToList();
            if (swarm.IsManager)
            {
                all.AddRange(swarm.Control.ListNetworks().Select(Skiff.Manager.ControlApi.ControlApi.NetworkResource));
            }

            var list = all.Where(n =>
                (!f.TryGetValue("driver", out var d) || d.ContainsKey(n.Driver))
                && (!f.TryGetValue("id", out var i) || i.Keys.Any(x => n.Id.StartsWith(x, StringComparison.Ordinal)))
                && (!f.TryGetValue("name", out var nm) || nm.Keys.Any(x => n.Name.Contains(x, StringComparison.Ordinal)))
                && (!f.TryGetValue("label", out var l) || l.Keys.All(x => Skiff.Runtime.Containers.ContainerManager.LabelMatch(n.Labels, x)))
                && (!f.TryGetValue("scope", out var s) || s.ContainsKey(n.Scope))
                && (!f.TryGetValue("type", out var t) || t.Keys.Any(x => x == (n.Name is "bridge" or "host" or "none" ? "builtin" : "custom")))
                && (!f.TryGetValue("dangling", out var dg) || dg.Keys.Any(x => (x is "true" or "1") == (n.Containers.Count == 0 && n.Name is not ("bridge" or "host" or "none")))))
                .ToList();
            return Http.Json(list, SkiffJson.Wire.ListNetworkResource);
        });

        app.MapGet("/networks/{id}", (string id, HttpContext ctx) =>
        {
            var scope = Http.Str(ctx.Request, "scope");
            NetworkResource n;
            try
            {
                n = nets.ToResource(nets.Find(id));
            }
            catch (NotFoundException) when (swarm.IsManager && swarm.Control.FindNetwork(id) is { } sn)
            {
                n = Skiff.Manager.ControlApi.ControlApi.NetworkResource(sn);
            }

            if (scope is not null && scope != n.Scope)
            {
                throw new NotFoundException($"network {id} not found");
            }

            return Http.Json(n, SkiffJson.Wire.NetworkResource);
        });

        app.MapPost("/networks/create", async (HttpContext ctx) =>
        {
            var req = await Http.ReadJsonAsync(ctx, SkiffJson.Wire.NetworkCreateRequest);
            if (req.Driver == "overlay" && swarm.IsManager)
            {
                var id = await swarm.Control.CreateNetworkAsync(req, ctx.RequestAborted);
                return Http.Json(new NetworkCreateResponse { Id = id }, SkiffJson.Wire.NetworkCreateResponse, 201);
            }

            var n = await nets.CreateAsync(req, ctx.RequestAborted);
            return Http.Json(new NetworkCreateResponse { Id = n.Id }, SkiffJson.Wire.NetworkCreateResponse, 201);
        });

        app.MapDelete("/networks/{id}", async (string id, HttpContext ctx) =>
        {
            if (swarm.IsManager && swarm.Control.FindNetwork(id) is { } sn)
            {
                await swarm.Control.RemoveNetworkAsync(sn.Id, ctx.RequestAborted);
                return Results.NoContent();
            }

            await nets.RemoveAsync(id, ctx.RequestAborted);
            return Results.NoContent();
        });

        app.MapPost("/networks/{id}/connect", async (string id, HttpContext ctx) =>
        {
            var req = await Http.ReadJsonAsync(ctx, SkiffJson.Wire.NetworkConnectRequest);
            await engine.Containers.ConnectAsync(req.Container, id, req.EndpointConfig, ctx.RequestAborted);
            return Results.Ok();
        });

        app.MapPost("/networks/{id}/disconnect", async (string id, HttpContext ctx) =>
        {
            var req = await Http.ReadJsonAsync(ctx, SkiffJson.Wire.NetworkDisconnectRequest);
            await engine.Containers.DisconnectAsync(req.Container, id, ctx.RequestAborted);
            return Results.Ok();
        });

        app.MapPost("/networks/prune", async (HttpContext ctx) =>
        {
            var resp = new NetworkPruneResponse();
            foreach (var n in nets.List().Where(n => !n.Predefined))
            {
                if (nets.ToResource(n).Containers.Count == 0 && !engine.Containers.All.Any(c => c.Networks.Values.Any(e => e.NetworkID == n.Id)))
                {
                    await nets.RemoveAsync(n.Id, ctx.RequestAborted);
                    resp.NetworksDeleted.Add(n.Name);
                }
            }

            return Http.Json(resp, SkiffJson.Wire.NetworkPruneResponse);
        });
    }
}
