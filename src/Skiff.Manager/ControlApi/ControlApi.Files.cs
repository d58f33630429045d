using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Skiff.Api;
using Skiff.Manager.Security;
using Skiff.State;

namespace Skiff.Manager.ControlApi;

/// <summary>
/// Secrets and configs (swarmkit <c>controlapi/secret.go</c> and <c>config.go</c>): created, listed, inspected,
/// relabelled and removed through the Raft store, referenced by services, and handed by the dispatcher to the
/// nodes that run those services' tasks. Both are immutable apart from their labels, as in Docker; reads return a
/// config's data but never a secret's.
/// </summary>
public sealed partial class ControlApi
{
    /// <summary>swarmkit's limits: a secret under 500 KiB, a config under 1000 KiB.</summary>
    public const int MaxSecretSize = 500 * 1024;

    public const int MaxConfigSize = 1000 * 1024;

    private static readonly FileKind<Secret> SecretKind = new(
        "secret", MaxSecretSize, ReturnsData: false,
        s => s.Spec.Name, s => s.Spec.Labels, s => s.Spec.Data,
        (id, name, labels, data) => new Secret { Id = id, Spec = new SecretSpec { Name = name, Labels = labels, Data = data } },
        (s, labels) => s with { Spec = s.Spec with { Labels = labels } },
        cs => (cs.Secrets ?? []).Select(r => r.SecretID));

    private static readonly FileKind<Config> ConfigKind = new(
        "config", MaxConfigSize, ReturnsData: true,
        c => c.Spec.Name, c => c.Spec.Labels, c => c.Spec.Data,
        (id, name, labels, data) => new Config { Id = id, Spec = new ConfigSpec { Name = name, Labels = labels, Data = data } },
        (c, labels) => c with { Spec = c.Spec with { Labels = labels } },
        cs => (cs.Configs ?? []).Select(r => r.ConfigID));

    /// <summary>The secrets of the swarm.</summary>
    public ISwarmFiles Secrets => new FileObjects<Secret>(this, SecretKind);

    /// <summary>The configs of the swarm.</summary>
    public ISwarmFiles Configs => new FileObjects<Config>(this, ConfigKind);

    private sealed class FileObjects<T>(ControlApi api, FileKind<T> kind) : ISwarmFiles
        where T : class, IStoreObject<T>
    {
        public Task<string> CreateAsync(SwarmFileSpecWire spec, CancellationToken ct) => api.CreateFileAsync(kind, spec, ct);

        public IReadOnlyList<SwarmFileWire> List(Dictionary<string, Dictionary<string, bool>> filters) => api.ListFiles(kind, filters);

        public SwarmFileWire Inspect(string idOrName) => FileWire(kind, api.Store.View(tx => ResolveFile(tx, kind, idOrName)));

        public Task UpdateAsync(string idOrName, ulong version, SwarmFileSpecWire spec, CancellationToken ct) =>
            api.UpdateFileAsync(kind, idOrName, version, spec, ct);

        public Task RemoveAsync(string idOrName, CancellationToken ct) => api.RemoveFileAsync(kind, idOrName, ct);
    }

    /// <summary>The names Docker accepts for secrets and configs (swarmkit's <c>isValidConfigOrSecretName</c>).</summary>
    public static bool IsValidFileName(string name) => name.Length <= 64 && ValidFileName().IsMatch(name);

    [GeneratedRegex("^[a-zA-Z0-9]+(?:[a-zA-Z0-9-_.]*[a-zA-Z0-9])?$")]
    private static partial Regex ValidFileName();

    private sealed record FileKind<T>(
        string Noun,
        int MaxSize,
        bool ReturnsData,
        Func<T, string> Name,
        Func<T, ImmutableSortedDictionary<string, string>> Labels,
        Func<T, ImmutableArray<byte>> Data,
        Func<string, string, ImmutableSortedDictionary<string, string>, ImmutableArray<byte>, T> Make,
        Func<T, ImmutableSortedDictionary<string, string>, T> WithLabels,
        Func<ContainerSpecWire, IEnumerable<string>> ReferencedIds)
        where T : class, IStoreObject<T>;

    private async Task<string> CreateFileAsync<T>(FileKind<T> kind, SwarmFileSpecWire spec, CancellationToken ct)
        where T : class, IStoreObject<T>
    {
        ArgumentNullException.ThrowIfNull(spec);
        ValidateFileSpec(kind, spec);
        var id = SwarmIds.New();
        await WriteAsync(tx =>
        {
            if (tx.All<T>().Any(o => string.Equals(kind.Name(o), spec.Name, StringComparison.OrdinalIgnoreCase)))
            {
                throw new ConflictException($"rpc error: code = AlreadyExists desc = {kind.Noun} {spec.Name} already exists");
            }

            tx.Create(kind.Make(id, spec.Name, Labels(spec.Labels), [.. spec.Data!]));
        }, ct);
        return id;
    }

