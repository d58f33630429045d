using System.Diagnostics;
using System.Text;

namespace Skiff.Network;

/// <summary>The outcome of one external command.</summary>
public sealed record CmdResult(int ExitCode, string StdOut, string StdErr);

/// <summary>An external command (ip, nft, nsenter, ...) exited non-zero.</summary>
public sealed class CommandException(string command, int exitCode, string stdErr)
    : Exception($"{command} failed (exit {exitCode}): {stdErr.Trim()}")
{
    public string Command { get; } = command;
    public int ExitCode { get; } = exitCode;
    public string StdErr { get; } = stdErr;
}

/// <summary>
/// Runs programs with an argument list (no shell, no quoting problems), capturing stdout and stderr.
/// </summary>
public static class Cmd
{
    /// <summary>Runs <paramref name="file"/> and returns its result whatever the exit code.</summary>
    public static async Task<CmdResult> RunAsync(
        string file, IEnumerable<string> args, string? stdin = null, CancellationToken ct = default)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = new Process { StartInfo = psi };
        try
        {
            p.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new CommandException(Describe(psi), -1, $"cannot start {file}: {e.Message}");
        }

        var stdoutTask = p.StandardOutput.ReadToEndAsync(ct);
        var stderrTask = p.StandardError.ReadToEndAsync(ct);
        if (stdin is not null)
        {
            await p.StandardInput.WriteAsync(stdin.AsMemory(), ct);
            p.StandardInput.Close();
        }

        try
        {
            await p.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            try
            {
                p.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }

            throw;
        }

        return new CmdResult(p.ExitCode, await stdoutTask, await stderrTask);
    }

    /// <summary>Runs <paramref name="file"/>; throws <see cref="CommandException"/> on a non-zero exit.</summary>
    public static async Task<string> CheckAsync(
        string file, IEnumerable<string> args, string? stdin = null, CancellationToken ct = default)
    {
        var list = args as IReadOnlyList<string> ?? [.. args];
        var r = await RunAsync(file, list, stdin, ct);
        if (r.ExitCode != 0)
        {
            throw new CommandException(Describe(file, list), r.ExitCode, r.StdErr.Length > 0 ? r.StdErr : r.StdOut);
        }

        return r.StdOut;
    }

    internal static string Describe(string file, IEnumerable<string> args)
    {
        var sb = new StringBuilder(file);
        foreach (var a in args)
        {
            sb.Append(' ');
            sb.Append(a.Length == 0 || a.Contains(' ') ? $"'{a}'" : a);
        }

        return sb.ToString();
    }

    private static string Describe(ProcessStartInfo psi) => Describe(psi.FileName, psi.ArgumentList);
}

/// <summary><c>ip</c> (iproute2), in the host namespace or inside a namespace file via nsenter.</summary>
public static class Ip
{
    public static Task<string> RunAsync(params string[] args) => Cmd.CheckAsync("ip", args);

    public static Task<string> RunAsync(IEnumerable<string> args, CancellationToken ct) => Cmd.CheckAsync("ip", args, null, ct);

    /// <summary>
    /// Runs <c>ip ARGS</c> inside the network namespace bound at <paramref name="netnsPath"/>
    /// (<c>nsenter --net=PATH</c>; works with any path, unlike <c>ip -n</c> which wants /run/netns names,
    /// and unlike <c>ip netns exec</c> it does not remount /sys).
    /// </summary>
    public static Task<string> InNetnsAsync(string netnsPath, IEnumerable<string> args, CancellationToken ct = default)
        => Cmd.CheckAsync("nsenter", [$"--net={netnsPath}", "ip", .. args], null, ct);

    /// <summary>True when a link of that name exists in the host namespace.</summary>
    public static async Task<bool> LinkExistsAsync(string name, CancellationToken ct = default)
        => (await Cmd.RunAsync("ip", ["link", "show", "dev", name], null, ct)).ExitCode == 0;
}

/// <summary><c>nft</c>: whole rule sets go through <c>nft -f -</c> so they apply atomically.</summary>
public static class Nft
{
    public static Task<string> ApplyAsync(string ruleset, CancellationToken ct = default)
        => Cmd.CheckAsync("nft", ["-f", "-"], ruleset, ct);

    public static Task<string> RunAsync(IEnumerable<string> args, CancellationToken ct = default)
        => Cmd.CheckAsync("nft", args, null, ct);
}
