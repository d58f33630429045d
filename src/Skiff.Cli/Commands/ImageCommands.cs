using System.CommandLine;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Skiff.Api;
using Skiff.Cli.Connection;
using Skiff.Cli.Formatting;

namespace Skiff.Cli.Commands;

/// <summary><c>image …</c> and the shortcuts images, pull, push, load, import, tag, rmi, history.</summary>
internal static class ImageCommands
{
    /// <summary>base64("{}"): the empty registry auth the docker CLI sends.</summary>
    private const string EmptyAuth = "e30=";

    public static readonly IReadOnlyDictionary<string, string> ImageHeaders = new Dictionary<string, string>
    {
        ["Repository"] = "REPOSITORY",
        ["Tag"] = "TAG",
        ["Digest"] = "DIGEST",
        ["ID"] = "IMAGE ID",
        ["CreatedSince"] = "CREATED",
        ["CreatedAt"] = "CREATED AT",
        ["Size"] = "SIZE",
        ["Containers"] = "CONTAINERS",
        ["VirtualSize"] = "VIRTUAL SIZE",
        ["SharedSize"] = "SHARED SIZE",
        ["UniqueSize"] = "UNIQUE SIZE",
    };

    public static readonly IReadOnlyDictionary<string, string> HistoryHeaders = new Dictionary<string, string>
    {
        ["ID"] = "IMAGE",
        ["CreatedSince"] = "CREATED",
        ["CreatedAt"] = "CREATED AT",
        ["CreatedBy"] = "CREATED BY",
        ["Size"] = "SIZE",
        ["Comment"] = "COMMENT",
    };

    public static void Register(CliApp.App app, CliContext ctx)
    {
        var group = Common.Cmd("image", "Manage images");
        group.SetAction(pr => new DockerHelpAction(ctx.Out).Invoke(pr));
        app.Root.Subcommands.Add(group);
        var ls = Ls(ctx, "ls");
        ls.Aliases.Add("list");
        group.Subcommands.Add(ls);
        app.Root.Subcommands.Add(Ls(ctx, "images"));
        foreach (var make in new Func<Command>[] { () => Load(ctx), () => Import(ctx), () => Pull(ctx), () => Push(ctx), () => Tag(ctx), () => History(ctx) })
        {
            group.Subcommands.Add(make());
            app.Root.Subcommands.Add(make());
        }
        var rm = Rm(ctx, "rm");
        rm.Aliases.Add("remove");
        group.Subcommands.Add(rm);
        app.Root.Subcommands.Add(Rm(ctx, "rmi"));
        group.Subcommands.Add(Inspect(ctx));
        group.Subcommands.Add(Prune(ctx));
    }

    // ------------------------------------------------------------------ ls

    private static Command Ls(CliContext ctx, string name)
    {
        var cmd = Common.Cmd(name, "List images");
        var all = Common.Flag("--all", "-a", "Show all images (default hides intermediate images)");
        var digests = Common.Flag("--digests", null, "Show digests");
        var filter = Common.List("--filter", "-f", "Filter output based on conditions provided");
        var format = Common.Str("--format", null, Common.TableFormatHelp);
        var noTrunc = Common.Flag("--no-trunc", null, "Don't truncate output");
        var quiet = Common.Flag("--quiet", "-q", "Only show image IDs");
        var reference = new Argument<string?>("REPOSITORY[:TAG]") { Arity = ArgumentArity.ZeroOrOne };
        foreach (var o in new Option[] { all, digests, filter, format, noTrunc, quiet })
        {
            cmd.Options.Add(o);
        }
        cmd.Arguments.Add(reference);
        cmd.SetAction(async (pr, ct) =>
        {
            var extra = new List<KeyValuePair<string, string>>();
            if (pr.GetValue(reference) is { Length: > 0 } r)
            {
                extra.Add(new("reference", r));
            }
            var q = new Query()
                .AddIf(pr.GetValue(all), "all", "1")
                .AddIfNotEmpty("filters", Common.FiltersJson(pr.GetValue(filter) ?? [], extra));
            var images = await ctx.Client.GetAsync("/images/json" + q, SkiffJson.Default.ListImageSummary, ct);
            var f = pr.GetValue(format);
            var showDigests = pr.GetValue(digests) || (f?.Contains("{{.Digest}}", StringComparison.Ordinal) ?? false);
            string effective;
            if (pr.GetValue(quiet))
            {
                effective = "{{.ID}}";
            }
            else if (string.IsNullOrEmpty(f) || f == "table")
            {
                effective = pr.GetValue(digests)
                    ? "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
                    : "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";
            }
            else
            {
                effective = f;
            }
            var rows = ImageRows(ctx, images, !pr.GetValue(noTrunc), showDigests);
            await ctx.Out.WriteAsync(ListFormatter.Render(effective, rows, ImageHeaders));
            return 0;
        });
        return cmd;
    }

