using Skiff.Manager.Scheduling;

namespace Skiff.Manager.Tests.Scheduling;

internal static class SchedulingFixtures
{
    public static readonly DateTimeOffset Now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    public static NodeInfo Node(string id, params (string Key, string Value)[] labels) => new()
    {
        Id = id,
        Hostname = "host-" + id,
        Resources = new Resources(4_000_000_000, 8L << 30),
        Labels = labels.ToDictionary(l => l.Key, l => l.Value),
    };

    public static TaskRequest Task(string id, string service = "svc", long version = 1) => new()
    {
        TaskId = id,
        ServiceId = service,
        SpecVersion = version,
    };

    public static List<TaskRequest> Tasks(int count, string service = "svc", Func<TaskRequest, TaskRequest>? shape = null) =>
        [.. Enumerable.Range(1, count).Select(i => (shape ?? (t => t))(Task($"{service}.{i:D3}", service)))];

    public static Dictionary<string, int> CountByNode(SchedulePlan plan) =>
        plan.Assignments.GroupBy(a => a.NodeId).ToDictionary(g => g.Key, g => g.Count());
}
