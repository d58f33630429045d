using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Nodes;
using Skiff.Runtime.Util;

namespace Skiff.Runtime.Containers;

/// <summary>Where a daemon instance keeps runc state, conmon sockets and exit files.</summary>
public sealed record RuntimePaths(string ExecRoot)
{
    public string RuncRoot => Path.Combine(ExecRoot, "runc");
    public string ExitDir => Path.Combine(ExecRoot, "exits");
    public string SocketDir => Path.Combine(ExecRoot, "conmon");
    public string BundleDir(string id) => Path.Combine(ExecRoot, "bundles", id);
}

/// <summary>
/// runc and conmon, the only two programs that touch a container's processes. conmon does
/// <c>runc create</c> and stays behind as the monitor (stdio, k8s-file log, exit file) so containers
/// outlive skiffd; we then start it as <c>runc start</c> would (<see cref="StartAsync"/>). See reference/runtime-facts.md.
/// </summary>
public sealed class Runc(RuntimePaths paths, string runcPath = "runc", string conmonPath = "conmon", TimeSpan? createTimeout = null)
{
    public RuntimePaths Paths { get; } = paths;

    /// <summary>How long conmon + runc create may take before the create is declared stuck (60 s unless a test says).</summary>
    public TimeSpan CreateTimeout { get; } = createTimeout ?? TimeSpan.FromSeconds(60);

    public static string Find(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin").Split(':').Append("/usr/sbin").Append("/sbin"))
        {
            var p = Path.Combine(dir, name);
            if (File.Exists(p))
            {
                return p;
            }
        }

        throw new FileNotFoundException($"{name} not found on PATH; install it (scripts/install.sh does)");
    }

    /// <summary>Writes the bundle and has conmon create the container. Returns the container's init pid.</summary>
    public async Task<int> CreateAsync(string id, JsonObject spec, string logPath, bool openStdin, bool stdinOnce, CancellationToken ct)
    {
        var bundle = Paths.BundleDir(id);
        Directory.CreateDirectory(bundle);
        Directory.CreateDirectory(Paths.ExitDir);
        Directory.CreateDirectory(Paths.SocketDir);
        Directory.CreateDirectory(Paths.RuncRoot);
        AtomicFile.WriteAllText(Path.Combine(bundle, "config.json"), spec.ToJsonString());
        File.Delete(Path.Combine(Paths.ExitDir, id));

        // A leftover runc state (crash between create and delete) would make create fail.
        if (Directory.Exists(Path.Combine(Paths.RuncRoot, id)))
        {
            await Proc.RunAsync(runcPath, ["--root", Paths.RuncRoot, "delete", "--force", id], ct);
        }

        // conmon reports create's outcome on the fd named by _OCI_SYNCPIPE: {"data": pid} or
        // {"data": -1, "message": ...}. .NET cannot hand a child an extra fd, so a FIFO is opened
        // as fd 3 by /bin/sh, which then execs conmon.
        var fifo = Path.Combine(bundle, "sync.fifo");
        File.Delete(fifo);
        if (Native.MkFifo(fifo, 0x180) != 0)
        {
            throw new IOException($"mkfifo {fifo} failed");
        }

        // conmon keeps the pipe open for its whole life, so read one message, not to EOF.
        var readTask = Task.Run(() => ReadFirstMessage(fifo), ct);
        var args = new List<string>
        {
            "-c", "exec \"$0\" \"$@\" 3>\"$SKIFF_SYNC_FIFO\"", conmonPath,
            "--api-version", "1",
            "--cid", id, "--cuuid", id, "--name", id,
            "--runtime", runcPath,
            "--bundle", bundle,
            "--exit-dir", Paths.ExitDir,
            "--log-path", logPath, "-l", "k8s-file:" + logPath,
            "--container-pidfile", Path.Combine(bundle, "pidfile"),
            "--conmon-pidfile", Path.Combine(bundle, "conmon.pid"),
            "--socket-dir-path", Paths.SocketDir,
            "--runtime-arg", "--root=" + Paths.RuncRoot,
            "--syslog=false",
            "--log-level", "error",
        };
        if (spec["process"]?["terminal"]?.GetValue<bool>() == true)
        {
            args.Add("-t");
        }

        if (openStdin)
        {
            // conmon holds the container's stdin and feeds it from clients of its attach socket.
            args.Add("-i");
            if (!stdinOnce)
            {
                args.Add("--leave-stdin-open");
            }
        }

        // conmon's parent exits only when runc create has finished, so a runc create that never returns (seen on
        // 2-core hosts under heavy parallel creation) would hold this call, and with it the caller's start slot,
        // forever. Bound it, then stop whatever is stuck and say where it was stuck.
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(CreateTimeout);
        ProcResult r;
        try
        {
            r = await Proc.RunAsync("/bin/sh", args, limit.Token, env: new Dictionary<string, string> { ["_OCI_SYNCPIPE"] = "3", ["SKIFF_SYNC_FIFO"] = fifo });
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw await StuckAsync(id, fifo);
        }

        if (r.ExitCode != 0)
        {
            UnblockReader(fifo);

            throw new InvalidOperationException($"conmon failed: {r.Stderr.Trim()}");
        }

        string sync;
        try
        {
            sync = await readTask.WaitAsync(CreateTimeout, ct);
        }
        catch (TimeoutException)
        {
            // conmon's parent may return before runc create is done; then the wait for its report is what times out.
            throw await StuckAsync(id, fifo);
        }

        File.Delete(fifo);
        var first = sync.Trim();
        var node = first.Length > 0 ? JsonNode.Parse(first) : null;
        var pid = node?["data"]?.GetValue<int>() ?? -1;
        if (pid <= 0)
        {
            var msg = node?["message"]?.GetValue<string>() ?? "runc create failed";
            throw new InvalidOperationException(CleanRuncMessage(msg));
        }

        return pid;
    }

