using Skiff.Api;

namespace Skiff.Daemon.Api;

internal static class VolumeEndpoints
{
    public static void Map(WebApplication app, Engine engine)
    {
        var volumes = engine.Volumes;

        app.MapGet("/volumes", (HttpContext ctx) =>
        {
            var f = Http.Filters(ctx.Request);
            Http.CheckFilters(f, "dangling", "driver", "label", "name");
            IEnumerable<VolumeResource> list = volumes.List();
            if (f.TryGetValue("dangling", out var d))
            {
                var want = d.Keys.Any(k => k is "true" or "1");
                list = list.Where(v => (engine.Containers.ContainersUsingVolume(v.Name).Count == 0) == want);
            }

            if (f.TryGetValue("driver", out var dr))
            {
                list = list.Where(v => dr.ContainsKey(v.Driver));
            }

            if (f.TryGetValue("label", out var l))
            {
                list = list.Where(v => l.Keys.All(x => Skiff.Runtime.Containers.ContainerManager.LabelMatch(v.Labels, x)));
            }

            if (f.TryGetValue("name", out var n))
            {
                list = list.Where(v => n.Keys.Any(x => v.Name.Contains(x, StringComparison.Ordinal)));
            }

            return Http.Json(new VolumeListResponse { Volumes = list.ToList() }, SkiffJson.Wire.VolumeListResponse);
        });

        app.MapPost("/volumes/create", async (HttpContext ctx) =>
        {
            var req = await Http.ReadJsonAsync(ctx, SkiffJson.Wire.VolumeCreateRequest);
            var v = volumes.Create(req.Name, req.Labels, req.DriverOpts, req.Driver);
            return Http.Json(v, SkiffJson.Wire.VolumeResource, 201);
        });

        app.MapGet("/volumes/{name}", (string name) => Http.Json(volumes.Inspect(name), SkiffJson.Wire.VolumeResource));

        app.MapDelete("/volumes/{name}", (string name, HttpContext ctx) =>
        {
            volumes.Remove(name, Http.Bool(ctx.Request, "force"), engine.Containers.ContainersUsingVolume(name));
            return Results.NoContent();
        });

        app.MapPost("/volumes/prune", (HttpContext ctx) =>
        {
            var f = Http.Filters(ctx.Request);
            Http.CheckFilters(f, "label", "all");
            // API 1.41 semantics (Docker 20.10): every unused volume; `all` is accepted for newer clients.
            var all = true;
            var resp = new VolumePruneResponse();
            foreach (var v in volumes.List())
            {
                if (engine.Containers.ContainersUsingVolume(v.Name).Count > 0)
                {
                    continue;
                }

                if (!all && !v.Labels.ContainsKey("com.docker.volume.anonymous"))
                {
                    continue;
                }

                if (f.TryGetValue("label", out var l) && !l.Keys.All(x => Skiff.Runtime.Containers.ContainerManager.LabelMatch(v.Labels, x)))
                {
                    continue;
                }

                volumes.Remove(v.Name, force: true, []);
                resp.VolumesDeleted.Add(v.Name);
            }

            return Http.Json(resp, SkiffJson.Wire.VolumePruneResponse);
        });
    }
}
