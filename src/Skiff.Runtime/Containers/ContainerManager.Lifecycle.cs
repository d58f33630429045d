using System.Text.Json;
using Microsoft.Extensions.Logging;
using Skiff.Api;
using Skiff.Runtime.Util;

namespace Skiff.Runtime.Containers;

public sealed partial class ContainerManager
{
    // ---------------------------------------------------------------- start

    public async Task StartAsync(string idOrName, CancellationToken ct)
    {
        var e = Find(idOrName);
        await e.Lock.WaitAsync(ct);
        try
        {
            var r = e.Record;
            if (r.State.Paused)
            {
                throw new ConflictException("cannot start a paused container, try unpause instead");
            }

            if (r.State.Running)
            {
                throw new NotModifiedException();
            }

            e.RestartTimer?.Cancel();
            e.RestartTimer = null;
            r.ManuallyStopped = false;
            await StartLockedAsync(e, ct);
        }
        finally
        {
            e.Lock.Release();
        }
    }

    private async Task StartLockedAsync(Entry e, CancellationToken ct)
    {
        var r = e.Record;
        try
        {
            var rootfs = MountRootfs(r);
            await CopyUpVolumesAsync(r, rootfs, ct);
            await _network.AttachAsync(r, ct);
            WriteEtcFiles(r);

            var user = UserResolver.Resolve(r.Config.User, rootfs);
            var env = new List<string>(r.Config.Env ?? []);
            if (!env.Any(x => x.StartsWith("HOSTNAME=", StringComparison.Ordinal)))
            {
                env.Add("HOSTNAME=" + r.Config.Hostname);
            }

            if (r.Config.Tty && !env.Any(x => x.StartsWith("TERM=", StringComparison.Ordinal)))
            {
                env.Add("TERM=xterm");
            }

            if (user.Uid == 0 && !env.Any(x => x.StartsWith("HOME=", StringComparison.Ordinal)))
            {
                env.Add("HOME=/root");
            }

            var mounts = new List<OciSpec.BindMount>
            {
                new(Path.Combine(ContainerDir(r.Id), "hostname"), "/etc/hostname", false),
                new(Path.Combine(ContainerDir(r.Id), "hosts"), "/etc/hosts", false),
                new(Path.Combine(ContainerDir(r.Id), "resolv.conf"), "/etc/resolv.conf", false),
            };
            foreach (var m in r.Mounts)
            {
                mounts.Add(m.Type == "tmpfs"
                    ? new OciSpec.BindMount("tmpfs", m.Destination, false, "tmpfs")
                    : new OciSpec.BindMount(m.Source, m.Destination, !m.RW));
            }

            var spec = OciSpec.Build(new OciSpec.Inputs(
                r.Id, rootfs, r.Config, r.HostConfig, [r.Path, .. r.Args], env,
                r.Config.WorkingDir ?? "/", user, r.Config.Hostname ?? r.ShortId, r.NetnsPath, mounts, _options.CgroupParent));
            if (!string.IsNullOrEmpty(r.Config.WorkingDir))
            {
                Directory.CreateDirectory(Path.Combine(rootfs, r.Config.WorkingDir.TrimStart('/')));
            }

            _runc.ClearExitFile(r.Id);
            var pid = await _runc.CreateAsync(r.Id, spec, r.LogPath, r.Config.OpenStdin, r.Config.StdinOnce, ct);
            r.InitStartTicks = Runc.InitStartTicks(pid);
            await _runc.StartAsync(r.Id, pid, ct);
            r.State = new ContainerState
            {
                Status = "running",
                Running = true,
                Pid = pid,
                StartedAt = Rfc3339.Format(_time.GetUtcNow()),
                FinishedAt = r.State.FinishedAt,
                ExitCode = 0,
                Health = r.Config.Healthcheck is { Test: { Count: > 0 } t } && t[0] != "NONE" ? new HealthState { Status = "starting" } : null,
            };
            r.HasBeenStarted = true;
            Save(r);
            Publish(r, "start");
            Signal(e);
            StartHealthcheck(e);

            // The process may already have exited (a quick `true`) before we recorded Running.
            if (_runc.ReadExitCode(r.Id) is not null)
            {
                _ = Task.Run(() => HandleExitAsync(r.Id));
            }
        }
        catch (Exception ex) when (ex is not SkiffException)
        {
            _log.LogWarning(ex, "start of {Id} failed", r.ShortId);
            await _runc.DeleteAsync(r.Id, CancellationToken.None);
            await _network.DetachAsync(r, CancellationToken.None);
            var msg = ex.Message;
            r.State.Error = msg;
            r.State.ExitCode = msg.Contains("executable file not found", StringComparison.Ordinal) || msg.Contains("no such file or directory", StringComparison.Ordinal) ? 127 : 128;
            r.State.Status = r.HasBeenStarted ? "exited" : "created";
            Save(r);
            Signal(e);
            var status = r.State.ExitCode == 127 ? 400 : 500;
            throw new SkiffException(status, $"failed to create shim task: OCI runtime create failed: {msg}: unknown");
        }
    }

