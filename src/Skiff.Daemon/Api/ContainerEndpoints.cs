using System.Text;
using Skiff.Api;
using Skiff.Runtime.Containers;
using Skiff.Runtime.Util;

namespace Skiff.Daemon.Api;

internal static class ContainerEndpoints
{
    public static void Map(WebApplication app, Engine engine)
    {
        var c = engine.Containers;

        app.MapPost("/containers/create", async (HttpContext ctx) =>
        {
            var req = await Http.ReadJsonAsync(ctx, SkiffJson.Wire.ContainerCreateRequest);
            var resp = await c.CreateAsync(req, Http.Str(ctx.Request, "name"), ctx.RequestAborted);
            return Http.Json(resp, SkiffJson.Wire.ContainerCreateResponse, 201);
        });

        app.MapGet("/containers/json", (HttpContext ctx) =>
        {
            var list = c.List(Http.Bool(ctx.Request, "all"), Http.Int(ctx.Request, "limit") ?? -1, Http.Bool(ctx.Request, "size"), Http.Filters(ctx.Request));
            return Http.Json(list.ToList(), SkiffJson.Wire.ListContainerSummary);
        });

        app.MapGet("/containers/{id}/json", (string id, HttpContext ctx) =>
            Http.Json(c.Inspect(id, Http.Bool(ctx.Request, "size")), SkiffJson.Wire.ContainerInspect));

        app.MapPost("/containers/{id}/start", async (string id, HttpContext ctx) =>
        {
            if (!string.IsNullOrEmpty(Http.Str(ctx.Request, "checkpoint")))
            {
                throw new BadRequestException("checkpoints are not supported by skiffd");
            }

            await c.StartAsync(id, ctx.RequestAborted);
            return Results.NoContent();
        });

        app.MapPost("/containers/{id}/stop", async (string id, HttpContext ctx) =>
        {
            await c.StopAsync(id, Http.Int(ctx.Request, "t"), Http.Str(ctx.Request, "signal"), ctx.RequestAborted);
            return Results.NoContent();
        });

        app.MapPost("/containers/{id}/restart", async (string id, HttpContext ctx) =>
        {
            await c.RestartAsync(id, Http.Int(ctx.Request, "t"), ctx.RequestAborted);
            return Results.NoContent();
        });

        app.MapPost("/containers/{id}/kill", async (string id, HttpContext ctx) =>
        {
            await c.KillAsync(id, Http.Str(ctx.Request, "signal"), ctx.RequestAborted);
            return Results.NoContent();
        });

        app.MapPost("/containers/{id}/pause", async (string id, HttpContext ctx) =>
        {
            await c.PauseAsync(id, true, ctx.RequestAborted);
            return Results.NoContent();
        });

        app.MapPost("/containers/{id}/unpause", async (string id, HttpContext ctx) =>
        {
            await c.PauseAsync(id, false, ctx.RequestAborted);
            return Results.NoContent();
        });

        app.MapPost("/containers/{id}/rename", (string id, HttpContext ctx) =>
        {
            c.Rename(id, Http.Str(ctx.Request, "name") ?? throw new BadRequestException("name is required"));
            return Results.NoContent();
        });

        app.MapPost("/containers/{id}/resize", (string id) =>
        {
            c.Get(id);
            return Results.Ok();
        });

        app.MapPost("/containers/{id}/wait", async (string id, HttpContext ctx) =>
        {
            // Resolve first so an unknown container is a 404, not a 200 with an error body.
            c.Get(id);
            var condition = Http.Str(ctx.Request, "condition");
            ctx.Response.StatusCode = 200;
            ctx.Response.ContentType = Http.JsonContentType;
            await ctx.Response.StartAsync(ctx.RequestAborted);
            await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
            var code = await c.WaitAsync(id, condition, ctx.RequestAborted);
            await ctx.Response.WriteAsync(System.Text.Json.JsonSerializer.Serialize(new ContainerWaitResponse { StatusCode = code }, SkiffJson.Wire.ContainerWaitResponse) + "\n");
        });

        app.MapDelete("/containers/{id}", async (string id, HttpContext ctx) =>
        {
            if (Http.Bool(ctx.Request, "link"))
            {
                throw new BadRequestException("legacy links are not supported by skiffd");
            }

            await c.RemoveAsync(id, Http.Bool(ctx.Request, "force"), Http.Bool(ctx.Request, "v"), ctx.RequestAborted);
            return Results.NoContent();
        });

        app.MapGet("/containers/{id}/top", async (string id, HttpContext ctx) =>
            Http.Json(await c.TopAsync(id, Http.Str(ctx.Request, "ps_args"), ctx.RequestAborted), SkiffJson.Wire.ContainerTopResponse));

        // A block body with `return`: an expression-bodied async lambda taking only HttpContext would bind to
        // RequestDelegate and its IResult would be dropped.
        app.MapPost("/containers/prune", async (HttpContext ctx) =>
        {
            var pruned = await c.PruneAsync(Http.Filters(ctx.Request), ctx.RequestAborted);
            return Http.Json(pruned, SkiffJson.Wire.ContainerPruneResponse);
        });

        app.MapGet("/containers/{id}/logs", (string id, HttpContext ctx) => LogsAsync(c, id, ctx));
        app.MapPost("/containers/{id}/attach", (string id, HttpContext ctx) => AttachAsync(c, id, ctx));

        app.MapPost("/containers/{id}/exec", async (string id, HttpContext ctx) =>
        {
            var req = await Http.ReadJsonAsync(ctx, SkiffJson.Wire.ExecCreateRequest);
            return Http.Json(new IdResponse { Id = c.ExecCreate(id, req) }, SkiffJson.Wire.IdResponse, 201);
        });

        app.MapPost("/exec/{id}/start", (string id, HttpContext ctx) => ExecStartAsync(c, id, ctx));
        app.MapPost("/exec/{id}/resize", (string id) =>
        {
            c.GetExec(id);
            return Results.Ok();
        });
        app.MapGet("/exec/{id}/json", (string id) =>
        {
            var x = c.GetExec(id);
            return Http.Json(
                new ExecInspect
                {
                    ID = x.Id,
                    ContainerID = x.ContainerId,
                    Running = x.Running,
                    ExitCode = x.ExitCode,
                    OpenStdin = x.Config.AttachStdin,
                    OpenStdout = x.Config.AttachStdout,
                    OpenStderr = x.Config.AttachStderr,
                    ProcessConfig = new ExecProcessConfig
                    {
                        Entrypoint = x.Config.Cmd.FirstOrDefault() ?? "",
                        Arguments = x.Config.Cmd.Skip(1).ToList(),
                        Tty = x.Config.Tty,
                        User = x.Config.User ?? "",
                        Privileged = x.Config.Privileged,
                    },
                },
                SkiffJson.Wire.ExecInspect);
        });
    }

