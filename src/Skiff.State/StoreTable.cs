using System.Collections.Immutable;

namespace Skiff.State;

/// <summary>A secondary index: one key per object (or none), unique or not.</summary>
internal sealed record IndexDef(string Name, Func<IStoreObject, string?> Key, bool Unique);

/// <summary>
/// One immutable table: rows by id (sorted, so enumeration is deterministic on every replica)
/// and its secondary indexes (index -> key -> ids). Every change returns a new table.
/// </summary>
internal sealed class StoreTable
{
    private static readonly ImmutableSortedSet<string> NoIds = ImmutableSortedSet.Create<string>(StringComparer.Ordinal);

    private StoreTable(
        ObjectKind kind,
        ImmutableArray<IndexDef> indexDefs,
        ImmutableSortedDictionary<string, IStoreObject> rows,
        ImmutableArray<ImmutableDictionary<string, ImmutableSortedSet<string>>> indexes)
    {
        Kind = kind;
        IndexDefs = indexDefs;
        Rows = rows;
        Indexes = indexes;
    }

    public ObjectKind Kind { get; }

    public ImmutableArray<IndexDef> IndexDefs { get; }

    public ImmutableSortedDictionary<string, IStoreObject> Rows { get; }

    private ImmutableArray<ImmutableDictionary<string, ImmutableSortedSet<string>>> Indexes { get; }

    public static StoreTable Empty(ObjectKind kind, ImmutableArray<IndexDef> indexDefs) =>
        new(kind, indexDefs, ImmutableSortedDictionary.Create<string, IStoreObject>(StringComparer.Ordinal),
            [.. indexDefs.Select(_ => ImmutableDictionary.Create<string, ImmutableSortedSet<string>>(StringComparer.Ordinal))]);

    public IStoreObject? Get(string id) => Rows.GetValueOrDefault(id);

    public ImmutableSortedSet<string> Lookup(string indexName, string key)
    {
        for (var i = 0; i < IndexDefs.Length; i++)
        {
            if (IndexDefs[i].Name == indexName)
            {
                return Indexes[i].GetValueOrDefault(key, NoIds);
            }
        }

        throw new ArgumentException($"table {Kind} has no index {indexName}", nameof(indexName));
    }

    /// <summary>The id of another object that holds a unique key <paramref name="obj"/> would take, if any.</summary>
    public (IndexDef Index, string Key)? FindUniqueConflict(IStoreObject obj)
    {
        for (var i = 0; i < IndexDefs.Length; i++)
        {
            var def = IndexDefs[i];
            if (!def.Unique || def.Key(obj) is not { } key)
            {
                continue;
            }

            if (Indexes[i].TryGetValue(key, out var ids) && ids.Any(id => id != obj.Id))
            {
                return (def, key);
            }
        }

        return null;
    }

    public StoreTable Put(IStoreObject obj)
    {
        var old = Rows.GetValueOrDefault(obj.Id);
        var indexes = Indexes.ToBuilder();
        for (var i = 0; i < IndexDefs.Length; i++)
        {
            var oldKey = old is null ? null : IndexDefs[i].Key(old);
            var newKey = IndexDefs[i].Key(obj);
            if (oldKey == newKey)
            {
                continue;
            }

            var index = indexes[i];
            if (oldKey is not null)
            {
                index = RemoveId(index, oldKey, obj.Id);
            }

            if (newKey is not null)
            {
                index = index.SetItem(newKey, index.GetValueOrDefault(newKey, NoIds).Add(obj.Id));
            }

            indexes[i] = index;
        }

        return new StoreTable(Kind, IndexDefs, Rows.SetItem(obj.Id, obj), indexes.MoveToImmutable());
    }

    public StoreTable Remove(string id)
    {
        if (Rows.GetValueOrDefault(id) is not { } old)
        {
            return this;
        }

        var indexes = Indexes.ToBuilder();
        for (var i = 0; i < IndexDefs.Length; i++)
        {
            if (IndexDefs[i].Key(old) is { } key)
            {
                indexes[i] = RemoveId(indexes[i], key, id);
            }
        }

        return new StoreTable(Kind, IndexDefs, Rows.Remove(id), indexes.MoveToImmutable());
    }

    private static ImmutableDictionary<string, ImmutableSortedSet<string>> RemoveId(
        ImmutableDictionary<string, ImmutableSortedSet<string>> index, string key, string id)
    {
        var ids = index.GetValueOrDefault(key, NoIds).Remove(id);
        return ids.IsEmpty ? index.Remove(key) : index.SetItem(key, ids);
    }
}
