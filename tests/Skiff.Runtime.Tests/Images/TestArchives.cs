using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Skiff.Api;

namespace Skiff.Runtime.Tests.Images;

/// <summary>Builds layer tars, docker-archives and OCI layouts in memory for the tests.</summary>
internal static class TestArchives
{
    public static string Sha(byte[] data) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(data));

    public abstract record Item(string Name);
    public sealed record FileItem(string Name, string Content, UnixFileMode Mode = (UnixFileMode)0b110_100_100, int Uid = 0, int Gid = 0) : Item(Name);
    public sealed record DirItem(string Name, UnixFileMode Mode = (UnixFileMode)0b111_101_101, int Uid = 0, int Gid = 0) : Item(Name);
    public sealed record LinkItem(string Name, string Target) : Item(Name);
    public sealed record HardLinkItem(string Name, string Target) : Item(Name);

    public static byte[] Layer(params Item[] items)
    {
        using var ms = new MemoryStream();
        using (var writer = new TarWriter(ms, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var item in items)
            {
                PaxTarEntry entry = item switch
                {
                    FileItem f => new PaxTarEntry(TarEntryType.RegularFile, f.Name)
                    {
                        DataStream = new MemoryStream(Encoding.UTF8.GetBytes(f.Content)),
                        Mode = f.Mode,
                        Uid = f.Uid,
                        Gid = f.Gid,
                    },
                    DirItem d => new PaxTarEntry(TarEntryType.Directory, d.Name) { Mode = d.Mode, Uid = d.Uid, Gid = d.Gid },
                    LinkItem l => new PaxTarEntry(TarEntryType.SymbolicLink, l.Name) { LinkName = l.Target },
                    HardLinkItem h => new PaxTarEntry(TarEntryType.HardLink, h.Name) { LinkName = h.Target },
                    _ => throw new ArgumentException("unknown item"),
                };
                writer.WriteEntry(entry);
            }
        }

        return ms.ToArray();
    }

    public static byte[] Gzip(byte[] data)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
        {
            gz.Write(data);
        }

        return ms.ToArray();
    }

    public static byte[] Config(IEnumerable<byte[]> uncompressedLayers, string created = "2024-01-01T00:00:00Z", params string[] cmd) =>
        System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new OciImageConfig
        {
            Created = created,
            Config = new ContainerConfig { Cmd = [.. cmd], Env = ["PATH=/bin"] },
            RootFs = new OciRootFs { DiffIds = [.. uncompressedLayers.Select(Sha)] },
        }, SkiffJson.Default.OciImageConfig);

    /// <summary>A docker-archive; layers are stored as given (plain or gzip).</summary>
    public static byte[] DockerArchive(byte[] config, IReadOnlyList<byte[]> storedLayers, params string[] tags)
    {
        var files = new List<(string, byte[])>();
        var configName = Sha(config)[7..] + ".json";
        files.Add((configName, config));
        var layerNames = new List<string>();
        for (var i = 0; i < storedLayers.Count; i++)
        {
            var name = $"{Sha(storedLayers[i])[7..]}/layer.tar";
            layerNames.Add(name);
            files.Add((name, storedLayers[i]));
        }

        var manifest = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(
            new List<DockerArchiveManifestEntry> { new() { Config = configName, RepoTags = [.. tags], Layers = layerNames } },
            SkiffJson.Default.ListDockerArchiveManifestEntry);
        files.Add(("manifest.json", manifest));
        return Tar(files);
    }

    public static byte[] OciLayout(byte[] config, IReadOnlyList<byte[]> gzipLayers, string? containerdName, string? refName)
    {
        var manifest = new OciManifest
        {
            MediaType = "application/vnd.oci.image.manifest.v1+json",
            Config = new OciDescriptor { MediaType = "application/vnd.oci.image.config.v1+json", Digest = Sha(config), Size = config.Length },
            Layers = [.. gzipLayers.Select(l => new OciDescriptor { MediaType = "application/vnd.oci.image.layer.v1.tar+gzip", Digest = Sha(l), Size = l.Length })],
        };
        var manifestBytes = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(manifest, SkiffJson.Default.OciManifest);
        var annotations = new Dictionary<string, string>();
        if (containerdName is not null)
        {
            annotations["io.containerd.image.name"] = containerdName;
        }

        if (refName is not null)
        {
            annotations["org.opencontainers.image.ref.name"] = refName;
        }

        var index = new OciIndex
        {
            MediaType = "application/vnd.oci.image.index.v1+json",
            Manifests = [new OciDescriptor { MediaType = manifest.MediaType, Digest = Sha(manifestBytes), Size = manifestBytes.Length, Annotations = annotations }],
        };
        var files = new List<(string, byte[])>
        {
            ("oci-layout", Encoding.UTF8.GetBytes("{\"imageLayoutVersion\":\"1.0.0\"}")),
            ("index.json", System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(index, SkiffJson.Default.OciIndex)),
            ("blobs/sha256/" + Sha(manifestBytes)[7..], manifestBytes),
            ("blobs/sha256/" + Sha(config)[7..], config),
        };
        files.AddRange(gzipLayers.Select(l => ("blobs/sha256/" + Sha(l)[7..], l)));
        return Tar(files);
    }

    public static byte[] Tar(IEnumerable<(string Name, byte[] Data)> files)
    {
        using var ms = new MemoryStream();
        using (var writer = new TarWriter(ms, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (name, data) in files)
            {
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data), Mode = (UnixFileMode)0b110_100_100 });
            }
        }

        return ms.ToArray();
    }

    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Directory.Build.props")) && Directory.Exists(Path.Combine(dir.FullName, "images")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("repository root (with Directory.Build.props and images/) not found above " + AppContext.BaseDirectory);
    }

    private static readonly Lock BuildLock = new();

    /// <summary>images/out/busybox.tar, built with images/build-busybox.sh when missing.</summary>
    public static string BusyboxTar()
    {
        var root = RepoRoot();
        var tar = Path.Combine(root, "images", "out", "busybox.tar");
        lock (BuildLock)
        {
            if (!File.Exists(tar))
            {
                var (code, output) = Run("bash", Path.Combine(root, "images", "build-busybox.sh"));
                Assert.True(code == 0, "images/build-busybox.sh failed (needs busybox-static installed and root): " + output);
            }
        }

        Assert.True(File.Exists(tar), $"{tar} was not produced by images/build-busybox.sh");
        return tar;
    }

    public static (int Code, string Output) Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    /// <summary>"character special file 0,0" style description via stat(1).</summary>
    public static string FileType(string path)
    {
        var (code, output) = Run("stat", "-c", "%F %t,%T", path);
        Assert.True(code == 0, output);
        return output.Trim();
    }
}

/// <summary>A fresh data root per test, removed afterwards.</summary>
public sealed class TempRoot : IDisposable
{
    public TempRoot()
    {
        Path = Directory.CreateTempSubdirectory("skiff-images-").FullName;
    }

    public string Path { get; }

    public string LayersDir => System.IO.Path.Combine(Path, "image", "layers", "sha256");

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
