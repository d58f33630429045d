using System.Globalization;
using System.Text;
using Skiff.Api;
using Skiff.Cli.Connection;

namespace Skiff.Cli.Commands;

/// <summary>Where docker's progress.Output writes: progress lines (with an ID, redrawn) and plain messages.</summary>
internal interface IProgressOutput
{
    /// <summary>A progress line (docker's WriteProgress with Action): <paramref name="current"/>/<paramref name="total"/> draw a bar.</summary>
    void Progress(string id, string action, long current = 0, long total = 0);

    /// <summary>A message line (docker's WriteProgress with Message, or progress.Message): never redrawn.</summary>
    void Message(string id, string message);
}

/// <summary>Discards progress (<c>-q</c>).</summary>
internal sealed class NullProgressOutput : IProgressOutput
{
    public static readonly NullProgressOutput Instance = new();

    public void Progress(string id, string action, long current = 0, long total = 0)
    {
    }

    public void Message(string id, string message)
    {
    }
}

/// <summary>
/// docker's jsonmessage display of the progress stream. On a terminal: one line per ID, redrawn in place
/// with ANSI cursor movement (<c>ESC[nA</c>/<c>ESC[nB</c>, <c>ESC[2K</c>), bars only when the terminal is
/// wider than 110 columns. Elsewhere: plain text, one line each time an ID's text changes (docker repeats
/// every poll there), bars drawn as on a wide terminal.
/// </summary>
internal sealed class ProgressWriter(TextWriter output, bool terminal, int width) : IProgressOutput
{
    private readonly Dictionary<string, int> _lines = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _lastText = new(StringComparer.Ordinal);

    /// <summary>jsonmessage.JSONProgress.String() with HideCounts: the bar, or "" when too narrow.</summary>
    public static string Bar(long current, long total, int width)
    {
        if ((current <= 0 && total <= 0) || total <= 0)
        {
            return "";
        }
        var percentage = Math.Min(50, (int)((double)current / total * 100) / 2);
        if (width <= 110)
        {
            return "";
        }
        return "[" + new string('=', percentage) + ">" + new string(' ', Math.Max(0, 50 - percentage)) + "] ";
    }

    public void Progress(string id, string action, long current = 0, long total = 0)
    {
        if (!terminal)
        {
            var text = (action + " " + Bar(current, total, 200)).TrimEnd();
            if (text.Length == 0 || (_lastText.TryGetValue(id, out var last) && last == text))
            {
                return;
            }
            _lastText[id] = text;
            output.Write((id.Length > 0 ? id + ": " : "") + text + "\n");
            output.Flush();
            return;
        }
        var sb = new StringBuilder();
        var diff = 0;
        if (id.Length > 0)
        {
            if (!_lines.TryGetValue(id, out var line))
            {
                line = _lines.Count;
                _lines[id] = line;
                sb.Append('\n');
            }
            diff = _lines.Count - line;
            if (diff > 0)
            {
                sb.Append("\x1b[").Append(diff.ToString(CultureInfo.InvariantCulture)).Append('A');
            }
        }
        else
        {
            _lines.Clear();
        }
        sb.Append("\x1b[2K\r");
        if (id.Length > 0)
        {
            sb.Append(id).Append(": ");
        }
        sb.Append(action).Append(' ').Append(Bar(current, total, width)).Append('\r');
        if (id.Length > 0 && diff > 0)
        {
            sb.Append("\x1b[").Append(diff.ToString(CultureInfo.InvariantCulture)).Append('B');
        }
        output.Write(sb.ToString());
        output.Flush();
    }

    public void Message(string id, string message)
    {
        _lines.Clear();
        _lastText.Clear();
        output.Write((id.Length > 0 ? id + ": " : "") + message + "\n");
        output.Flush();
    }
}

