using BenchmarkDotNet.Attributes;
using Skiff.Manager.Scheduling;
using Skiff.State;

namespace Skiff.Bench;

/// <summary>
/// The scheduler alone: place 10,000 pending tasks of 10 services on 1,000 nodes in one pass (what the
/// leader does after <c>service create --replicas 10000</c> or a node failure of that size). Tasks
/// carry reservations, a constraint on a node label and a spread preference, so every filter and the
/// preference tree work.
/// </summary>
[MemoryDiagnoser]
public class SchedulerBenchmarks
{
    private IReadOnlyList<NodeInfo> _nodes = [];
    private IReadOnlyList<TaskRequest> _tasks = [];
    private readonly DateTimeOffset _now = new(2026, 11, 27, 0, 0, 0, TimeSpan.Zero);

    [Params(1_000)]
    public int Nodes { get; set; }

    [Params(10_000)]
    public int Tasks { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _nodes = [.. Enumerable.Range(0, Nodes).Select(i => new NodeInfo
        {
            Id = $"node{i:D5}",
            Hostname = $"host{i}",
            Resources = new Resources(8_000_000_000, 32L << 30),
            Labels = new Dictionary<string, string>
            {
                ["zone"] = "z" + (i % 3),
                ["type"] = i % 10 == 0 ? "db" : "web",
            },
        })];
        _tasks = [.. Enumerable.Range(0, Tasks).Select(i => new TaskRequest
        {
            TaskId = $"task{i:D6}",
            ServiceId = "svc" + (i % 10),
            SpecVersion = 1,
            Reservations = new Resources(10_000_000, 16L << 20),
            Constraints = i % 10 == 0 ? ["node.labels.type==db"] : ["node.labels.type!=db"],
            Preferences = ["spread=node.labels.zone"],
        })];
    }

    [Benchmark]
    public int Schedule() => Scheduler.Schedule(_nodes, _tasks, _now).Assignments.Count;
}
