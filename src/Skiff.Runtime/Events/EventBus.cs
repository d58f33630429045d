using System.Threading.Channels;
using Skiff.Api;

namespace Skiff.Runtime.Events;

/// <summary>
/// The engine's event stream (<c>GET /events</c>): a bounded history for <c>--since</c> and a channel per
/// subscriber. Slow subscribers lose the oldest events rather than slowing the engine down.
/// </summary>
public sealed class EventBus(TimeProvider time)
{
    private const int HistorySize = 1024;
    private readonly Lock _gate = new();
    private readonly LinkedList<EventMessage> _history = new();
    private readonly List<Channel<EventMessage>> _subscribers = [];

    public int SubscriberCount
    {
        get
        {
            lock (_gate)
            {
                return _subscribers.Count;
            }
        }
    }

    public void Publish(string type, string action, string id, IReadOnlyDictionary<string, string>? attributes = null)
    {
        var now = time.GetUtcNow();
        var nanos = (now.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;
        var msg = new EventMessage
        {
            Type = type,
            Action = action,
            Actor = new EventActor { ID = id, Attributes = attributes is null ? [] : new Dictionary<string, string>(attributes) },
            Time = nanos / 1_000_000_000,
            TimeNano = nanos,
        };
        if (type == "container")
        {
            msg.Status = action;
            msg.Id = id;
            msg.From = attributes is not null && attributes.TryGetValue("image", out var img) ? img : null;
        }

        lock (_gate)
        {
            _history.AddLast(msg);
            if (_history.Count > HistorySize)
            {
                _history.RemoveFirst();
            }

            foreach (var s in _subscribers)
            {
                s.Writer.TryWrite(msg);
            }
        }
    }

    /// <summary>Past events since <paramref name="sinceNanos"/> (if given), then live ones until cancelled.</summary>
    public Subscription Subscribe(long? sinceNanos)
    {
        var ch = Channel.CreateBounded<EventMessage>(new BoundedChannelOptions(4096) { FullMode = BoundedChannelFullMode.DropOldest });
        List<EventMessage> past;
        lock (_gate)
        {
            past = sinceNanos is { } s ? _history.Where(e => e.TimeNano >= s).ToList() : [];
            _subscribers.Add(ch);
        }

        return new Subscription(this, ch, past);
    }

    public sealed class Subscription(EventBus bus, Channel<EventMessage> channel, List<EventMessage> past) : IDisposable
    {
        public IReadOnlyList<EventMessage> Past { get; } = past;

        public ChannelReader<EventMessage> Reader => channel.Reader;

        public void Dispose()
        {
            lock (bus._gate)
            {
                bus._subscribers.Remove(channel);
            }

            channel.Writer.TryComplete();
        }
    }
}