/// <summary>
/// docker's <c>cli/command/service/progress</c> ServiceProgress: polls the service, its up-to-date tasks
/// and the nodes every 200 ms and reports convergence, then waits the update monitor period to verify.
/// </summary>
internal sealed class ServiceProgress(string serviceArg, IProgressOutput output)
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    private static readonly Dictionary<string, long> NumberedStates = new(StringComparer.Ordinal)
    {
        ["new"] = 1,
        ["allocated"] = 2,
        ["pending"] = 3,
        ["assigned"] = 4,
        ["accepted"] = 5,
        ["preparing"] = 6,
        ["ready"] = 7,
        ["starting"] = 8,
        ["running"] = 9,
        ["complete"] = 10,
        ["shutdown"] = 11,
        ["failed"] = 12,
        ["rejected"] = 13,
    };

    /// <summary>The longest non-terminal state name (and "complete"): the width states are padded to.</summary>
    private const int LongestState = 9;
    private const int MaxProgress = 9;
    private const int MaxProgressBars = 20;
    private const int MaxJobProgress = 10;

    private IUpdater? _updater;
    private bool _converged;
    private DateTimeOffset? _convergedAt;
    private TimeSpan _monitor = TimeSpan.FromSeconds(5);
    private bool _rollback;
    private (string Id, string Text)? _finalMessage;

    /// <summary>What one poll needs: the service, its up-to-date tasks, the nodes.</summary>
    internal interface ISource
    {
        Task<ServiceWire> GetServiceAsync(CancellationToken ct);

        Task<List<TaskWire>> GetTasksAsync(string serviceId, CancellationToken ct);

        Task<List<NodeWire>> GetNodesAsync(CancellationToken ct);
    }

    /// <summary>The Engine API source of the poll (the three GETs docker sends).</summary>
    internal sealed class EngineSource(CliContext ctx, string serviceArg) : ISource
    {
        public Task<ServiceWire> GetServiceAsync(CancellationToken ct) =>
            ctx.Client.GetAsync($"/services/{Common.Escape(serviceArg)}?insertDefaults=false", SkiffJson.Default.ServiceWire, ct);

        public Task<List<TaskWire>> GetTasksAsync(string serviceId, CancellationToken ct)
        {
            var filters = "{\"_up-to-date\":{\"true\":true},\"service\":{" + System.Text.Json.JsonSerializer.Serialize(serviceId, SkiffJson.Default.String) + ":true}}";
            return ctx.Client.GetAsync("/tasks" + new Query().Add("filters", filters), SkiffJson.Default.ListTaskWire, ct);
        }

        public Task<List<NodeWire>> GetNodesAsync(CancellationToken ct) => ctx.Client.GetAsync("/nodes", SkiffJson.Default.ListNodeWire, ct);
    }

    /// <summary>Runs the loop until converged (or an error); <paramref name="delay"/> waits between polls.</summary>
    public async Task RunAsync(ISource source, Func<DateTimeOffset> now, Func<TimeSpan, CancellationToken, Task> delay, CancellationToken ct)
    {
        while (true)
        {
            try
            {
                var service = await source.GetServiceAsync(ct);
                if (await PollAsync(service, source, now, ct))
                {
                    return;
                }
                await delay(PollInterval, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                if (!_converged)
                {
                    output.Message("", "Operation continuing in background.");
                    output.Message("", $"Use `docker service ps {serviceArg}` to check progress.");
                }
                return;
            }
        }
    }

    /// <summary>One round of docker's loop for <paramref name="service"/>; true when the progress is over.</summary>
    internal async Task<bool> PollAsync(ServiceWire service, ISource source, Func<DateTimeOffset> now, CancellationToken ct)
    {
        if (service.Spec.UpdateConfig is { Monitor: not 0 } uc)
        {
            _monitor = TimeSpan.FromTicks(uc.Monitor / 100);
        }
        _updater ??= CreateUpdater(service);
        if (service.UpdateStatus != null)
        {
            var message = service.UpdateStatus.Message;
            switch (service.UpdateStatus.State)
            {
                case "updating":
                    _rollback = false;
                    break;
                case "completed":
                    if (!_converged)
                    {
                        return true;
                    }
                    break;
                case "paused":
                    throw new CliException("service update paused: " + message);
                case "rollback_started":
                    if (!_rollback && message.Length > 0)
                    {
                        output.Progress("rollback", message);
                    }
                    _rollback = true;
                    break;
                case "rollback_paused":
                    throw new CliException("service rollback paused: " + message);
                case "rollback_completed":
                    if (!_converged)
                    {
                        _finalMessage = ("rollback", message);
                    }
                    _rollback = true;
                    break;
            }
        }
        if (_converged && _convergedAt is { } at && now() - at >= _monitor)
        {
            output.Progress("verify", $"Service {serviceArg} converged");
            if (_finalMessage is { } m)
            {
                output.Message(m.Id, m.Text);
            }
            return true;
        }
        var tasks = await source.GetTasksAsync(service.ID, ct);
        var nodes = await source.GetNodesAsync(ct);
        var activeNodes = nodes.Where(n => n.Status.State != "down").Select(n => n.ID).ToHashSet(StringComparer.Ordinal);
        _converged = _updater.Update(service, tasks, activeNodes, _rollback);
        if (_converged)
        {
            if (service.JobStatus != null)
            {
                output.Message("", "job complete");
                return true;
            }
            _convergedAt ??= now();
            var wait = _monitor - (now() - _convergedAt.Value);
            if (wait >= TimeSpan.Zero)
            {
                // docker's wait/time.Second+1 where some time always passed since convergedAt: a whole
                // number of seconds left still reads as that number ("Waiting 5 seconds" first).
                var seconds = (wait.Ticks - 1) / TimeSpan.TicksPerSecond + 1;
                output.Progress("verify", $"Waiting {seconds} seconds to verify that tasks are stable...");
            }
        }
        else
        {
            if (_convergedAt != null)
            {
                output.Progress("verify", "Detected task failure");
            }
            _convergedAt = null;
        }
        return false;
    }

    private IUpdater CreateUpdater(ServiceWire service)
    {
        var mode = service.Spec.Mode;
        if (mode?.Replicated?.Replicas != null)
        {
            return new ReplicatedUpdater(output);
        }
        if (mode?.Global != null)
        {
            return new GlobalUpdater(output);
        }
        if (mode?.ReplicatedJob is { } job)
        {
            var total = (int)(job.TotalCompletions ?? 1);
            var concurrent = (int)(job.MaxConcurrent ?? (ulong)total);
            return new ReplicatedJobUpdater(output, concurrent, total, service.JobStatus?.JobIteration.Index ?? 0);
        }
        if (mode?.GlobalJob != null)
        {
            return new GlobalJobUpdater(output);
        }
        throw new CliException("unrecognized service mode");
    }

    private static long Number(string? state) => state != null && NumberedStates.TryGetValue(state, out var n) ? n : 0;

    private static bool Terminal(string? state) => Number(state) > NumberedStates["running"];

    private static string Pad(string? state) => (state ?? "").PadRight(LongestState);

    private static void WriteOverall(IProgressOutput output, long numerator, long denominator, bool rollback) =>
        output.Progress("overall progress", rollback
            ? $"rolling back update: {numerator} out of {denominator} tasks"
            : $"{numerator} out of {denominator} tasks");

    /// <summary>docker's truncError: newlines to spaces, at most 75 characters (the last one "…").</summary>
    internal static string TruncError(string message)
    {
        message = message.Replace("\n", " ", StringComparison.Ordinal);
        return message.Length > 75 ? message[..74] + "…" : message;
    }

    private interface IUpdater
    {
        bool Update(ServiceWire service, List<TaskWire> tasks, HashSet<string> activeNodes, bool rollback);
    }

    /// <summary>Keeps, per key, the task with the lowest desired state (then the lowest observed state).</summary>
    private static bool Prefer(TaskWire existing, TaskWire task)
    {
        if (Number(existing.DesiredState) < Number(task.DesiredState))
        {
            return false;
        }
        return !(Number(existing.DesiredState) == Number(task.DesiredState) && Number(existing.Status.State) <= Number(task.Status.State));
    }

    private sealed class ReplicatedUpdater(IProgressOutput output) : IUpdater
    {
        private readonly Dictionary<int, int> _slotMap = [];
        private bool _initialized;
        private bool _done;

        public bool Update(ServiceWire service, List<TaskWire> tasks, HashSet<string> activeNodes, bool rollback)
        {
            if (service.Spec.Mode?.Replicated?.Replicas is not ulong replicas)
            {
                throw new CliException("no replica count");
            }
            if (!_initialized)
            {
                WriteOverall(output, 0, (long)replicas, rollback);
                if (replicas <= MaxProgressBars)
                {
                    for (ulong i = 1; i <= replicas; i++)
                    {
                        output.Progress($"{i}/{replicas}", " ");
                    }
                }
                _initialized = true;
            }
            var bySlot = new SortedDictionary<int, TaskWire>();
            foreach (var task in tasks)
            {
                if (Number(task.DesiredState) == 0 || Number(task.Status.State) == 0)
                {
                    continue;
                }
                if (bySlot.TryGetValue(task.Slot, out var existing) && !Prefer(existing, task))
                {
                    continue;
                }
                if (!string.IsNullOrEmpty(task.NodeID) && !activeNodes.Contains(task.NodeID))
                {
                    continue;
                }
                bySlot[task.Slot] = task;
            }
            if (_done && bySlot.Values.Any(t => t.Status.State != "running"))
            {
                _done = false;
            }
            ulong running = 0;
            foreach (var task in bySlot.Values)
            {
                if (!_slotMap.TryGetValue(task.Slot, out var mapped) || mapped == 0)
                {
                    mapped = _slotMap.Count + 1;
                    _slotMap[task.Slot] = mapped;
                }
                if (!Terminal(task.DesiredState) && task.Status.State == "running")
                {
                    running++;
                }
                WriteTask(task, mapped, replicas);
            }
            if (!_done)
            {
                WriteOverall(output, (long)running, (long)replicas, rollback);
                if (running == replicas)
                {
                    _done = true;
                }
            }
            return running == replicas;
        }

        private void WriteTask(TaskWire task, int mappedSlot, ulong replicas)
        {
            if (_done || replicas > MaxProgressBars || mappedSlot < 0 || (ulong)mappedSlot > replicas)
            {
                return;
            }
            var id = $"{mappedSlot}/{replicas}";
            if (!string.IsNullOrEmpty(task.Status.Err))
            {
                output.Progress(id, TruncError(task.Status.Err));
                return;
            }
            if (!Terminal(task.DesiredState) && !Terminal(task.Status.State))
            {
                output.Progress(id, Pad(task.Status.State), Number(task.Status.State), MaxProgress);
            }
        }
    }

    private sealed class GlobalUpdater(IProgressOutput output) : IUpdater
    {
        private bool _initialized;
        private bool _done;

        public bool Update(ServiceWire service, List<TaskWire> tasks, HashSet<string> activeNodes, bool rollback)
        {
            var byNode = new SortedDictionary<string, TaskWire>(StringComparer.Ordinal);
            foreach (var task in tasks)
            {
                if (Number(task.DesiredState) == 0 || Number(task.Status.State) == 0)
                {
                    continue;
                }
                var node = task.NodeID ?? "";
                if (byNode.TryGetValue(node, out var existing) && !Prefer(existing, task))
                {
                    continue;
                }
                byNode[node] = task;
            }
            var nodeCount = byNode.Count;
            if (!_initialized)
            {
                if (nodeCount == 0)
                {
                    output.Progress("overall progress", "waiting for new tasks");
                    return false;
                }
                WriteOverall(output, 0, nodeCount, rollback);
                _initialized = true;
            }
            if (_done && byNode.Values.Any(t => t.Status.State != "running"))
            {
                _done = false;
            }
            var running = 0;
            foreach (var task in byNode.Values)
            {
                if (!activeNodes.Contains(task.NodeID ?? ""))
                {
                    continue;
                }
                if (!Terminal(task.DesiredState) && task.Status.State == "running")
                {
                    running++;
                }
                WriteTask(task, nodeCount);
            }
            if (!_done)
            {
                WriteOverall(output, running, nodeCount, rollback);
                if (running == nodeCount)
                {
                    _done = true;
                }
            }
            return running == nodeCount;
        }

        private void WriteTask(TaskWire task, int nodeCount)
        {
            if (_done || nodeCount > MaxProgressBars)
            {
                return;
            }
            var id = Common.TruncateId(task.NodeID ?? "");
            if (!string.IsNullOrEmpty(task.Status.Err))
            {
                output.Progress(id, TruncError(task.Status.Err));
                return;
            }
            if (!Terminal(task.DesiredState) && !Terminal(task.Status.State))
            {
                output.Progress(id, Pad(task.Status.State), Number(task.Status.State), MaxProgress);
            }
        }
    }

    private sealed class ReplicatedJobUpdater(IProgressOutput output, int concurrent, int total, ulong jobIteration) : IUpdater
    {
        private readonly int _progressDigits = total.ToString(CultureInfo.InvariantCulture).Length;
        private readonly int _activeDigits = concurrent.ToString(CultureInfo.InvariantCulture).Length;
        private bool _initialized;

        public bool Update(ServiceWire service, List<TaskWire> tasks, HashSet<string> activeNodes, bool rollback)
        {
            if (!_initialized)
            {
                WriteOverall(0, 0);
                if (total <= MaxProgressBars)
                {
                    for (var i = 1; i <= total; i++)
                    {
                        output.Progress($"{i}/{total}", " ");
                    }
                }
                _initialized = true;
            }
            var bySlot = new Dictionary<int, TaskWire>();
            foreach (var task in tasks)
            {
                if (task.JobIteration == null || task.JobIteration.Index != jobIteration)
                {
                    continue;
                }
                if (Number(task.DesiredState) == 0 || Number(task.Status.State) == 0)
                {
                    continue;
                }
                if (!bySlot.TryGetValue(task.Slot, out var existing) || Number(existing.Status.State) > Number(task.Status.State))
                {
                    bySlot[task.Slot] = task;
                }
            }
            int active = 0, complete = 0;
            var count = bySlot.Count;
            for (var i = 0; i < count; i++)
            {
                bySlot.TryGetValue(i, out var task);
                var state = task?.Status.State ?? "";
                WriteTask(i, task);
                if (Number(state) < NumberedStates["complete"])
                {
                    active++;
                }
                if (state == "complete")
                {
                    complete++;
                }
            }
            WriteOverall(active, complete);
            return complete == total;
        }

        private void WriteOverall(int active, int completed)
        {
            output.Progress("job progress", $"{completed.ToString(CultureInfo.InvariantCulture).PadLeft(_progressDigits)} out of {total} complete", completed, total);
            var actualDesired = Math.Min(total - completed, concurrent);
            output.Progress("active tasks", $"{active.ToString(CultureInfo.InvariantCulture).PadLeft(_activeDigits)} out of {actualDesired.ToString(CultureInfo.InvariantCulture).PadLeft(_activeDigits)} tasks");
        }

        private void WriteTask(int slot, TaskWire? task)
        {
            if (total > MaxProgressBars)
            {
                return;
            }
            var id = $"{slot + 1}/{total}";
            if (!string.IsNullOrEmpty(task?.Status.Err))
            {
                output.Progress(id, TruncError(task.Status.Err));
                return;
            }
            var state = task?.Status.State ?? "";
            output.Progress(id, Pad(state), Number(state), MaxJobProgress);
        }
    }

    private sealed class GlobalJobUpdater(IProgressOutput output) : IUpdater
    {
        private bool _initialized;
        private int _total;
        private int _progressDigits;
        private readonly HashSet<string> _taskNodes = new(StringComparer.Ordinal);

        public bool Update(ServiceWire service, List<TaskWire> tasks, HashSet<string> activeNodes, bool rollback)
        {
            var iteration = service.JobStatus?.JobIteration.Index ?? 0;
            if (!_initialized)
            {
                if (tasks.Count == 0 && activeNodes.Count != 0)
                {
                    output.Progress("job progress", "waiting for tasks");
                    return false;
                }
                foreach (var task in tasks.Where(t => t.JobIteration != null && t.JobIteration.Index == iteration))
                {
                    _taskNodes.Add(task.NodeID ?? "");
                }
                _total = _taskNodes.Count;
                _progressDigits = _total.ToString(CultureInfo.InvariantCulture).Length;
                WriteOverall(0);
                _initialized = true;
            }
            var byNode = new SortedDictionary<string, TaskWire>(StringComparer.Ordinal);
            foreach (var task in tasks)
            {
                if (task.JobIteration == null || task.JobIteration.Index != iteration || !_taskNodes.Contains(task.NodeID ?? ""))
                {
                    continue;
                }
                var node = task.NodeID ?? "";
                if (!byNode.TryGetValue(node, out var old) || Number(old.Status.State) > Number(task.Status.State))
                {
                    byNode[node] = task;
                }
            }
            var complete = 0;
            foreach (var task in byNode.Values)
            {
                WriteTask(task);
                if (task.Status.State == "complete")
                {
                    complete++;
                }
            }
            WriteOverall(complete);
            return complete == _total;
        }

        private void WriteTask(TaskWire task)
        {
            if (_total > MaxProgressBars)
            {
                return;
            }
            var id = task.NodeID ?? "";
            if (!string.IsNullOrEmpty(task.Status.Err))
            {
                output.Progress(id, TruncError(task.Status.Err));
                return;
            }
            output.Progress(id, Pad(task.Status.State), Number(task.Status.State), MaxJobProgress);
        }

        private void WriteOverall(int complete) =>
            output.Progress("job progress", $"{complete.ToString(CultureInfo.InvariantCulture).PadLeft(_progressDigits)} out of {_total} complete", complete, _total);
    }

    /// <summary>docker's WaitOnService: the progress of <paramref name="serviceArg"/> on stdout (discarded with <paramref name="quiet"/>).</summary>
    public static async Task WaitAsync(CliContext ctx, string serviceArg, bool quiet, CancellationToken ct)
    {
        IProgressOutput output = quiet ? NullProgressOutput.Instance : new ProgressWriter(ctx.Out, ctx.StdoutIsTerminal, ctx.TerminalWidth());
        var progress = new ServiceProgress(serviceArg, output);
        await progress.RunAsync(new EngineSource(ctx, serviceArg), () => ctx.Time.GetUtcNow(), ctx.Delay, ct);
    }
}