    private static async Task LogsAsync(ContainerManager c, string id, HttpContext ctx)
    {
        var q = ctx.Request;
        var stdout = Http.Bool(q, "stdout");
        var stderr = Http.Bool(q, "stderr");
        if (!stdout && !stderr)
        {
            throw new BadRequestException("Bad parameters: you must choose at least one stream");
        }

        var tty = c.IsTty(id);
        var tailStr = Http.Str(q, "tail");
        int? tail = tailStr is null or "all" ? null : int.TryParse(tailStr, out var t) ? t : throw new BadRequestException($"invalid tail: {tailStr}");
        var since = SystemEndpoints.ParseTime(Http.Str(q, "since"));
        var until = SystemEndpoints.ParseTime(Http.Str(q, "until"));
        var options = new LogOptions(
            Http.Bool(q, "follow"),
            tail,
            since is { } s && s != 0 ? DateTimeOffset.UnixEpoch.AddTicks(s / 100) : null,
            until is { } u && u != 0 ? DateTimeOffset.UnixEpoch.AddTicks(u / 100) : null);
        var timestamps = Http.Bool(q, "timestamps");
        ctx.Response.StatusCode = 200;
        await ctx.Response.StartAsync(ctx.RequestAborted);
        await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
        await foreach (var line in c.Logs(id, options, ctx.RequestAborted))
        {
            if ((line.Stream == 1 && !stdout) || (line.Stream == 2 && !stderr))
            {
                continue;
            }

            await WriteLine(ctx.Response.Body, line, tty, timestamps, ctx.RequestAborted);
            if (options.Follow)
            {
                await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
            }
        }
    }

    private static async Task WriteLine(Stream body, LogLine line, bool tty, bool timestamps, CancellationToken ct)
    {
        var text = timestamps ? Rfc3339.FormatNano(line.Time) + " " + line.Text : line.Text;
        var bytes = Encoding.UTF8.GetBytes(text);
        if (tty)
        {
            await body.WriteAsync(bytes, ct);
        }
        else
        {
            await body.WriteAsync(StdCopy.Frame(line.Stream, bytes), ct);
        }
    }

    /// <summary>Without a hijack (a client that did not ask to upgrade), the streams go in the response body.</summary>
    private static async Task<Stream> PlainStreamAsync(HttpContext ctx)
    {
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "application/vnd.docker.raw-stream";
        await ctx.Response.StartAsync(ctx.RequestAborted);
        await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
        return new DuplexBody(ctx.Request.Body, ctx.Response.Body);
    }

