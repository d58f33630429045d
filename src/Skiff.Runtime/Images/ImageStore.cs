using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Skiff.Api;

namespace Skiff.Runtime.Images;

/// <summary>
/// Images on disk under <c>{dataRoot}/image/</c>: extracted layers by diff id (shared between images),
/// config blobs by digest (the image id) and <c>repositories.json</c> for tags and digests. Every write is
/// a temp file or directory renamed into place, so a crash leaves either the old or the new state.
/// </summary>
public sealed class ImageStore : IImageStore
{
    private readonly string _root;
    private readonly string _layersDir;
    private readonly string _configsDir;
    private readonly string _tmpDir;
    private readonly string _repositoriesPath;
    private readonly string _parentsDir;
    private readonly ILogger<ImageStore>? _logger;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, CachedImage> _images = new(StringComparer.Ordinal);

    /// <summary>Child id -> parent id, for images made by <see cref="CommitAsync"/> (<c>image/parents/sha256/&lt;hex&gt;</c>).</summary>
    private readonly Dictionary<string, string> _parents = new(StringComparer.Ordinal);
    private readonly ImageRepositoriesFile _repositories;

    public ImageStore(string dataRoot, ILogger<ImageStore>? logger = null)
    {
        _logger = logger;
        _root = Path.Combine(Path.GetFullPath(dataRoot), "image");
        _layersDir = Path.Combine(_root, "layers", "sha256");
        _configsDir = Path.Combine(_root, "configs", "sha256");
        _tmpDir = Path.Combine(_root, "tmp");
        _repositoriesPath = Path.Combine(_root, "repositories.json");
        _parentsDir = Path.Combine(_root, "parents", "sha256");
        Directory.CreateDirectory(_layersDir);
        Directory.CreateDirectory(_parentsDir);
        Directory.CreateDirectory(_configsDir);
        if (Directory.Exists(_tmpDir))
        {
            // Leftovers of an interrupted load/pull: never part of the state.
            Directory.Delete(_tmpDir, recursive: true);
        }

        Directory.CreateDirectory(_tmpDir);
        _repositories = ReadRepositories();
        foreach (var file in Directory.EnumerateFiles(_configsDir, "*.json"))
        {
            var id = "sha256:" + Path.GetFileNameWithoutExtension(file);
            try
            {
                _images[id] = ParseConfig(File.ReadAllBytes(file), id);
            }
            catch (BadRequestException ex)
            {
                _logger?.LogWarning("ignoring unreadable image config {File}: {Error}", file, ex.Message);
            }
        }

        foreach (var file in Directory.EnumerateFiles(_parentsDir))
        {
            var child = "sha256:" + Path.GetFileName(file);
            var parent = File.ReadAllText(file).Trim();
            if (_images.ContainsKey(child) && _images.ContainsKey(parent))
            {
                _parents[child] = parent;
            }
        }

        // Drop references to images that are gone.
        foreach (var map in new[] { _repositories.Tags, _repositories.Digests })
        {
            foreach (var key in map.Where(kv => !_images.ContainsKey(kv.Value)).Select(kv => kv.Key).ToList())
            {
                map.Remove(key);
            }
        }
    }

    public event Action<ImageEvent>? Changed;

    /// <summary>The root of the image store (<c>{dataRoot}/image</c>).</summary>
    public string StoreDirectory => _root;

    private sealed record CachedImage(string Id, OciImageConfig Config, DateTimeOffset Created);

    // ---------------------------------------------------------------- queries

    public IReadOnlyList<ImageRecord> List()
    {
        lock (_lock)
        {
            return [.. _images.Values.OrderByDescending(i => i.Created).Select(ToRecord)];
        }
    }

    public ImageRecord Resolve(string reference) =>
        TryResolve(reference) ?? throw new NotFoundException($"No such image: {reference}");

    public ImageRecord? TryResolve(string reference)
    {
        lock (_lock)
        {
            var id = ResolveId(reference);
            return id is null ? null : ToRecord(_images[id]);
        }
    }

    public IReadOnlyList<string> LayerDirectories(ImageRecord image) =>
        [.. image.Config.RootFs.DiffIds.Select(d => Path.Combine(LayerDir(d), "root"))];