    /// <summary>docker's imageFormatTaggedAndDigest: a row per repository:tag (and digest when shown).</summary>
    internal static List<JsonObject> ImageRows(CliContext ctx, IEnumerable<ImageSummary> images, bool trunc, bool showDigests)
    {
        var rows = new List<JsonObject>();
        foreach (var image in images)
        {
            var repoTags = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            var repoDigests = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            foreach (var rt in image.RepoTags)
            {
                if (rt == "<none>:<none>")
                {
                    continue;
                }
                try
                {
                    var r = ImageReference.Parse(rt);
                    if (r.Tag != null)
                    {
                        Add(repoTags, r.FamiliarName, r.Tag);
                    }
                }
                catch (CliException)
                {
                    // docker skips unparsable references.
                }
            }
            foreach (var rd in image.RepoDigests)
            {
                if (rd == "<none>@<none>")
                {
                    continue;
                }
                try
                {
                    var r = ImageReference.Parse(rd);
                    if (r.Digest != null)
                    {
                        Add(repoDigests, r.FamiliarName, r.Digest);
                    }
                }
                catch (CliException)
                {
                    // docker skips unparsable references.
                }
            }
            if (repoTags.Count == 0 && repoDigests.Count == 0)
            {
                rows.Add(ImageRow(ctx, image, "<none>", "<none>", "<none>", trunc));
                continue;
            }
            foreach (var (repo, tags) in repoTags)
            {
                repoDigests.Remove(repo, out var digests);
                if (!showDigests)
                {
                    digests = null;
                }
                foreach (var tag in tags)
                {
                    if (digests == null || digests.Count == 0)
                    {
                        rows.Add(ImageRow(ctx, image, repo, tag, "<none>", trunc));
                        continue;
                    }
                    foreach (var d in digests)
                    {
                        rows.Add(ImageRow(ctx, image, repo, tag, d, trunc));
                    }
                }
            }
            foreach (var (repo, digests) in repoDigests)
            {
                if (showDigests)
                {
                    foreach (var d in digests)
                    {
                        rows.Add(ImageRow(ctx, image, repo, "<none>", d, trunc));
                    }
                }
                else
                {
                    rows.Add(ImageRow(ctx, image, repo, "<none>", "", trunc));
                }
            }
        }
        return rows;

        static void Add(Dictionary<string, List<string>> map, string key, string value)
        {
            if (!map.TryGetValue(key, out var list))
            {
                list = [];
                map[key] = list;
            }
            list.Add(value);
        }
    }

    private static JsonObject ImageRow(CliContext ctx, ImageSummary image, string repo, string tag, string digest, bool trunc)
    {
        var created = DateTimeOffset.FromUnixTimeSeconds(image.Created);
        return new JsonObject
        {
            ["Containers"] = image.Containers == -1 ? "N/A" : image.Containers.ToString(CultureInfo.InvariantCulture),
            ["CreatedAt"] = Common.GoTimeString(created),
            ["CreatedSince"] = image.Created == 0 ? "N/A" : Common.Ago(ctx, created),
            ["Digest"] = digest,
            ["ID"] = trunc ? Common.TruncateId(image.Id) : image.Id,
            ["Repository"] = repo,
            ["SharedSize"] = image.SharedSize == -1 ? "N/A" : Units.HumanSizeWithPrecision(image.SharedSize, 3),
            ["Size"] = Units.HumanSizeWithPrecision(image.Size, 3),
            ["Tag"] = tag,
            ["UniqueSize"] = image.SharedSize == -1 ? "N/A" : Units.HumanSizeWithPrecision(image.Size - image.SharedSize, 3),
            ["VirtualSize"] = Units.HumanSizeWithPrecision(image.VirtualSize, 3),
        };
    }

