using System.Text.Json;
using System.Text.Json.Serialization;
using Skiff.Runtime.Util;

namespace Skiff.Runtime.Build;

/// <summary>
/// The build cache: (parent image id, step cache key) -> the image that step produced. Keyed on the parent's id
/// as well as the plan's key because the plan names a base image only by reference: a re-tagged busybox must miss.
/// Persisted as <c>{data-root}/builder/cache.json</c> (format <see cref="CacheFile.CurrentFormat"/>), rewritten
/// atomically on every change so it survives restarts; entries whose image is gone are treated as misses.
/// </summary>
public sealed class BuildCache
{
    private readonly string _path;
    private readonly Lock _lock = new();
    private readonly CacheFile _file;

    public BuildCache(string dataRoot)
    {
        var dir = Path.Combine(dataRoot, "builder");
        Directory.CreateDirectory(dir);
        _path = Path.Combine(dir, "cache.json");
        _file = Load(_path);
    }

    public static string Key(string? parentId, string stepKey) => (parentId ?? "scratch") + "|" + stepKey;

    /// <summary>The cached result image id, if any (the caller checks the image still exists).</summary>
    public string? Lookup(string? parentId, string stepKey)
    {
        lock (_lock)
        {
            return _file.Entries.GetValueOrDefault(Key(parentId, stepKey));
        }
    }

    public void Store(string? parentId, string stepKey, string imageId)
    {
        lock (_lock)
        {
            _file.Entries[Key(parentId, stepKey)] = imageId;
            AtomicFile.WriteAllBytes(_path, JsonSerializer.SerializeToUtf8Bytes(_file, BuildCacheJson.Default.CacheFile));
        }
    }

    /// <summary>Drops a stale entry (its image was removed).</summary>
    public void Forget(string? parentId, string stepKey)
    {
        lock (_lock)
        {
            if (_file.Entries.Remove(Key(parentId, stepKey)))
            {
                AtomicFile.WriteAllBytes(_path, JsonSerializer.SerializeToUtf8Bytes(_file, BuildCacheJson.Default.CacheFile));
            }
        }
    }

    private static CacheFile Load(string path)
    {
        if (!File.Exists(path))
        {
            return new CacheFile();
        }

        try
        {
            var file = JsonSerializer.Deserialize(File.ReadAllBytes(path), BuildCacheJson.Default.CacheFile);
            // An unknown (newer) format is not guessed at: starting cold only costs rebuilds.
            return file is { FormatVersion: CacheFile.CurrentFormat } ? file : new CacheFile();
        }
        catch (JsonException)
        {
            return new CacheFile();
        }
    }

    /// <summary>On-disk format: fields only grow; <see cref="CurrentFormat"/> changes when meaning does.</summary>
    public sealed class CacheFile
    {
        public const int CurrentFormat = 1;

        public int FormatVersion { get; set; } = CurrentFormat;

        public Dictionary<string, string> Entries { get; set; } = new(StringComparer.Ordinal);
    }
}

[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(BuildCache.CacheFile))]
internal sealed partial class BuildCacheJson : JsonSerializerContext
{
}
