using System.Text.Json;
using Skiff.Api;
using Skiff.Runtime.Images;
using Skiff.Runtime.Util;

namespace Skiff.Daemon.Api;

internal static class ImageEndpoints
{
    public static void Map(WebApplication app, Engine engine)
    {
        var images = engine.Images;

        app.MapGet("/images/json", (HttpContext ctx) =>
        {
            var f = Http.Filters(ctx.Request);
            Http.CheckFilters(f, "dangling", "label", "reference", "before", "since");
            var all = images.List();
            var parents = all.Where(i => i.Parent is not null).Select(i => i.Parent!).ToHashSet(StringComparer.Ordinal);
            IEnumerable<ImageRecord> list = all;
            if (!Http.Bool(ctx.Request, "all"))
            {
                // A build's intermediate images (untagged, with a child) only show with -a, as in Docker.
                list = list.Where(i => i.RepoTags.Count > 0 || !parents.Contains(i.Id));
            }

            if (f.TryGetValue("dangling", out var d))
            {
                var want = d.Keys.Any(k => k is "true" or "1");
                list = list.Where(i => (i.RepoTags.Count == 0 && !parents.Contains(i.Id)) == want);
            }

            if (f.TryGetValue("label", out var l))
            {
                list = list.Where(i => l.Keys.All(v => Skiff.Runtime.Containers.ContainerManager.LabelMatch(i.Config.Config?.Labels ?? [], v)));
            }

            if (f.TryGetValue("reference", out var r))
            {
                list = list.Where(i => i.RepoTags.Any(t => r.Keys.Any(p => ReferenceMatches(t, p))));
            }

            if (f.TryGetValue("before", out var b))
            {
                var t = images.Resolve(b.Keys.First()).Created;
                list = list.Where(i => i.Created < t);
            }

            if (f.TryGetValue("since", out var s))
            {
                var t = images.Resolve(s.Keys.First()).Created;
                list = list.Where(i => i.Created > t);
            }

            var rows = list.OrderByDescending(i => i.Created).Select(i => new ImageSummary
            {
                Id = i.Id,
                ParentId = i.Parent ?? "",
                RepoTags = [.. i.RepoTags],
                RepoDigests = [.. i.RepoDigests],
                Created = i.Created.ToUnixTimeSeconds(),
                Size = i.Size,
                VirtualSize = i.Size,
                Labels = i.Config.Config?.Labels ?? [],
                Containers = -1,
            }).ToList();
            return Http.Json(rows, SkiffJson.Wire.ListImageSummary);
        });

        app.MapPost("/images/load", async (HttpContext ctx) =>
        {
            var quiet = Http.Bool(ctx.Request, "quiet");
            ctx.Response.ContentType = Http.JsonContentType;
            // Read the whole upload first so a truncated upload is reported as a 400, not mid-stream.
            var lines = await images.LoadAsync(ctx.Request.Body, quiet ? null : m => { }, ctx.RequestAborted);
            ctx.Response.StatusCode = 200;
            foreach (var line in lines)
            {
                await WriteMessage(ctx, new JsonMessage { Stream = line + "\n" });
            }
        });

        app.MapPost("/images/create", async (HttpContext ctx) =>
        {
            var q = ctx.Request;
            var fromSrc = Http.Str(q, "fromSrc");
            var fromImage = Http.Str(q, "fromImage");
            if (fromSrc is not null)
            {
                if (fromSrc != "-")
                {
                    throw new BadRequestException("importing from a URL is not supported by skiffd; pipe the tar on stdin (fromSrc=-)");
                }

                if (q.Query["changes"].Count > 0)
                {
                    throw new BadRequestException("import --change is not supported by skiffd yet");
                }

                var repo = Http.Str(q, "repo");
                var tag = Http.Str(q, "tag");
                var reference = repo is null ? null : tag is null ? repo : repo + ":" + tag;
                // The store reads synchronously in places; Kestrel forbids that on the request body, so spool it.
                var spool = Path.Combine(engine.Options.DataRoot, "tmp-import-" + Guid.NewGuid().ToString("N"));
                ImageRecord rec;
                try
                {
                    await using (var f = File.Create(spool))
                    {
                        await q.Body.CopyToAsync(f, ctx.RequestAborted);
                    }

                    await using var input = File.OpenRead(spool);
                    rec = await images.ImportAsync(input, reference, null, ctx.RequestAborted);
                }
                finally
                {
                    File.Delete(spool);
                }

                ctx.Response.ContentType = Http.JsonContentType;
                await WriteMessage(ctx, new JsonMessage { Status = rec.Id });
                return;
            }

            if (fromImage is null)
            {
                throw new BadRequestException("fromImage or fromSrc is required");
            }

            var t = Http.Str(q, "tag");
            var name = t is null ? fromImage : t.StartsWith("sha256:", StringComparison.Ordinal) ? fromImage + "@" + t : fromImage + ":" + t;
            await StreamProgress(ctx, progress => images.PullAsync(name, progress, ctx.RequestAborted));
        });

        app.MapPost("/images/prune", (HttpContext ctx) =>
        {
            var f = Http.Filters(ctx.Request);
            Http.CheckFilters(f, "dangling", "label", "until");
            var danglingOnly = !f.TryGetValue("dangling", out var d) || d.Keys.Any(k => k is "true" or "1");
            var resp = new ImagePruneResponse();
            var all = images.List();
            var parents = all.Where(i => i.Parent is not null).Select(i => i.Parent!).ToHashSet(StringComparer.Ordinal);
            foreach (var img in all)
            {
                // A build's intermediate image is not dangling while its child exists (Docker's rule); it goes
                // with that child.
                if ((danglingOnly && img.RepoTags.Count > 0) || parents.Contains(img.Id))
                {
                    continue;
                }

                if (engine.Containers.ImageInUse(img.Id))
                {
                    continue;
                }

                if (f.TryGetValue("label", out var l) && !l.Keys.All(v => Skiff.Runtime.Containers.ContainerManager.LabelMatch(img.Config.Config?.Labels ?? [], v)))
                {
                    continue;
                }

                try
                {
                    resp.ImagesDeleted.AddRange(images.Remove(img.Id, force: true, noPrune: false, engine.Containers.ImageInUse));
                    resp.SpaceReclaimed += img.Size;
                }
                catch (SkiffException)
                {
                }
            }

            return Http.Json(resp, SkiffJson.Wire.ImagePruneResponse);
        });

        // Image names contain slashes (127.0.0.1:5000/team/app), so these routes take the rest of the path.
        app.MapGet("/images/{**rest}", (string rest, HttpContext ctx) =>
        {
            if (rest.EndsWith("/json", StringComparison.Ordinal))
            {
                return Http.Json(Inspect(images.Resolve(rest[..^5]), images), SkiffJson.Wire.ImageInspect);
            }

            if (rest.EndsWith("/history", StringComparison.Ordinal))
            {
                return Http.Json(History(images.Resolve(rest[..^8])), SkiffJson.Wire.ListImageHistoryItem);
            }

            if (rest.EndsWith("/get", StringComparison.Ordinal))
            {
                throw new BadRequestException("image save is not supported by skiffd yet");
            }

            throw new NotFoundException($"page not found: /images/{rest}");
        });

        app.MapPost("/images/{**rest}", async (string rest, HttpContext ctx) =>
        {
            if (rest.EndsWith("/tag", StringComparison.Ordinal))
            {
                var repo = Http.Str(ctx.Request, "repo") ?? throw new BadRequestException("repository name must have at least one component");
                images.Tag(rest[..^4], repo, Http.Str(ctx.Request, "tag"));
                ctx.Response.StatusCode = 201;
                return;
            }

            if (rest.EndsWith("/push", StringComparison.Ordinal))
            {
                var name = rest[..^5];
                var tag = Http.Str(ctx.Request, "tag");
                var full = tag is null ? name : name + ":" + tag;
                images.Resolve(full);
                await StreamProgress(ctx, progress => images.PushAsync(full, progress, ctx.RequestAborted));
                return;
            }

            throw new NotFoundException($"page not found: /images/{rest}");
        });

        app.MapDelete("/images/{**name}", (string name, HttpContext ctx) =>
        {
            // Docker's one refusal that force does not override: deleting by id an image a running container uses.
            var target = images.Resolve(name);
            var byId = name.StartsWith("sha256:", StringComparison.Ordinal) || target.Id.StartsWith("sha256:" + name, StringComparison.Ordinal);
            var running = engine.Containers.All.FirstOrDefault(c => c.ImageId == target.Id && c.State.Running);
            if (byId && running is not null)
            {
                throw new ConflictException($"conflict: unable to delete {Skiff.Runtime.Util.Ids.Short(target.Id)} (cannot be forced) - image is being used by running container {running.ShortId}");
            }

            var items = images.Remove(name, Http.Bool(ctx.Request, "force"), Http.Bool(ctx.Request, "noprune"), engine.Containers.ImageInUse);
            return Http.Json(items.ToList(), SkiffJson.Wire.ListImageDeleteResponseItem);
        });

        app.MapGet("/distribution/{**name}", (string name) =>
        {
            // No registry lookups for digests pinning yet: docker service create only warns on this.
            throw new NotFoundException($"distribution lookup is not available in skiffd for {name.TrimEnd('/').Replace("/json", "", StringComparison.Ordinal)}; the image is used as named");
        });
    }