    // ------------------------------------------------------------------ pull / push

    private static Command Pull(CliContext ctx)
    {
        var cmd = Common.Cmd("pull", "Download an image from a registry");
        var allTags = Common.Flag("--all-tags", "-a", "Download all tagged images in the repository");
        var platform = Common.Str("--platform", null, "Set platform if server is multi-platform capable");
        var quiet = Common.Flag("--quiet", "-q", "Suppress verbose output");
        var name = Common.Arg("NAME[:TAG|@DIGEST]");
        cmd.Options.Add(allTags);
        cmd.Options.Add(platform);
        cmd.Options.Add(quiet);
        cmd.Arguments.Add(name);
        cmd.SetAction(async (pr, ct) =>
        {
            var reference = ImageReference.Parse(pr.GetValue(name)!);
            if (pr.GetValue(allTags))
            {
                if (reference.Tag != null || reference.Digest != null)
                {
                    throw new CliException("tag can't be used with --all-tags/-a");
                }
            }
            else
            {
                reference = reference.WithDefaultTag();
                if (!pr.GetValue(quiet) && reference.Tag == "latest" && !pr.GetValue(name)!.Contains(':', StringComparison.Ordinal))
                {
                    await ctx.Out.WriteLineAsync("Using default tag: latest");
                }
            }
            await PullAsync(ctx, reference, pr.GetValue(platform), pr.GetValue(quiet), toStderr: false, ct);
            await ctx.Out.WriteLineAsync(reference.FullString);
            return 0;
        });
        return cmd;
    }

    /// <summary>POST /images/create?fromImage=…&amp;tag=…, showing docker's non-terminal progress.</summary>
    internal static async Task PullAsync(CliContext ctx, ImageReference reference, string? platform, bool quiet, bool toStderr, CancellationToken ct)
    {
        var q = new Query().Add("fromImage", reference.FullName)
            .AddIfNotEmpty("tag", reference.Digest ?? reference.Tag)
            .AddIfNotEmpty("platform", platform);
        using var response = await ctx.Client.SendAsync(HttpMethod.Post, "/images/create" + q, stream: true, headers: [new("X-Registry-Auth", EmptyAuth)], ct: ct);
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        await Progress.DisplayAsync(body, quiet ? TextWriter.Null : toStderr ? ctx.Err : ctx.Out, ct);
    }

    private static Command Push(CliContext ctx)
    {
        var cmd = Common.Cmd("push", "Upload an image to a registry");
        var allTags = Common.Flag("--all-tags", "-a", "Push all tags of an image to the repository");
        var quiet = Common.Flag("--quiet", "-q", "Suppress verbose output");
        var name = Common.Arg("NAME[:TAG]");
        cmd.Options.Add(allTags);
        cmd.Options.Add(quiet);
        cmd.Arguments.Add(name);
        cmd.SetAction(async (pr, ct) =>
        {
            var reference = ImageReference.Parse(pr.GetValue(name)!);
            if (pr.GetValue(allTags))
            {
                if (reference.Tag != null)
                {
                    throw new CliException("tag can't be used with --all-tags/-a");
                }
            }
            else
            {
                if (reference.Tag == null && reference.Digest == null && !pr.GetValue(quiet))
                {
                    await ctx.Out.WriteLineAsync("Using default tag: latest");
                }
                reference = reference.WithDefaultTag();
            }
            var q = new Query().AddIfNotEmpty("tag", reference.Tag);
            using var response = await ctx.Client.SendAsync(HttpMethod.Post, $"/images/{reference.FullName}/push{q}", stream: true, headers: [new("X-Registry-Auth", EmptyAuth)], ct: ct);
            await using var body = await response.Content.ReadAsStreamAsync(ct);
            await Progress.DisplayAsync(body, pr.GetValue(quiet) ? TextWriter.Null : ctx.Out, ct);
            if (pr.GetValue(quiet))
            {
                await ctx.Out.WriteLineAsync(reference.FullString);
            }
            return 0;
        });
        return cmd;
    }

    // ------------------------------------------------------------------ load / import