    private string MountRootfs(ContainerRecord r)
    {
        var dir = OverlayDir(r.Id);
        var merged = Path.Combine(dir, "merged");
        if (MountTable.IsMounted(merged))
        {
            return merged;
        }

        var image = _images.Resolve(r.ImageId);
        var layers = _images.LayerDirectories(image).Reverse().ToList();
        if (layers.Count == 0)
        {
            var empty = Path.Combine(dir, "empty");
            Directory.CreateDirectory(empty);
            layers.Add(empty);
        }

        Directory.CreateDirectory(merged);
        var opts = $"lowerdir={string.Join(':', layers)},upperdir={Path.Combine(dir, "diff")},workdir={Path.Combine(dir, "work")}";
        // mount(2) directly: one process spawn less on every start.
        if (Native.Mount("overlay", merged, "overlay", 0, opts) != 0)
        {
            var errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            throw new InvalidOperationException($"mount overlay on {merged}: errno {errno} ({opts})");
        }

        return merged;
    }

    private void UnmountRootfs(ContainerRecord r)
    {
        var merged = Path.Combine(OverlayDir(r.Id), "merged");
        if (MountTable.IsMounted(merged) && Native.Umount2(merged, Native.MntDetach) != 0)
        {
            _log.LogWarning("umount {Path} failed", merged);
        }
    }

    /// <summary>Docker copies the image's content at a volume's path into the volume when the volume is empty.</summary>
    private static async Task CopyUpVolumesAsync(ContainerRecord r, string rootfs, CancellationToken ct)
    {
        foreach (var m in r.Mounts.Where(m => m.Type == "volume"))
        {
            var src = Path.Combine(rootfs, m.Destination.TrimStart('/'));
            if (!Directory.Exists(src) || !Directory.Exists(m.Source) || Directory.EnumerateFileSystemEntries(m.Source).Any())
            {
                continue;
            }

            if (Directory.EnumerateFileSystemEntries(src).Any())
            {
                await Proc.CheckAsync("cp", ["-a", src + "/.", m.Source + "/"], ct);
            }
        }
    }

    private void WriteEtcFiles(ContainerRecord r)
    {
        var dir = ContainerDir(r.Id);
        var hostname = r.Config.Hostname ?? r.ShortId;
        AtomicFile.WriteAllText(Path.Combine(dir, "hostname"), hostname + "\n");
        var hosts = new List<string>
        {
            "127.0.0.1\tlocalhost",
            "::1\tlocalhost ip6-localhost ip6-loopback",
            "fe00::0\tip6-localnet",
            "ff00::0\tip6-mcastprefix",
            "ff02::1\tip6-allnodes",
            "ff02::2\tip6-allrouters",
        };
        foreach (var extra in r.HostConfig.ExtraHosts ?? [])
        {
            var kv = extra.Split(':', 2);
            if (kv.Length == 2)
            {
                hosts.Add($"{kv[1]}\t{kv[0]}");
            }
        }

        hosts.AddRange(_network.HostsEntries(r));
        var first = r.Networks.Values.FirstOrDefault(n => !string.IsNullOrEmpty(n.IPAddress));
        if (first is not null)
        {
            hosts.Add($"{first.IPAddress}\t{hostname}");
        }

        AtomicFile.WriteAllText(Path.Combine(dir, "hosts"), string.Join('\n', hosts) + "\n");
        AtomicFile.WriteAllText(Path.Combine(dir, "resolv.conf"), _network.ResolvConf(r));
    }

