using System.Runtime.InteropServices;
using System.Text.Json;
using System.Threading.Channels;
using Skiff.Api;
using Skiff.Runtime.Build;

namespace Skiff.Daemon.Api;

/// <summary>
/// <c>POST /build</c>, the classic (v1) builder's wire: the body is the context tar (plain or gzip), options are
/// query parameters, and the answer is a stream of JSON messages. Errors found before the first message (context,
/// Dockerfile, options) are a status code with <c>{"message"}</c>; later ones are an in-band errorDetail.
/// </summary>
internal static class BuildEndpoints
{
    public static void Map(WebApplication app, Engine engine)
    {
        app.MapPost("/build", async (HttpContext ctx) =>
        {
            var request = ParseRequest(ctx.Request);
            if (!Http.Bool(ctx.Request, "q"))
            {
                await StreamAsync(ctx, async emit =>
                {
                    await engine.Builder.BuildAsync(ctx.Request.Body, request, emit, ctx.RequestAborted);
                });
                return;
            }

            // Quiet, as dockerd: the messages are held back; success sends only the image id, failure sends what
            // was held and then the error (or a plain status code when nothing was produced yet).
            await StreamAsync(ctx, async emit =>
            {
                var held = new List<JsonMessage>();
                try
                {
                    var id = await engine.Builder.BuildAsync(ctx.Request.Body, request, m =>
                    {
                        lock (held)
                        {
                            held.Add(m);
                        }
                    }, ctx.RequestAborted);
                    emit(new JsonMessage { Stream = id + "\n" });
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    lock (held)
                    {
                        held.ForEach(emit);
                    }

                    throw;
                }
            });
        });

        app.MapPost("/build/prune", IResult () =>
            throw new BadRequestException("build cache prune is not supported by skiffd: remove the images instead (docker image prune -a)"));
    }

    internal static BuildRequest ParseRequest(HttpRequest q)
    {
        // BuildKit sessions and the options the classic builder honours but skiffd does not: refused, not ignored.
        if (Http.Str(q, "version") is { } version && version != "1")
        {
            throw new BadRequestException($"builder version {version} (BuildKit) is not supported by skiffd: use the classic builder (DOCKER_BUILDKIT=0)");
        }

        if (Http.Str(q, "remote") is { } remote)
        {
            throw new BadRequestException($"remote build contexts are not supported by skiffd ({remote}): send the context as a tar");
        }

        if (Http.Bool(q, "squash"))
        {
            throw new BadRequestException("--squash is not supported by skiffd");
        }

        foreach (var list in new[] { "extrahosts", "cachefrom" })
        {
            if (Http.Str(q, list) is { } v && v is not ("[]" or "null"))
            {
                throw new BadRequestException($"build option {list} is not supported by skiffd");
            }
        }

        foreach (var limit in new[] { "memory", "memswap", "cpushares", "cpuquota", "cpuperiod", "shmsize" })
        {
            if (Http.Str(q, limit) is { } v && v != "0")
            {
                throw new BadRequestException($"build option {limit} is not supported by skiffd (RUN containers have no resource limits)");
            }
        }

        foreach (var set in new[] { "cpusetcpus", "cpusetmems", "cgroupparent", "isolation" })
        {
            if (Http.Str(q, set) is { } v && !(set == "isolation" && v == "default"))
            {
                throw new BadRequestException($"build option {set} is not supported by skiffd");
            }
        }

        if (Http.Str(q, "platform") is { } platform)
        {
            var arch = RuntimeInformation.OSArchitecture == Architecture.Arm64 ? "arm64" : "amd64";
            if (!platform.Equals("linux", StringComparison.OrdinalIgnoreCase) && !platform.Equals("linux/" + arch, StringComparison.OrdinalIgnoreCase))
            {
                throw new BadRequestException($"platform {platform} is not supported by skiffd: it builds only for linux/{arch}");
            }
        }

        var tags = q.Query["t"].Where(t => !string.IsNullOrEmpty(t)).Select(t => t!).ToList();
        foreach (var tag in tags)
        {
            if (!Skiff.Runtime.Images.ImageReference.TryParse(tag, out var parsed) || parsed.Digest is not null)
            {
                throw new BadRequestException($"invalid reference format: {tag}");
            }
        }

        return new BuildRequest
        {
            Dockerfile = Http.Str(q, "dockerfile") ?? "Dockerfile",
            Tags = tags,
            BuildArgs = StringMap(q, "buildargs"),
            Labels = StringMap(q, "labels"),
            NoCache = Http.Bool(q, "nocache"),
            Remove = Http.Bool(q, "rm", def: true),
            ForceRemove = Http.Bool(q, "forcerm"),
            Target = Http.Str(q, "target"),
            Pull = Http.Bool(q, "pull"),
            NetworkMode = Http.Str(q, "networkmode"),
        };
    }

    /// <summary>A JSON object of strings (<c>buildargs</c> values may be null: an ARG named without a value).</summary>
    private static Dictionary<string, string> StringMap(HttpRequest q, string name)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var raw = Http.Str(q, name);
        if (raw is null)
        {
            return result;
        }

        try
        {
            using var doc = JsonDocument.Parse(raw);
            if (doc.RootElement.ValueKind == JsonValueKind.Null)
            {
                return result;
            }

            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new BadRequestException($"invalid {name}: a JSON object of strings is expected");
            }

            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (p.Value.ValueKind == JsonValueKind.String)
                {
                    result[p.Name] = p.Value.GetString()!;
                }
                else if (p.Value.ValueKind != JsonValueKind.Null)
                {
                    throw new BadRequestException($"invalid {name}: the value of {p.Name} is not a string");
                }
            }
        }
        catch (JsonException ex)
        {
            throw new BadRequestException($"invalid {name}: {ex.Message}");
        }

        return result;
    }

    /// <summary>Runs the build on its own task and streams its messages; after the first message every failure
    /// goes in-band (a failed RUN with its exit code), as dockerd's.</summary>
    private static Task StreamAsync(HttpContext ctx, Func<Action<JsonMessage>, Task> run) =>
        Http.StreamMessagesAsync(ctx, run, ex => new ErrorDetail { Code = (ex as BuildStepFailedException)?.Code, Message = ex.Message });
}