    private static Command Load(CliContext ctx)
    {
        var cmd = Common.Cmd("load", "Load an image from a tar archive or STDIN");
        var input = Common.Str("--input", "-i", "Read from tar archive file, instead of STDIN");
        var quiet = Common.Flag("--quiet", "-q", "Suppress the load output");
        cmd.Options.Add(input);
        cmd.Options.Add(quiet);
        cmd.SetAction(async (pr, ct) =>
        {
            var path = pr.GetValue(input);
            if (string.IsNullOrEmpty(path) && ctx.StdinIsTerminal)
            {
                throw new CliException("requested load from stdin, but stdin is empty");
            }
            var source = string.IsNullOrEmpty(path) ? ctx.Stdin : OpenInput(path);
            using var content = new StreamContent(source);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/x-tar");
            var q = new Query().AddIf(pr.GetValue(quiet), "quiet", "1");
            using var response = await ctx.Client.SendAsync(HttpMethod.Post, "/images/load" + q, content, stream: true, ct: ct);
            await using var body = await response.Content.ReadAsStreamAsync(ct);
            if (response.Content.Headers.ContentType?.MediaType == "application/json")
            {
                await Progress.DisplayAsync(body, ctx.Out, ct);
            }
            else
            {
                await ctx.Out.FlushAsync(ct);
                await body.CopyToAsync(ctx.StdoutStream, ct);
            }
            return 0;
        });
        return cmd;
    }

    private static Stream OpenInput(string path)
    {
        try
        {
            return File.OpenRead(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"open {path}: {(e is FileNotFoundException or DirectoryNotFoundException ? "no such file or directory" : e.Message)}");
        }
    }

    private static Command Import(CliContext ctx)
    {
        var cmd = Common.Cmd("import", "Import the contents from a tarball to create a filesystem image");
        var change = Common.List("--change", "-c", "Apply Dockerfile instruction to the created image");
        var message = Common.Str("--message", "-m", "Set commit message for imported image");
        var platform = Common.Str("--platform", null, "Set platform if server is multi-platform capable");
        var source = Common.Arg("file|URL|-");
        var repository = new Argument<string?>("REPOSITORY[:TAG]") { Arity = ArgumentArity.ZeroOrOne };
        cmd.Options.Add(change);
        cmd.Options.Add(message);
        cmd.Options.Add(platform);
        cmd.Arguments.Add(source);
        cmd.Arguments.Add(repository);
        cmd.SetAction(async (pr, ct) =>
        {
            var src = pr.GetValue(source)!;
            var q = new Query();
            HttpContent? content = null;
            Stream? input = null;
            if (src == "-")
            {
                q.Add("fromSrc", "-");
                input = ctx.Stdin;
            }
            else if (src.StartsWith("http://", StringComparison.Ordinal) || src.StartsWith("https://", StringComparison.Ordinal))
            {
                q.Add("fromSrc", src);
            }
            else
            {
                q.Add("fromSrc", "-");
                input = OpenInput(src);
            }
            if (pr.GetValue(repository) is { Length: > 0 } repo)
            {
                var r = ImageReference.Parse(repo);
                q.Add("repo", r.FamiliarName);
                q.AddIfNotEmpty("tag", r.Tag);
            }
            q.AddIfNotEmpty("message", pr.GetValue(message));
            q.AddIfNotEmpty("platform", pr.GetValue(platform));
            foreach (var c in pr.GetValue(change) ?? [])
            {
                q.Add("changes", c);
            }
            if (input != null)
            {
                content = new StreamContent(input);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/x-tar");
            }
            try
            {
                using var response = await ctx.Client.SendAsync(HttpMethod.Post, "/images/create" + q, content, stream: true, ct: ct);
                await using var body = await response.Content.ReadAsStreamAsync(ct);
                await Progress.DisplayAsync(body, ctx.Out, ct);
            }
            finally
            {
                if (input != null && input != ctx.Stdin)
                {
                    await input.DisposeAsync();
                }
            }
            return 0;
        });
        return cmd;
    }

    // ------------------------------------------------------------------ tag / rm / inspect / prune / history

