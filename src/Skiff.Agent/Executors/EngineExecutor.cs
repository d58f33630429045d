using System.Globalization;
using Skiff.Api;
using Skiff.Runtime.Containers;
using Skiff.Runtime.Images;
using Skiff.Runtime.Util;
using ControlApiPaths = Skiff.Manager.ControlApi.SwarmFilePaths;

namespace Skiff.Agent.Executors;

/// <summary>
/// Runs tasks as containers of the local engine (runc under conmon), named and labelled as Docker
/// names and labels swarm containers, so <c>docker ps</c> on a node shows them as users expect and
/// an agent restart finds them again by label. An image the node does not have is pulled first when its name
/// starts with a registry (<c>127.0.0.1:5000/web</c>), as Docker's agent pulls: a stack's built image pushed to a
/// registry reaches every node. Docker Hub names are not pulled by the agent (hosts here have no route to Docker
/// Hub and its client has no timeout); they must be loaded or pulled on the node.
/// Secrets and configs are written as files under <paramref name="filesRoot"/> (skiffd passes its exec root, a tmpfs
/// on Debian, so secrets never reach a disk) and bind-mounted read-only at their targets, as Docker does.
/// </summary>
public sealed class EngineExecutor(ContainerManager containers, IImageStore? images = null, string? filesRoot = null, int maxConcurrentStarts = 0) : ITaskExecutor, ITaskLogs
{
    public async IAsyncEnumerable<TaskLogLine> LogsAsync(
        string taskId, bool follow, int? tail, DateTimeOffset? since, DateTimeOffset? until,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        if (Find(taskId) is not { } c)
        {
            yield break;
        }

        await foreach (var line in containers.Logs(c.Id, new LogOptions(follow, tail, since, until), ct))
        {
            yield return new TaskLogLine(line.Time, line.Stream, line.Text);
        }
    }

    public const string TaskIdLabel = "com.docker.swarm.task.id";

    /// <summary>How long one container start may take before the task is failed (runc create alone is bounded at 60 s).</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);

    // Creating and starting dozens of containers at once (service create --replicas 50) left runc create and
    // runc init hanging on a 2-core host (every start timed out after 60 s); a few at a time finish in seconds.
    private readonly SemaphoreSlim _starts = new(maxConcurrentStarts > 0 ? maxConcurrentStarts : Math.Max(2, Environment.ProcessorCount));