    // ---------------------------------------------------------------- stop, kill, restart

    public async Task StopAsync(string idOrName, int? timeoutSeconds, string? signal, CancellationToken ct)
    {
        var e = Find(idOrName);
        var r = e.Record;
        await e.Lock.WaitAsync(ct);
        try
        {
            if (r.State.Restarting)
            {
                e.RestartTimer?.Cancel();
                e.RestartTimer = null;
                r.ManuallyStopped = true;
                r.State.Restarting = false;
                r.State.Status = "exited";
                Save(r);
                Signal(e);
                return;
            }

            if (!r.State.Running)
            {
                throw new NotModifiedException();
            }

            r.ManuallyStopped = true;
            Save(r);
            if (r.State.Paused)
            {
                await _runc.ResumeAsync(r.Id, ct);
            }

            await KillQuietAsync(r, Signals.Normalise(signal ?? r.Config.StopSignal ?? "SIGTERM"), ct);
        }
        finally
        {
            e.Lock.Release();
        }

        var timeout = TimeSpan.FromSeconds(timeoutSeconds ?? r.Config.StopTimeout ?? 10);
        if (timeout < TimeSpan.Zero)
        {
            await WaitNotRunningAsync(e, Timeout.InfiniteTimeSpan, ct);
            return;
        }

        if (!await WaitNotRunningAsync(e, timeout, ct))
        {
            await KillQuietAsync(r, "SIGKILL", ct);
            if (!await WaitNotRunningAsync(e, TimeSpan.FromSeconds(30), ct))
            {
                throw new SkiffException(500, $"cannot stop container: {r.Id}: tried to kill container, but did not receive an exit event");
            }
        }

    }

    private async Task<bool> WaitNotRunningAsync(Entry e, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = timeout == Timeout.InfiniteTimeSpan ? DateTimeOffset.MaxValue : _time.GetUtcNow() + timeout;
        while (e.Record.State.Running)
        {
            ct.ThrowIfCancellationRequested();
            var left = deadline - _time.GetUtcNow();
            if (left <= TimeSpan.Zero)
            {
                return false;
            }

            var t = e.StateChanged.Task;
            if (!e.Record.State.Running)
            {
                break;
            }

            // inotify normally wakes us; a missed event must not hang us, so re-check the exit file each second.
            var slice = left < TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1);
            var done = await Task.WhenAny(t, Task.Delay(slice, _time, ct));
            if (done != t && _runc.ReadExitCode(e.Record.Id) is not null)
            {
                await HandleExitAsync(e.Record.Id);
            }
        }