    /// <summary>A create that did not finish in time: stop its processes, clear runc's state, describe it.</summary>
    private async Task<InvalidOperationException> StuckAsync(string id, string fifo)
    {
        var stuck = StopStuck(id);
        UnblockReader(fifo);
        await Proc.RunAsync(runcPath, ["--root", Paths.RuncRoot, "delete", "--force", id], CancellationToken.None);
        return new InvalidOperationException($"runc create did not finish within {CreateTimeout.TotalSeconds:0} s and was stopped (stuck: {stuck})");
    }

    /// <summary>Opens and closes the FIFO for writing, so a reader blocked in open() returns (with nothing). Non-blocking:
    /// when no reader is left (it already saw EOF) the open fails at once instead of waiting for one forever.</summary>
    private static void UnblockReader(string fifo)
    {
        var fd = Native.Open(fifo, Native.OWriteOnly | Native.ONonBlock);
        if (fd >= 0)
        {
            _ = Native.Close(fd);
        }
    }

    /// <summary>
    /// SIGKILLs the processes of a stuck create: those whose command line names the container (conmon, runc
    /// create) and their descendants (runc init). Returns "comm(pid) in wchan" for each, for the error and the log.
    /// </summary>
    private static string StopStuck(string id)
    {
        var parents = new Dictionary<int, int>();
        var named = new HashSet<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            try
            {
                if (ProcStat(pid) is not { } fields)
                {
                    continue;
                }

                parents[pid] = int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture);
                if (File.ReadAllText(Path.Combine(dir, "cmdline")).Contains(id, StringComparison.Ordinal))
                {
                    named.Add(pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
            {
                // The process ended while we looked.
            }
        }

        var doomed = new HashSet<int>(named);
        for (var grew = true; grew;)
        {
            grew = false;
            foreach (var (pid, ppid) in parents)
            {
                if (doomed.Contains(ppid) && doomed.Add(pid))
                {
                    grew = true;
                }
            }
        }

        var described = new List<string>();
        foreach (var pid in doomed.Order())
        {
            string Read(string file)
            {
                try
                {
                    return File.ReadAllText($"/proc/{pid}/{file}").Trim();
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    return "?";
                }
            }

            described.Add($"{Read("comm")}({pid}) in {Read("wchan")}");
            _ = Native.Kill(pid, 9);
        }

        return described.Count == 0 ? "no process left" : string.Join(", ", described);
    }

    private static string ReadFirstMessage(string fifo)
    {
        using var fs = new FileStream(fifo, FileMode.Open, FileAccess.Read);
        var sb = new StringBuilder();
        var depth = 0;
        int b;
        while ((b = fs.ReadByte()) >= 0)
        {
            var ch = (char)b;
            sb.Append(ch);
            if (ch == '{')
            {
                depth++;
            }
            else if (ch == '}' && --depth == 0)
            {
                break;
            }
        }

        return sb.ToString();
    }

    /// <summary>
    /// Starts a created container, as <c>runc start</c> does but without a Go process per start (about 33 ms of CPU and
    /// 490 page faults each on our 2-core VMs; bench/RESULTS.md). <c>runc create</c> leaves the container's init blocked
    /// opening <c>exec.fifo</c> in runc's state directory for writing; a reader lets it write one byte and exec the
    /// container's process, and the FIFO is then removed (that is how runc tells "created" from "running"). Without the
    /// FIFO or the init's pid, <c>runc start</c> does it.
    /// </summary>
    public async Task StartAsync(string id, int initPid, CancellationToken ct)
    {
        var fifo = Path.Combine(Paths.RuncRoot, id, "exec.fifo");
        if (initPid <= 0 || !File.Exists(fifo))
        {
            await Check(["start", id], ct);
            return;
        }

        await Task.Run(() => ReleaseInit(fifo, initPid, ct), ct);
        File.Delete(fifo);
    }

    /// <summary>
    /// Opens the exec FIFO for reading (non-blocking, so a dead init cannot hold us), takes init's byte, then waits for
    /// the FIFO's end, which comes when init execs the container's process (its end is close-on-exec): like
    /// <c>runc start</c>, which reads to the end, this returns once the process is the container's, so a signal sent
    /// right after lands on it and not on runc's init. runc's errors: an init that died before writing is "container
    /// process is already dead"; a FIFO closed without a byte is "cannot start an already running container".
    /// </summary>
    private static void ReleaseInit(string fifo, int initPid, CancellationToken ct)
    {
        var fd = Native.Open(fifo, Native.ORdOnly | Native.ONonBlock | Native.OCloexec);
        if (fd < 0)
        {
            throw new InvalidOperationException($"open {fifo}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }

        try
        {
            Span<byte> one = stackalloc byte[1];
            var released = false;
            var deadline = Environment.TickCount64 + 60_000;
            while (true)
            {
                ct.ThrowIfCancellationRequested();
                var p = new Native.PollFd { Fd = fd, Events = Native.PollIn };
                if (Native.Poll(ref p, 1, 100) > 0)
                {
                    var n = Native.Read(fd, one, 1);
                    if (n == 1)
                    {
                        released = true;
                        continue;
                    }

                    if (n == 0 && (p.Revents & Native.PollHup) != 0)
                    {
                        // Closed: init exec'd (or failed to and exited, which the exit watcher reports).
                        if (released)
                        {
                            return;
                        }

                        throw new InvalidOperationException("cannot start an already running container");
                    }
                }
                else if (InitStartTicks(initPid) is null)
                {
                    // Gone since the last look: it may have written, exec'd and exited in between (its byte still
                    // waits in the FIFO), which runc checks for too.
                    if (released || Native.Read(fd, one, 1) == 1)
                    {
                        return;
                    }

                    throw new InvalidOperationException("container process is already dead");
                }

                if (Environment.TickCount64 > deadline)
                {
                    throw new InvalidOperationException("the container's init did not take the start signal within 60 s");
                }
            }
        }
        finally
        {
            _ = Native.Close(fd);
        }
    }

    /// <summary>The start time (clock ticks after boot, field 22 of /proc/PID/stat) of a live process, or null when it
    /// is gone or a zombie. With the pid it names one process for good: a reused pid has a later start time.</summary>
    public static long? InitStartTicks(int pid)
        => ProcStat(pid) is { Length: > 19 } fields && fields[0] != "Z"
            && long.TryParse(fields[19], System.Globalization.CultureInfo.InvariantCulture, out var t) ? t : null;

    /// <summary>The fields of /proc/PID/stat from field 3 (state) on, or null when the process is gone. They start
    /// after the last ')': the command name before it may hold spaces and parentheses.</summary>
    private static string[]? ProcStat(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Signals the container's init. Given its pid and the start time recorded when it was created, this is
    /// pidfd_send_signal from the daemon, without a runc process (about 37 ms of CPU each on our VMs): the pidfd pins
    /// the process and the start time proves it is still our init, not a reused pid; the same check <c>runc kill</c>
    /// makes. Without them (or for a paused container, which cgroup v1 must thaw after a SIGKILL) <c>runc kill</c> does
    /// it. A container whose init is gone is "container not running", as runc says.
    /// </summary>
    public async Task SignalInitAsync(string id, int pid, long? startTicks, string signal, CancellationToken ct)
    {
        if (pid <= 0 || startTicks is null)
        {
            await KillAsync(id, signal, all: false, ct);
            return;
        }

        var pidfd = Native.PidfdOpen(pid, 0);
        if (pidfd < 0)
        {
            if (Marshal.GetLastPInvokeError() == 3)
            {
                throw new InvalidOperationException("container not running"); // ESRCH
            }

            await KillAsync(id, signal, all: false, ct); // no pidfd_open (kernel before 5.3): runc can
            return;
        }

        try
        {
            if (InitStartTicks(pid) != startTicks)
            {
                throw new InvalidOperationException("container not running");
            }

            if (Native.PidfdSendSignal(pidfd, Signals.Number(signal), 0, 0) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                throw new InvalidOperationException(errno == 3 ? "container not running" : $"signal {signal}: {Marshal.GetPInvokeErrorMessage(errno)}");
            }
        }
        finally
        {
            _ = Native.Close(pidfd);
        }
    }

    public Task KillAsync(string id, string signal, bool all, CancellationToken ct) =>
        Check(all ? ["kill", "--all", id, signal] : ["kill", id, signal], ct);

    public Task PauseAsync(string id, CancellationToken ct) => Check(["pause", id], ct);

    public Task ResumeAsync(string id, CancellationToken ct) => Check(["resume", id], ct);

    public async Task DeleteAsync(string id, CancellationToken ct)
    {
        await Proc.RunAsync(runcPath, ["--root", Paths.RuncRoot, "delete", "--force", id], ct);
        var bundle = Paths.BundleDir(id);
        if (Directory.Exists(bundle))
        {
            Directory.Delete(bundle, recursive: true);
        }

        var sock = Path.Combine(Paths.SocketDir, id);
        if (Directory.Exists(sock))
        {
            Directory.Delete(sock, recursive: true);
        }
    }

    /// <summary>runc's view: "created", "running", "paused", "stopped", or null if runc does not know it.</summary>
    public async Task<(string Status, int Pid)?> StateAsync(string id, CancellationToken ct)
    {
        var r = await Proc.RunAsync(runcPath, ["--root", Paths.RuncRoot, "state", id], ct);
        if (r.ExitCode != 0)
        {
            return null;
        }

        var n = JsonNode.Parse(r.Stdout);
        return (n?["status"]?.GetValue<string>() ?? "unknown", n?["pid"]?.GetValue<int>() ?? 0);
    }

    public async Task<List<int>> PidsAsync(string id, CancellationToken ct)
    {
        var r = await Proc.RunAsync(runcPath, ["--root", Paths.RuncRoot, "ps", "--format", "json", id], ct);
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException(CleanRuncMessage(r.Stderr));
        }

        return JsonNode.Parse(r.Stdout)?.AsArray().Select(x => x!.GetValue<int>()).ToList() ?? [];
    }

    /// <summary>The exit code conmon wrote when the container's init ended, or null while it runs.</summary>
    /// <summary>conmon's attach socket (SOCK_SEQPACKET): bytes written to it go to the container's stdin.</summary>
    public string AttachSocket(string id) => Path.Combine(Paths.SocketDir, id, "attach");

    public int? ReadExitCode(string id)
    {
        var f = Path.Combine(Paths.ExitDir, id);
        if (!File.Exists(f))
        {
            return null;
        }

        var text = File.ReadAllText(f).Trim();
        return int.TryParse(text, out var code) ? code : null;
    }

    public void ClearExitFile(string id) => File.Delete(Path.Combine(Paths.ExitDir, id));

    public string RuncPath => runcPath;

    private async Task Check(string[] args, CancellationToken ct)
    {
        var r = await Proc.RunAsync(runcPath, ["--root", Paths.RuncRoot, .. args], ct);
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException(CleanRuncMessage(r.Stderr));
        }
    }

    /// <summary>runc logs look like <c>time="..." level=error msg="..."</c>; keep the message.</summary>
    internal static string CleanRuncMessage(string text)
    {
        var sb = new StringBuilder();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var i = line.IndexOf("msg=\"", StringComparison.Ordinal);
            var msg = i >= 0 ? line[(i + 5)..].TrimEnd().TrimEnd('"').Replace("\\\"", "\"", StringComparison.Ordinal) : line.Trim();
            if (sb.Length > 0)
            {
                sb.Append(": ");
            }

            sb.Append(msg);
        }

        return sb.ToString();
    }
}
