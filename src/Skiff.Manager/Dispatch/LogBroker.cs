using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Skiff.Manager.Dispatch.Proto;

namespace Skiff.Manager.Dispatch;

/// <summary>
/// Routes log requests of <c>service logs</c> to the nodes that ran the tasks, and their lines back
/// (swarmkit's log broker, reduced): each agent keeps a subscription stream open; a request becomes
/// one subscription per node; the agents publish the lines and close their part.
/// </summary>
public sealed class LogBroker
{
    private readonly ConcurrentDictionary<string, Channel<LogSubscription>> _nodes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Channel<LogMessage>> _subscriptions = new(StringComparer.Ordinal);

    /// <summary>Called for an agent's subscription stream; the returned reader ends when the node reconnects.</summary>
    public ChannelReader<LogSubscription> Listen(string nodeId)
    {
        var channel = Channel.CreateUnbounded<LogSubscription>();
        if (_nodes.TryGetValue(nodeId, out var old))
        {
            old.Writer.TryComplete();
        }

        _nodes[nodeId] = channel;
        return channel.Reader;
    }

    public void Forget(string nodeId, ChannelReader<LogSubscription> reader)
    {
        if (_nodes.TryGetValue(nodeId, out var current) && current.Reader == reader)
        {
            _nodes.TryRemove(nodeId, out _);
        }
    }

    /// <summary>A line published by an agent.</summary>
    public void Publish(LogMessage message)
    {
        if (_subscriptions.TryGetValue(message.SubscriptionId, out var channel))
        {
            channel.Writer.TryWrite(message);
        }
    }

    /// <summary>
    /// Asks each node for the logs of its tasks and yields their lines as they come. Ends when every
    /// node closed its part (not following), or when <paramref name="ct"/> is cancelled. A node with no
    /// agent connected yields one error message for its tasks.
    /// </summary>
    public async IAsyncEnumerable<LogMessage> SubscribeAsync(
        IReadOnlyDictionary<string, IReadOnlyList<string>> tasksByNode, LogSubscription template, [EnumeratorCancellation] CancellationToken ct)
    {
        var id = Guid.NewGuid().ToString("N");
        var channel = Channel.CreateUnbounded<LogMessage>();
        _subscriptions[id] = channel;
        try
        {
            var open = 0;
            foreach (var (node, tasks) in tasksByNode)
            {
                if (!_nodes.TryGetValue(node, out var listener))
                {
                    yield return new LogMessage { SubscriptionId = id, TaskId = tasks[0], Error = $"node {node} is not connected: its tasks' logs are not available" };
                    continue;
                }

                var subscription = template.Clone();
                subscription.Id = id;
                subscription.TaskIds.Clear();
                subscription.TaskIds.AddRange(tasks);
                if (listener.Writer.TryWrite(subscription))
                {
                    open++;
                }
            }

            while (open > 0)
            {
                LogMessage message;
                try
                {
                    message = await channel.Reader.ReadAsync(ct);
                }
                catch (OperationCanceledException)
                {
                    yield break;
                }

                if (message.Close)
                {
                    open--;
                    if (message.Error.Length > 0)
                    {
                        yield return message;
                    }

                    continue;
                }

                yield return message;
            }
        }
        finally
        {
            _subscriptions.TryRemove(id, out _);
        }
    }
}
