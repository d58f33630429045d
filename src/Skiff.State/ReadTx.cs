namespace Skiff.State;

/// <summary>A consistent, immutable view of the store.</summary>
public class ReadTx
{
    internal ReadTx(StoreState state) => State = state;

    /// <summary>The version of the last commit visible in this view.</summary>
    public ulong Index => State.Index;

    internal StoreState State { get; private protected set; }

    public T? Get<T>(string id)
        where T : class, IStoreObject<T> => State.Table(T.TableKind).Get(id) as T;

    /// <summary>Every object of a kind, ordered by id.</summary>
    public IEnumerable<T> All<T>()
        where T : class, IStoreObject<T> => State.Table(T.TableKind).Rows.Values.Cast<T>();

    public int Count<T>()
        where T : class, IStoreObject<T> => State.Table(T.TableKind).Rows.Count;

    /// <summary>Objects whose name matches case-insensitively (unique except for nodes).</summary>
    public IReadOnlyList<T> FindByName<T>(string name)
        where T : class, IStoreObject<T> => Find<T>(StoreIndexes.Name, StoreIndexes.NameKey(name));

    public T? GetByName<T>(string name)
        where T : class, IStoreObject<T> => FindByName<T>(name) is [var first, ..] ? first : null;

    public IReadOnlyList<SwarmTask> TasksByService(string serviceId) => Find<SwarmTask>(StoreIndexes.ByService, serviceId);

    public IReadOnlyList<SwarmTask> TasksByNode(string nodeId) => Find<SwarmTask>(StoreIndexes.ByNode, nodeId);

    public IReadOnlyList<SwarmTask> TasksBySlot(string serviceId, int slot) =>
        Find<SwarmTask>(StoreIndexes.BySlot, StoreIndexes.SlotKey(serviceId, slot));

    public IReadOnlyList<SwarmTask> TasksByDesiredState(TaskState state) =>
        Find<SwarmTask>(StoreIndexes.ByDesiredState, StoreIndexes.StateKey(state));

    private List<T> Find<T>(string index, string key)
        where T : class, IStoreObject<T>
    {
        var table = State.Table(T.TableKind);
        return [.. table.Lookup(index, key).Select(id => (T)table.Rows[id])];
    }
}