    private IReadOnlyList<SwarmFileWire> ListFiles<T>(FileKind<T> kind, Dictionary<string, Dictionary<string, bool>> filters)
        where T : class, IStoreObject<T>
    {
        // dockerd maps "name" to name prefixes and "names" to exact names (daemon/cluster/filters.go).
        var f = new FilterSet(filters, "id", "label", "name", "names");
        return Store.View(tx => tx.All<T>().ToList())
            .Where(o => f.Prefix("id", o.Id) && f.Prefix("name", kind.Name(o)) && f.Labels("label", kind.Labels(o))
                && (!f.Has("names") || f.Values("names").Contains(kind.Name(o), StringComparer.Ordinal)))
            .OrderBy(o => kind.Name(o), StringComparer.Ordinal)
            .Select(o => FileWire(kind, o))
            .ToList();
    }

    private async Task UpdateFileAsync<T>(FileKind<T> kind, string idOrName, ulong version, SwarmFileSpecWire spec, CancellationToken ct)
        where T : class, IStoreObject<T>
    {
        ArgumentNullException.ThrowIfNull(spec);
        await WriteAsync(tx =>
        {
            var current = ResolveFile(tx, kind, idOrName);
            // Only labels may change (moby#35803); the same name and data (what `docker stack deploy` sends again) is fine.
            if (!string.Equals(spec.Name, kind.Name(current), StringComparison.Ordinal)
                || (spec.Data is not null && !spec.Data.AsSpan().SequenceEqual(kind.Data(current).AsSpan())))
            {
                throw SpecDefaults.Invalid("only updates to Labels are allowed");
            }

            var updated = kind.WithLabels(current, Labels(spec.Labels));
            tx.Update((T)updated.WithMeta(current.Meta with { Version = version }));
        }, ct);
    }

    private async Task RemoveFileAsync<T>(FileKind<T> kind, string idOrName, CancellationToken ct)
        where T : class, IStoreObject<T>
    {
        await WriteAsync(tx =>
        {
            var file = ResolveFile(tx, kind, idOrName);
            var users = tx.All<Service>()
                .Where(s => s.Spec.TaskTemplate.ContainerSpec is { } cs && kind.ReferencedIds(cs).Contains(file.Id, StringComparer.Ordinal))
                .Select(s => s.Spec.Name)
                .Order(StringComparer.Ordinal)
                .ToList();
            if (users.Count > 0)
            {
                throw SpecDefaults.Invalid($"{kind.Noun} '{kind.Name(file)}' is in use by the following service{(users.Count > 1 ? "s" : "")}: {string.Join(", ", users)}");
            }

            tx.Delete<T>(file.Id);
        }, ct);
    }

    private static void ValidateFileSpec<T>(FileKind<T> kind, SwarmFileSpecWire spec)
        where T : class, IStoreObject<T>
    {
        if (string.IsNullOrEmpty(spec.Name))
        {
            throw SpecDefaults.Invalid("name must be provided");
        }

        if (!IsValidFileName(spec.Name))
        {
            throw SpecDefaults.Invalid("invalid name, only 64 [a-zA-Z0-9-_.] characters allowed, and the start and end character must be [a-zA-Z0-9]");
        }

        if (spec.Driver is { ValueKind: System.Text.Json.JsonValueKind.Object })
        {
            throw SpecDefaults.Invalid($"{kind.Noun} drivers are not supported by skiffd: the data is stored in the swarm's Raft log");
        }

        if (spec.Templating is { ValueKind: System.Text.Json.JsonValueKind.Object })
        {
            throw SpecDefaults.Invalid($"{kind.Noun} templating is not supported by skiffd");
        }

        if (spec.Data is null || spec.Data.Length < 1 || spec.Data.Length >= kind.MaxSize)
        {
            throw SpecDefaults.Invalid($"{kind.Noun} data must be larger than 0 and less than {kind.MaxSize} bytes");
        }
    }

    /// <summary>By id, exact name or unique id prefix; 404 with dockerd's text (<c>secret x not found</c>).</summary>
    private static T ResolveFile<T>(ReadTx tx, FileKind<T> kind, string idOrName)
        where T : class, IStoreObject<T> =>
        Resolve(tx, idOrName, tx.All<T>(), kind.Name, kind.Noun);

    private static SwarmFileWire FileWire<T>(FileKind<T> kind, T o)
        where T : class, IStoreObject<T> => new()
        {
            ID = o.Id,
            Version = new ObjectVersion { Index = o.Meta.Version },
            CreatedAt = Rfc3339.Format(o.Meta.CreatedAt),
            UpdatedAt = Rfc3339.Format(o.Meta.UpdatedAt),
            Spec = new SwarmFileSpecWire
            {
                Name = kind.Name(o),
                Labels = kind.Labels(o).ToDictionary(StringComparer.Ordinal),
                Data = kind.ReturnsData ? [.. kind.Data(o)] : null,
            },
        };

    private static ImmutableSortedDictionary<string, string> Labels(Dictionary<string, string>? labels) =>
        (labels ?? []).ToImmutableSortedDictionary(StringComparer.Ordinal);

