using System.Threading.Channels;

namespace Skiff.State;

/// <summary>Thrown to a watcher that fell too far behind; it must re-read with ViewAndWatch.</summary>
public sealed class WatchOverflowException(int capacity)
    : Exception($"the watcher fell more than {capacity} events behind and was closed");

/// <summary>
/// A subscription to store changes, delivered in commit order. Dispose to stop. A watcher that
/// lets <c>capacity</c> events pile up is closed with <see cref="WatchOverflowException"/> rather
/// than slowing every writer (swarmkit closes slow watchers likewise).
/// </summary>
public sealed class StoreWatch : IDisposable
{
    private readonly Channel<StoreEvent> _channel;
    private readonly Func<StoreEvent, bool>? _predicate;
    private readonly Action<StoreWatch> _unsubscribe;
    private readonly int _capacity;

    internal StoreWatch(Func<StoreEvent, bool>? predicate, int capacity, Action<StoreWatch> unsubscribe)
    {
        _predicate = predicate;
        _capacity = capacity;
        _unsubscribe = unsubscribe;
        _channel = Channel.CreateBounded<StoreEvent>(new BoundedChannelOptions(capacity)
        {
            SingleReader = false,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public ChannelReader<StoreEvent> Events => _channel.Reader;

    public IAsyncEnumerable<StoreEvent> ReadAllAsync(CancellationToken ct = default) => _channel.Reader.ReadAllAsync(ct);

    public void Dispose()
    {
        _unsubscribe(this);
        _channel.Writer.TryComplete();
    }

    /// <summary>Called by the store under its commit lock, so events keep commit order.</summary>
    internal void Publish(StoreEvent e)
    {
        if (_predicate is not null && !_predicate(e))
        {
            return;
        }

        if (!_channel.Writer.TryWrite(e))
        {
            _unsubscribe(this);
            _channel.Writer.TryComplete(new WatchOverflowException(_capacity));
        }
    }
}
