using System.Text;

namespace Skiff.State.Tests;

public sealed class SnapshotFormatTests
{
    [Fact]
    public async Task RestoreSnapshot_OneOfEachField_RoundTripsTheObject()
    {
        var store = new MemoryStore(new FakeTime(Objects.Epoch));
        store.Update(tx =>
        {
            tx.Create(Objects.Service("s1", "web", 3));
            tx.Create(Objects.Task("t1", "s1", 2, "n1", TaskState.Shutdown));
            tx.Create(new Secret { Id = "x1", Spec = new SecretSpec { Name = "pw", Data = [1, 2, 3] } });
        });
        using var stream = new MemoryStream();
        await store.WriteSnapshotAsync(stream);
        stream.Position = 0;
        var restored = new MemoryStore();
        await restored.RestoreSnapshotAsync(stream);

        var service = restored.View(tx => tx.GetByName<Service>("web"))!;
        Assert.Equal(("s1", 3UL, "nginx:alpine", "b"), (service.Id, service.Replicas, service.Spec.TaskTemplate.ContainerSpec!.Image, service.Spec.Labels!["a"]));
        Assert.Equal(new ObjectMeta { Version = 1, CreatedAt = Objects.Epoch, UpdatedAt = Objects.Epoch }, service.Meta);
        Assert.Equal(Objects.Task("t1", "s1", 2, "n1", TaskState.Shutdown) with { Meta = service.Meta }, restored.View(tx => tx.TasksBySlot("s1", 2).Single()));
        Assert.Equal(new byte[] { 1, 2, 3 }, restored.View(tx => tx.Get<Secret>("x1"))!.Spec.Data.ToArray());
        Assert.Contains("\"$kind\":\"service\"", Encoding.UTF8.GetString(restored.SnapshotBytes()), StringComparison.Ordinal);
    }
}