    /// <summary>Tasks with a container here, and tasks whose secret and config files are still here (a crash between
    /// writing them and creating the container), so the agent removes what is no longer assigned.</summary>
    public Task<IReadOnlyList<string>> ListAsync(CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<string>>([.. containers.All
            .Select(c => c.Config.Labels is { } l && l.TryGetValue(TaskIdLabel, out var id) ? id : null)
            .OfType<string>()
            .Concat(filesRoot is not null && Directory.Exists(filesRoot)
                ? Directory.EnumerateDirectories(filesRoot).Select(Path.GetFileName).OfType<string>()
                : [])
            .Distinct(StringComparer.Ordinal)]);

    public Task<ExecutorStatus?> InspectAsync(string taskId, CancellationToken ct) =>
        Task.FromResult(Find(taskId) is { } c ? Status(c) : null);

    public async Task PrepareAsync(AssignedTask task, CancellationToken ct)
    {
        if (Find(task.TaskId) is not null)
        {
            return;
        }

        var spec = task.Spec.ContainerSpec ?? throw new TaskRejectedException("the task has no container spec");
        var labels = new Dictionary<string, string>(spec.Labels ?? [])
        {
            ["com.docker.swarm.node.id"] = task.NodeId,
            ["com.docker.swarm.service.id"] = task.ServiceId,
            ["com.docker.swarm.service.name"] = task.ServiceName,
            [TaskIdLabel] = task.TaskId,
            ["com.docker.swarm.task.name"] = task.ContainerName[..task.ContainerName.LastIndexOf('.')] + "." + task.TaskId,
            ["com.docker.swarm.task"] = "",
        };
        var resources = task.Spec.Resources?.Limits;
        var hostPorts = task.Ports.Where(p => p.PublishMode == "host").ToList();
        var request = new ContainerCreateRequest
        {
            Image = StripDigest(spec.Image),
            Cmd = spec.Args,
            Entrypoint = spec.Command,
            Env = spec.Env,
            WorkingDir = spec.Dir,
            User = spec.User,
            Hostname = spec.Hostname,
            Labels = labels,
            Tty = spec.TTY,
            OpenStdin = spec.OpenStdin,
            StopSignal = spec.StopSignal,
            StopTimeout = spec.StopGracePeriod is { } g ? (int)Math.Ceiling(g / 1e9) : 10,
            Healthcheck = spec.Healthcheck is { } h
                ? new HealthConfig { Test = h.Test, Interval = h.Interval, Timeout = h.Timeout, StartPeriod = h.StartPeriod, Retries = h.Retries }
                : null,
            ExposedPorts = hostPorts.Count == 0 ? null : hostPorts.ToDictionary(p => Key(p.TargetPort, p.Protocol), _ => new EmptyObject()),
            HostConfig = new HostConfig
            {
                NetworkMode = "bridge",
                Init = spec.Init,
                ReadonlyRootfs = spec.ReadOnly,
                Memory = resources?.MemoryBytes ?? 0,
                NanoCpus = resources?.NanoCPUs ?? 0,
                PidsLimit = resources is { Pids: > 0 } ? resources.Pids : null,
                ExtraHosts = spec.Hosts,
                Mounts = spec.Mounts?.Select(m => new Mount { Type = m.Type, Source = m.Source, Target = m.Target, ReadOnly = m.ReadOnly }).ToList(),
                PortBindings = hostPorts.Count == 0 ? null : hostPorts
                    .GroupBy(p => Key(p.TargetPort, p.Protocol))
                    .ToDictionary(g => g.Key, g => (List<PortBinding>?)[.. g.Select(p => new PortBinding { HostIp = "", HostPort = p.PublishedPort == 0 ? "" : p.PublishedPort.ToString(CultureInfo.InvariantCulture) })]),
            },
        };
        if (images is not null && images.TryResolve(request.Image!) is null && NamesRegistry(request.Image!))
        {
            try
            {
                await images.PullAsync(request.Image!, _ => { }, ct);
            }
            catch (Exception e) when (e is SkiffException or HttpRequestException or IOException)
            {
                throw new TaskRejectedException($"No such image: {request.Image} (pull failed: {e.Message})");
            }
        }

        await _starts.WaitAsync(ct);
        var created = false;
        try
        {
            // Written last, just before the create, and removed if it fails: no secret file outlives a failed prepare.
            request.HostConfig.Mounts = WithFiles(task, spec, request.HostConfig.Mounts);
            await containers.CreateAsync(request, task.ContainerName, ct);
            created = true;
        }
        catch (NotFoundException e)
        {
            // "No such image: redis:latest" is what docker service ps shows for a missing image.
            throw new TaskRejectedException(e.Message);
        }
        catch (SkiffException e) when (e.StatusCode == 400)
        {
            throw new TaskRejectedException(e.Message);
        }
        finally
        {
            _starts.Release();
            if (!created)
            {
                DeleteFiles(task.TaskId);
            }
        }
    }

    private static bool NamesRegistry(string image)
    {
        var first = image.Split('/')[0];
        return image.Contains('/', StringComparison.Ordinal) && (first.Contains('.', StringComparison.Ordinal) || first.Contains(':', StringComparison.Ordinal) || first == "localhost");
    }

    public async Task<ExecutorStatus> StartAsync(string taskId, CancellationToken ct)
    {
        var c = Find(taskId) ?? throw new InvalidOperationException($"task {taskId} has no container");
        if (!c.State.Running)
        {
            await _starts.WaitAsync(ct);
            // A start that never returns (a step of it stuck on a loaded 2-core host; the runc create step has its own
            // bound) would keep the task "starting" and hold a start slot forever. Bounded, it fails the task and the
            // restart policy replaces it, as with any failed start.
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
            limit.CancelAfter(StartTimeout);
            try
            {
                await containers.StartAsync(c.Id, limit.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new InvalidOperationException($"container start did not finish within {StartTimeout.TotalSeconds:0} s");
            }
            finally
            {
                _starts.Release();
            }
        }

        return Status(containers.Get(c.Id));
    }

    public async Task<int> WaitAsync(string taskId, CancellationToken ct)
    {
        var c = Find(taskId) ?? throw new InvalidOperationException($"task {taskId} has no container");
        return await containers.WaitAsync(c.Id, "not-running", ct);
    }

    public async Task StopAsync(string taskId, TimeSpan grace, CancellationToken ct)
    {
        if (Find(taskId) is { State.Running: true } c)
        {
            await containers.StopAsync(c.Id, (int)Math.Ceiling(grace.TotalSeconds), null, ct);
        }
    }

    public async Task RemoveAsync(string taskId, CancellationToken ct)
    {
        if (Find(taskId) is { } c)
        {
            await containers.RemoveAsync(c.Id, force: true, removeVolumes: true, ct);
        }

        DeleteFiles(taskId);
    }

    private void DeleteFiles(string taskId)
    {
        if (filesRoot is not null && Directory.Exists(Path.Combine(filesRoot, taskId)))
        {
            Directory.Delete(Path.Combine(filesRoot, taskId), recursive: true);
        }
    }

    /// <summary>
    /// The spec's mounts plus one read-only bind mount per secret and config, whose file is written first with the
    /// reference's owner and mode (Docker's defaults: 0:0, 0444). A secret goes to <c>/run/secrets/TARGET</c> and a
    /// config to <c>/TARGET</c> unless the target is absolute.
    /// </summary>
    private List<Mount>? WithFiles(AssignedTask task, ContainerSpecWire spec, List<Mount>? mounts)
    {
        var refs = (spec.Secrets ?? []).Select(r => (Kind: TaskFileKind.Secret, Id: r.SecretID, Name: r.SecretName, r.File, Path: ControlApiPaths.Secret(r.File?.Name ?? "")))
            .Concat((spec.Configs ?? []).Select(r => (Kind: TaskFileKind.Config, Id: r.ConfigID, Name: r.ConfigName, r.File, Path: ControlApiPaths.Config(r.File?.Name ?? ""))))
            .ToList();
        if (refs.Count == 0)
        {
            return mounts;
        }

        if (filesRoot is null)
        {
            throw new TaskRejectedException("this executor was started without a directory for secrets and configs");
        }

        var dir = Path.Combine(filesRoot, task.TaskId);
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }

        Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        mounts ??= [];
        for (var i = 0; i < refs.Count; i++)
        {
            var (kind, id, name, file, target) = refs[i];
            var noun = kind == TaskFileKind.Secret ? "secret" : "config";
            var data = task.Files.FirstOrDefault(f => f.Kind == kind && f.Id == id)
                ?? throw new TaskRejectedException($"{noun} {name} ({id}) was not sent with the task: it may have been removed");
            var path = Path.Combine(dir, $"{noun}-{i}");
            try
            {
                File.WriteAllBytes(path, data.Data.AsSpan().ToArray());
                PosixFiles.Chown(path, uint.Parse(file!.UID, CultureInfo.InvariantCulture), uint.Parse(file.GID, CultureInfo.InvariantCulture));
                // Permission bits only, as dockerd applies them: no setuid, setgid or sticky file the user chose.
                File.SetUnixFileMode(path, (UnixFileMode)(file.Mode & 0x1FF));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or OverflowException)
            {
                throw new TaskRejectedException($"cannot write {noun} {name} for the task: {e.Message}");
            }
            mounts.RemoveAll(m => m.Target == target);
            mounts.Add(new Mount { Type = "bind", Source = path, Target = target, ReadOnly = true });
        }

        return mounts;
    }

    private ContainerRecord? Find(string taskId) =>
        containers.All.FirstOrDefault(c => c.Config.Labels is { } l && l.TryGetValue(TaskIdLabel, out var id) && id == taskId);

    private static ExecutorStatus Status(ContainerRecord c) => new()
    {
        Running = c.State.Running,
        Exited = !c.State.Running && c.HasBeenStarted,
        ExitCode = c.State.ExitCode,
        ContainerId = c.Id,
        Pid = c.State.Pid,
        Ports = [.. c.Ports.SelectMany(kv => (kv.Value ?? []).Select(b =>
        {
            var (port, proto) = ContainerManager.ParsePortKey(kv.Key);
            return new Skiff.State.TaskPort(proto, (uint)port, uint.TryParse(b.HostPort, CultureInfo.InvariantCulture, out var hp) ? hp : 0, "host");
        })).DistinctBy(p => (p.Protocol, p.TargetPort, p.PublishedPort))],
    };

    private static string Key(uint port, string protocol) => port.ToString(CultureInfo.InvariantCulture) + "/" + (string.IsNullOrEmpty(protocol) ? "tcp" : protocol);

    /// <summary>The docker CLI pins images by digest (<c>redis:latest@sha256:...</c>); a local engine runs them by name.</summary>
    private static string StripDigest(string image)
    {
        var at = image.IndexOf('@', StringComparison.Ordinal);
        return at < 0 ? image : image[..at];
    }
}