    /// <summary>
    /// A service's secret and config references checked and completed (swarmkit's <c>validateSecretRefsSpec</c> and
    /// <c>checkSecretExistence</c>): each names an existing object (by id, or by name where the id is missing, as a
    /// convenience over Docker), has a file target, and no two write the same target.
    /// </summary>
    private static void ResolveFileRefs(ReadTx tx, ServiceSpecWire spec)
    {
        if (spec.TaskTemplate.ContainerSpec is not { } cs)
        {
            return;
        }

        if ((cs.Secrets ?? []).Any(r => r is null) || (cs.Configs ?? []).Any(r => r is null))
        {
            throw SpecDefaults.Invalid("malformed secret or config reference: null");
        }

        var targets = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var r in cs.Secrets ?? [])
        {
            var secret = FindReferenced(tx, SecretKind, r.SecretID, r.SecretName);
            r.SecretID = secret.Id;
            r.SecretName = secret.Spec.Name;
            CheckTarget(targets, "secret", r.File, r.SecretName, SwarmFilePaths.Secret);
        }

        foreach (var r in cs.Configs ?? [])
        {
            if (r.Runtime is { ValueKind: System.Text.Json.JsonValueKind.Object })
            {
                throw SpecDefaults.Invalid($"config {r.ConfigName}: runtime targets (credential specs) are for Windows; use a file target");
            }

            var config = FindReferenced(tx, ConfigKind, r.ConfigID, r.ConfigName);
            r.ConfigID = config.Id;
            r.ConfigName = config.Spec.Name;
            CheckTarget(targets, "config", r.File, r.ConfigName, SwarmFilePaths.Config);
        }
    }

    private static T FindReferenced<T>(ReadTx tx, FileKind<T> kind, string id, string name)
        where T : class, IStoreObject<T>
    {
        if (string.IsNullOrEmpty(id) && string.IsNullOrEmpty(name))
        {
            throw SpecDefaults.Invalid($"malformed {kind.Noun} reference");
        }

        var found = (string.IsNullOrEmpty(id) ? null : tx.Get<T>(id))
            ?? (string.IsNullOrEmpty(id) ? tx.All<T>().FirstOrDefault(o => string.Equals(kind.Name(o), name, StringComparison.Ordinal)) : null)
            ?? throw SpecDefaults.Invalid($"{kind.Noun} not found: {(string.IsNullOrEmpty(name) ? id : name)}");
        if (!string.IsNullOrEmpty(name) && !string.Equals(kind.Name(found), name, StringComparison.Ordinal))
        {
            throw SpecDefaults.Invalid($"{kind.Noun} reference {found.Id} names {name}, but that {kind.Noun} is called {kind.Name(found)}");
        }

        return found;
    }

    private static void CheckTarget(Dictionary<string, string> targets, string noun, SecretFileTarget? file, string name, Func<string, string> path)
    {
        if (file is null || string.IsNullOrEmpty(file.Name))
        {
            throw SpecDefaults.Invalid($"malformed {noun} reference, no target provided for {name}");
        }

        foreach (var (id, text) in new[] { ("UID", file.UID), ("GID", file.GID) })
        {
            if (!uint.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _))
            {
                throw SpecDefaults.Invalid($"{noun} {name}: {id} must be a number, got '{text}'");
            }
        }

        var full = path(file.Name);
        if (full.Split('/').Any(part => part == ".."))
        {
            throw SpecDefaults.Invalid($"{noun} {name}: target {file.Name} must not contain '..'");
        }

        if (!targets.TryAdd(full, name))
        {
            throw SpecDefaults.Invalid($"{noun} references '{targets[full]}' and '{name}' have a conflicting target: '{file.Name}'");
        }
    }
}

/// <summary>Secrets or configs: the same five operations (Docker's API has the same routes for both).</summary>
public interface ISwarmFiles
{
    Task<string> CreateAsync(SwarmFileSpecWire spec, CancellationToken ct);

    IReadOnlyList<SwarmFileWire> List(Dictionary<string, Dictionary<string, bool>> filters);

    /// <summary>By id, exact name or unique id prefix; 404 with dockerd's text (<c>secret x not found</c>).</summary>
    SwarmFileWire Inspect(string idOrName);

    /// <summary>Labels only; a changed name or data is refused (<c>only updates to Labels are allowed</c>).</summary>
    Task UpdateAsync(string idOrName, ulong version, SwarmFileSpecWire spec, CancellationToken ct);

    /// <summary>Refused while a service references it.</summary>
    Task RemoveAsync(string idOrName, CancellationToken ct);
}

/// <summary>Where the file of a secret or config appears in a task's container (Docker's rules on Linux).</summary>
public static class SwarmFilePaths
{
    /// <summary>A relative target goes under <c>/run/secrets</c>.</summary>
    public static string Secret(string target) => target.StartsWith('/') ? target : "/run/secrets/" + target;

    /// <summary>A relative target goes under <c>/</c>.</summary>
    public static string Config(string target) => target.StartsWith('/') ? target : "/" + target;
}
