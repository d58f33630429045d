using Skiff.Runtime.Events;

namespace Skiff.Runtime.Tests.Events;

public sealed class EventBusTests
{
    private sealed class ManualTime(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static readonly DateTimeOffset T0 = new(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);

    private static long Nanos(DateTimeOffset t) => (t.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;

    [Fact]
    public void Publish_ContainerEvent_FillsTimesActorAndLegacyFields()
    {
        var bus = new EventBus(new ManualTime(T0.AddTicks(1234)));
        using var sub = bus.Subscribe(null);

        bus.Publish("container", "create", "abc", new Dictionary<string, string> { ["image"] = "busybox", ["name"] = "x" });

        Assert.True(sub.Reader.TryRead(out var m));
        Assert.Equal("container", m.Type);
        Assert.Equal("create", m.Action);
        Assert.Equal("abc", m.Actor.ID);
        Assert.Equal("x", m.Actor.Attributes["name"]);
        Assert.Equal(Nanos(T0) + 123_400, m.TimeNano);
        Assert.Equal(T0.ToUnixTimeSeconds(), m.Time);
        Assert.Equal("create", m.Status);
        Assert.Equal("abc", m.Id);
        Assert.Equal("busybox", m.From);
        Assert.Equal("local", m.Scope);
    }

    [Fact]
    public void Publish_NonContainerEvent_HasNoLegacyFields()
    {
        var bus = new EventBus(new ManualTime(T0));
        using var sub = bus.Subscribe(null);

        bus.Publish("volume", "create", "v1");

        Assert.True(sub.Reader.TryRead(out var m));
        Assert.Null(m.Status);
        Assert.Null(m.Id);
        Assert.Null(m.From);
        Assert.Empty(m.Actor.Attributes);
    }

    [Fact]
    public void Subscribe_WithoutSince_NoPastButLiveEvents()
    {
        var bus = new EventBus(new ManualTime(T0));
        bus.Publish("image", "pull", "old");

        using var sub = bus.Subscribe(null);
        bus.Publish("image", "pull", "new");

        Assert.Empty(sub.Past);
        Assert.True(sub.Reader.TryRead(out var m));
        Assert.Equal("new", m.Actor.ID);
        Assert.False(sub.Reader.TryRead(out _));
    }

    [Fact]
    public void Subscribe_Since_ReturnsHistoryFromThatTimeInclusive()
    {
        var time = new ManualTime(T0);
        var bus = new EventBus(time);
        bus.Publish("container", "create", "a");
        time.Now = T0.AddSeconds(10);
        bus.Publish("container", "start", "a");
        time.Now = T0.AddSeconds(20);
        bus.Publish("container", "die", "a");

        using var sub = bus.Subscribe(Nanos(T0.AddSeconds(10)));
        using var all = bus.Subscribe(0);

        Assert.Equal(["start", "die"], sub.Past.Select(e => e.Action));
        Assert.Equal(["create", "start", "die"], all.Past.Select(e => e.Action));
    }

    [Fact]
    public void Subscribe_History_KeepsTheLast1024()
    {
        var bus = new EventBus(new ManualTime(T0));
        for (var i = 0; i < 1100; i++)
        {
            bus.Publish("container", "create", "c" + i);
        }

        using var sub = bus.Subscribe(0);

        Assert.Equal(1024, sub.Past.Count);
        Assert.Equal("c76", sub.Past[0].Actor.ID);
        Assert.Equal("c1099", sub.Past[^1].Actor.ID);
    }

    [Fact]
    public void Subscribe_SlowSubscriber_DropsOldestAndNeverBlocksPublisher()
    {
        var bus = new EventBus(new ManualTime(T0));
        using var slow = bus.Subscribe(null);

        for (var i = 0; i < 4096 + 10; i++)
        {
            bus.Publish("container", "create", "c" + i);
        }

        var got = new List<string>();
        while (slow.Reader.TryRead(out var m))
        {
            got.Add(m.Actor.ID);
        }

        Assert.Equal(4096, got.Count);
        Assert.Equal("c10", got[0]);
        Assert.Equal("c4105", got[^1]);
    }

    [Fact]
    public async Task Dispose_Subscription_UnregistersAndCompletesReader()
    {
        var bus = new EventBus(new ManualTime(T0));
        var a = bus.Subscribe(null);
        using var b = bus.Subscribe(null);
        Assert.Equal(2, bus.SubscriberCount);

        a.Dispose();
        bus.Publish("container", "create", "x");

        Assert.Equal(1, bus.SubscriberCount);
        Assert.Empty(await a.Reader.ReadAllAsync().ToListAsync());
        Assert.True(b.Reader.TryRead(out _));
    }

    [Fact]
    public async Task Reader_LiveEvent_WakesAWaitingSubscriber()
    {
        var bus = new EventBus(new ManualTime(T0));
        using var sub = bus.Subscribe(null);
        var wait = sub.Reader.ReadAsync().AsTask();
        Assert.False(wait.IsCompleted);

        bus.Publish("network", "create", "n1");

        var m = await wait.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("n1", m.Actor.ID);
    }
}
