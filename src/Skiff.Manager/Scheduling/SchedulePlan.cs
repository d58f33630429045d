namespace Skiff.Manager.Scheduling;

public readonly record struct Assignment(string TaskId, string NodeId);

public readonly record struct UnassignedTask(string TaskId, string Explanation);

/// <summary>
/// The scheduler's decision for one batch: tasks to bind to nodes (PENDING -> ASSIGNED, one store
/// transaction) and tasks left pending with the reason users see.
/// </summary>
public sealed record SchedulePlan(IReadOnlyList<Assignment> Assignments, IReadOnlyList<UnassignedTask> Unassigned)
{
    // Deliberate equality: two plans are equal when they make the same decisions in the same order.
    public bool Equals(SchedulePlan? other) =>
        other is not null &&
        Assignments.SequenceEqual(other.Assignments) &&
        Unassigned.SequenceEqual(other.Unassigned);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var a in Assignments)
        {
            hash.Add(a);
        }

        foreach (var u in Unassigned)
        {
            hash.Add(u);
        }

        return hash.ToHashCode();
    }
}
