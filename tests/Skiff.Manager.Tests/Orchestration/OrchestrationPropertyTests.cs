using CsCheck;
using Skiff.Manager.Orchestration;
using Skiff.State;
using static Skiff.Manager.Tests.Orchestration.OrchestrationFixtures;

namespace Skiff.Manager.Tests.Orchestration;

public class OrchestrationPropertyTests
{
    private static readonly Gen<NodeLite[]> GenNodes =
        Gen.Select(
                Gen.OneOf(Gen.Const(NodeState.Ready), Gen.Const(NodeState.Ready), Gen.Const(NodeState.Down), Gen.Const(NodeState.Unknown)),
                Gen.OneOf(Gen.Const(NodeAvailability.Active), Gen.Const(NodeAvailability.Active), Gen.Const(NodeAvailability.Pause), Gen.Const(NodeAvailability.Drain)),
                Gen.Bool)
            .Array[0, 6]
            .Select(shapes => shapes.Select((s, i) => Node($"n{i}", s.Item1, s.Item2) with
            {
                Labels = s.Item3 ? System.Collections.Immutable.ImmutableSortedDictionary<string, string>.Empty.Add("ssd", "true") : System.Collections.Immutable.ImmutableSortedDictionary<string, string>.Empty,
            }).ToArray());

    private static bool HasSsd(NodeLite node) => node.Labels.ContainsKey("ssd");

    [Fact]
    public void GlobalPlan_AnyCluster_AtMostOneRunnableTaskPerNodeAndConverges() =>
        Gen.Select(GenNodes, Gen.Select(Gen.Int[0, 7], Gen.Bool).Array[0, 10])
            .Sample((nodes, taskShapes) =>
            {
                var tasks = taskShapes.Select((s, i) => Task($"t{i}", 0, $"n{s.Item1}", desired: s.Item2 ? TaskState.Running : TaskState.Shutdown, createdSeconds: i)).ToList();
                var plan = GlobalReconciler.Plan(tasks, nodes, HasSsd, T0);
                var after = Apply(tasks, plan);
                var runnable = after.Where(t => t.IsDesiredRunnable).ToList();
                var again = GlobalReconciler.Plan(after, nodes, HasSsd, T0);
                var eligible = nodes.Where(n => n.State == NodeState.Ready && n.Availability == NodeAvailability.Active && HasSsd(n));
                return runnable.GroupBy(t => t.NodeId).All(g => g.Count() == 1) &&
                    eligible.All(n => runnable.Any(t => t.NodeId == n.Id)) &&
                    again.IsEmpty;
            });

    [Fact]
    public void UpdateNext_AllTasksComeUp_EverySlotOnceBatchesWithinParallelismThenCompleted() =>
        Gen.Select(Gen.Int[0, 12], Gen.Int[0, 4], Gen.Int[0, 30])
            .Sample((dirty, parallelism, delaySeconds) =>
            {
                var config = new UpdateConfigLite { Parallelism = parallelism, Delay = TimeSpan.FromSeconds(delaySeconds) };
                var now = T0;
                var step = UpdateSupervisor.Next(UpdateSupervisor.Start(Enumerable.Range(1, dirty), config, now), null, now);
                var updated = new List<int>();
                for (var guard = 0; guard < 1000 && !step.State.Status.IsFinal; guard++)
                {
                    if (step.Batch.Count > 0)
                    {
                        if (parallelism > 0 && step.Batch.Count > parallelism)
                        {
                            return false;
                        }

                        updated.AddRange(step.Batch);
                        now = now.AddSeconds(1);
                        foreach (var slot in step.Batch)
                        {
                            step = UpdateSupervisor.Next(step.State, new TaskRunningObservation(slot, $"n{slot}"), now);
                        }
                    }
                    else
                    {
                        if (step.WakeAt is not { } wake || wake < now)
                        {
                            return false;
                        }

                        now = wake;
                        step = UpdateSupervisor.Next(step.State, null, now);
                    }
                }

                return step.State.Status.State == UpdateState.Completed &&
                    updated.SequenceEqual(Enumerable.Range(1, dirty));
            });
}
