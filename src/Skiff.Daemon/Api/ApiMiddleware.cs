using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Skiff.Api;

namespace Skiff.Daemon.Api;

/// <summary>
/// Engine API plumbing in front of every endpoint: strips the <c>/v1.xx</c> prefix (refusing versions we do not
/// speak with Docker's messages) and turns exceptions into <c>{"message"}</c> with the status Docker uses.
/// </summary>
internal sealed class ApiMiddleware(RequestDelegate next, ILogger<ApiMiddleware> log)
{
    public const string MaxVersion = "1.41";
    public const string MinVersion = "1.24";

    public async Task InvokeAsync(HttpContext ctx)
    {
        try
        {
            RewriteVersion(ctx);
            await next(ctx);
        }
        catch (NotModifiedException)
        {
            if (!ctx.Response.HasStarted)
            {
                ctx.Response.StatusCode = 304;
            }
        }
        catch (SkiffException ex)
        {
            await WriteErrorAsync(ctx, ex.StatusCode, ex.Message);
        }
        catch (BadHttpRequestException ex)
        {
            await WriteErrorAsync(ctx, 400, ex.Message);
        }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested)
        {
            // The client went away (a follow stream ended); nothing to answer.
        }
        catch (Exception ex)
        {
            log.LogError(ex, "{Method} {Path} failed", ctx.Request.Method, ctx.Request.Path);
            await WriteErrorAsync(ctx, 500, ex.Message);
        }
    }

    private static void RewriteVersion(HttpContext ctx)
    {
        var path = ctx.Request.Path.Value ?? "";
        if (path.Length < 3 || path[1] != 'v' || !char.IsAsciiDigit(path[2]))
        {
            return;
        }

        var slash = path.IndexOf('/', 1);
        var ver = slash < 0 ? path[2..] : path[2..slash];
        if (!Version.TryParse(ver, out var v))
        {
            return;
        }

        if (v > Version.Parse(MaxVersion))
        {
            throw new BadRequestException($"client version {ver} is too new. Maximum supported API version is {MaxVersion}");
        }

        if (v < Version.Parse(MinVersion))
        {
            throw new BadRequestException($"client version {ver} is too old. Minimum supported API version is {MinVersion}, please upgrade your client to a newer version");
        }

        ctx.Items["api-version"] = ver;
        ctx.Request.Path = slash < 0 ? "/" : path[slash..];
    }

    public static async Task WriteErrorAsync(HttpContext ctx, int status, string message)
    {
        if (ctx.Response.HasStarted)
        {
            // Mid-stream: Docker's progress streams carry errors in-band.
            var line = JsonSerializer.Serialize(new JsonMessage { Error = message, ErrorDetail = new ErrorDetail { Message = message } }, SkiffJson.Wire.JsonMessage);
            await ctx.Response.WriteAsync(line + "\n");
            return;
        }

        ctx.Response.Clear();
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = Http.JsonContentType;
        var body = JsonSerializer.Serialize(new ErrorResponse { Message = message }, SkiffJson.Wire.ErrorResponse);
        await ctx.Response.WriteAsync(body + "\n");
    }

    public static string ApiVersion(HttpContext ctx) =>
        ctx.Items.TryGetValue("api-version", out var v) && v is string s ? s : MaxVersion;

    public static bool ApiAtLeast(HttpContext ctx, string version) =>
        Version.Parse(ApiVersion(ctx)) >= Version.Parse(version);

    public static IHttpUpgradeFeature? Upgrade(HttpContext ctx) => ctx.Features.Get<IHttpUpgradeFeature>();
}
