using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Primitives;
using Skiff.Api;

namespace Skiff.Daemon.Api;

/// <summary>
/// Docker's attach and exec-start hijack the HTTP connection: a POST with a JSON body and
/// <c>Connection: Upgrade</c>/<c>Upgrade: tcp</c>, answered with 101 and then raw streams both ways.
/// Kestrel ignores Upgrade on requests that have a body (aspnetcore#27921), so this connection middleware
/// peeks at the first request of each connection (the CLI dials a fresh one for every hijack) and serves
/// those two endpoints itself; every other connection goes to Kestrel untouched.
/// </summary>
internal static partial class Hijack
{
    [GeneratedRegex(@"^(?:/v[0-9.]+)?/(?:exec/(?<exec>[^/]+)/start|containers/(?<ctr>[^/]+)/attach)$")]
    private static partial Regex HijackPath();

    private const int MaxHead = 64 * 1024;

    public static async Task HandleAsync(ConnectionContext ctx, ConnectionDelegate next, Func<Engine> engine)
    {
        var reader = ctx.Transport.Input;
        while (true)
        {
            ReadResult read;
            try
            {
                read = await reader.ReadAsync(ctx.ConnectionClosed);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            var buf = read.Buffer;
            var headEnd = Find(buf, "\r\n\r\n"u8);
            if (headEnd is null)
            {
                if (read.IsCompleted || buf.Length > MaxHead || !LooksLikeHijackCandidate(buf))
                {
                    reader.AdvanceTo(buf.Start, buf.Start);
                    break;
                }

                reader.AdvanceTo(buf.Start, buf.End);
                continue;
            }

            var head = Encoding.ASCII.GetString(buf.Slice(0, headEnd.Value));
            var request = ParseHead(head);
            if (request is null || !request.Upgrade || request.Method != "POST" || HijackPath().Match(request.Path) is not { Success: true } m)
            {
                reader.AdvanceTo(buf.Start, buf.Start);
                break;
            }

            reader.AdvanceTo(buf.GetPosition(headEnd.Value + 4));
            var body = await ReadBodyAsync(reader, request.ContentLength, ctx.ConnectionClosed);
            var stream = new ContainerEndpoints.DuplexBody(ctx.Transport.Input.AsStream(leaveOpen: true), ctx.Transport.Output.AsStream(leaveOpen: true));
            // Not ctx.ConnectionClosed: the CLI half-closes its side once it has nothing more to send, which
            // Kestrel reports as closed; the streams end when the process does, or when a write fails.
            await ServeAsync(engine(), request, m, body, stream, CancellationToken.None);
            await ctx.Transport.Output.CompleteAsync();
            return;
        }

        await next(ctx);
    }

    /// <summary>Only POSTs can be hijacked; anything else goes to Kestrel without waiting for the full head.</summary>
    private static bool LooksLikeHijackCandidate(ReadOnlySequence<byte> buf)
    {
        var first = buf.FirstSpan;
        return first.Length < 5 || first[..5].SequenceEqual("POST "u8);
    }

    private static long? Find(ReadOnlySequence<byte> buf, ReadOnlySpan<byte> needle)
    {
        var reader = new SequenceReader<byte>(buf);
        return reader.TryReadTo(out ReadOnlySequence<byte> before, needle, advancePastDelimiter: false) ? before.Length : null;
    }

    private sealed record Head(string Method, string Path, string Query, long ContentLength, bool Upgrade, bool Tcp);

    private static Head? ParseHead(string head)
    {
        var lines = head.Split("\r\n");
        var parts = lines[0].Split(' ');
        if (parts.Length < 3)
        {
            return null;
        }

        var target = parts[1];
        var q = target.IndexOf('?', StringComparison.Ordinal);
        long length = 0;
        var connUpgrade = false;
        var upgradeTcp = false;
        foreach (var l in lines.Skip(1))
        {
            var colon = l.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                continue;
            }

            var name = l[..colon].Trim();
            var value = l[(colon + 1)..].Trim();
            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                _ = long.TryParse(value, out length);
            }
            else if (name.Equals("Connection", StringComparison.OrdinalIgnoreCase))
            {
                connUpgrade = value.Split(',').Any(v => v.Trim().Equals("upgrade", StringComparison.OrdinalIgnoreCase));
            }
            else if (name.Equals("Upgrade", StringComparison.OrdinalIgnoreCase))
            {
                upgradeTcp = value.Equals("tcp", StringComparison.OrdinalIgnoreCase);
            }
        }