    private static Command Tag(CliContext ctx)
    {
        var cmd = Common.Cmd("tag", "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE");
        var src = Common.Arg("SOURCE_IMAGE[:TAG]");
        var target = Common.Arg("TARGET_IMAGE[:TAG]");
        cmd.Arguments.Add(src);
        cmd.Arguments.Add(target);
        cmd.SetAction(async (pr, ct) =>
        {
            var t = ImageReference.Parse(pr.GetValue(target)!);
            if (t.Digest != null)
            {
                throw new CliException("refusing to create a tag with a digest reference");
            }
            t = t.WithDefaultTag();
            var q = new Query().Add("repo", t.FullName).Add("tag", t.Tag!);
            await ctx.Client.PostAsync($"/images/{pr.GetValue(src)}/tag{q}", ct: ct);
            return 0;
        });
        return cmd;
    }

    private static Command Rm(CliContext ctx, string name)
    {
        var cmd = Common.Cmd(name, "Remove one or more images");
        var force = Common.Flag("--force", "-f", "Force removal of the image");
        var noPrune = Common.Flag("--no-prune", null, "Do not delete untagged parents");
        var images = Common.Args("IMAGE");
        cmd.Options.Add(force);
        cmd.Options.Add(noPrune);
        cmd.Arguments.Add(images);
        cmd.SetAction(async (pr, ct) => await Common.ForEachAsync(ctx, pr.GetValue(images)!, async image =>
        {
            var q = new Query().AddIf(pr.GetValue(force), "force", "1").AddIf(pr.GetValue(noPrune), "noprune", "1");
            using var response = await ctx.Client.SendAsync(HttpMethod.Delete, $"/images/{image}{q}", ct: ct);
            await using var body = await response.Content.ReadAsStreamAsync(ct);
            var items = await JsonSerializer.DeserializeAsync(body, SkiffJson.Default.ListImageDeleteResponseItem, ct) ?? [];
            foreach (var item in items)
            {
                if (!string.IsNullOrEmpty(item.Deleted))
                {
                    await ctx.Out.WriteLineAsync("Deleted: " + item.Deleted);
                }
                else
                {
                    await ctx.Out.WriteLineAsync("Untagged: " + item.Untagged);
                }
            }
        }));
        return cmd;
    }

    private static Command Inspect(CliContext ctx)
    {
        var cmd = Common.Cmd("inspect", "Display detailed information on one or more images");
        var format = Common.Str("--format", "-f", Common.InspectFormatHelp);
        var images = Common.Args("IMAGE");
        cmd.Options.Add(format);
        cmd.Arguments.Add(images);
        cmd.SetAction(async (pr, ct) => await InspectCommon.RunAsync(ctx, pr.GetValue(images)!, pr.GetValue(format),
            async n => await ctx.Client.GetNodeAsync($"/images/{n}/json", ct), ct));
        return cmd;
    }

    private static Command Prune(CliContext ctx)
    {
        var cmd = Common.Cmd("prune", "Remove unused images");
        var all = Common.Flag("--all", "-a", "Remove all unused images, not just dangling ones");
        var filter = Common.List("--filter", null, "Provide filter values (e.g. \"until=<timestamp>\")");
        var force = Common.Flag("--force", "-f", "Do not prompt for confirmation");
        cmd.Options.Add(all);
        cmd.Options.Add(filter);
        cmd.Options.Add(force);
        cmd.SetAction(async (pr, ct) =>
        {
            var isAll = pr.GetValue(all);
            var warning = isAll
                ? "WARNING! This will remove all images without at least one container associated to them.\nAre you sure you want to continue?"
                : "WARNING! This will remove all dangling images.\nAre you sure you want to continue?";
            if (!pr.GetValue(force) && !ctx.PromptYesNo(warning))
            {
                return 0;
            }
            var filters = Common.FiltersJson(pr.GetValue(filter) ?? [], [new("dangling", isAll ? "false" : "true")]);
            var report = await ctx.Client.PostAsync("/images/prune" + new Query().AddIfNotEmpty("filters", filters), SkiffJson.Default.ImagePruneResponse, ct);
            var output = "";
            if (report.ImagesDeleted.Count > 0)
            {
                output = "Deleted Images:\n" + string.Concat(report.ImagesDeleted.Select(i =>
                    !string.IsNullOrEmpty(i.Untagged) ? "untagged: " + i.Untagged + "\n" : "deleted: " + i.Deleted + "\n"));
            }
            await ctx.Out.WriteLineAsync(output);
            await ctx.Out.WriteLineAsync("Total reclaimed space: " + Units.HumanSize(report.SpaceReclaimed));
            return 0;
        });
        return cmd;
    }

