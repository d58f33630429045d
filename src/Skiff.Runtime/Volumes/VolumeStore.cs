using System.Text.Json;
using System.Text.RegularExpressions;
using Skiff.Api;
using Skiff.Runtime.Events;
using Skiff.Runtime.Util;

namespace Skiff.Runtime.Volumes;

/// <summary>
/// Local named volumes: <c>{data-root}/volumes/{name}/_data</c> plus <c>meta.json</c> (labels, options, created).
/// </summary>
public sealed partial class VolumeStore
{
    private readonly string _root;
    private readonly EventBus _events;
    private readonly Lock _gate = new();

    public VolumeStore(string dataRoot, EventBus events)
    {
        _root = Path.Combine(dataRoot, "volumes");
        _events = events;
        Directory.CreateDirectory(_root);
    }

    [GeneratedRegex("^[a-zA-Z0-9][a-zA-Z0-9_.-]+$")]
    private static partial Regex ValidName();

    public VolumeResource Create(string? name, IDictionary<string, string>? labels, IDictionary<string, string>? options, string? driver, bool anonymous = false)
    {
        if (!string.IsNullOrEmpty(driver) && driver != "local")
        {
            throw new NotFoundException($"plugin \"{driver}\" not found");
        }

        if (options is { Count: > 0 })
        {
            throw new BadRequestException($"volume driver options are not supported by skiff's local driver: {string.Join(", ", options.Keys)}");
        }

        name = string.IsNullOrEmpty(name) ? Ids.NewHexId() : name;
        if (!ValidName().IsMatch(name))
        {
            throw new BadRequestException($"create {name}: \"{name}\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path");
        }

        lock (_gate)
        {
            var dir = Path.Combine(_root, name);
            if (Directory.Exists(dir))
            {
                return Inspect(name);
            }

            Directory.CreateDirectory(Path.Combine(dir, "_data"));
            var meta = new Dictionary<string, string>
            {
                ["CreatedAt"] = Rfc3339.Format(DateTimeOffset.UtcNow),
            };
            var lbl = new Dictionary<string, string>(labels ?? new Dictionary<string, string>());
            if (anonymous)
            {
                lbl["com.docker.volume.anonymous"] = "";
            }

            AtomicFile.WriteAllText(Path.Combine(dir, "meta.json"), JsonSerializer.Serialize(meta, SkiffJson.Default.DictionaryStringString));
            AtomicFile.WriteAllText(Path.Combine(dir, "labels.json"), JsonSerializer.Serialize(lbl, SkiffJson.Default.DictionaryStringString));
        }

        _events.Publish("volume", "create", name, new Dictionary<string, string> { ["driver"] = "local" });
        return Inspect(name);
    }

    public bool Exists(string name) => Directory.Exists(Path.Combine(_root, name)) && File.Exists(Path.Combine(_root, name, "meta.json"));

    public VolumeResource Inspect(string name)
    {
        var dir = Path.Combine(_root, name);
        if (!ValidNameOrId(name) || !File.Exists(Path.Combine(dir, "meta.json")))
        {
            throw new NotFoundException($"get {name}: no such volume");
        }

        var meta = JsonSerializer.Deserialize(File.ReadAllText(Path.Combine(dir, "meta.json")), SkiffJson.Default.DictionaryStringString) ?? [];
        var labels = File.Exists(Path.Combine(dir, "labels.json"))
            ? JsonSerializer.Deserialize(File.ReadAllText(Path.Combine(dir, "labels.json")), SkiffJson.Default.DictionaryStringString) ?? []
            : [];
        return new VolumeResource
        {
            Name = name,
            Driver = "local",
            Mountpoint = Path.Combine(dir, "_data"),
            CreatedAt = meta.GetValueOrDefault("CreatedAt", ""),
            Labels = labels,
            Scope = "local",
        };
    }

    public string MountPoint(string name) => Path.Combine(_root, name, "_data");

    public IReadOnlyList<VolumeResource> List()
    {
        var list = new List<VolumeResource>();
        foreach (var d in Directory.EnumerateDirectories(_root))
        {
            var n = Path.GetFileName(d);
            if (File.Exists(Path.Combine(d, "meta.json")))
            {
                list.Add(Inspect(n));
            }
        }

        return list.OrderBy(v => v.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>Removes a volume; <paramref name="usedBy"/> names the containers using it (409 if any).</summary>
    public void Remove(string name, bool force, IReadOnlyList<string> usedBy)
    {
        if (!Exists(name))
        {
            if (force)
            {
                return;
            }

            throw new NotFoundException($"get {name}: no such volume");
        }

        if (usedBy.Count > 0)
        {
            throw new ConflictException($"remove {name}: volume is in use - [{string.Join(", ", usedBy)}]");
        }

        lock (_gate)
        {
            Directory.Delete(Path.Combine(_root, name), recursive: true);
        }

        _events.Publish("volume", "destroy", name, new Dictionary<string, string> { ["driver"] = "local" });
    }

    private static bool ValidNameOrId(string name) => name.Length > 0 && !name.Contains('/', StringComparison.Ordinal) && name != "." && name != "..";
}
