using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Skiff.Api;

namespace Skiff.Runtime.Images;

/// <summary>A minimal Registry HTTP API v2 client for one repository (anonymous bearer tokens supported).</summary>
internal sealed class RegistryClient : IDisposable
{
    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
    public const string OciManifestType = "application/vnd.oci.image.manifest.v1+json";
    public const string OciIndexType = "application/vnd.oci.image.index.v1+json";
    public const string DockerConfig = "application/vnd.docker.container.image.v1+json";
    public const string DockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";

    private readonly HttpClient _http;
    private readonly ImageReference _reference;
    private readonly Uri _base;
    private string? _token;

    public RegistryClient(ImageReference reference, HttpMessageHandler? handler = null)
    {
        _reference = reference;
        _http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        _http.Timeout = Timeout.InfiniteTimeSpan;
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("skiff/1.0");
        var scheme = reference.IsInsecureRegistry ? "http" : "https";
        _base = new Uri($"{scheme}://{reference.RegistryHost}/v2/{reference.Path}/");
    }

    public void Dispose() => _http.Dispose();

    public sealed record Manifest(byte[] Bytes, string MediaType, string Digest);

    /// <summary>GET a manifest by tag or digest, verifying the digest when asked by digest.</summary>
    public async Task<Manifest> GetManifestAsync(string tagOrDigest, bool push, CancellationToken ct)
    {
        using var response = await SendAsync(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_base, "manifests/" + tagOrDigest));
            foreach (var type in new[] { DockerManifest, DockerManifestList, OciManifestType, OciIndexType })
            {
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
            }

