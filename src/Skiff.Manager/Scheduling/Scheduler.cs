namespace Skiff.Manager.Scheduling;

/// <summary>
/// The swarm scheduler as a pure decision: (nodes, pending tasks, now) -> <see cref="SchedulePlan"/>.
/// Only the leader runs it and commits the plan; the same input always yields the same plan.
/// </summary>
public static class Scheduler
{
    /// <summary>A node with this many recent failures of the same service version is tried last.</summary>
    public const int MaxRecentFailures = 5;

    /// <summary>How far back failures count for <see cref="MaxRecentFailures"/>.</summary>
    public static readonly TimeSpan FailureWindow = TimeSpan.FromMinutes(5);

    /// <remarks>
    /// Tasks are grouped by (service, spec version) in order of first appearance; within a group they are
    /// placed one by one in task id order, each decision seeing the reservations, task counts and host
    /// ports of the previous ones. Placement preferences form a tree (one level per spread); at each level
    /// the task goes to the branch holding the fewest tasks of the service that still has a fitting node
    /// (ties: branch value, ordinal), so values get equal shares whatever their node counts. Inside a leaf
    /// nodes rank by: at least <see cref="MaxRecentFailures"/> recent failures last, then fewest tasks of
    /// the service, then fewest tasks in total, then node id.
    /// </remarks>
    public static SchedulePlan Schedule(IReadOnlyList<NodeInfo> nodes, IReadOnlyList<TaskRequest> pending, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(pending);
        var pipeline = Pipeline.CreateDefault();
        var state = nodes.ToArray();
        var assignments = new List<Assignment>();
        var unassigned = new List<UnassignedTask>();

        var groups = pending
            .Select((task, index) => (task, index))
            .GroupBy(x => (x.task.ServiceId, x.task.SpecVersion))
            .OrderBy(g => g.Min(x => x.index));
        foreach (var group in groups)
        {
            var tasks = group.Select(x => x.task).OrderBy(t => t.TaskId, StringComparer.Ordinal).ToList();
            var first = tasks[0];
            var failures = state.Select(n => CountRecentFailures(n, first, now)).ToArray();
            var root = Branch.Build(state.Length, i => state[i], SpreadPreference.ParseAll(first.Preferences));
            var context = new GroupContext(pipeline, state, failures, first.ServiceId);

            foreach (var task in tasks)
            {
                var chosen = context.Place(root, task);
                if (chosen is int i)
                {
                    state[i] = WithTask(state[i], task);
                    assignments.Add(new Assignment(task.TaskId, state[i].Id));
                }
                else
                {
                    unassigned.Add(new UnassignedTask(task.TaskId, pipeline.Explain(state, task)));
                }
            }
        }

        return new SchedulePlan(assignments, unassigned);
    }

    internal static int CountRecentFailures(NodeInfo node, TaskRequest task, DateTimeOffset now)
    {
        var since = now - FailureWindow;
        var count = 0;
        foreach (var f in node.RecentFailures)
        {
            if (f.ServiceId == task.ServiceId && f.SpecVersion == task.SpecVersion && f.At >= since)
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>The node as later decisions must see it once <paramref name="task"/> is on it.</summary>
    internal static NodeInfo WithTask(NodeInfo node, TaskRequest task)
    {
        var byService = new Dictionary<string, int>(node.TasksByService);
        byService[task.ServiceId] = node.TasksOf(task.ServiceId) + 1;
        var ports = node.HostPortsInUse;
        if (task.HostPorts.Count > 0)
        {
            var set = new HashSet<HostPort>(node.HostPortsInUse);
            set.UnionWith(task.HostPorts.Where(p => p.Port != 0));
            ports = set;
        }

        return node with
        {
            Reserved = node.Reserved + task.Reservations,
            TasksByService = byService,
            TotalTasks = node.TotalTasks + 1,
            HostPortsInUse = ports,
        };
    }

    /// <summary>One level of the preference tree: a value of a spread descriptor and its nodes.</summary>
    private sealed class Branch
    {
        public string Value { get; init; } = "";

        public List<int> Nodes { get; } = [];

        public List<Branch> Children { get; } = [];

        public static Branch Build(int count, Func<int, NodeInfo> node, IReadOnlyList<SpreadPreference> spreads)
        {
            var root = new Branch();
            for (var i = 0; i < count; i++)
            {
                var branch = root;
                branch.Nodes.Add(i);
                foreach (var spread in spreads)
                {
                    var value = spread.ValueOf(node(i));
                    var next = branch.Children.Find(c => c.Value == value);
                    if (next is null)
                    {
                        next = new Branch { Value = value };
                        branch.Children.Add(next);
                    }

                    next.Nodes.Add(i);
                    branch = next;
                }
            }

            Sort(root);
            return root;
        }

        private static void Sort(Branch branch)
        {
            branch.Children.Sort((a, b) => string.CompareOrdinal(a.Value, b.Value));
            foreach (var c in branch.Children)
            {
                Sort(c);
            }
        }
    }

    private sealed class GroupContext(Pipeline pipeline, NodeInfo[] state, int[] failures, string serviceId)
    {
        /// <summary>The node index for <paramref name="task"/> under <paramref name="branch"/>, or null when nothing fits.</summary>
        public int? Place(Branch branch, TaskRequest task)
        {
            if (branch.Children.Count == 0)
            {
                return BestNode(branch, task);
            }

            // Water-filling: the emptiest branch that can still take the task, falling back to the next.
            var full = new HashSet<Branch>();
            while (full.Count < branch.Children.Count)
            {
                Branch? pick = null;
                var pickTasks = 0;
                foreach (var child in branch.Children)
                {
                    if (full.Contains(child))
                    {
                        continue;
                    }

                    var tasks = TasksIn(child);
                    if (pick is null || tasks < pickTasks)
                    {
                        pick = child;
                        pickTasks = tasks;
                    }
                }

                var placed = Place(pick!, task);
                if (placed is not null)
                {
                    return placed;
                }

                full.Add(pick!);
            }

            return null;
        }

        private int TasksIn(Branch branch)
        {
            var sum = 0;
            foreach (var i in branch.Nodes)
            {
                sum += state[i].TasksOf(serviceId);
            }

            return sum;
        }

        private int? BestNode(Branch leaf, TaskRequest task)
        {
            int? best = null;
            foreach (var i in leaf.Nodes)
            {
                if (pipeline.Passes(state[i], task) && (best is null || Less(i, best.Value)))
                {
                    best = i;
                }
            }

            return best;
        }

        private bool Less(int a, int b)
        {
            var fa = failures[a];
            var fb = failures[b];
            if ((fa >= MaxRecentFailures || fb >= MaxRecentFailures) && fa != fb)
            {
                return fa < fb;
            }

            var sa = state[a].TasksOf(serviceId);
            var sb = state[b].TasksOf(serviceId);
            if (sa != sb)
            {
                return sa < sb;
            }

            if (state[a].TotalTasks != state[b].TotalTasks)
            {
                return state[a].TotalTasks < state[b].TotalTasks;
            }

            return string.CompareOrdinal(state[a].Id, state[b].Id) < 0;
        }
    }
}
