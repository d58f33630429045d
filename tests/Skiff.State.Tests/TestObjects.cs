using System.Collections.Immutable;

namespace Skiff.State.Tests;

internal sealed class FakeTime(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}

internal static class Objects
{
    public static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static Service Service(string id, string name, ulong replicas = 1) => new()
    {
        Id = id,
        Spec = new ServiceSpec { Name = name, Replicas = replicas, Image = "nginx:alpine", Labels = ImmutableSortedDictionary<string, string>.Empty.Add("a", "b") },
    };

    public static SwarmTask Task(string id, string serviceId, int slot, string? nodeId = null, TaskState desired = TaskState.Running) => new()
    {
        Id = id,
        ServiceId = serviceId,
        Slot = slot,
        NodeId = nodeId,
        DesiredState = desired,
    };

    public static async Task<StoreEvent> NextAsync(this StoreWatch watch, string awaited)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            return await watch.Events.ReadAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"timed out after 5 s waiting for {awaited}");
        }
    }
}
