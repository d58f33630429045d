using System.Text.RegularExpressions;
using Skiff.State;

namespace Skiff.Manager.Scheduling;

public enum ConstraintOperator
{
    Equal = 0,
    NotEqual = 1,
}

/// <summary>
/// One placement constraint, <c>key==value</c> or <c>key!=value</c>.
/// </summary>
/// <remarks>
/// Semantics follow swarmkit (<c>manager/constraint/constraint.go</c>):
/// <list type="bullet">
/// <item>keys and the <c>node.labels.</c>/<c>engine.labels.</c> prefixes are case-insensitive, but the label
/// name after the prefix is case-sensitive (a label <c>Zone</c> is not <c>zone</c>);</item>
/// <item>values compare case-insensitively (<c>node.role==MANAGER</c> matches);</item>
/// <item>a missing label reads as the empty string: <c>==</c> fails, <c>!=</c> succeeds.</item>
/// </list>
/// Parse errors reuse swarmkit's texts, except for unknown keys: swarmkit accepts them and the
/// constraint then never matches (the task stays pending forever); we reject them up front.
/// </remarks>
public sealed partial record Constraint(string Key, ConstraintOperator Operator, string Value)
{
    public const string NodeLabelPrefix = "node.labels.";
    public const string EngineLabelPrefix = "engine.labels.";

    /// <summary>swarmkit's text when neither <c>==</c> nor <c>!=</c> is present.</summary>
    public const string MissingOperatorMessage = "constraint expected one operator from ==, !=";

    private static readonly string[] Operators = ["==", "!="];

    /// <summary>Parses one expression; throws <see cref="FormatException"/> with a Docker-compatible message.</summary>
    public static Constraint Parse(string expression)
    {
        ArgumentNullException.ThrowIfNull(expression);
        return TryParse(expression, out var constraint, out var error)
            ? constraint
            : throw new FormatException(error);
    }

    /// <summary>Parses all expressions (ANDed); the first invalid one throws.</summary>
    public static IReadOnlyList<Constraint> ParseAll(IEnumerable<string> expressions)
    {
        ArgumentNullException.ThrowIfNull(expressions);
        return [.. expressions.Select(Parse)];
    }

    public static bool TryParse(
        string expression,
        [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Constraint? constraint,
        [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(expression);
        constraint = null;
        // As swarmkit: the first operator of the list that occurs anywhere splits the expression
        // (so "a!==b" splits on "==" and the key "a!" is then rejected).
        for (var i = 0; i < Operators.Length; i++)
        {
            var at = expression.IndexOf(Operators[i], StringComparison.Ordinal);
            if (at < 0)
            {
                continue;
            }

            var key = expression[..at].Trim();
            var value = expression[(at + Operators[i].Length)..].Trim();
            if (!KeyPattern().IsMatch(key))
            {
                error = $"key '{key}' is invalid";
                return false;
            }

            if (!ValuePattern().IsMatch(value))
            {
                error = $"value '{value}' is invalid";
                return false;
            }

            if (!IsKnownKey(key))
            {
                error = $"constraint expression '{expression}' is invalid: unknown key '{key}'";
                return false;
            }

            constraint = new Constraint(key, (ConstraintOperator)i, value);
            error = null;
            return true;
        }

        error = MissingOperatorMessage;
        return false;
    }

    /// <summary>True when the node satisfies this constraint.</summary>
    public bool Matches(NodeInfo node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var actual = Resolve(Key, node);
        var equal = actual is not null && string.Equals(actual, Value, StringComparison.OrdinalIgnoreCase);
        return Operator == ConstraintOperator.Equal ? equal : !equal;
    }

    /// <summary>True when the node satisfies every constraint (AND).</summary>
    public static bool MatchesAll(IReadOnlyList<Constraint> constraints, NodeInfo node)
    {
        ArgumentNullException.ThrowIfNull(constraints);
        foreach (var c in constraints)
        {
            if (!c.Matches(node))
            {
                return false;
            }
        }

        return true;
    }

    public override string ToString() => Key + (Operator == ConstraintOperator.Equal ? "==" : "!=") + Value;

    /// <summary>
    /// The node attribute a key (or spread descriptor) names, or null when the node lacks it
    /// (a missing label). Null for unknown keys too.
    /// </summary>
    internal static string? Resolve(string key, NodeInfo node)
    {
        if (HasPrefix(key, NodeLabelPrefix))
        {
            return node.Labels.TryGetValue(key[NodeLabelPrefix.Length..], out var v) ? v : null;
        }

        if (HasPrefix(key, EngineLabelPrefix))
        {
            return node.EngineLabels.TryGetValue(key[EngineLabelPrefix.Length..], out var v) ? v : null;
        }

        return key.ToLowerInvariant() switch
        {
            "node.id" => node.Id,
            "node.hostname" => node.Hostname,
            "node.role" => node.Role == NodeRole.Manager ? "manager" : "worker",
            "node.platform.os" => node.Platform.OS,
            "node.platform.arch" => node.Platform.Architecture,
            _ => null,
        };
    }

    internal static bool IsKnownKey(string key) =>
        HasPrefix(key, NodeLabelPrefix) || HasPrefix(key, EngineLabelPrefix) ||
        key.ToLowerInvariant() is "node.id" or "node.hostname" or "node.role" or "node.platform.os" or "node.platform.arch";

    private static bool HasPrefix(string key, string prefix) =>
        key.Length > prefix.Length && key.StartsWith(prefix, StringComparison.OrdinalIgnoreCase);

    // swarmkit's key and value grammars: values must not contain operators such as '=', '<', '>', '~'.
    [GeneratedRegex(@"^[a-z_][a-z0-9\-_.]+$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex KeyPattern();

    [GeneratedRegex(@"^[a-z0-9:\-_\s\.\*\(\)\?\+\[\]\\\^\$\|\/]+$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ValuePattern();
}