    private static bool ReferenceMatches(string repoTag, string pattern)
    {
        var p = pattern.Contains(':', StringComparison.Ordinal) ? pattern : pattern + ":*";
        return System.IO.Enumeration.FileSystemName.MatchesSimpleExpression(p, repoTag, ignoreCase: false)
            || repoTag == pattern;
    }

    private static Task WriteMessage(HttpContext ctx, JsonMessage m) => Http.WriteMessageAsync(ctx, m);

    /// <summary>Pull/push progress; a daemon error after the first message goes in-band as errorDetail.</summary>
    private static Task StreamProgress(HttpContext ctx, Func<Action<JsonMessage>, Task> run) =>
        Http.StreamMessagesAsync(ctx, run, ex => ex is SkiffException ? new ErrorDetail { Message = ex.Message } : null);

    internal static ImageInspect Inspect(ImageRecord i, IImageStore store)
    {
        var layers = store.LayerDirectories(i);
        return new ImageInspect
        {
            Id = i.Id,
            RepoTags = [.. i.RepoTags],
            RepoDigests = [.. i.RepoDigests],
            Parent = i.Parent ?? "",
            Created = Rfc3339.Format(i.Created),
            Config = i.Config.Config ?? new ContainerConfig(),
            ContainerConfig = new ContainerConfig(),
            Author = i.Config.Author ?? "",
            Architecture = i.Config.Architecture,
            Variant = i.Config.Variant,
            Os = i.Config.Os,
            Size = i.Size,
            VirtualSize = i.Size,
            DockerVersion = "",
            GraphDriver = new GraphDriverData
            {
                Name = "overlay2",
                Data = layers.Count == 0 ? [] : new Dictionary<string, string>
                {
                    ["LowerDir"] = string.Join(':', layers.Reverse().Skip(1)),
                    ["UpperDir"] = layers[^1],
                },
            },
            RootFS = new ImageRootFs { Type = "layers", Layers = [.. i.Config.RootFs.DiffIds] },
        };
    }

    private static List<ImageHistoryItem> History(ImageRecord i)
    {
        var hist = i.Config.History ?? [];
        var list = new List<ImageHistoryItem>();
        for (var n = hist.Count - 1; n >= 0; n--)
        {
            var h = hist[n];
            Rfc3339.TryParse(h.Created ?? "", out var created);
            list.Add(new ImageHistoryItem
            {
                Id = n == hist.Count - 1 ? i.Id : "<missing>",
                Created = created.ToUnixTimeSeconds(),
                CreatedBy = h.CreatedBy ?? "",
                Comment = h.Comment ?? "",
                Tags = n == hist.Count - 1 ? [.. i.RepoTags] : [],
            });
        }

        if (list.Count == 0)
        {
            list.Add(new ImageHistoryItem { Id = i.Id, Created = i.Created.ToUnixTimeSeconds(), Size = i.Size, Tags = [.. i.RepoTags] });
        }

        return list;
    }
}
