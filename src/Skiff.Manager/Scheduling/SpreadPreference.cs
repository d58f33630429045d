namespace Skiff.Manager.Scheduling;

/// <summary>
/// A placement preference <c>spread=&lt;descriptor&gt;</c>: spread tasks evenly over the values of the
/// descriptor (<c>node.labels.zone</c>, <c>engine.labels.x</c>, or a node attribute such as <c>node.id</c>).
/// </summary>
public sealed record SpreadPreference(string Descriptor)
{
    private const string SpreadPrefix = "spread=";

    /// <summary>
    /// Parses the preferences the scheduler understands. As swarmkit, unknown strategies and
    /// unsupported descriptors are ignored rather than failing the task.
    /// </summary>
    public static IReadOnlyList<SpreadPreference> ParseAll(IEnumerable<string> preferences)
    {
        ArgumentNullException.ThrowIfNull(preferences);
        var result = new List<SpreadPreference>();
        foreach (var p in preferences)
        {
            if (!p.StartsWith(SpreadPrefix, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var descriptor = p[SpreadPrefix.Length..].Trim();
            if (Constraint.IsKnownKey(descriptor))
            {
                result.Add(new SpreadPreference(descriptor));
            }
        }

        return result;
    }

    /// <summary>The node's value for this descriptor; nodes lacking the label share the empty value.</summary>
    public string ValueOf(NodeInfo node) => Constraint.Resolve(Descriptor, node) ?? "";
}
