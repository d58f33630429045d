using System.CommandLine;
using System.Text;
using Skiff.Api;
using Skiff.Cli.Connection;
using Skiff.Compose;
using Skiff.Compose.Local;

namespace Skiff.Cli.Commands;

/// <summary><c>compose logs</c>, the attached mode of <c>up</c>, <c>exec</c>, <c>pull</c>.</summary>
internal static partial class ComposeCommands
{
    private static Command Logs(CliContext ctx, ProjectOptions po)
    {
        var cmd = Common.Cmd("logs", "View output from containers");
        var follow = Common.Flag("--follow", "-f", "Follow log output");
        var tail = Common.Str("--tail", "-n", "Number of lines to show from the end of the logs for each container (default \"all\")");
        var timestamps = Common.Flag("--timestamps", "-t", "Show timestamps");
        var noPrefix = Common.Flag("--no-log-prefix", null, "Don't print prefix in logs");
        var noColor = Common.Flag("--no-color", null, "Produce monochrome output");
        var since = Common.Str("--since", null, "Show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)");
        var services = Common.Args("SERVICE", 0);
        foreach (var o in new Option[] { follow, tail, timestamps, noPrefix, noColor, since })
        {
            cmd.Options.Add(o);
        }

        cmd.Arguments.Add(services);
        cmd.SetAction(async (pr, ct) =>
        {
            var project = Load(pr, ctx, po, print: false).Project;
            var containers = OfServices(await ProjectContainersAsync(ctx, project.Name, all: true, ct), project, pr.GetValue(services) ?? []);
            var q = new Query().Add("stdout", "1").Add("stderr", "1")
                .AddIf(pr.GetValue(follow), "follow", "1")
                .AddIf(pr.GetValue(timestamps), "timestamps", "1")
                .Add("tail", pr.GetValue(tail) ?? "all");
            if (pr.GetValue(since) is { Length: > 0 } s)
            {
                q.Add("since", Common.ToApiTimestamp(s, ctx.Time.GetUtcNow()));
            }

            await StreamLogsAsync(ctx, containers.Select(c => (c.Id, Name(c))).ToList(), q.ToString(), !pr.GetValue(noPrefix), ct);
            return 0;
        });
        return cmd;
    }

    /// <summary>Every container's log, line by line, each line prefixed with <c>name  | </c> (padded to the longest name).</summary>
    private static async Task StreamLogsAsync(CliContext ctx, IReadOnlyList<(string Id, string Name)> containers, string query, bool prefix, CancellationToken ct)
    {
        var width = containers.Count == 0 ? 0 : containers.Max(c => c.Name.Length);
        var gate = new object();
        var tasks = containers.Select(async c =>
        {
            var info = await ctx.Client.GetAsync($"/containers/{Common.Escape(c.Id)}/json", SkiffJson.Default.ContainerInspect, ct);
            using var response = await ctx.Client.SendAsync(HttpMethod.Get, $"/containers/{Common.Escape(c.Id)}/logs{query}", stream: true, ct: ct);
            await using var body = await response.Content.ReadAsStreamAsync(ct);
            var head = prefix ? c.Name.PadRight(width) + "  | " : "";
            await using var lines = new PrefixedLines(ctx.Out, head, gate);
            if (info.Config.Tty)
            {
                await StdCopy.CopyRawAsync(body, lines, ct);
            }
            else
            {
                await StdCopy.DemuxAsync(body, lines, lines, ct);
            }
        });
        await Task.WhenAll(tasks);
    }

