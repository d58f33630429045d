using System.Formats.Tar;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;

namespace Skiff.Daemon.Tests;

/// <summary>
/// skiffd's web app on an in-process TestServer with a temp data root, exec root and a unique bridge name.
/// The engine is not started (no bridge, no nftables, no containers running).
/// </summary>
public abstract class DaemonTestBase : IAsyncLifetime
{
    private WebApplication? _app;
    private string _root = "";

    protected HttpClient Client { get; private set; } = null!;

    protected DaemonOptions Options { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _root = Directory.CreateTempSubdirectory("skiff-daemon-tests-").FullName;
        Options = new DaemonOptions
        {
            DataRoot = Path.Combine(_root, "data"),
            ExecRoot = Path.Combine(_root, "exec"),
            BridgeName = "skt" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)),
            LogLevel = "warn",
        };
        _app = DaemonHost.Build(Options, b => b.WebHost.UseTestServer());
        await _app.StartAsync();
        Client = _app.GetTestClient();
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    protected static StringContent JsonBody(string json) => new(json, Encoding.UTF8, "application/json");

    protected static async Task<JsonElement> JsonAsync(HttpResponseMessage resp)
    {
        var text = await resp.Content.ReadAsStringAsync();
        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.Clone();
    }

    /// <summary>Asserts Docker's error shape: the status, Content-Type exactly application/json, {"message": ...}.</summary>
    protected static async Task<string> AssertErrorAsync(HttpResponseMessage resp, int status)
    {
        var body = await resp.Content.ReadAsStringAsync();
        Assert.True((int)resp.StatusCode == status, $"expected {status}, got {(int)resp.StatusCode}: {body}");
        Assert.Equal("application/json", resp.Content.Headers.ContentType?.ToString());
        using var doc = JsonDocument.Parse(body);
        var message = doc.RootElement.GetProperty("message").GetString();
        Assert.False(string.IsNullOrEmpty(message));
        return message!;
    }

    protected async Task<string> CreateContainerAsync(string json, string? name = null)
    {
        var url = name is null ? "/containers/create" : "/containers/create?name=" + name;
        using var resp = await Client.PostAsync(url, JsonBody(json));
        var body = await resp.Content.ReadAsStringAsync();
        Assert.True((int)resp.StatusCode == 201, $"create: {(int)resp.StatusCode} {body}");
        using var doc = JsonDocument.Parse(body);
        return doc.RootElement.GetProperty("Id").GetString()!;
    }

    /// <summary>Loads a one-layer test image (tagged <paramref name="tag"/>) and returns its id.</summary>
    protected async Task<string> LoadImageAsync(string tag = "skiff-test/hello:v1")
    {
        var archive = TestImage.DockerArchive(tag, out var id);
        using var content = new ByteArrayContent(archive);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-tar");
        using var resp = await Client.PostAsync("/images/load?quiet=0", content);
        var body = await resp.Content.ReadAsStringAsync();
        Assert.True(resp.IsSuccessStatusCode, $"load: {(int)resp.StatusCode} {body}");
        Assert.Contains("Loaded image: " + tag, body, StringComparison.Ordinal);
        return id;
    }
}

/// <summary>A docker-archive (manifest.json + config + one layer) written with TarWriter.</summary>
internal static class TestImage
{
    public static string Sha(byte[] data) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(data));

    public static byte[] Layer()
    {
        using var ms = new MemoryStream();
        using (var w = new TarWriter(ms, TarEntryFormat.Pax, leaveOpen: true))
        {
            w.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "bin/") { Mode = (UnixFileMode)0b111_101_101 });
            w.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "bin/hello")
            {
                Mode = (UnixFileMode)0b111_101_101,
                DataStream = new MemoryStream("#!/bin/sh\necho hello\n"u8.ToArray()),
            });
        }

        return ms.ToArray();
    }

    public static byte[] DockerArchive(string tag, out string imageId)
    {
        var layer = Layer();
        var config = Encoding.UTF8.GetBytes(
            "{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\"2024-01-01T00:00:00Z\"," +
            "\"config\":{\"Cmd\":[\"/bin/hello\"],\"Env\":[\"PATH=/bin\"],\"Labels\":{\"test\":\"yes\"}}," +
            "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + Sha(layer) + "\"]}}");
        imageId = Sha(config);
        var configName = imageId[7..] + ".json";
        var layerName = Sha(layer)[7..] + "/layer.tar";
        var manifest = Encoding.UTF8.GetBytes(
            "[{\"Config\":\"" + configName + "\",\"RepoTags\":[\"" + tag + "\"],\"Layers\":[\"" + layerName + "\"]}]");
        using var ms = new MemoryStream();
        using (var w = new TarWriter(ms, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (name, data) in new[] { (configName, config), (layerName, layer), ("manifest.json", manifest) })
            {
                w.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { Mode = (UnixFileMode)0b110_100_100, DataStream = new MemoryStream(data) });
            }
        }

        return ms.ToArray();
    }
}
