using System.Text.Json.Serialization;

namespace Skiff.State;

/// <summary>The tables of the store. Persisted (commands, snapshots): explicit values, only grow.</summary>
public enum ObjectKind
{
    Node = 1,
    Service = 2,
    Task = 3,
    Network = 4,
    Cluster = 5,
    Secret = 6,
    Config = 7,
}

/// <summary>
/// Versioning metadata the store owns. <see cref="Version"/> is the store index of the transaction
/// that last wrote the object; an update must carry the version it read (optimistic concurrency).
/// </summary>
public sealed record ObjectMeta
{
    public ulong Version { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>An object kept in a store table.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "$kind")]
[JsonDerivedType(typeof(Node), "node")]
[JsonDerivedType(typeof(Service), "service")]
[JsonDerivedType(typeof(SwarmTask), "task")]
[JsonDerivedType(typeof(Network), "network")]
[JsonDerivedType(typeof(Cluster), "cluster")]
[JsonDerivedType(typeof(Secret), "secret")]
[JsonDerivedType(typeof(Config), "config")]
public interface IStoreObject
{
    string Id { get; }

    ObjectMeta Meta { get; }

    /// <summary>The table this object lives in.</summary>
    [JsonIgnore]
    ObjectKind Kind { get; }

    /// <summary>The same object with other metadata (the store stamps versions and times).</summary>
    IStoreObject WithMeta(ObjectMeta meta);
}

/// <summary>Typed access to the table of <typeparamref name="TSelf"/>.</summary>
public interface IStoreObject<TSelf> : IStoreObject
    where TSelf : class, IStoreObject<TSelf>
{
    static abstract ObjectKind TableKind { get; }
}