            return request;
        }, push, ct);
        if (!response.IsSuccessStatusCode)
        {
            throw await ManifestErrorAsync(response, tagOrDigest, ct);
        }

        var bytes = await response.Content.ReadAsByteArrayAsync(ct);
        var digest = HashingStream.Sha256(bytes);
        if (tagOrDigest.Contains(':') && tagOrDigest != digest)
        {
            throw new SkiffException(500, $"manifest verification failed for digest {tagOrDigest}");
        }

        var mediaType = response.Content.Headers.ContentType?.MediaType ?? "";
        return new Manifest(bytes, mediaType, digest);
    }

    /// <summary>Downloads a blob to <paramref name="destination"/>, verifying its digest.</summary>
    public async Task DownloadBlobAsync(string digest, Stream destination, Action<long, long?>? progress, CancellationToken ct)
    {
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, new Uri(_base, "blobs/" + digest)), false, ct);
        if (!response.IsSuccessStatusCode)
        {
            throw await ErrorAsync(response, $"blob {digest}", ct);
        }

        var total = response.Content.Headers.ContentLength;
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        using var hashing = new HashingStream(body, destination);
        var buffer = new byte[81920];
        long lastReport = 0;
        int n;
        while ((n = await hashing.ReadAsync(buffer, ct)) > 0)
        {
            if (hashing.BytesRead - lastReport >= 512 * 1024)
            {
                lastReport = hashing.BytesRead;
                progress?.Invoke(hashing.BytesRead, total);
            }
        }

        progress?.Invoke(hashing.BytesRead, total);
        if (hashing.Digest != digest)
        {
            throw new SkiffException(500, $"filesystem layer verification failed for digest {digest}");
        }
    }

    public async Task<bool> BlobExistsAsync(string digest, CancellationToken ct)
    {
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Head, new Uri(_base, "blobs/" + digest)), true, ct);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        if (!response.IsSuccessStatusCode)
        {
            throw await ErrorAsync(response, $"blob {digest}", ct);
        }

        return true;
    }

    /// <summary>Monolithic upload: POST to open the upload session, PUT the whole blob with its digest.</summary>
    public async Task UploadBlobAsync(string digest, Func<Stream> open, long length, CancellationToken ct)
    {
        Uri location;
        using (var start = await SendAsync(() => new HttpRequestMessage(HttpMethod.Post, new Uri(_base, "blobs/uploads/")) { Content = new ByteArrayContent([]) }, true, ct))
        {
            if (start.StatusCode != HttpStatusCode.Accepted || start.Headers.Location is null)
            {
                throw await ErrorAsync(start, "blob upload", ct);
            }

            location = start.Headers.Location.IsAbsoluteUri ? start.Headers.Location : new Uri(_base, start.Headers.Location);
        }

        var separator = string.IsNullOrEmpty(location.Query) ? "?" : "&";
        var put = new Uri(location + separator + "digest=" + Uri.EscapeDataString(digest));
        using var response = await SendAsync(() =>
        {
            var content = new StreamContent(open());
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            content.Headers.ContentLength = length;
            return new HttpRequestMessage(HttpMethod.Put, put) { Content = content };
        }, true, ct);
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw await ErrorAsync(response, $"blob {digest}", ct);
        }
    }

    public async Task PutManifestAsync(string tag, byte[] manifest, string mediaType, CancellationToken ct)
    {
        using var response = await SendAsync(() =>
        {
            var content = new ByteArrayContent(manifest);
            content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
            return new HttpRequestMessage(HttpMethod.Put, new Uri(_base, "manifests/" + tag)) { Content = content };
        }, true, ct);
        if (!response.IsSuccessStatusCode)
        {
            throw await ErrorAsync(response, "manifest", ct);
        }
    }

    private async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> create, bool push, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            using var request = create();
            if (_token is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
            }

            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            }
            catch (HttpRequestException ex)
            {
                throw new SkiffException(500, $"{request.Method} \"{request.RequestUri}\": {ex.Message}");
            }

            if (response.StatusCode == HttpStatusCode.Unauthorized && attempt == 0 &&
                response.Headers.WwwAuthenticate.FirstOrDefault(h => h.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase)) is { } challenge)
            {
                response.Dispose();
                _token = await FetchTokenAsync(challenge.Parameter ?? "", push, ct);
                continue;
            }

            return response;
        }
    }

    private async Task<string?> FetchTokenAsync(string challenge, bool push, CancellationToken ct)
    {
        var parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in SplitChallenge(challenge))
        {
            var eq = part.IndexOf('=');
            if (eq > 0)
            {
                parameters[part[..eq].Trim()] = part[(eq + 1)..].Trim().Trim('"');
            }
        }

        if (!parameters.TryGetValue("realm", out var realm))
        {
            return null;
        }

        var query = new StringBuilder();
        if (parameters.TryGetValue("service", out var service))
        {
            query.Append("service=").Append(Uri.EscapeDataString(service));
        }

        var scope = parameters.TryGetValue("scope", out var s) ? s : $"repository:{_reference.Path}:{(push ? "pull,push" : "pull")}";
        query.Append(query.Length > 0 ? "&" : "").Append("scope=").Append(Uri.EscapeDataString(scope));
        var url = realm + (realm.Contains('?') ? "&" : "?") + query;
        try
        {
            using var response = await _http.GetAsync(new Uri(url), ct);
            if (!response.IsSuccessStatusCode)
            {
                return null;
            }

            var token = SkiffJsonRead(await response.Content.ReadAsByteArrayAsync(ct));
            return token?.Token ?? token?.AccessToken;
        }
        catch (HttpRequestException ex)
        {
            throw new SkiffException(500, $"Get \"{url}\": {ex.Message}");
        }
    }

    private static RegistryTokenResponse? SkiffJsonRead(byte[] bytes)
    {
        try
        {
            return System.Text.Json.JsonSerializer.Deserialize(bytes, SkiffJson.Default.RegistryTokenResponse);
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private static IEnumerable<string> SplitChallenge(string challenge)
    {
        var inQuotes = false;
        var start = 0;
        for (var i = 0; i < challenge.Length; i++)
        {
            if (challenge[i] == '"')
            {
                inQuotes = !inQuotes;
            }
            else if (challenge[i] == ',' && !inQuotes)
            {
                yield return challenge[start..i];
                start = i + 1;
            }
        }

        yield return challenge[start..];
    }

    private static async Task<List<RegistryError>> ReadErrorsAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            var bytes = await response.Content.ReadAsByteArrayAsync(ct);
            return bytes.Length == 0 ? [] : System.Text.Json.JsonSerializer.Deserialize(bytes, SkiffJson.Default.RegistryErrorResponse)?.Errors ?? [];
        }
        catch (System.Text.Json.JsonException)
        {
            return [];
        }
    }

    private async Task<SkiffException> ManifestErrorAsync(HttpResponseMessage response, string tagOrDigest, CancellationToken ct)
    {
        var errors = await ReadErrorsAsync(response, ct);
        var codes = errors.Select(e => e.Code).ToList();
        var name = _reference.FamiliarName;
        if (codes.Contains("MANIFEST_UNKNOWN") && !codes.Contains("NAME_UNKNOWN"))
        {
            var sep = tagOrDigest.Contains(':') ? "@" : ":";
            var message = errors.First(e => e.Code == "MANIFEST_UNKNOWN").Message ?? "manifest unknown";
            return new NotFoundException($"manifest for {name}{sep}{tagOrDigest} not found: manifest unknown: {message}");
        }

        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden ||
            codes.Contains("NAME_UNKNOWN") || codes.Contains("UNAUTHORIZED") || codes.Contains("DENIED"))
        {
            return new NotFoundException($"pull access denied for {name}, repository does not exist or may require 'docker login'");
        }

        return Describe(response, errors, "manifest");
    }

    private async Task<SkiffException> ErrorAsync(HttpResponseMessage response, string what, CancellationToken ct) =>
        Describe(response, await ReadErrorsAsync(response, ct), what);

    private static SkiffException Describe(HttpResponseMessage response, List<RegistryError> errors, string what)
    {
        var message = errors.Count > 0
            ? string.Join("; ", errors.Select(e => $"{(e.Code ?? "").ToLowerInvariant().Replace('_', ' ')}: {e.Message}"))
            : $"{(int)response.StatusCode} {response.ReasonPhrase}";
        var status = response.StatusCode switch
        {
            HttpStatusCode.NotFound => 404,
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => 403,
            _ => 500,
        };
        return new SkiffException(status, $"{what}: {message}");
    }
}