        return new Head(parts[0], q < 0 ? target : target[..q], q < 0 ? "" : target[q..], length, connUpgrade && upgradeTcp, upgradeTcp);
    }

    private static async Task<byte[]> ReadBodyAsync(PipeReader reader, long length, CancellationToken ct)
    {
        if (length <= 0)
        {
            return [];
        }

        while (true)
        {
            var r = await reader.ReadAsync(ct);
            if (r.Buffer.Length >= length)
            {
                var body = r.Buffer.Slice(0, length).ToArray();
                reader.AdvanceTo(r.Buffer.GetPosition(length));
                return body;
            }

            if (r.IsCompleted)
            {
                throw new BadRequestException("request body ended early");
            }

            reader.AdvanceTo(r.Buffer.Start, r.Buffer.End);
        }
    }

    private static async Task ServeAsync(Engine engine, Head req, Match m, byte[] body, Stream conn, CancellationToken ct)
    {
        var query = QueryHelpers.ParseQuery(req.Query);
        bool Q(string name) => query.TryGetValue(name, out StringValues v) && v.ToString() is not ("" or "0" or "false");
        try
        {
            CheckVersion(req.Path);
            if (m.Groups["exec"].Success)
            {
                var start = body.Length == 0 ? new ExecStartRequest() : JsonSerializer.Deserialize(body, SkiffJson.Wire.ExecStartRequest) ?? new ExecStartRequest();
                var id = m.Groups["exec"].Value;
                var x = engine.Containers.GetExec(id);
                if (x.Running || x.ExitCode is not null)
                {
                    throw new ConflictException($"Error: Exec command {id} is already running");
                }

                if (start.Detach)
                {
                    _ = Task.Run(() => engine.Containers.ExecStartAsync(id, null, (_, _, _) => ValueTask.CompletedTask, CancellationToken.None), CancellationToken.None);
                    await WriteStatusAsync(conn, 200, "OK", null, ct);
                    return;
                }

                await WriteUpgradeAsync(conn, ct);
                await ContainerEndpoints.RunExecAsync(engine.Containers, id, x, conn, ct);
            }
            else
            {
                var id = m.Groups["ctr"].Value;
                var r = engine.Containers.Get(id);
                await WriteUpgradeAsync(conn, ct);
                await ContainerEndpoints.RunAttachAsync(engine.Containers, r, Q("stdin"), Q("stdout"), Q("stderr"), Q("logs"), Q("stream"), conn, ct);
            }
        }
        catch (SkiffException ex) when (ex is not NotModifiedException)
        {
            var json = JsonSerializer.Serialize(new ErrorResponse { Message = ex.Message }, SkiffJson.Wire.ErrorResponse) + "\n";
            await WriteStatusAsync(conn, ex.StatusCode, "Error", json, ct);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException)
        {
            // The client hung up.
        }
    }

    private static void CheckVersion(string path)
    {
        if (path.StartsWith("/v", StringComparison.Ordinal))
        {
            var ver = path[2..path.IndexOf('/', 1)];
            if (Version.TryParse(ver, out var v) && v > Version.Parse(ApiMiddleware.MaxVersion))
            {
                throw new BadRequestException($"client version {ver} is too new. Maximum supported API version is {ApiMiddleware.MaxVersion}");
            }
        }
    }

    private static async Task WriteUpgradeAsync(Stream conn, CancellationToken ct)
    {
        var head = "HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n";
        await conn.WriteAsync(Encoding.ASCII.GetBytes(head), ct);
        await conn.FlushAsync(ct);
    }

    private static async Task WriteStatusAsync(Stream conn, int status, string reason, string? json, CancellationToken ct)
    {
        var bytes = json is null ? [] : Encoding.UTF8.GetBytes(json);
        var head = $"HTTP/1.1 {status} {reason}\r\n" + (json is null ? "" : "Content-Type: application/json\r\n") + $"Content-Length: {bytes.Length}\r\nConnection: close\r\n\r\n";
        await conn.WriteAsync(Encoding.ASCII.GetBytes(head), ct);
        await conn.WriteAsync(bytes, ct);
        await conn.FlushAsync(ct);
    }
}