    private static Command History(CliContext ctx)
    {
        var cmd = Common.Cmd("history", "Show the history of an image");
        var format = Common.Str("--format", null, Common.TableFormatHelp);
        var human = new Option<bool>("--human", "-H") { Description = "Print sizes and dates in human readable format", DefaultValueFactory = _ => true };
        var noTrunc = Common.Flag("--no-trunc", null, "Don't truncate output");
        var quiet = Common.Flag("--quiet", "-q", "Only show image IDs");
        var image = Common.Arg("IMAGE");
        foreach (var o in new Option[] { format, human, noTrunc, quiet })
        {
            cmd.Options.Add(o);
        }
        cmd.Arguments.Add(image);
        cmd.SetAction(async (pr, ct) =>
        {
            var items = await ctx.Client.GetAsync($"/images/{pr.GetValue(image)}/history", SkiffJson.Default.ListImageHistoryItem, ct);
            var trunc = !pr.GetValue(noTrunc);
            var isHuman = pr.GetValue(human);
            var rows = items.Select(h =>
            {
                var created = DateTimeOffset.FromUnixTimeSeconds(h.Created);
                var createdBy = h.CreatedBy.Replace('\t', ' ');
                return new JsonObject
                {
                    ["Comment"] = h.Comment,
                    ["CreatedAt"] = isHuman ? Common.GoTimeString(created) : created.ToString("yyyy-MM-ddTHH:mm:ssK", CultureInfo.InvariantCulture),
                    ["CreatedBy"] = trunc ? Common.Ellipsis(createdBy, 45) : createdBy,
                    ["CreatedSince"] = isHuman ? Common.Ago(ctx, created) : created.ToLocalTime().ToString("yyyy-MM-ddTHH:mm:sszzz", CultureInfo.InvariantCulture),
                    ["ID"] = h.Id == "<missing>" || !trunc ? h.Id : Common.TruncateId(h.Id),
                    ["Size"] = isHuman ? Units.HumanSizeWithPrecision(h.Size, 3) : h.Size.ToString(CultureInfo.InvariantCulture),
                };
            }).ToList();
            var f = pr.GetValue(format);
            var effective = pr.GetValue(quiet) ? "{{.ID}}"
                : string.IsNullOrEmpty(f) || f == "table" ? "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"
                : f;
            await ctx.Out.WriteAsync(ListFormatter.Render(effective, rows, HistoryHeaders));
            return 0;
        });
        return cmd;
    }
}

/// <summary>docker's jsonmessage display for a non-terminal: status lines, stream text, progress bars skipped.</summary>
internal static class Progress
{
    public static async Task DisplayAsync(Stream body, TextWriter output, CancellationToken ct)
    {
        using var reader = new StreamReader(body);
        string? line;
        while ((line = await reader.ReadLineAsync(ct)) != null)
        {
            if (line.Trim().Length == 0)
            {
                continue;
            }
            JsonMessage? m;
            try
            {
                m = JsonSerializer.Deserialize(line, SkiffJson.Default.JsonMessage);
            }
            catch (JsonException)
            {
                await output.WriteLineAsync(line);
                continue;
            }
            if (m == null)
            {
                continue;
            }
            if (m.ErrorDetail != null || !string.IsNullOrEmpty(m.Error))
            {
                throw new CliException(m.ErrorDetail?.Message is { Length: > 0 } dm ? dm : m.Error ?? "");
            }
            if (!string.IsNullOrEmpty(m.Progress) && string.IsNullOrEmpty(m.Stream))
            {
                continue;
            }
            if (m.Aux != null && m.Status == null && m.Stream == null)
            {
                continue;
            }
            if (!string.IsNullOrEmpty(m.Id))
            {
                await output.WriteAsync(m.Id + ": ");
            }
            if (!string.IsNullOrEmpty(m.Stream))
            {
                await output.WriteAsync(m.Stream);
            }
            else
            {
                await output.WriteLineAsync(m.Status ?? "");
            }
        }
    }
}