    private string? ResolveId(string reference)
    {
        if (string.IsNullOrWhiteSpace(reference))
        {
            return null;
        }

        var hex = reference.StartsWith("sha256:", StringComparison.Ordinal) ? reference[7..] : reference;
        if (hex.Length == 64 && IsHex(hex))
        {
            return _images.ContainsKey("sha256:" + hex) ? "sha256:" + hex : null;
        }

        if (ImageReference.TryParse(reference, out var parsed))
        {
            if (parsed.Digest is not null)
            {
                if (_repositories.Digests.TryGetValue(parsed.FamiliarDigested, out var byDigest))
                {
                    return byDigest;
                }

                // name@<config digest> also names the image.
                return _images.ContainsKey(parsed.Digest) ? parsed.Digest : null;
            }

            if (_repositories.Tags.TryGetValue(parsed.FamiliarTagged, out var byTag))
            {
                return byTag;
            }
        }

        // A unique id prefix (Docker accepts short ids, with or without "sha256:").
        if (hex.Length is > 0 and < 64 && IsHex(hex))
        {
            var matches = _images.Keys.Where(k => k.AsSpan(7).StartsWith(hex, StringComparison.Ordinal)).Take(2).ToList();
            if (matches.Count == 1)
            {
                return matches[0];
            }
        }

        return null;
    }

