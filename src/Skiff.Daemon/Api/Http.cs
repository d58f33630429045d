using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Skiff.Api;

namespace Skiff.Daemon.Api;

/// <summary>Small helpers shared by the endpoint groups: exact JSON writing, query parsing, filters.</summary>
internal static class Http
{
    /// <summary>One JSON message of a progress stream, flushed at once.</summary>
    public static async Task WriteMessageAsync(HttpContext ctx, JsonMessage m)
    {
        await ctx.Response.WriteAsync(JsonSerializer.Serialize(m, SkiffJson.Wire.JsonMessage) + "\n", ctx.RequestAborted);
        await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
    }

    /// <summary>
    /// Runs <paramref name="run"/> on its own task and streams the messages it emits (pull, push, build). The headers
    /// wait for the first message or the outcome, so an early failure keeps its status code; after that a failure
    /// goes in-band as <paramref name="inBand"/> describes it (null: rethrow).
    /// </summary>
    public static async Task StreamMessagesAsync(HttpContext ctx, Func<Action<JsonMessage>, Task> run, Func<Exception, ErrorDetail?> inBand)
    {
        var channel = System.Threading.Channels.Channel.CreateUnbounded<JsonMessage>();
        var task = Task.Run(async () =>
        {
            try
            {
                await run(m => channel.Writer.TryWrite(m));
            }
            finally
            {
                channel.Writer.TryComplete();
            }
        });

        // Nothing produced: the operation's error is the status code. Once a message exists, the answer is a 200
        // stream and a later error goes in-band (deciding by whether the task had already failed made a quick
        // failure after a first message a status code or an in-band error depending on timing).
        var first = await channel.Reader.WaitToReadAsync(ctx.RequestAborted);
        if (!first)
        {
            await task;
        }

        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = JsonContentType;
        await foreach (var m in channel.Reader.ReadAllAsync(ctx.RequestAborted))
        {
            await WriteMessageAsync(ctx, m);
        }

        try
        {
            await task;
        }
        catch (Exception ex) when (ex is not OperationCanceledException && inBand(ex) is { } detail)
        {
            await WriteMessageAsync(ctx, new JsonMessage { Error = detail.Message, ErrorDetail = detail });
        }
    }

    /// <summary>Docker's clients compare Content-Type with == (NOTES.md §0), so no charset.</summary>
    public const string JsonContentType = "application/json";

    public static async Task WriteJsonAsync<T>(HttpContext ctx, T value, JsonTypeInfo<T> type, int status = 200)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = JsonContentType;
        await JsonSerializer.SerializeAsync(ctx.Response.Body, value, type, ctx.RequestAborted);
        await ctx.Response.Body.WriteAsync("\n"u8.ToArray(), ctx.RequestAborted);
    }

    public static IResult Json<T>(T value, JsonTypeInfo<T> type, int status = 200) => new JsonResult<T>(value, type, status);

    public static async Task<T> ReadJsonAsync<T>(HttpContext ctx, JsonTypeInfo<T> type)
        where T : new()
    {
        if (ctx.Request.ContentLength == 0)
        {
            return new T();
        }

        try
        {
            return await JsonSerializer.DeserializeAsync(ctx.Request.Body, type, ctx.RequestAborted) ?? new T();
        }
        catch (JsonException ex)
        {
            throw new BadRequestException($"invalid JSON: {ex.Message}");
        }
    }

    public static bool Bool(HttpRequest req, string name, bool def = false)
    {
        var v = req.Query[name].ToString();
        if (string.IsNullOrEmpty(v))
        {
            return def;
        }

        return v is not ("0" or "false" or "False" or "no");
    }

    public static int? Int(HttpRequest req, string name)
    {
        var v = req.Query[name].ToString();
        if (string.IsNullOrEmpty(v))
        {
            return null;
        }

        return int.TryParse(v, out var i) ? i : throw new BadRequestException($"invalid value for {name}: {v}");
    }

    public static string? Str(HttpRequest req, string name)
    {
        var v = req.Query[name].ToString();
        return string.IsNullOrEmpty(v) ? null : v;
    }

    /// <summary>
    /// Docker's <c>filters</c> query: JSON <c>{"key":{"value":true}}</c> or the legacy <c>{"key":["value"]}</c>.
    /// </summary>
    public static Dictionary<string, Dictionary<string, bool>> Filters(HttpRequest req)
    {
        var raw = req.Query["filters"].ToString();
        var result = new Dictionary<string, Dictionary<string, bool>>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(raw))
        {
            return result;
        }

        try
        {
            using var doc = JsonDocument.Parse(raw);
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                var values = new Dictionary<string, bool>(StringComparer.Ordinal);
                if (prop.Value.ValueKind == JsonValueKind.Object)
                {
                    foreach (var v in prop.Value.EnumerateObject())
                    {
                        values[v.Name] = v.Value.ValueKind != JsonValueKind.False;
                    }
                }
                else if (prop.Value.ValueKind == JsonValueKind.Array)
                {
                    foreach (var v in prop.Value.EnumerateArray())
                    {
                        values[v.GetString() ?? ""] = true;
                    }
                }

                result[prop.Name] = values;
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            throw new BadRequestException($"invalid filter: {raw}");
        }

        return result;
    }

    public static void CheckFilters(Dictionary<string, Dictionary<string, bool>> filters, params string[] allowed)
    {
        foreach (var k in filters.Keys)
        {
            if (!allowed.Contains(k))
            {
                throw new BadRequestException($"invalid filter '{k}'");
            }
        }
    }

    private sealed class JsonResult<T>(T value, JsonTypeInfo<T> type, int status) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext) => WriteJsonAsync(httpContext, value, type, status);
    }
}