        return true;
    }

    private async Task KillQuietAsync(ContainerRecord r, string signal, CancellationToken ct)
    {
        try
        {
            await SignalInitAsync(r, signal, ct);
        }
        catch (InvalidOperationException ex)
        {
            // Already gone between our check and the signal: the exit watcher will report it.
            _log.LogDebug(ex, "kill {Id} {Signal}", r.ShortId, signal);
        }
    }

    /// <summary>The init's pid and start time name it for good; a paused container goes through runc (cgroup v1 needs
    /// a thaw after SIGKILL).</summary>
    private Task SignalInitAsync(ContainerRecord r, string signal, CancellationToken ct)
        => _runc.SignalInitAsync(r.Id, r.State.Pid, r.State.Paused ? null : r.InitStartTicks, signal, ct);

    public async Task KillAsync(string idOrName, string? signal, CancellationToken ct)
    {
        var e = Find(idOrName);
        var sig = Signals.Normalise(string.IsNullOrEmpty(signal) ? "SIGKILL" : signal);
        await e.Lock.WaitAsync(ct);
        try
        {
            var r = e.Record;
            if (!r.State.Running)
            {
                throw new ConflictException($"Cannot kill container: {idOrName}: Container {r.Id} is not running");
            }

            if (sig is "SIGKILL" or "SIGTERM" or "SIGINT")
            {
                r.ManuallyStopped = true;
                Save(r);
            }

            try
            {
                await SignalInitAsync(r, sig, ct);
            }
            catch (InvalidOperationException ex) when (ex.Message.Contains("not running", StringComparison.Ordinal))
            {
                throw new ConflictException($"Cannot kill container: {idOrName}: Container {r.Id} is not running");
            }

            Publish(r, "kill", new Dictionary<string, string> { ["signal"] = Signals.Number(sig).ToString() });
        }
        finally
        {
            e.Lock.Release();
        }
    }

    public async Task RestartAsync(string idOrName, int? timeoutSeconds, CancellationToken ct)
    {
        var e = Find(idOrName);
        if (e.Record.State.Running)
        {
            await StopAsync(idOrName, timeoutSeconds, null, ct);
        }

        await e.Lock.WaitAsync(ct);
        try
        {
            e.RestartTimer?.Cancel();
            e.RestartTimer = null;
            e.Record.ManuallyStopped = false;
            e.Record.State.Restarting = false;
            if (!e.Record.State.Running)
            {
                await StartLockedAsync(e, ct);
            }
        }
        finally
        {
            e.Lock.Release();
        }

        Publish(e.Record, "restart");
    }

    public async Task PauseAsync(string idOrName, bool pause, CancellationToken ct)
    {
        var e = Find(idOrName);
        await e.Lock.WaitAsync(ct);
        try
        {
            var r = e.Record;
            if (!r.State.Running)
            {
                throw new ConflictException($"Container {r.Id} is not running");
            }

            if (pause && r.State.Paused)
            {
                throw new ConflictException($"Container {r.Id} is already paused");
            }

            if (!pause && !r.State.Paused)
            {
                throw new ConflictException($"Container {r.Id} is not paused");
            }

            if (pause)
            {
                await _runc.PauseAsync(r.Id, ct);
            }
            else
            {
                await _runc.ResumeAsync(r.Id, ct);
            }

            r.State.Paused = pause;
            r.State.Status = pause ? "paused" : "running";
            Save(r);
            Publish(r, pause ? "pause" : "unpause");
            Signal(e);
        }
        finally
        {
            e.Lock.Release();
        }
    }

    // ---------------------------------------------------------------- rename, remove

    public void Rename(string idOrName, string newName)
    {
        var e = Find(idOrName);
        var n = newName.TrimStart('/');
        if (!ValidName().IsMatch(n))
        {
            throw new BadRequestException($"Invalid container name ({newName}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
        }

        var old = e.Record.Name.TrimStart('/');
        if (old == n)
        {
            throw new BadRequestException("Renaming a container with the same name as its current name");
        }

        lock (_nameGate)
        {
            if (_byName.TryGetValue(n, out var other))
            {
                throw new ConflictException($"Conflict. The container name \"/{n}\" is already in use by container \"{other}\". You have to remove (or rename) that container to be able to reuse that name.");
            }

            _byName[n] = e.Record.Id;
            _byName.TryRemove(old, out _);
            e.Record.Name = "/" + n;
        }

        _network.Forget(e.Record);
        Save(e.Record);
        Publish(e.Record, "rename", new Dictionary<string, string> { ["oldName"] = "/" + old });
    }

    public async Task RemoveAsync(string idOrName, bool force, bool removeVolumes, CancellationToken ct)
    {
        var e = Find(idOrName);
        var r = e.Record;
        if (r.State.Running || r.State.Restarting)
        {
            if (!force)
            {
                var what = r.State.Paused ? "paused" : r.State.Restarting ? "restarting" : "running";
                throw new ConflictException($"You cannot remove a {what} container {r.Id}. Stop the container before attempting removal or force remove");
            }

            r.ManuallyStopped = true;
            if (r.State.Restarting)
            {
                e.RestartTimer?.Cancel();
                r.State.Restarting = false;
            }
            else
            {
                await KillQuietAsync(r, "SIGKILL", ct);
                await WaitNotRunningAsync(e, TimeSpan.FromSeconds(30), ct);
            }
        }

        await e.Lock.WaitAsync(ct);
        try
        {
            if (e.Removed)
            {
                return;
            }

            await RemoveLockedAsync(e, removeVolumes);
        }
        finally
        {
            e.Lock.Release();
        }
    }

    private async Task RemoveLockedAsync(Entry e, bool removeVolumes)
    {
        var r = e.Record;
        e.Removed = true;
        e.RestartTimer?.Cancel();
        await _runc.DeleteAsync(r.Id, CancellationToken.None);
        await _network.DetachAsync(r, CancellationToken.None);
        _network.Forget(r);
        UnmountRootfs(r);
        TryDeleteDir(OverlayDir(r.Id));
        TryDeleteDir(ContainerDir(r.Id));
        _byId.TryRemove(r.Id, out _);
        _byName.TryRemove(r.Name.TrimStart('/'), out _);
        if (removeVolumes)
        {
            foreach (var m in r.Mounts.Where(m => m.Type == "volume" && m.Name is not null))
            {
                var v = _volumes.Exists(m.Name!) ? _volumes.Inspect(m.Name!) : null;
                if (v is not null && v.Labels.ContainsKey("com.docker.volume.anonymous") && ContainersUsingVolume(m.Name!).Count == 0)
                {
                    _volumes.Remove(m.Name!, force: true, []);
                }
            }
        }

        r.State.Status = "removing";
        Publish(r, "destroy");
        Signal(e);
    }

    // ---------------------------------------------------------------- wait

    /// <summary>Docker's wait conditions: not-running (default), next-exit, removed. Returns the exit code.</summary>
    public async Task<int> WaitAsync(string idOrName, string? condition, CancellationToken ct)
    {
        var e = Find(idOrName);
        condition = string.IsNullOrEmpty(condition) ? "not-running" : condition;
        if (condition is not ("not-running" or "next-exit" or "removed"))
        {
            throw new BadRequestException($"invalid condition: \"{condition}\"");
        }

        // Count exits rather than watching Running: a quick container can start and exit between two wake-ups.
        var exitsAtCall = e.Exits;
        while (true)
        {
            var t = e.StateChanged.Task;
            var s = e.Record.State;
            switch (condition)
            {
                case "not-running" when !s.Running && !s.Restarting:
                case "next-exit" when e.Exits > exitsAtCall || e.Removed:
                case "removed" when e.Removed:
                    return s.ExitCode;
            }

            await t.WaitAsync(ct);
        }
    }

    // ---------------------------------------------------------------- exits and restarts

    /// <summary>Called when conmon writes an exit file (inotify), and at restore.</summary>
    private async Task HandleExitAsync(string id)
    {
        if (!_byId.TryGetValue(id, out var e))
        {
            return;
        }

        var code = _runc.ReadExitCode(id);
        if (code is null)
        {
            return;
        }

        await e.Lock.WaitAsync();
        try
        {
            var r = e.Record;
            if (!r.State.Running || e.Removed)
            {
                return;
            }

            // The exit file's time is when the process ended, even if skiffd was down then.
            var exitFile = Path.Combine(_runc.Paths.ExitDir, id);
            var finished = File.Exists(exitFile) ? new DateTimeOffset(File.GetLastWriteTimeUtc(exitFile), TimeSpan.Zero) : _time.GetUtcNow();
            Rfc3339.TryParse(r.State.StartedAt, out var started);
            r.State.Running = false;
            r.State.Paused = false;
            r.State.Pid = 0;
            r.State.ExitCode = code.Value;
            r.State.FinishedAt = Rfc3339.Format(finished);
            r.State.Status = "exited";
            if (r.State.Health is not null)
            {
                r.State.Health.Status = "unhealthy";
            }

            e.Exits++;
            await _runc.DeleteAsync(r.Id, CancellationToken.None);
            _runc.ClearExitFile(r.Id);
            await _network.DetachAsync(r, CancellationToken.None);
            Publish(r, "die", new Dictionary<string, string> { ["exitCode"] = code.Value.ToString() });

            if (r.HostConfig.AutoRemove)
            {
                Save(r);
                await RemoveLockedAsync(e, removeVolumes: true);
                return;
            }

            if (RestartPolicies.ShouldRestart(r.HostConfig.RestartPolicy, code.Value, r.RestartCount, r.ManuallyStopped))
            {
                ScheduleRestart(e, finished - started);
            }

            Save(r);
            Signal(e);
        }
        finally
        {
            e.Lock.Release();
        }
    }

    private void ScheduleRestart(Entry e, TimeSpan ranFor)
    {
        var r = e.Record;
        var delay = RestartPolicies.NextDelay(e.LastRestartDelay, ranFor);
        e.LastRestartDelay = delay;
        r.State.Restarting = true;
        r.State.Status = "restarting";
        var cts = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        e.RestartTimer = cts;
        _ = Task.Run(async () =>
        {
            try
            {
                await Task.Delay(delay, _time, cts.Token);
                await e.Lock.WaitAsync(cts.Token);
                try
                {
                    if (e.Removed || !r.State.Restarting)
                    {
                        return;
                    }

                    r.RestartCount++;
                    r.State.Restarting = false;
                    await StartLockedAsync(e, cts.Token);
                }
                finally
                {
                    e.Lock.Release();
                }
            }
            catch (OperationCanceledException)
            {
            }
            catch (SkiffException ex)
            {
                _log.LogWarning("restart of {Id} failed: {Message}", r.ShortId, ex.Message);
            }
        });
    }

    // ---------------------------------------------------------------- restore after a skiffd restart

    /// <summary>Loads every container from disk, adopts the ones conmon kept running, and applies exits that
    /// happened while skiffd was down. Then starts containers whose restart policy asks for it.</summary>
    public async Task RestoreAsync(CancellationToken ct)
    {
        foreach (var dir in Directory.EnumerateDirectories(ContainersRoot))
        {
            var file = Path.Combine(dir, "container.json");
            if (!File.Exists(file))
            {
                TryDeleteDir(dir);
                continue;
            }

            ContainerRecord? r;
            try
            {
                r = JsonSerializer.Deserialize(File.ReadAllBytes(file), RuntimeJson.Default.ContainerRecord);
            }
            catch (JsonException ex)
            {
                _log.LogError(ex, "cannot read {File}; container skipped", file);
                continue;
            }

            if (r is null)
            {
                continue;
            }

            _byId[r.Id] = new Entry(r);
            _byName[r.Name.TrimStart('/')] = r.Id;
        }

        Directory.CreateDirectory(_runc.Paths.ExitDir);
        _exitWatcher = new FileSystemWatcher(_runc.Paths.ExitDir) { NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size };
        _exitWatcher.Created += (_, a) => _ = Task.Run(() => HandleExitAsync(a.Name!));
        _exitWatcher.Changed += (_, a) => _ = Task.Run(() => HandleExitAsync(a.Name!));
        // conmon writes the exit file to a temporary name and renames it into place.
        _exitWatcher.Renamed += (_, a) => _ = Task.Run(() => HandleExitAsync(a.Name!));
        _exitWatcher.EnableRaisingEvents = true;

        foreach (var e in _byId.Values.ToList())
        {
            var r = e.Record;
            if (r.State.Running)
            {
                if (_runc.ReadExitCode(r.Id) is not null)
                {
                    await HandleExitAsync(r.Id);
                    continue;
                }

                var st = await _runc.StateAsync(r.Id, ct);
                if (st is { Status: "running" or "paused" } s)
                {
                    r.State.Paused = s.Status == "paused";
                    r.State.Status = s.Status;
                    _log.LogInformation("adopted running container {Id}", r.ShortId);
                    StartHealthcheck(e);
                    continue;
                }

                // conmon and the container are both gone without an exit file (host reboot): dead.
                r.State.Running = false;
                r.State.Paused = false;
                r.State.Status = "exited";
                r.State.ExitCode = 255;
                r.State.FinishedAt = Rfc3339.Format(_time.GetUtcNow());
                await _runc.DeleteAsync(r.Id, ct);
                await _network.DetachAsync(r, ct);
                Save(r);
            }

            var p = r.HostConfig.RestartPolicy?.Name;
            if (!r.State.Running && r.HasBeenStarted && (p == "always" || (p == "unless-stopped" && !r.ManuallyStopped)))
            {
                await e.Lock.WaitAsync(ct);
                try
                {
                    await StartLockedAsync(e, ct);
                }
                catch (SkiffException ex)
                {
                    _log.LogWarning("restart of {Id} at start-up failed: {Message}", r.ShortId, ex.Message);
                }
                finally
                {
                    e.Lock.Release();
                }
            }
        }
    }
}
