using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Skiff.Api;
using Skiff.Runtime.Util;

namespace Skiff.Runtime.Containers;

/// <summary>Where exec output goes: stream 1 = stdout, 2 = stderr (0 = raw TTY stream).</summary>
public delegate ValueTask OutputSink(byte stream, ReadOnlyMemory<byte> data, CancellationToken ct);

public sealed class ExecRecord
{
    public string Id { get; init; } = "";
    public string ContainerId { get; init; } = "";
    public ExecCreateRequest Config { get; init; } = new();
    public bool Running { get; set; }
    public int? ExitCode { get; set; }
    public int Pid { get; set; }
}

public sealed partial class ContainerManager
{
    private readonly ConcurrentDictionary<string, ExecRecord> _execs = new();

    public string ExecCreate(string idOrName, ExecCreateRequest req)
    {
        var r = Get(idOrName);
        if (req.Cmd.Count == 0)
        {
            throw new BadRequestException("No exec command specified");
        }

        if (!r.State.Running)
        {
            throw new ConflictException($"Container {r.Id} is not running");
        }

        if (r.State.Paused)
        {
            throw new ConflictException($"Container {r.Id} is paused, unpause the container before exec");
        }

        var x = new ExecRecord { Id = Ids.NewHexId(), ContainerId = r.Id, Config = req };
        _execs[x.Id] = x;
        Publish(r, "exec_create: " + string.Join(' ', req.Cmd), new Dictionary<string, string> { ["execID"] = x.Id });
        return x.Id;
    }

    public ExecRecord GetExec(string id) =>
        _execs.TryGetValue(id, out var x) ? x : throw new NotFoundException($"No such exec instance: {id}");

    /// <summary>Runs the exec to completion, streaming its output; returns its exit code.</summary>
    public async Task<int> ExecStartAsync(string execId, Stream? stdin, OutputSink output, CancellationToken ct)
    {
        var x = GetExec(execId);
        lock (x)
        {
            if (x.Running || x.ExitCode is not null)
            {
                throw new ConflictException($"Error: Exec command {execId} is already running");
            }

            x.Running = true;
        }

        var r = Get(x.ContainerId);
        Publish(r, "exec_start: " + string.Join(' ', x.Config.Cmd), new Dictionary<string, string> { ["execID"] = x.Id });
        try
        {
            var code = await RunInContainerAsync(r, x.Config, stdin, output, ct);
            x.ExitCode = code;
            Publish(r, "exec_die", new Dictionary<string, string> { ["execID"] = x.Id, ["exitCode"] = code.ToString() });
            return code;
        }
        finally
        {
            x.Running = false;
        }
    }

