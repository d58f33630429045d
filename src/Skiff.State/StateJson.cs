using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Skiff.State;

/// <summary>
/// The snapshot format: every object (ordered by kind, then id), the index and the recent request
/// ids. Indexes are derived on restore. Bump <see cref="CurrentFormat"/> on incompatible change.
/// </summary>
internal sealed record StoreSnapshot
{
    public const int CurrentFormat = 1;

    public int Format { get; init; } = CurrentFormat;

    public ulong Index { get; init; }

    public ImmutableArray<IStoreObject> Objects { get; init; } = [];

    public ImmutableArray<string> RecentRequestIds { get; init; } = [];
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = false)]
[JsonSerializable(typeof(StoreCommand))]
[JsonSerializable(typeof(StoreSnapshot))]
internal sealed partial class StateJsonContext : JsonSerializerContext;

/// <summary>Wire and disk encoding of commands and snapshots.</summary>
public static class StoreSerializer
{
    public static byte[] SerializeCommand(StoreCommand command) =>
        JsonSerializer.SerializeToUtf8Bytes(command, StateJsonContext.Default.StoreCommand);

    public static StoreCommand DeserializeCommand(ReadOnlySpan<byte> utf8) =>
        JsonSerializer.Deserialize(utf8, StateJsonContext.Default.StoreCommand)
        ?? throw new InvalidDataException("empty store command");

    internal static byte[] SerializeSnapshot(StoreState state) =>
        JsonSerializer.SerializeToUtf8Bytes(
            new StoreSnapshot
            {
                Index = state.Index,
                Objects = [.. state.Tables.SelectMany(t => t.Rows.Values)],
                RecentRequestIds = [.. state.RecentOrder],
            },
            StateJsonContext.Default.StoreSnapshot);

    internal static async Task<StoreState> DeserializeSnapshotAsync(Stream stream, CancellationToken ct)
    {
        var snapshot = await JsonSerializer.DeserializeAsync(stream, StateJsonContext.Default.StoreSnapshot, ct)
            ?? throw new InvalidDataException("empty store snapshot");
        if (snapshot.Format != StoreSnapshot.CurrentFormat)
        {
            throw new InvalidDataException($"store snapshot format {snapshot.Format} is not {StoreSnapshot.CurrentFormat}");
        }

        return StoreState.Build(snapshot.Index, snapshot.Objects, snapshot.RecentRequestIds);
    }
}
