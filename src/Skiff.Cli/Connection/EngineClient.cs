using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Skiff.Api;

namespace Skiff.Cli.Connection;

/// <summary>
/// The Engine API v1.41 over HTTP/1.1 on a unix socket or tcp (optionally mutual TLS).
/// Every path is prefixed with <c>/v1.41</c>; bodies are JSON from <see cref="SkiffJson"/>.
/// </summary>
internal sealed class EngineClient : IDisposable
{
    public const string ApiVersion = "1.41";

    private readonly HttpClient _http;
    private readonly HostSpec _host;

    public EngineClient(HostSpec host)
    {
        _host = host;
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectCallback = async (_, ct) => await OpenStreamAsync(ct),
        };
        _http = new HttpClient(handler, disposeHandler: true)
        {
            BaseAddress = new Uri(host.IsUnix ? "http://api.moby.localhost" : $"http://{FormatHost(host.Address)}:{host.Port}"),
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("Skiff-Client/" + CliInfo.Version);
    }

    public HostSpec Host => _host;

    private static string FormatHost(string address) => address.Contains(':', StringComparison.Ordinal) ? "[" + address + "]" : address;

    /// <summary>A connected byte stream to the daemon (TLS applied for tcp+TLS).</summary>
    public async Task<Stream> OpenStreamAsync(CancellationToken ct)
    {
        Stream stream;
        try
        {
            if (_host.IsUnix)
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(_host.Address), ct);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
                stream = new NetworkStream(socket, ownsSocket: true);
            }
            else
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(_host.Address, _host.Port, ct);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
                stream = new NetworkStream(socket, ownsSocket: true);
                if (_host.Tls != null)
                {
                    stream = await AuthenticateTlsAsync(stream, _host.Tls, ct);
                }
            }
        }
        catch (Exception e) when (e is SocketException or IOException or System.Security.Authentication.AuthenticationException)
        {
            throw new DaemonUnreachableException(_host.Original, e);
        }
        return stream;
    }

    private async Task<Stream> AuthenticateTlsAsync(Stream inner, TlsSettings tls, CancellationToken ct)
    {
        var ssl = new SslStream(inner, leaveInnerStreamOpen: false);
        X509Certificate2Collection? ca = null;
        if (tls.CaCert != null && File.Exists(tls.CaCert))
        {
            ca = [];
            ca.ImportFromPemFile(tls.CaCert);
        }
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = _host.Address,
            RemoteCertificateValidationCallback = (_, cert, _, errors) =>
            {
                if (!tls.Verify)
                {
                    return true;
                }
                if (errors == SslPolicyErrors.None)
                {
                    return true;
                }
                if (ca == null || cert == null)
                {
                    return false;
                }
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.AddRange(ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                using var c2 = new X509Certificate2(cert);
                var ok = chain.Build(c2);
                var nameOk = (errors & SslPolicyErrors.RemoteCertificateNameMismatch) == 0;
                return ok && nameOk;
            },
        };
        if (tls.Cert != null && tls.Key != null && File.Exists(tls.Cert) && File.Exists(tls.Key))
        {
            var pem = X509Certificate2.CreateFromPemFile(tls.Cert, tls.Key);
            // Re-import so the private key is usable by SslStream on all platforms.
            var cert = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
            options.ClientCertificates = [cert];
        }
        await ssl.AuthenticateAsClientAsync(options, ct);
        return ssl;
    }

    public static string Versioned(string path) => "/v" + ApiVersion + path;

    public async Task<HttpResponseMessage> SendAsync(
        HttpMethod method,
        string path,
        HttpContent? content = null,
        bool stream = false,
        IEnumerable<KeyValuePair<string, string>>? headers = null,
        CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(method, Versioned(path)) { Content = content, Version = HttpVersion.Version11 };
        if (headers != null)
        {
            foreach (var h in headers)
            {
                request.Headers.TryAddWithoutValidation(h.Key, h.Value);
            }
        }
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, stream ? HttpCompletionOption.ResponseHeadersRead : HttpCompletionOption.ResponseContentRead, ct);
        }
        catch (HttpRequestException e)
        {
            if (e.InnerException is DaemonUnreachableException du)
            {
                throw du;
            }
            throw new DaemonUnreachableException(_host.Original, e);
        }
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(ct);
            var status = (int)response.StatusCode;
            response.Dispose();
            throw new DaemonException(status, ParseErrorMessage(body, status));
        }
        return response;
    }

    internal static string ParseErrorMessage(string body, int status)
    {
        var trimmed = body.Trim();
        if (trimmed.StartsWith('{'))
        {
            try
            {
                var err = JsonSerializer.Deserialize(trimmed, SkiffJson.Default.ErrorResponse);
                if (err != null && err.Message.Length > 0)
                {
                    return err.Message;
                }
            }
            catch (JsonException)
            {
                // Fall through: print the body like docker does for non-JSON errors.
            }
        }
        if (trimmed.Length == 0)
        {
            return $"{status} {(HttpStatusCode)status}";
        }
        return trimmed;
    }

    public static HttpContent JsonBody<T>(T value, JsonTypeInfo<T> info)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(value, info);
        var withNewline = new byte[bytes.Length + 1];
        bytes.CopyTo(withNewline, 0);
        withNewline[^1] = (byte)'\n';
        var content = new ByteArrayContent(withNewline);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    public async Task<T> GetAsync<T>(string path, JsonTypeInfo<T> info, CancellationToken ct = default)
    {
        using var response = await SendAsync(HttpMethod.Get, path, ct: ct);
        await using var s = await response.Content.ReadAsStreamAsync(ct);
        return (await JsonSerializer.DeserializeAsync(s, info, ct))!;
    }

    /// <summary>The raw JSON of a GET (inspect output keeps the daemon's fields and order).</summary>
    public async Task<JsonNode?> GetNodeAsync(string path, CancellationToken ct = default)
    {
        using var response = await SendAsync(HttpMethod.Get, path, ct: ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        return text.Length == 0 ? null : JsonNode.Parse(text);
    }

    public async Task<TResp> PostAsync<TReq, TResp>(string path, TReq body, JsonTypeInfo<TReq> reqInfo, JsonTypeInfo<TResp> respInfo, CancellationToken ct = default)
    {
        using var response = await SendAsync(HttpMethod.Post, path, JsonBody(body, reqInfo), ct: ct);
        await using var s = await response.Content.ReadAsStreamAsync(ct);
        return (await JsonSerializer.DeserializeAsync(s, respInfo, ct))!;
    }

    public async Task<TResp> PostAsync<TResp>(string path, JsonTypeInfo<TResp> respInfo, CancellationToken ct = default)
    {
        using var response = await SendAsync(HttpMethod.Post, path, ct: ct);
        await using var s = await response.Content.ReadAsStreamAsync(ct);
        return (await JsonSerializer.DeserializeAsync(s, respInfo, ct))!;
    }

    public async Task PostAsync(string path, HttpContent? content = null, CancellationToken ct = default)
    {
        using var response = await SendAsync(HttpMethod.Post, path, content, ct: ct);
    }

    public async Task DeleteAsync(string path, CancellationToken ct = default)
    {
        using var response = await SendAsync(HttpMethod.Delete, path, ct: ct);
    }

    /// <summary>
    /// A hijacked POST (attach, exec start): <c>Connection: Upgrade</c>, <c>Upgrade: tcp</c>; expects 101
    /// (or 200) and returns the raw connection positioned after the response head.
    /// </summary>
    public async Task<Stream> HijackAsync(string path, byte[]? jsonBody, CancellationToken ct = default)
    {
        var stream = await OpenStreamAsync(ct);
        try
        {
            var head = new StringBuilder();
            head.Append("POST ").Append(Versioned(path)).Append(" HTTP/1.1\r\n");
            head.Append("Host: api.moby.localhost\r\n");
            head.Append("User-Agent: Skiff-Client/").Append(CliInfo.Version).Append("\r\n");
            head.Append("Connection: Upgrade\r\nUpgrade: tcp\r\n");
            if (jsonBody != null)
            {
                head.Append("Content-Type: application/json\r\n");
            }
            head.Append("Content-Length: ").Append(jsonBody?.Length ?? 0).Append("\r\n\r\n");
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()), ct);
            if (jsonBody != null)
            {
                await stream.WriteAsync(jsonBody, ct);
            }
            await stream.FlushAsync(ct);
            var (status, headers) = await ReadResponseHeadAsync(stream, ct);
            if (status is 101 or 200)
            {
                return stream;
            }
            var body = "";
            if (headers.TryGetValue("content-length", out var lenText) && int.TryParse(lenText, out var len) && len > 0)
            {
                var buf = new byte[len];
                await stream.ReadExactlyAsync(buf, ct);
                body = Encoding.UTF8.GetString(buf);
            }
            throw new DaemonException(status, ParseErrorMessage(body, status));
        }
        catch
        {
            await stream.DisposeAsync();
            throw;
        }
    }

    /// <summary>Reads an HTTP/1.1 response head byte by byte (so nothing of the raw stream is over-read).</summary>
    internal static async Task<(int Status, Dictionary<string, string> Headers)> ReadResponseHeadAsync(Stream stream, CancellationToken ct)
    {
        var bytes = new List<byte>(256);
        var one = new byte[1];
        while (true)
        {
            var n = await stream.ReadAsync(one, ct);
            if (n == 0)
            {
                throw new IOException("connection closed before the response head");
            }
            bytes.Add(one[0]);
            var c = bytes.Count;
            if (c >= 4 && bytes[c - 4] == '\r' && bytes[c - 3] == '\n' && bytes[c - 2] == '\r' && bytes[c - 1] == '\n')
            {
                break;
            }
            if (c > 64 * 1024)
            {
                throw new IOException("response head too large");
            }
        }
        var lines = Encoding.ASCII.GetString(bytes.ToArray()).Split("\r\n");
        var statusParts = lines[0].Split(' ', 3);
        if (statusParts.Length < 2 || !int.TryParse(statusParts[1], out var status))
        {
            throw new IOException("malformed response: " + lines[0]);
        }
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
            }
        }
        return (status, headers);
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>Builds a URL query string.</summary>
internal sealed class Query
{
    private readonly List<string> _parts = [];

    public Query Add(string key, string value)
    {
        _parts.Add(Uri.EscapeDataString(key) + "=" + Uri.EscapeDataString(value));
        return this;
    }

    public Query AddIf(bool condition, string key, string value) => condition ? Add(key, value) : this;

    public Query AddIfNotEmpty(string key, string? value) => string.IsNullOrEmpty(value) ? this : Add(key, value);

    public override string ToString() => _parts.Count == 0 ? "" : "?" + string.Join('&', _parts);
}