    private static bool IsHex(string s) => s.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));

    private ImageRecord ToRecord(CachedImage image)
    {
        var tags = _repositories.Tags.Where(kv => kv.Value == image.Id).Select(kv => kv.Key).Order(StringComparer.Ordinal).ToList();
        var digests = _repositories.Digests.Where(kv => kv.Value == image.Id).Select(kv => kv.Key).Order(StringComparer.Ordinal).ToList();
        long size = 0;
        foreach (var diffId in image.Config.RootFs.DiffIds)
        {
            size += LayerSize(diffId);
        }

        return new ImageRecord(image.Id, image.Config, tags, digests, image.Created, size) { Parent = _parents.GetValueOrDefault(image.Id) };
    }

    private long LayerSize(string diffId)
    {
        try
        {
            return long.Parse(File.ReadAllText(Path.Combine(LayerDir(diffId), "size")), CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or FormatException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    // ---------------------------------------------------------------- tag / remove

    public void Tag(string sourceReference, string repository, string? tag)
    {
        var target = ImageReference.ParseRepositoryAndTag(repository, tag);
        string id;
        lock (_lock)
        {
            id = ResolveId(sourceReference) ?? throw new NotFoundException($"No such image: {sourceReference}");
            _repositories.Tags[target.FamiliarTagged] = id;
            SaveRepositories();
        }

        Raise("tag", id, target.FamiliarTagged);
    }

    public IReadOnlyList<ImageDeleteResponseItem> Remove(string reference, bool force, bool noPrune, Func<string, bool> isInUse)
    {
        ArgumentNullException.ThrowIfNull(isInUse);
        var events = new List<ImageEvent>();
        var result = new List<ImageDeleteResponseItem>();
        lock (_lock)
        {
            var id = ResolveId(reference) ?? throw new NotFoundException($"No such image: {reference}");
            var shortId = id[7..19];
            var tags = _repositories.Tags.Where(kv => kv.Value == id).Select(kv => kv.Key).ToList();
            var byName = IsNameReference(reference, id, out var parsed);
            if (byName)
            {
                var key = parsed!.Digest is not null && parsed.Tag is null ? parsed.FamiliarDigested : parsed.FamiliarTagged;
                if (!force && tags.Count <= 1 && isInUse(id))
                {
                    throw new ConflictException(
                        $"conflict: unable to remove repository reference \"{reference}\" (must force) - container is using its referenced image {shortId}");
                }

                if (_repositories.Tags.Remove(key) || _repositories.Digests.Remove(key))
                {
                    result.Add(new ImageDeleteResponseItem { Untagged = key });
                    events.Add(new ImageEvent("untag", id, key));
                }

                // Still tagged: done. Digest references alone do not keep an image (Docker drops them too).
                if (_repositories.Tags.ContainsValue(id))
                {
                    SaveRepositories();
                    goto raise;
                }
            }
            else
            {
                if (tags.Count > 1 && !force && tags.Select(t => ImageReference.Parse(t).FamiliarName).Distinct().Count() > 1)
                {
                    throw new ConflictException($"conflict: unable to delete {shortId} (must be forced) - image is referenced in multiple repositories");
                }
            }

            if (isInUse(id))
            {
                // As Docker: the last tag removed by name (forced) leaves the image dangling for its container;
                // by id it needs force.
                if (byName)
                {
                    SaveRepositories();
                    goto raise;
                }

                if (!force)
                {
                    throw new ConflictException($"conflict: unable to delete {shortId} (must be forced) - image is being used by a container");
                }
            }

            foreach (var key in _repositories.Tags.Where(kv => kv.Value == id).Select(kv => kv.Key).Order(StringComparer.Ordinal).ToList())
            {
                _repositories.Tags.Remove(key);
                result.Add(new ImageDeleteResponseItem { Untagged = key });
                events.Add(new ImageEvent("untag", id, key));
            }

            foreach (var key in _repositories.Digests.Where(kv => kv.Value == id).Select(kv => kv.Key).Order(StringComparer.Ordinal).ToList())
            {
                _repositories.Digests.Remove(key);
                result.Add(new ImageDeleteResponseItem { Untagged = key });
            }

            SaveRepositories();
            var deleted = new List<CachedImage>();
            var parent = noPrune ? null : ParentOf(id);
            DeleteImageLocked(id, result, events, deleted);

            // As Docker: untagged parents (a build's intermediate images) that are left without children go too.
            while (parent is not null && _images.ContainsKey(parent) && !_repositories.Tags.ContainsValue(parent)
                   && !_parents.ContainsValue(parent) && !isInUse(parent))
            {
                var next = ParentOf(parent);
                DeleteImageLocked(parent, result, events, deleted);
                parent = next;
            }

            var stillUsed = _images.Values.SelectMany(i => i.Config.RootFs.DiffIds).ToHashSet(StringComparer.Ordinal);
            foreach (var diffId in deleted.SelectMany(i => i.Config.RootFs.DiffIds).Distinct().Where(d => !stillUsed.Contains(d)))
            {
                DeleteLayer(diffId);
            }

        raise:;
        }

        foreach (var e in events)
        {
            Raise(e.Action, e.Id, e.Name);
        }

        return result;
    }

    private string? ParentOf(string id) => _parents.GetValueOrDefault(id);

    /// <summary>Caller holds the lock: forgets the image, its config blob, its digests and its parent link.</summary>
    private void DeleteImageLocked(string id, List<ImageDeleteResponseItem> result, List<ImageEvent> events, List<CachedImage> deleted)
    {
        foreach (var key in _repositories.Digests.Where(kv => kv.Value == id).Select(kv => kv.Key).ToList())
        {
            _repositories.Digests.Remove(key);
        }

        SaveRepositories();
        deleted.Add(_images[id]);
        _images.Remove(id);
        File.Delete(ConfigPath(id));
        if (_parents.Remove(id))
        {
            File.Delete(Path.Combine(_parentsDir, Hex(id)));
        }

        result.Add(new ImageDeleteResponseItem { Deleted = id });
        events.Add(new ImageEvent("delete", id, null));
    }

    /// <summary>True when the reference names a repository (tag or digest) rather than the image id.</summary>
    private static bool IsNameReference(string reference, string id, out ImageReference? parsed)
    {
        parsed = null;
        var hex = reference.StartsWith("sha256:", StringComparison.Ordinal) ? reference[7..] : reference;
        if (IsHex(hex) && id.AsSpan(7).StartsWith(hex, StringComparison.Ordinal))
        {
            return false;
        }

        if (ImageReference.TryParse(reference, out var p))
        {
            parsed = p;
            return true;
        }

        return false;
    }

    private void DeleteLayer(string diffId)
    {
        var dir = LayerDir(diffId);
        if (!Directory.Exists(dir))
        {
            return;
        }

        // Rename first so a crash mid-delete never leaves a half layer under its real name.
        var trash = Path.Combine(_tmpDir, "del-" + Guid.NewGuid().ToString("N"));
        try
        {
            Directory.Move(dir, trash);
            Directory.Delete(trash, recursive: true);
        }
        catch (IOException ex)
        {
            _logger?.LogWarning("could not remove layer {DiffId}: {Error}", diffId, ex.Message);
        }
    }

    // ---------------------------------------------------------------- load / import

    public async Task<IReadOnlyList<string>> LoadAsync(Stream tar, Action<JsonMessage>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(tar);
        using var archive = await DockerArchive.SpoolAsync(tar, NewTempPath("load"), ct);
        var entries = await archive.ReadEntriesAsync(ct);
        var lines = new List<string>();
        foreach (var entry in entries)
        {
            var config = ParseConfig(entry.ConfigBytes, HashingStream.Sha256(entry.ConfigBytes));
            if (config.Config.RootFs.DiffIds.Count != entry.LayerFiles.Count)
            {
                throw new BadRequestException(
                    $"invalid image archive: config lists {config.Config.RootFs.DiffIds.Count} layers, manifest {entry.LayerFiles.Count}");
            }

            for (var i = 0; i < entry.LayerFiles.Count; i++)
            {
                var diffId = config.Config.RootFs.DiffIds[i];
                progress?.Invoke(new JsonMessage { Status = "Loading layer", Id = ShortHex(diffId), ProgressDetail = new ProgressDetail() });
                await using var file = File.OpenRead(entry.LayerFiles[i]);
                await using var layer = LayerExtractor.MaybeDecompress(file);
                await AddLayerAsync(layer, diffId, ct);
            }

            var id = CommitImage(entry.ConfigBytes, config);
            var tags = new List<string>();
            foreach (var tag in entry.RepoTags)
            {
                var parsed = ImageReference.Parse(tag);
                tags.Add(parsed.FamiliarTagged);
            }

            lock (_lock)
            {
                foreach (var tag in tags)
                {
                    _repositories.Tags[tag] = id;
                }

                SaveRepositories();
            }

            if (tags.Count == 0)
            {
                lines.Add($"Loaded image ID: {id}");
                Raise("load", id, null);
            }

            foreach (var tag in tags)
            {
                lines.Add($"Loaded image: {tag}");
                Raise("load", id, tag);
            }
        }

        return lines;
    }

    public async Task<ImageRecord> ImportAsync(Stream rootfsTar, string? repoTag, ContainerConfig? changes, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(rootfsTar);
        var tagged = string.IsNullOrEmpty(repoTag) ? null : ImageReference.Parse(repoTag);
        await using var layer = LayerExtractor.MaybeDecompress(rootfsTar);
        var diffId = await AddLayerAsync(layer, null, ct);
        var now = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
        var config = new OciImageConfig
        {
            Architecture = "amd64",
            Os = "linux",
            Created = now,
            Config = changes ?? new ContainerConfig(),
            RootFs = new OciRootFs { DiffIds = [diffId] },
            History = [new OciHistory { Created = now, Comment = "Imported from -" }],
        };
        var bytes = JsonSerializer.SerializeToUtf8Bytes(config, SkiffJson.Default.OciImageConfig);
        var id = CommitImage(bytes, new CachedImage(HashingStream.Sha256(bytes), config, ParseCreated(now)));
        string? name = null;
        lock (_lock)
        {
            if (tagged is not null)
            {
                name = tagged.FamiliarTagged;
                _repositories.Tags[name] = id;
                SaveRepositories();
            }
        }

        Raise("import", id, name);
        return Resolve(id);
    }

    public async Task<ImageRecord> CommitAsync(ImageCommit commit, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(commit);
        var diffIds = new List<string>();
        if (commit.ParentId is not null)
        {
            diffIds.AddRange(Resolve(commit.ParentId).Config.RootFs.DiffIds);
        }

        foreach (var tar in commit.LayerTars)
        {
            await using var file = File.OpenRead(tar);
            diffIds.Add(await AddLayerAsync(file, null, ct));
        }

        var config = commit.Config;
        config.RootFs = new OciRootFs { DiffIds = diffIds };
        var bytes = JsonSerializer.SerializeToUtf8Bytes(config, SkiffJson.Default.OciImageConfig);
        var id = HashingStream.Sha256(bytes);
        lock (_lock)
        {
            // The parent link is written before the config so that a crash in between cannot leave an image
            // whose parent is forgotten (a stray link to a missing image is dropped at start-up).
            if (commit.ParentId is not null)
            {
                var parentId = ResolveId(commit.ParentId) ?? throw new NotFoundException($"No such image: {commit.ParentId}");
                WriteAtomic(Path.Combine(_parentsDir, Hex(id)), System.Text.Encoding.ASCII.GetBytes(parentId));
                _parents[id] = parentId;
            }
        }

        CommitImage(bytes, new CachedImage(id, config, ParseCreated(config.Created)));
        return Resolve(id);
    }

    /// <summary>Stores the config blob (byte-exact) and registers the image; returns its id.</summary>
    private string CommitImage(byte[] configBytes, CachedImage image)
    {
        var id = HashingStream.Sha256(configBytes);
        var path = ConfigPath(id);
        lock (_lock)
        {
            if (!File.Exists(path))
            {
                WriteAtomic(path, configBytes);
            }

            _images[id] = image with { Id = id };
        }

        return id;
    }

    /// <summary>
    /// Extracts a layer (uncompressed tar stream) into a temp dir and renames it into
    /// <c>layers/sha256/&lt;hex&gt;</c> once its diff id is known (and equals <paramref name="expectedDiffId"/>).
    /// An already present layer is not extracted again.
    /// </summary>
    private async Task<string> AddLayerAsync(Stream tar, string? expectedDiffId, CancellationToken ct)
    {
        if (expectedDiffId is not null && Directory.Exists(LayerDir(expectedDiffId)))
        {
            return expectedDiffId;
        }

        var temp = NewTempPath("layer");
        try
        {
            Directory.CreateDirectory(Path.Combine(temp, "root"));
            LayerExtractor.Result result;
            await using (var copy = new FileStream(Path.Combine(temp, "layer.tar"), FileMode.CreateNew, FileAccess.Write, FileShare.None, 65536))
            {
                result = await LayerExtractor.ExtractAsync(tar, Path.Combine(temp, "root"), copy, _logger, ct);
                copy.Flush(flushToDisk: true);
            }

            if (expectedDiffId is not null && result.DiffId != expectedDiffId)
            {
                throw new BadRequestException($"layer diff id mismatch: expected {expectedDiffId}, got {result.DiffId}");
            }

            await File.WriteAllTextAsync(Path.Combine(temp, "size"), result.Size.ToString(CultureInfo.InvariantCulture), ct);
            var target = LayerDir(result.DiffId);
            try
            {
                Directory.Move(temp, target);
            }
            catch (IOException) when (Directory.Exists(target))
            {
                // Someone else extracted the same layer meanwhile: theirs is as good as ours.
                Directory.Delete(temp, recursive: true);
            }

            return result.DiffId;
        }
        catch
        {
            if (Directory.Exists(temp))
            {
                Directory.Delete(temp, recursive: true);
            }

            throw;
        }
    }

    // ---------------------------------------------------------------- pull

    public async Task PullAsync(string reference, Action<JsonMessage> progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(progress);
        var parsed = ImageReference.Parse(reference);
        if (parsed.Tag is null && parsed.Digest is null)
        {
            parsed = parsed with { Tag = ImageReference.DefaultTag };
        }

        var tagOrDigest = parsed.Digest ?? parsed.Tag!;
        using var client = new RegistryClient(parsed);
        // As dockerd: nothing is written before the manifest is found, so an unknown image or registry is an HTTP
        // error status (the docker CLI's "Error response from daemon"), not an in-band error after a first line.
        var top = await client.GetManifestAsync(tagOrDigest, push: false, ct);
        progress(new JsonMessage { Status = $"Pulling from {parsed.Path}", Id = tagOrDigest });
        var manifestBytes = top.Bytes;
        var mediaType = top.MediaType;
        if (IsIndex(mediaType, manifestBytes))
        {
            var index = Deserialize(manifestBytes, SkiffJson.Default.OciIndex, "manifest list");
            var pick = index.Manifests.FirstOrDefault(m => m.Platform is { Os: "linux", Architecture: "amd64" })
                ?? throw new NotFoundException($"no matching manifest for linux/amd64 in the manifest list entries");
            var platformManifest = await client.GetManifestAsync(pick.Digest, push: false, ct);
            manifestBytes = platformManifest.Bytes;
        }

        var manifest = Deserialize(manifestBytes, SkiffJson.Default.OciManifest, "manifest");
        using var configStream = new MemoryStream();
        await client.DownloadBlobAsync(manifest.Config.Digest, configStream, null, ct);
        var configBytes = configStream.ToArray();
        var image = ParseConfig(configBytes, manifest.Config.Digest);
        var diffIds = image.Config.RootFs.DiffIds;
        if (diffIds.Count != manifest.Layers.Count)
        {
            throw new SkiffException(500, $"manifest has {manifest.Layers.Count} layers but the config {diffIds.Count} diff ids");
        }

        var todo = new List<int>();
        for (var i = 0; i < manifest.Layers.Count; i++)
        {
            var id = ShortHex(manifest.Layers[i].Digest);
            if (Directory.Exists(LayerDir(diffIds[i])))
            {
                progress(new JsonMessage { Status = "Already exists", Id = id, ProgressDetail = new ProgressDetail() });
            }
            else
            {
                progress(new JsonMessage { Status = "Pulling fs layer", Id = id, ProgressDetail = new ProgressDetail() });
                todo.Add(i);
            }
        }

        foreach (var i in todo)
        {
            var layer = manifest.Layers[i];
            var id = ShortHex(layer.Digest);
            var blob = NewTempPath("blob");
            try
            {
                await using (var file = new FileStream(blob, FileMode.CreateNew, FileAccess.Write))
                {
                    await client.DownloadBlobAsync(layer.Digest, file, (current, total) => progress(new JsonMessage
                    {
                        Status = "Downloading",
                        Id = id,
                        Progress = ProgressBar(current, total ?? layer.Size),
                        ProgressDetail = new ProgressDetail { Current = current, Total = total ?? layer.Size },
                    }), ct);
                }

                progress(new JsonMessage { Status = "Verifying Checksum", Id = id, ProgressDetail = new ProgressDetail() });
                progress(new JsonMessage { Status = "Download complete", Id = id, ProgressDetail = new ProgressDetail() });
                progress(new JsonMessage { Status = "Extracting", Id = id, ProgressDetail = new ProgressDetail { Current = layer.Size, Total = layer.Size } });
                await using (var file = File.OpenRead(blob))
                await using (var tar = LayerExtractor.MaybeDecompress(file))
                {
                    await AddLayerAsync(tar, diffIds[i], ct);
                }

                progress(new JsonMessage { Status = "Pull complete", Id = id, ProgressDetail = new ProgressDetail() });
            }
            finally
            {
                File.Delete(blob);
            }
        }

        bool upToDate;
        string imageId;
        lock (_lock)
        {
            upToDate = _images.ContainsKey(image.Id) && (parsed.Tag is null || _repositories.Tags.GetValueOrDefault(parsed.FamiliarTagged) == image.Id);
        }

        imageId = CommitImage(configBytes, image);
        lock (_lock)
        {
            if (parsed.Tag is not null)
            {
                _repositories.Tags[parsed.FamiliarTagged] = imageId;
            }

            _repositories.Digests[parsed.FamiliarName + "@" + top.Digest] = imageId;
            SaveRepositories();
        }

        progress(new JsonMessage { Status = $"Digest: {top.Digest}" });
        progress(new JsonMessage
        {
            Status = upToDate ? $"Status: Image is up to date for {parsed}" : $"Status: Downloaded newer image for {parsed}",
        });
        Raise("pull", imageId, parsed.ToString());
    }

    private static bool IsIndex(string mediaType, byte[] bytes)
    {
        if (mediaType is RegistryClient.OciIndexType or RegistryClient.DockerManifestList)
        {
            return true;
        }

        if (mediaType is RegistryClient.OciManifestType or RegistryClient.DockerManifest)
        {
            return false;
        }

        // No or a generic content type: an index has "manifests", a manifest has "layers".
        using var doc = JsonDocument.Parse(bytes);
        return doc.RootElement.TryGetProperty("manifests", out _);
    }

    // ---------------------------------------------------------------- push

    public async Task PushAsync(string reference, Action<JsonMessage> progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(progress);
        var parsed = ImageReference.Parse(reference);
        if (parsed.Digest is not null)
        {
            throw new BadRequestException("cannot push a digest reference");
        }

        List<string> tags;
        lock (_lock)
        {
            tags = parsed.Tag is not null
                ? [parsed.Tag]
                : [.. _repositories.Tags.Keys.Select(ImageReference.Parse).Where(r => r.FullName == parsed.FullName).Select(r => r.EffectiveTag).Order(StringComparer.Ordinal)];
        }

        if (tags.Count == 0 || (parsed.Tag is not null && TryResolve(parsed.FamiliarTagged) is null))
        {
            throw new NotFoundException($"An image does not exist locally with the tag: {parsed.FamiliarName}");
        }

        progress(new JsonMessage { Status = $"The push refers to repository [{parsed.FullName}]" });
        using var client = new RegistryClient(parsed);
        foreach (var tag in tags)
        {
            var tagged = parsed with { Tag = tag };
            var image = Resolve(tagged.FamiliarTagged);
            var diffIds = image.Config.RootFs.DiffIds;
            for (var i = diffIds.Count - 1; i >= 0; i--)
            {
                progress(new JsonMessage { Status = "Preparing", Id = ShortHex(diffIds[i]), ProgressDetail = new ProgressDetail() });
            }

            var layers = new OciDescriptor[diffIds.Count];
            for (var i = diffIds.Count - 1; i >= 0; i--)
            {
                var id = ShortHex(diffIds[i]);
                var (blobPath, digest, size) = await CompressedLayerAsync(diffIds[i], ct);
                layers[i] = new OciDescriptor { MediaType = RegistryClient.DockerLayerGzip, Digest = digest, Size = size };
                if (await client.BlobExistsAsync(digest, ct))
                {
                    progress(new JsonMessage { Status = "Layer already exists", Id = id, ProgressDetail = new ProgressDetail() });
                    continue;
                }

                progress(new JsonMessage
                {
                    Status = "Pushing",
                    Id = id,
                    Progress = ProgressBar(0, size),
                    ProgressDetail = new ProgressDetail { Current = 0, Total = size },
                });
                await client.UploadBlobAsync(digest, () => File.OpenRead(blobPath), size, ct);
                progress(new JsonMessage { Status = "Pushed", Id = id, ProgressDetail = new ProgressDetail() });
            }

            var configBytes = await File.ReadAllBytesAsync(ConfigPath(image.Id), ct);
            if (!await client.BlobExistsAsync(image.Id, ct))
            {
                await client.UploadBlobAsync(image.Id, () => new MemoryStream(configBytes, writable: false), configBytes.Length, ct);
            }

            var manifest = new OciManifest
            {
                SchemaVersion = 2,
                MediaType = RegistryClient.DockerManifest,
                Config = new OciDescriptor { MediaType = RegistryClient.DockerConfig, Digest = image.Id, Size = configBytes.Length },
                Layers = [.. layers],
            };
            var manifestBytes = JsonSerializer.SerializeToUtf8Bytes(manifest, SkiffJson.Default.OciManifest);
            await client.PutManifestAsync(tag, manifestBytes, RegistryClient.DockerManifest, ct);
            var manifestDigest = HashingStream.Sha256(manifestBytes);
            lock (_lock)
            {
                _repositories.Digests[tagged.FamiliarName + "@" + manifestDigest] = image.Id;
                SaveRepositories();
            }

            progress(new JsonMessage { Status = $"{tag}: digest: {manifestDigest} size: {manifestBytes.Length}" });
            progress(new JsonMessage
            {
                ProgressDetail = new ProgressDetail(),
                Aux = new Dictionary<string, string>
                {
                    ["Tag"] = tag,
                    ["Digest"] = manifestDigest,
                    ["Size"] = manifestBytes.Length.ToString(CultureInfo.InvariantCulture),
                },
            });
            Raise("push", image.Id, tagged.FamiliarTagged);
        }
    }

    /// <summary>The layer's gzip blob, made once and cached next to layer.tar so its digest stays stable.</summary>
    private async Task<(string Path, string Digest, long Size)> CompressedLayerAsync(string diffId, CancellationToken ct)
    {
        var dir = LayerDir(diffId);
        var gz = Path.Combine(dir, "layer.tar.gz");
        var digestFile = Path.Combine(dir, "layer.tar.gz.digest");
        if (File.Exists(gz) && File.Exists(digestFile))
        {
            return (gz, (await File.ReadAllTextAsync(digestFile, ct)).Trim(), new FileInfo(gz).Length);
        }

        var tarPath = Path.Combine(dir, "layer.tar");
        if (!File.Exists(tarPath))
        {
            throw new SkiffException(500, $"layer {diffId} has no layer.tar to push");
        }

        var temp = gz + ".tmp-" + Guid.NewGuid().ToString("N");
        try
        {
            await using (var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                await using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
                await using (var input = File.OpenRead(tarPath))
                {
                    await input.CopyToAsync(gzip, ct);
                }

                output.Flush(flushToDisk: true);
            }

            var digest = await HashingStream.Sha256FileAsync(temp, ct);
            WriteAtomic(digestFile, System.Text.Encoding.ASCII.GetBytes(digest));
            File.Move(temp, gz, overwrite: true);
            return (gz, digest, new FileInfo(gz).Length);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    // ---------------------------------------------------------------- helpers

    private static string Hex(string digest) =>
        digest.StartsWith("sha256:", StringComparison.Ordinal) && digest.Length == 71 && IsHex(digest[7..])
            ? digest[7..]
            : throw new BadRequestException($"invalid digest {digest}");

    private static string ShortHex(string digest) => Hex(digest)[..12];

    private string LayerDir(string diffId) => Path.Combine(_layersDir, Hex(diffId));

    private string ConfigPath(string id) => Path.Combine(_configsDir, Hex(id) + ".json");

    private string NewTempPath(string kind) => Path.Combine(_tmpDir, kind + "-" + Guid.NewGuid().ToString("N"));

    private static CachedImage ParseConfig(byte[] bytes, string id)
    {
        var config = Deserialize(bytes, SkiffJson.Default.OciImageConfig, "image config");
        return new CachedImage(id, config, ParseCreated(config.Created));
    }

    private static DateTimeOffset ParseCreated(string? created) =>
        DateTimeOffset.TryParse(created, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value) ? value : DateTimeOffset.UnixEpoch;

    private static T Deserialize<T>(byte[] bytes, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, string what)
    {
        try
        {
            return JsonSerializer.Deserialize(bytes, type) ?? throw new BadRequestException($"invalid {what}: empty");
        }
        catch (JsonException ex)
        {
            throw new BadRequestException($"invalid {what}: {ex.Message}");
        }
    }

    private static string ProgressBar(long current, long total)
    {
        const int width = 50;
        var filled = total > 0 ? (int)Math.Min(width, current * width / total) : 0;
        var bar = new string('=', Math.Max(0, filled - 1)) + (filled > 0 ? ">" : "") + new string(' ', width - filled);
        return $"[{bar}] {HumanSize(current)}/{HumanSize(total)}";
    }

    private static string HumanSize(long bytes)
    {
        string[] units = ["B", "kB", "MB", "GB", "TB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1000 && unit < units.Length - 1)
        {
            value /= 1000;
            unit++;
        }

        return value.ToString(unit == 0 ? "0" : "0.###", CultureInfo.InvariantCulture) + units[unit];
    }

    private ImageRepositoriesFile ReadRepositories()
    {
        if (!File.Exists(_repositoriesPath))
        {
            return new ImageRepositoriesFile();
        }

        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(_repositoriesPath), SkiffJson.Default.ImageRepositoriesFile) ?? new ImageRepositoriesFile();
        }
        catch (JsonException ex)
        {
            _logger?.LogError("repositories.json is unreadable, starting without tags: {Error}", ex.Message);
            return new ImageRepositoriesFile();
        }
    }

    /// <summary>Caller holds the lock.</summary>
    private void SaveRepositories() =>
        WriteAtomic(_repositoriesPath, JsonSerializer.SerializeToUtf8Bytes(_repositories, SkiffJson.Default.ImageRepositoriesFile));

    private static void WriteAtomic(string path, byte[] bytes)
    {
        var temp = path + ".tmp-" + Guid.NewGuid().ToString("N");
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                file.Write(bytes);
                file.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private void Raise(string action, string id, string? name)
    {
        try
        {
            Changed?.Invoke(new ImageEvent(action, id, name));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _logger?.LogWarning("image event handler failed: {Error}", ex.Message);
        }
    }
}
