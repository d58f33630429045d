using System.Collections.Immutable;
using System.Globalization;

namespace Skiff.State;

/// <summary>Index names and the secondary indexes of every table.</summary>
public static class StoreIndexes
{
    public const string Name = "name";
    public const string ByService = "service";
    public const string ByNode = "node";
    public const string BySlot = "slot";
    public const string ByDesiredState = "desired-state";

    /// <summary>Names are indexed case-insensitively, as swarmkit does (its name index lowercases).</summary>
    internal static string NameKey(string name) => name.ToLowerInvariant();

    internal static string SlotKey(string serviceId, int slot) => serviceId + "/" + slot.ToString(CultureInfo.InvariantCulture);

    internal static string StateKey(TaskState state) => ((int)state).ToString(CultureInfo.InvariantCulture);

    internal static readonly ImmutableArray<ObjectKind> Kinds =
        [ObjectKind.Node, ObjectKind.Service, ObjectKind.Task, ObjectKind.Network, ObjectKind.Cluster, ObjectKind.Secret, ObjectKind.Config];

    internal static ImmutableArray<IndexDef> For(ObjectKind kind) => kind switch
    {
        // Node names are not unique (two hosts may share a hostname), as in swarmkit.
        ObjectKind.Node => [new(Name, o => NameKey(((Node)o).Name), Unique: false)],
        ObjectKind.Service => [UniqueName(o => ((Service)o).Spec.Name)],
        ObjectKind.Task =>
        [
            new(ByService, o => ((SwarmTask)o).ServiceId, Unique: false),
            new(ByNode, o => ((SwarmTask)o).NodeId is { Length: > 0 } n ? n : null, Unique: false),
            new(BySlot, o => ((SwarmTask)o) is { Slot: > 0 } t ? SlotKey(t.ServiceId, t.Slot) : null, Unique: false),
            new(ByDesiredState, o => StateKey(((SwarmTask)o).DesiredState), Unique: false),
        ],
        ObjectKind.Network => [UniqueName(o => ((Network)o).Spec.Name)],
        ObjectKind.Cluster => [UniqueName(o => ((Cluster)o).Spec.Name)],
        ObjectKind.Secret => [UniqueName(o => ((Secret)o).Spec.Name)],
        ObjectKind.Config => [UniqueName(o => ((Config)o).Spec.Name)],
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown table"),
    };

    private static IndexDef UniqueName(Func<IStoreObject, string> name) => new(Name, o => NameKey(name(o)), Unique: true);
}