    /// <summary>
    /// `up` without <c>-d</c>: follows every container's output until all have exited; Ctrl+C stops them
    /// (compose's "Gracefully stopping...").
    /// </summary>
    private static async Task<int> AttachAsync(CliContext ctx, List<UpContainer> started, int? timeout, CancellationToken ct)
    {
        await ctx.Out.WriteLineAsync($"Attaching to {string.Join(", ", started.Select(c => c.Name))}");
        try
        {
            await StreamLogsAsync(ctx, started.Select(c => (c.Id, c.Name)).ToList(), "?stdout=1&stderr=1&follow=1&tail=all", prefix: true, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            await ctx.Out.WriteLineAsync("Gracefully stopping... (press Ctrl+C again to force)");
            using var cts = new CancellationTokenSource();
            foreach (var c in started)
            {
                Progress(ctx, "Container", c.Name, "Stopping");
                await StopAsync(ctx, c.Id, timeout, cts.Token);
                Progress(ctx, "Container", c.Name, "Stopped");
            }

            return 130;
        }

        foreach (var c in started)
        {
            var info = await ctx.Client.GetAsync($"/containers/{Common.Escape(c.Id)}/json", SkiffJson.Default.ContainerInspect, ct);
            await ctx.Out.WriteLineAsync($"{c.Name} exited with code {info.State.ExitCode}");
        }

        return 0;
    }

    private static Command Exec(CliApp.App app, CliContext ctx, ProjectOptions po)
    {
        var cmd = Common.Cmd("exec", "Execute a command in a running container");
        var detach = Common.Flag("--detach", "-d", "Detached mode: Run command in the background");
        var env = Common.List("--env", "-e", "Set environment variables");
        var noTty = Common.Flag("--no-TTY", "-T", "Disable pseudo-TTY allocation. By default `docker compose exec` allocates a TTY.");
        var user = Common.Str("--user", "-u", "Run the command as this user");
        var workdir = Common.Str("--workdir", "-w", "Path to workdir directory for this command");
        var index = Common.Int("--index", null, "Index of the container if service has multiple replicas");
        var privileged = Common.Flag("--privileged", null, "Give extended privileges to the process");
        var service = Common.Arg("SERVICE");
        var command = new Argument<string[]>("COMMAND") { Arity = ArgumentArity.OneOrMore };
        foreach (var o in new Option[] { detach, env, noTty, user, workdir, index, privileged })
        {
            cmd.Options.Add(o);
        }

        cmd.Arguments.Add(service);
        cmd.Arguments.Add(command);
        app.PassThrough.Add(cmd);
        cmd.SetAction(async (pr, ct) =>
        {
            var project = Load(pr, ctx, po, print: false).Project;
            var name = pr.GetValue(service)!;
            if (project.Service(name) is null)
            {
                throw new CliException($"no such service: {name}");
            }

            var number = pr.GetValue(index) ?? 1;
            var containers = (await ProjectContainersAsync(ctx, project.Name, all: false, ct, name))
                .Where(c => c.Labels.GetValueOrDefault(ComposeLabels.OneOff) != "True")
                .ToList();
            var target = containers.FirstOrDefault(c => c.Labels.GetValueOrDefault(ComposeLabels.ContainerNumber) == number.ToString(System.Globalization.CultureInfo.InvariantCulture))
                ?? throw new CliException($"service \"{name}\" is not running{(number != 1 ? $" container #{number}" : "")}");

            // The container command does the work; a TTY only when there is a terminal to give it (compose's default).
            var args = new List<string>();
            if (ctx.HostFlag is { } host)
            {
                args.AddRange(["-H", host]);
            }

            args.Add("exec");
            var tty = !pr.GetValue(noTty) && ctx.StdinIsTerminal && ctx.StdoutIsTerminal;
            if (pr.GetValue(detach))
            {
                args.Add("-d");
            }
            else
            {
                args.Add(tty ? "-it" : "-i");
            }

            foreach (var e in pr.GetValue(env) ?? [])
            {
                args.AddRange(["-e", e]);
            }

            if (pr.GetValue(user) is { } u)
            {
                args.AddRange(["-u", u]);
            }

            if (pr.GetValue(workdir) is { } w)
            {
                args.AddRange(["-w", w]);
            }

            if (pr.GetValue(privileged))
            {
                args.Add("--privileged");
            }

            args.Add(target.Id);
            args.AddRange(pr.GetValue(command) ?? []);
            return await CliApp.RunAsync([.. args], ctx);
        });
        return cmd;
    }

    private static Command Pull(CliContext ctx, ProjectOptions po)
    {
        var cmd = Common.Cmd("pull", "Pull service images");
        var ignoreFailures = Common.Flag("--ignore-pull-failures", null, "Pull what it can and ignores images with pull failures");
        var services = Common.Args("SERVICE", 0);
        cmd.Options.Add(ignoreFailures);
        cmd.Arguments.Add(services);
        cmd.SetAction(async (pr, ct) =>
        {
            var project = Load(pr, ctx, po, services: pr.GetValue(services)).Project;
            var selected = pr.GetValue(services) ?? [];
            foreach (var s in ComposePlanner.StartOrder(project, selected, noDeps: true))
            {
                if (s.Image is null)
                {
                    continue;
                }

                try
                {
                    await PullImageAsync(ctx, s.Name, s.Image, ct);
                }
                catch (CliException e) when (pr.GetValue(ignoreFailures))
                {
                    Warn(ctx, e.Message);
                }
            }

            return 0;
        });
        return cmd;
    }

    private static async Task PullImageAsync(CliContext ctx, string service, string reference, CancellationToken ct)
    {
        Progress(ctx, "", service, "Pulling");
        var (repo, tag) = SplitReference(reference);
        using var response = await ctx.Client.SendAsync(HttpMethod.Post, "/images/create" + new Query().Add("fromImage", repo).Add("tag", tag), stream: true, ct: ct);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }

            var message = System.Text.Json.JsonSerializer.Deserialize(line, SkiffJson.Default.JsonMessage);
            if ((message?.ErrorDetail?.Message ?? message?.Error) is { } error)
            {
                Progress(ctx, "", service, "Error");
                throw new CliException($"Error response from daemon: {error}");
            }
        }

        Progress(ctx, "", service, "Pulled");
    }

    private static (string Repo, string Tag) SplitReference(string reference)
    {
        var at = reference.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            return (reference[..at], reference[(at + 1)..]);
        }

        var slash = reference.LastIndexOf('/');
        var colon = reference.LastIndexOf(':');
        return colon > slash ? (reference[..colon], reference[(colon + 1)..]) : (reference, "latest");
    }

    /// <summary>Writes complete lines with a prefix under a shared lock, so concurrent containers don't interleave mid-line.</summary>
    private sealed class PrefixedLines(TextWriter target, string prefix, object gate) : Stream
    {
        private readonly MemoryStream _pending = new();

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            foreach (var b in buffer)
            {
                if (b == (byte)'\n')
                {
                    EmitLine();
                }
                else
                {
                    _pending.WriteByte(b);
                }
            }
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Write(buffer.AsSpan(offset, count));
            return Task.CompletedTask;
        }

        private void EmitLine()
        {
            var text = Encoding.UTF8.GetString(_pending.GetBuffer(), 0, (int)_pending.Length).TrimEnd('\r');
            _pending.SetLength(0);
            lock (gate)
            {
                target.Write(prefix + text + "\n");
            }
        }

        public override void Flush()
        {
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing && _pending.Length > 0)
            {
                EmitLine();
            }

            base.Dispose(disposing);
        }

        public override ValueTask DisposeAsync()
        {
            Dispose(true);
            GC.SuppressFinalize(this);
            return ValueTask.CompletedTask;
        }
    }
}