    private async Task<int> RunInContainerAsync(ContainerRecord r, ExecCreateRequest cfg, Stream? stdin, OutputSink output, CancellationToken ct)
    {
        if (!r.State.Running)
        {
            throw new ConflictException($"Container {r.Id} is not running");
        }

        var rootfs = Path.Combine(OverlayDir(r.Id), "merged");
        var user = UserResolver.Resolve(string.IsNullOrEmpty(cfg.User) ? r.Config.User : cfg.User, rootfs);
        var env = new List<string>(r.Config.Env ?? []);
        env.AddRange(cfg.Env ?? []);
        if (cfg.Tty && !env.Any(e => e.StartsWith("TERM=", StringComparison.Ordinal)))
        {
            env.Add("TERM=xterm");
        }

        var caps = cfg.Privileged ? OciSpec.AllCapabilities : OciSpec.DefaultCapabilities;
        var process = new JsonObject
        {
            ["terminal"] = cfg.Tty,
            ["user"] = new JsonObject { ["uid"] = user.Uid, ["gid"] = user.Gid, ["additionalGids"] = new JsonArray(user.AdditionalGids.Select(g => (JsonNode)JsonValue.Create(g)).ToArray()) },
            ["args"] = new JsonArray(cfg.Cmd.Select(a => (JsonNode?)JsonValue.Create(a)).ToArray()),
            ["env"] = new JsonArray(env.Select(a => (JsonNode?)JsonValue.Create(a)).ToArray()),
            ["cwd"] = string.IsNullOrEmpty(cfg.WorkingDir) ? (string.IsNullOrEmpty(r.Config.WorkingDir) ? "/" : r.Config.WorkingDir) : cfg.WorkingDir,
            ["capabilities"] = new JsonObject
            {
                ["bounding"] = new JsonArray(caps.Select(a => (JsonNode?)JsonValue.Create(a)).ToArray()),
                ["effective"] = new JsonArray(caps.Select(a => (JsonNode?)JsonValue.Create(a)).ToArray()),
                ["permitted"] = new JsonArray(caps.Select(a => (JsonNode?)JsonValue.Create(a)).ToArray()),
            },
        };
        var specFile = Path.Combine(_runc.Paths.BundleDir(r.Id), "exec-" + Ids.NewHexId()[..16] + ".json");
        await File.WriteAllTextAsync(specFile, process.ToJsonString(), ct);
        try
        {
            var psi = new ProcessStartInfo
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            if (cfg.Tty)
            {
                // runc wants a terminal on our side for `exec -t`; script(1) gives it one and relays it.
                psi.FileName = "script";
                foreach (var a in new[] { "-q", "-e", "-f", "-E", "never", "-c", $"{_runc.RuncPath} --root {_runc.Paths.RuncRoot} exec -t --process {specFile} {r.Id}", "/dev/null" })
                {
                    psi.ArgumentList.Add(a);
                }
            }
            else
            {
                psi.FileName = _runc.RuncPath;
                foreach (var a in new[] { "--root", _runc.Paths.RuncRoot, "exec", "--process", specFile, r.Id })
                {
                    psi.ArgumentList.Add(a);
                }
            }

            using var p = Process.Start(psi) ?? throw new SkiffException(500, "cannot start runc exec");
            var pumpIn = Task.Run(async () =>
            {
                try
                {
                    if (stdin is not null && cfg.AttachStdin)
                    {
                        await stdin.CopyToAsync(p.StandardInput.BaseStream, ct);
                    }
                }
                catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
                {
                }
                finally
                {
                    try
                    {
                        p.StandardInput.Close();
                    }
                    catch (IOException)
                    {
                    }
                }
            }, CancellationToken.None);
            var outStream = cfg.Tty ? (byte)0 : (byte)1;
            var pumpOut = Pump(p.StandardOutput.BaseStream, outStream, output, ct);
            var pumpErr = cfg.Tty ? DrainStderr(p.StandardError.BaseStream, ct) : Pump(p.StandardError.BaseStream, 2, output, ct);
            await p.WaitForExitAsync(ct);
            await Task.WhenAll(pumpOut, pumpErr);
            var errText = cfg.Tty ? await (Task<string>)pumpErr : "";
            if (p.ExitCode == 255 && errText.Contains("exec failed", StringComparison.Ordinal))
            {
                throw new SkiffException(400, "OCI runtime exec failed: " + Runc.CleanRuncMessage(errText) + ": unknown");
            }

            return p.ExitCode;
        }
        finally
        {
            File.Delete(specFile);
        }
    }

    private static async Task<string> DrainStderr(Stream s, CancellationToken ct)
    {
        using var reader = new StreamReader(s);
        return await reader.ReadToEndAsync(ct);
    }

    private static async Task Pump(Stream s, byte stream, OutputSink output, CancellationToken ct)
    {
        var buf = new byte[32 * 1024];
        int n;
        while ((n = await s.ReadAsync(buf, ct)) > 0)
        {
            await output(stream, buf.AsMemory(0, n), ct);
        }
    }

    /// <summary>Waits until the container runs (true) or is removed (false); docker run attaches before it starts.</summary>
    public async Task<bool> WaitStartedAsync(string idOrName, CancellationToken ct)
    {
        var e = Find(idOrName);
        var exits = e.Exits;
        while (true)
        {
            var t = e.StateChanged.Task;
            if (e.Record.State.Running || e.Exits > exits)
            {
                return true;
            }

            if (e.Removed)
            {
                return false;
            }

            await t.WaitAsync(ct);
        }
    }

    /// <summary>
    /// Copies <paramref name="input"/> to the running container's stdin through conmon's attach socket, until
    /// the input ends; then conmon closes the container's stdin (unless it was created without StdinOnce).
    /// </summary>
    public async Task CopyToStdinAsync(string idOrName, Stream input, CancellationToken ct)
    {
        var r = Get(idOrName);
        if (!r.Config.OpenStdin)
        {
            return;
        }

        using var sock = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Seqpacket, System.Net.Sockets.ProtocolType.Unspecified);
        try
        {
            await sock.ConnectAsync(new System.Net.Sockets.UnixDomainSocketEndPoint(_runc.AttachSocket(r.Id)), ct);
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            // Already gone: a container that exited before its input arrived.
            _log.LogDebug(ex, "attach socket of {Id} unavailable", r.ShortId);
            return;
        }

