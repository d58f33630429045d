using System.Net.Sockets;
using System.Text;

namespace Skiff.Cli.Tests;

/// <summary>
/// A tiny HTTP/1.1 server on a unix socket for hijacked requests that carry a body (exec start),
/// which Kestrel does not upgrade. Each route answers with a full response; "101" routes write the
/// raw payload after the 101 head and close, like dockerd.
/// </summary>
internal sealed class RawEngine : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly Dictionary<string, (int Status, byte[] Body)> _routes = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _cts = new();
    private readonly string _dir;
    private readonly Task _loop;

    public RawEngine()
    {
        _dir = Path.Combine(Path.GetTempPath(), "skiff-raw-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_dir);
        SocketPath = Path.Combine(_dir, "engine.sock");
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(SocketPath));
        _listener.Listen(16);
        _loop = AcceptLoopAsync();
    }

    public string SocketPath { get; }

    public List<(string RequestLine, string Head, string Body)> Requests { get; } = [];

    public void On(string method, string path, int status, string body) => _routes[method + " " + path] = (status, Encoding.UTF8.GetBytes(body));

    public void On(string method, string path, int status, byte[] body) => _routes[method + " " + path] = (status, body);

    private async Task AcceptLoopAsync()
    {
        while (!_cts.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_cts.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(Socket client)
    {
        using var stream = new NetworkStream(client, ownsSocket: true);
        while (true)
        {
            var head = await ReadHeadAsync(stream);
            if (head == null)
            {
                return;
            }
            var lines = head.Split("\r\n");
            var length = lines.Select(l => l.Split(':', 2)).Where(p => p.Length == 2 && p[0].Trim().Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                .Select(p => int.Parse(p[1].Trim(), System.Globalization.CultureInfo.InvariantCulture)).FirstOrDefault();
            var body = new byte[length];
            await stream.ReadExactlyAsync(body);
            var parts = lines[0].Split(' ');
            var path = parts[1].Split('?')[0];
            lock (Requests)
            {
                Requests.Add((lines[0], head, Encoding.UTF8.GetString(body)));
            }
            var (status, payload) = _routes.TryGetValue(parts[0] + " " + path, out var r) ? r : (404, "{\"message\":\"page not found\"}"u8.ToArray());
            if (status == 101)
            {
                await stream.WriteAsync("HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n"u8.ToArray());
                await stream.WriteAsync(payload);
                return;
            }
            var reason = status == 200 ? "OK" : status == 201 ? "Created" : "Error";
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {payload.Length}\r\n\r\n"));
            await stream.WriteAsync(payload);
        }
    }

    private static async Task<string?> ReadHeadAsync(Stream s)
    {
        var bytes = new List<byte>();
        var one = new byte[1];
        while (true)
        {
            if (await s.ReadAsync(one) == 0)
            {
                return null;
            }
            bytes.Add(one[0]);
            var c = bytes.Count;
            if (c >= 4 && bytes[c - 4] == '\r' && bytes[c - 3] == '\n' && bytes[c - 2] == '\r' && bytes[c - 1] == '\n')
            {
                return Encoding.ASCII.GetString(bytes.ToArray(), 0, c - 4);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _cts.CancelAsync();
        _listener.Dispose();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
        _cts.Dispose();
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
