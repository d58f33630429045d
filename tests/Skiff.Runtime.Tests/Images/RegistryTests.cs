using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Skiff.Api;
using Skiff.Runtime.Images;

namespace Skiff.Runtime.Tests.Images;

/// <summary>Debian's docker-registry (distribution 2.8) on a free loopback port with a throwaway storage dir.</summary>
public sealed class RegistryFixture : IDisposable
{
    private const string Binary = "/usr/bin/docker-registry";
    private readonly Process _process;
    private readonly string _dir;

    public RegistryFixture()
    {
        Assert.True(File.Exists(Binary), $"{Binary} is missing: apt-get install docker-registry (the registry tests need it)");
        _dir = Directory.CreateTempSubdirectory("skiff-registry-").FullName;
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        Address = $"127.0.0.1:{port}";
        var config = Path.Combine(_dir, "config.yml");
        File.WriteAllText(config, $"""
            version: 0.1
            log:
              level: info
            storage:
              filesystem:
                rootdirectory: {Path.Combine(_dir, "data")}
              delete:
                enabled: true
            http:
              addr: {Address}
            """);
        var psi = new ProcessStartInfo(Binary) { RedirectStandardError = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add("serve");
        psi.ArgumentList.Add(config);
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var log = new StringBuilder();
        DataReceivedEventHandler onLine = (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lock (log)
            {
                log.AppendLine(e.Data);
            }

            if (e.Data.Contains("listening on", StringComparison.Ordinal))
            {
                ready.TrySetResult();
            }
        };
        _process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        _process.OutputDataReceived += onLine;
        _process.ErrorDataReceived += onLine;
        _process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException("docker-registry exited: " + log));
        _process.Start();
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
        if (!ready.Task.Wait(TimeSpan.FromSeconds(30)))
        {
            Dispose();
            throw new InvalidOperationException("docker-registry did not report 'listening on' within 30 s: " + log);
        }
    }

    /// <summary>"127.0.0.1:PORT".</summary>
    public string Address { get; }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit();
            }
        }
        finally
        {
            _process.Dispose();
            Directory.Delete(_dir, recursive: true);
        }
    }
}

public sealed class RegistryTests(RegistryFixture registry) : IClassFixture<RegistryFixture>, IDisposable
{
    private readonly TempRoot _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task PushThenPull_Busybox_RoundTripsSameImageId()
    {
        var store = new ImageStore(_root.Path);
        await using (var file = File.OpenRead(TestArchives.BusyboxTar()))
        {
            await store.LoadAsync(file, null, CancellationToken.None);
        }

        var id = store.Resolve("busybox").Id;
        var name = $"{registry.Address}/skiff/busybox";
        store.Tag("busybox", name, "v1");
        var events = new List<ImageEvent>();
        store.Changed += events.Add;

        var push = new List<JsonMessage>();
        await store.PushAsync($"{name}:v1", push.Add, CancellationToken.None);

        Assert.Equal($"The push refers to repository [{name}]", push[0].Status);
        Assert.Contains(push, m => m.Status == "Pushed");
        var final = push.Single(m => m.Status?.StartsWith("v1: digest: sha256:", StringComparison.Ordinal) == true);
        var aux = push.Single(m => m.Aux is not null).Aux!;
        Assert.Equal("v1", aux["Tag"]);
        Assert.Equal($"v1: digest: {aux["Digest"]} size: {aux["Size"]}", final.Status);
        Assert.Contains(events, e => e.Action == "push" && e.Id == id);

        // A second push finds every layer and has the same digest (cached gzip blob).
        var again = new List<JsonMessage>();
        await store.PushAsync($"{name}:v1", again.Add, CancellationToken.None);
        Assert.Contains(again, m => m.Status == "Layer already exists");
        Assert.DoesNotContain(again, m => m.Status == "Pushed");
        Assert.Equal(aux["Digest"], again.Single(m => m.Aux is not null).Aux!["Digest"]);

        store.Remove(id, true, false, _ => false);
        Assert.Null(store.TryResolve(id));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_root.LayersDir));

        var pull = new List<JsonMessage>();
        await store.PullAsync($"{name}:v1", pull.Add, CancellationToken.None);

        Assert.Equal("Pulling from skiff/busybox", pull[0].Status);
        Assert.Equal("v1", pull[0].Id);
        Assert.Contains(pull, m => m.Status == "Pulling fs layer");
        Assert.Contains(pull, m => m.Status == "Download complete");
        Assert.Contains(pull, m => m.Status == "Pull complete");
        Assert.Contains(pull, m => m.Status == $"Digest: {aux["Digest"]}");
        Assert.Equal($"Status: Downloaded newer image for {name}:v1", pull[^1].Status);
        var pulled = store.Resolve($"{name}:v1");
        Assert.Equal(id, pulled.Id);
        Assert.Equal([$"{name}@{aux["Digest"]}"], pulled.RepoDigests);
        Assert.True(File.Exists(Path.Combine(store.LayerDirectories(pulled)[0], "bin/busybox")));
        Assert.Equal(pulled.Id, store.Resolve($"{name}@{aux["Digest"]}").Id);

        var up = new List<JsonMessage>();
        await store.PullAsync($"{name}:v1", up.Add, CancellationToken.None);
        Assert.Contains(up, m => m.Status == "Already exists");
        Assert.Equal($"Status: Image is up to date for {name}:v1", up[^1].Status);
    }

    [Fact]
    public async Task PullAsync_MissingTag_ThrowsManifestUnknown()
    {
        var store = new ImageStore(_root.Path);
        var l1 = TestArchives.Layer(new TestArchives.FileItem("a", "a"));
        await store.LoadAsync(new MemoryStream(TestArchives.DockerArchive(TestArchives.Config([l1]), [l1], $"{registry.Address}/tags/x:1")), null, CancellationToken.None);
        await store.PushAsync($"{registry.Address}/tags/x:1", _ => { }, CancellationToken.None);

        var ex = await Assert.ThrowsAsync<NotFoundException>(() => store.PullAsync($"{registry.Address}/tags/x:nope", _ => { }, CancellationToken.None));

        Assert.Equal($"manifest for {registry.Address}/tags/x:nope not found: manifest unknown: manifest unknown", ex.Message);
    }

    [Fact]
    public async Task PullAsync_MissingRepository_ThrowsSkiffException()
    {
        var store = new ImageStore(_root.Path);

        var ex = await Assert.ThrowsAnyAsync<SkiffException>(() => store.PullAsync($"{registry.Address}/does/not-exist", _ => { }, CancellationToken.None));

        Assert.Equal(404, ex.StatusCode);
        Assert.Null(store.TryResolve($"{registry.Address}/does/not-exist"));
    }

    [Fact]
    public async Task PushAsync_UnknownImage_ThrowsNotFound()
    {
        var store = new ImageStore(_root.Path);

        var ex = await Assert.ThrowsAsync<NotFoundException>(() => store.PushAsync($"{registry.Address}/nothing:1", _ => { }, CancellationToken.None));

        Assert.Contains("does not exist locally", ex.Message);
    }
}
