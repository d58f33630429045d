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
        Spec = new Skiff.Api.ServiceSpecWire
        {
            Name = name,
            Labels = new() { ["a"] = "b" },
            Mode = new() { Replicated = new() { Replicas = replicas } },
            TaskTemplate = new() { ContainerSpec = new() { Image = "nginx:alpine" } },
        },
    };

    /// <summary>A copy with another replica count (and name): the wire spec is cloned, never changed in place.</summary>
    public static Service WithSpec(this Service service, ulong replicas, string? name = null)
    {
        var spec = Skiff.Api.WireCopy.Clone(service.Spec);
        spec.Mode = new() { Replicated = new() { Replicas = replicas } };
        spec.Name = name ?? spec.Name;
        return service with { Spec = spec };
    }

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