    private static async Task AttachAsync(ContainerManager c, string id, HttpContext ctx)
    {
        var r = c.Get(id);
        var q = ctx.Request;
        await using var conn = await PlainStreamAsync(ctx);
        await RunAttachAsync(c, r, Http.Bool(q, "stdin"), Http.Bool(q, "stdout"), Http.Bool(q, "stderr"), Http.Bool(q, "logs"), Http.Bool(q, "stream"), conn, ctx.RequestAborted);
    }

    /// <summary>Streams the container's output (from now, or from the start with logs) until it exits.</summary>
    internal static async Task RunAttachAsync(ContainerManager c, ContainerRecord r, bool stdin, bool stdout, bool stderr, bool logs, bool stream, Stream conn, CancellationToken ct)
    {
        var exited = false;
        Task input = Task.CompletedTask;
        if (stdin && stream && r.Config.OpenStdin)
        {
            // The container may not be started yet (docker run attaches first): feed stdin once it runs.
            input = Task.Run(async () =>
            {
                if (await c.WaitStartedAsync(r.Id, ct))
                {
                    await c.CopyToStdinAsync(r.Id, conn, ct);
                }
            }, ct);
        }

        var waitTask = stream ? c.WaitAsync(r.Id, "next-exit", ct).ContinueWith(_ => exited = true, TaskScheduler.Default) : Task.CompletedTask;
        var options = new LogOptions(stream, logs ? null : 0, null, null);
        try
        {
            await foreach (var line in LogFile.ReadAsync(r.LogPath, options, () => !exited, ct))
            {
                if ((line.Stream == 1 && !stdout) || (line.Stream == 2 && !stderr))
                {
                    continue;
                }

                await WriteLine(conn, line, r.Config.Tty, false, ct);
                await conn.FlushAsync(ct);
            }
        }
        catch (IOException)
        {
        }

        _ = waitTask;
        _ = input;
    }

    private static async Task ExecStartAsync(ContainerManager c, string id, HttpContext ctx)
    {
        var req = await Http.ReadJsonAsync(ctx, SkiffJson.Wire.ExecStartRequest);
        var x = c.GetExec(id);
        if (req.Detach)
        {
            _ = Task.Run(() => c.ExecStartAsync(id, null, (_, _, _) => ValueTask.CompletedTask, CancellationToken.None));
            ctx.Response.StatusCode = 200;
            return;
        }

        if (x.Running || x.ExitCode is not null)
        {
            throw new ConflictException($"Error: Exec command {id} is already running");
        }

        await using var conn = await PlainStreamAsync(ctx);
        await RunExecAsync(c, id, x, conn, ctx.RequestAborted);
    }

    /// <summary>Runs an exec with its output multiplexed (or raw with a TTY) onto the connection.</summary>
    internal static async Task RunExecAsync(ContainerManager c, string id, ExecRecord x, Stream conn, CancellationToken ct)
    {
        var gate = new SemaphoreSlim(1, 1);
        try
        {
            await c.ExecStartAsync(id, x.Config.AttachStdin ? conn : null, async (s, data, token) =>
            {
                await gate.WaitAsync(token);
                try
                {
                    if (s == 0)
                    {
                        await conn.WriteAsync(data, token);
                    }
                    else
                    {
                        await conn.WriteAsync(StdCopy.Frame(s, data.Span), token);
                    }

                    await conn.FlushAsync(token);
                }
                finally
                {
                    gate.Release();
                }
            }, ct);
        }
        catch (SkiffException ex)
        {
            // The connection is already hijacked: report in-band on stderr as Docker does.
            var msg = Encoding.UTF8.GetBytes(ex.Message + "\n");
            await conn.WriteAsync(x.Config.Tty ? msg : StdCopy.Frame(2, msg), ct);
        }
    }

    /// <summary>One stream in, another out: a hijacked connection, or the request and response bodies of a client that
    /// did not ask to upgrade.</summary>
    internal sealed class DuplexBody(Stream input, Stream output) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => output.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => output.FlushAsync(cancellationToken);
        public override int Read(byte[] buffer, int offset, int count) => input.Read(buffer, offset, count);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => input.ReadAsync(buffer, cancellationToken);
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => input.ReadAsync(buffer, offset, count, cancellationToken);
        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => output.WriteAsync(buffer, offset, count, cancellationToken);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => output.Write(buffer, offset, count);
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => output.WriteAsync(buffer, cancellationToken);
    }
}
