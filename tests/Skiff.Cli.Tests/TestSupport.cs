using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Skiff.Cli.Tests;

/// <summary>A clock fixed at one instant.</summary>
internal sealed class FixedTime(DateTimeOffset now) : TimeProvider
{
    public static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow() => now;
}

internal sealed record RecordedRequest(string Method, string Path, string Query, string Body, IHeaderDictionary Headers);

/// <summary>An in-process fake Engine API (Kestrel on a temp unix socket) with canned responses.</summary>
internal sealed class FakeEngine : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Dictionary<string, Queue<(int Status, string Body, string? ContentType)>> _routes = new(StringComparer.Ordinal);
    private readonly string _dir;

    private FakeEngine(WebApplication app, string dir, string socket)
    {
        _app = app;
        _dir = dir;
        SocketPath = socket;
    }

    public string SocketPath { get; }

    public List<RecordedRequest> Requests { get; } = [];

    public static async Task<FakeEngine> StartAsync()
    {
        var dir = Path.Combine(Path.GetTempPath(), "skiff-cli-test-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        var socket = Path.Combine(dir, "engine.sock");
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(o => o.ListenUnixSocket(socket));
        var app = builder.Build();
        var fake = new FakeEngine(app, dir, socket);
        app.Run(fake.HandleAsync);
        await app.StartAsync();
        return fake;
    }

    /// <summary>Answers with this response; calling it again for the same route queues the next answer.</summary>
    public void On(string method, string path, int status, string body, string? contentType = "application/json")
    {
        var key = method + " " + path;
        if (!_routes.TryGetValue(key, out var queue))
        {
            queue = new Queue<(int, string, string?)>();
            _routes[key] = queue;
        }
        queue.Enqueue((status, body, contentType));
    }

    /// <summary>Answers a hijack request (Connection: Upgrade) with 101 and then writes <paramref name="raw"/> and closes.</summary>
    public void OnUpgrade(string method, string path, byte[] raw) =>
        On(method, path, 101, Convert.ToBase64String(raw), "upgrade:");

    public void On(string method, string path, int status, byte[] body, string contentType) =>
        On(method, path, status, Convert.ToBase64String(body), "base64:" + contentType);

    private async Task HandleAsync(HttpContext http)
    {
        using var reader = new StreamReader(http.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        lock (Requests)
        {
            Requests.Add(new RecordedRequest(http.Request.Method, http.Request.Path.Value ?? "", http.Request.QueryString.Value ?? "", body, new HeaderDictionary(http.Request.Headers.ToDictionary(h => h.Key, h => h.Value))));
        }
        (int Status, string Body, string? ContentType) route = (404, "{\"message\":\"page not found\"}", "application/json");
        lock (_routes)
        {
            if (_routes.TryGetValue(http.Request.Method + " " + http.Request.Path.Value, out var queue))
            {
                route = queue.Count > 1 ? queue.Dequeue() : queue.Peek();
            }
        }
        if (route.ContentType == "upgrade:")
        {
            var upgrade = http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpUpgradeFeature>()!;
            await using var raw = await upgrade.UpgradeAsync();
            await raw.WriteAsync(Convert.FromBase64String(route.Body));
            await raw.FlushAsync();
            return;
        }
        http.Response.StatusCode = route.Status;
        if (route.ContentType != null && route.ContentType.StartsWith("base64:", StringComparison.Ordinal))
        {
            http.Response.ContentType = route.ContentType["base64:".Length..];
            await http.Response.Body.WriteAsync(Convert.FromBase64String(route.Body));
            return;
        }
        if (route.ContentType != null)
        {
            http.Response.Headers.ContentType = route.ContentType;
        }
        await http.Response.WriteAsync(route.Body);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        try
        {
            Directory.Delete(_dir, true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}

internal static class Cli
{
    public static Task<(int Code, string Out, string Err)> RunAsync(FakeEngine? engine, params string[] args) =>
        RunAtAsync(engine?.SocketPath, args);

    public static async Task<(int Code, string Out, string Err)> RunAtAsync(string? socketPath, params string[] args)
    {
        using var stdout = new MemoryStream();
        using var stderr = new MemoryStream();
        var host = socketPath != null ? "unix://" + socketPath : "unix:///nonexistent/skiff-test.sock";
        int code;
        using (var ctx = new CliContext(stdout, stderr, Stream.Null, name => name == "SKIFF_HOST" ? host : null, new FixedTime(FixedTime.Now)))
        {
            ctx.Confirm = _ => true;
            code = await CliApp.RunAsync(args, ctx);
        }
        return (code, Encoding.UTF8.GetString(stdout.ToArray()), Encoding.UTF8.GetString(stderr.ToArray()));
    }
}
