using System.Formats.Tar;
using System.Text.Json;
using Skiff.Api;

namespace Skiff.Runtime.Images;

/// <summary>
/// An image archive spooled to a temp directory: <c>docker save</c> format (manifest.json) or an OCI image
/// layout (oci-layout + index.json). Entries are kept by name so the parts can be read in any order.
/// </summary>
internal sealed class DockerArchive : IDisposable
{
    private readonly string _dir;
    private readonly Dictionary<string, string> _files = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _links = new(StringComparer.Ordinal);

    private DockerArchive(string dir) => _dir = dir;

    /// <summary>One image of the archive: its config bytes, its layer files (maybe gzip) and its tags.</summary>
    public sealed record Entry(byte[] ConfigBytes, IReadOnlyList<string> LayerFiles, IReadOnlyList<string> RepoTags);

    public static async Task<DockerArchive> SpoolAsync(Stream tar, string tempDir, CancellationToken ct)
    {
        Directory.CreateDirectory(tempDir);
        var archive = new DockerArchive(tempDir);
        try
        {
            await using var reader = new TarReader(tar, leaveOpen: true);
            var index = 0;
            while (await reader.GetNextEntryAsync(copyData: false, ct) is { } entry)
            {
                var name = Normalize(entry.Name);
                if (name.Length == 0)
                {
                    continue;
                }

                switch (entry.EntryType)
                {
                    case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                        var path = Path.Combine(tempDir, (index++).ToString());
                        await using (var file = File.Create(path))
                        {
                            if (entry.DataStream is { } data)
                            {
                                await data.CopyToAsync(file, ct);
                            }
                        }

                        archive._files[name] = path;
                        break;
                    case TarEntryType.SymbolicLink:
                        var parent = name.Contains('/') ? name[..name.LastIndexOf('/')] + "/" : "";
                        archive._links[name] = Normalize(entry.LinkName.StartsWith('/') ? entry.LinkName : parent + entry.LinkName);
                        break;
                    case TarEntryType.HardLink:
                        archive._links[name] = Normalize(entry.LinkName);
                        break;
                }
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or FormatException or ArgumentException)
        {
            archive.Dispose();
            throw new BadRequestException($"Error processing tar file: {ex.Message}");
        }
        catch
        {
            archive.Dispose();
            throw;
        }

        return archive;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    /// <summary>The images of the archive, in manifest order.</summary>
    public async Task<IReadOnlyList<Entry>> ReadEntriesAsync(CancellationToken ct)
    {
        if (Find("manifest.json") is { } manifestPath)
        {
            return await ReadDockerAsync(manifestPath, ct);
        }

        if (Find("index.json") is { } indexPath)
        {
            return await ReadOciAsync(indexPath, ct);
        }

        throw new BadRequestException("invalid image archive: neither manifest.json (docker-archive) nor index.json (OCI layout) found");
    }

    private async Task<IReadOnlyList<Entry>> ReadDockerAsync(string manifestPath, CancellationToken ct)
    {
        var manifest = Parse(await File.ReadAllBytesAsync(manifestPath, ct), SkiffJson.Default.ListDockerArchiveManifestEntry, "manifest.json");
        var result = new List<Entry>();
        foreach (var item in manifest)
        {
            var config = Require(item.Config);
            var layers = item.Layers.Select(Require).ToList();
            result.Add(new Entry(await File.ReadAllBytesAsync(config, ct), layers, item.RepoTags ?? []));
        }

        return result;
    }

    private async Task<IReadOnlyList<Entry>> ReadOciAsync(string indexPath, CancellationToken ct)
    {
        var index = Parse(await File.ReadAllBytesAsync(indexPath, ct), SkiffJson.Default.OciIndex, "index.json");
        var result = new List<Entry>();
        foreach (var descriptor in index.Manifests)
        {
            await AddOciAsync(descriptor, TagOf(descriptor), result, ct);
        }

        return result;
    }

    private async Task AddOciAsync(OciDescriptor descriptor, string? tag, List<Entry> result, CancellationToken ct)
    {
        var bytes = await ReadBlobAsync(descriptor.Digest, ct);
        if (descriptor.MediaType is RegistryClient.OciIndexType or RegistryClient.DockerManifestList)
        {
            var nested = Parse(bytes, SkiffJson.Default.OciIndex, descriptor.Digest);
            var pick = nested.Manifests.FirstOrDefault(m => m.Platform is { Os: "linux", Architecture: "amd64" }) ?? nested.Manifests.FirstOrDefault()
                ?? throw new BadRequestException($"invalid OCI layout: empty index {descriptor.Digest}");
            await AddOciAsync(pick, tag ?? TagOf(pick), result, ct);
            return;
        }

        var manifest = Parse(bytes, SkiffJson.Default.OciManifest, descriptor.Digest);
        var config = await ReadBlobAsync(manifest.Config.Digest, ct);
        var layers = new List<string>();
        foreach (var layer in manifest.Layers)
        {
            var path = BlobPath(layer.Digest);
            if (await HashingStream.Sha256FileAsync(path, ct) != layer.Digest)
            {
                throw new BadRequestException($"invalid OCI layout: blob {layer.Digest} does not match its digest");
            }

            layers.Add(path);
        }

        result.Add(new Entry(config, layers, tag is null ? [] : [tag]));
    }

    private static string? TagOf(OciDescriptor descriptor)
    {
        var annotations = descriptor.Annotations;
        if (annotations is null)
        {
            return null;
        }

        if (annotations.TryGetValue("io.containerd.image.name", out var full) && ImageReference.TryParse(full, out var parsed))
        {
            return parsed.FamiliarTagged;
        }

        if (annotations.TryGetValue("org.opencontainers.image.ref.name", out var refName) &&
            (refName.Contains(':') || refName.Contains('/')) && ImageReference.TryParse(refName, out var named))
        {
            return named.FamiliarTagged;
        }

        return null;
    }

    private async Task<byte[]> ReadBlobAsync(string digest, CancellationToken ct)
    {
        var bytes = await File.ReadAllBytesAsync(BlobPath(digest), ct);
        if (HashingStream.Sha256(bytes) != digest)
        {
            throw new BadRequestException($"invalid OCI layout: blob {digest} does not match its digest");
        }

        return bytes;
    }

    private string BlobPath(string digest)
    {
        var colon = digest.IndexOf(':');
        if (colon <= 0)
        {
            throw new BadRequestException($"invalid digest {digest}");
        }

        return Require($"blobs/{digest[..colon]}/{digest[(colon + 1)..]}");
    }

    private string? Find(string name)
    {
        name = Normalize(name);
        for (var i = 0; i < 40 && _links.TryGetValue(name, out var target); i++)
        {
            name = target;
        }

        return _files.GetValueOrDefault(name);
    }

    private string Require(string name) =>
        Find(name) ?? throw new BadRequestException($"invalid image archive: {name} is missing");

    private static T Parse<T>(byte[] bytes, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, string what)
    {
        try
        {
            return JsonSerializer.Deserialize(bytes, type) ?? throw new BadRequestException($"invalid image archive: {what} is empty");
        }
        catch (JsonException ex)
        {
            throw new BadRequestException($"invalid image archive: {what}: {ex.Message}");
        }
    }

    /// <summary>"./a/../b//c" to "b/c".</summary>
    internal static string Normalize(string name)
    {
        var parts = new List<string>();
        foreach (var part in name.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                if (parts.Count > 0)
                {
                    parts.RemoveAt(parts.Count - 1);
                }

                continue;
            }

            parts.Add(part);
        }

        return string.Join('/', parts);
    }
}