        // conmon also sends the container's output to attach clients; we serve output from the log, so drain it.
        using var drainStop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var drain = Task.Run(async () =>
        {
            var sink = new byte[8192];
            try
            {
                while (await sock.ReceiveAsync(sink, System.Net.Sockets.SocketFlags.None, drainStop.Token) > 0)
                {
                }
            }
            catch (Exception ex) when (ex is System.Net.Sockets.SocketException or OperationCanceledException or ObjectDisposedException)
            {
            }
        }, CancellationToken.None);

        var buf = new byte[8192];
        int n;
        try
        {
            while ((n = await input.ReadAsync(buf, ct)) > 0)
            {
                await sock.SendAsync(buf.AsMemory(0, n), System.Net.Sockets.SocketFlags.None, ct);
            }
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException)
        {
            _log.LogDebug(ex, "stdin of {Id} ended", r.ShortId);
        }

        sock.Shutdown(System.Net.Sockets.SocketShutdown.Both);
        await drainStop.CancelAsync();
        await drain;
    }

    // ---------------------------------------------------------------- health checks

    private void StartHealthcheck(Entry e)
    {
        var hc = e.Record.Config.Healthcheck;
        if (hc?.Test is not { Count: > 0 } test || test[0] == "NONE")
        {
            return;
        }

        e.Health?.Cancel();
        var cts = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        e.Health = cts;
        var interval = hc.Interval > 0 ? TimeSpan.FromTicks(hc.Interval / 100) : TimeSpan.FromSeconds(30);
        var timeout = hc.Timeout > 0 ? TimeSpan.FromTicks(hc.Timeout / 100) : TimeSpan.FromSeconds(30);
        var retries = hc.Retries > 0 ? hc.Retries : 3;
        var startPeriod = TimeSpan.FromTicks(hc.StartPeriod / 100);
        List<string> cmd = test[0] switch
        {
            "CMD-SHELL" => ["/bin/sh", "-c", string.Join(' ', test.Skip(1))],
            "CMD" => test.Skip(1).ToList(),
            _ => test,
        };
        var started = _time.GetUtcNow();
        _ = Task.Run(async () =>
        {
            try
            {
                while (!cts.IsCancellationRequested && e.Record.State.Running)
                {
                    await Task.Delay(interval, _time, cts.Token);
                    if (!e.Record.State.Running || e.Record.State.Paused)
                    {
                        continue;
                    }

                    var sb = new StringBuilder();
                    var begin = _time.GetUtcNow();
                    int code;
                    using (var probe = CancellationTokenSource.CreateLinkedTokenSource(cts.Token))
                    {
                        probe.CancelAfter(timeout);
                        try
                        {
                            code = await RunInContainerAsync(e.Record, new ExecCreateRequest { Cmd = cmd }, null, (_, data, _) =>
                            {
                                if (sb.Length < 4096)
                                {
                                    sb.Append(Encoding.UTF8.GetString(data.Span));
                                }

                                return ValueTask.CompletedTask;
                            }, probe.Token);
                        }
                        catch (OperationCanceledException) when (!cts.IsCancellationRequested)
                        {
                            code = -1;
                            sb.Append($"Health check exceeded timeout ({timeout.TotalSeconds}s)");
                        }
                        catch (SkiffException ex)
                        {
                            code = -1;
                            sb.Append(ex.Message);
                        }
                    }

                    ApplyHealth(e, begin, code, sb.ToString(), retries, _time.GetUtcNow() - started < startPeriod);
                }
            }
            catch (OperationCanceledException)
            {
            }
            catch (Exception ex)
            {
                _log.LogWarning(ex, "health check loop of {Id} ended", e.Record.ShortId);
            }
        });
    }

    private void ApplyHealth(Entry e, DateTimeOffset begin, int code, string output, int retries, bool inStartPeriod)
    {
        var h = e.Record.State.Health ??= new HealthState { Status = "starting" };
        var before = h.Status;
        h.Log.Add(new HealthLog { Start = Rfc3339.Format(begin), End = Rfc3339.Format(_time.GetUtcNow()), ExitCode = code, Output = output });
        if (h.Log.Count > 5)
        {
            h.Log.RemoveAt(0);
        }

        if (code == 0)
        {
            h.FailingStreak = 0;
            h.Status = "healthy";
        }
        else if (!inStartPeriod || h.Status == "healthy")
        {
            h.FailingStreak++;
            if (h.FailingStreak >= retries)
            {
                h.Status = "unhealthy";
            }
        }

        Save(e.Record);
        if (h.Status != before)
        {
            Publish(e.Record, "health_status: " + h.Status);
            Signal(e);
        }
    }
}
