using System.Diagnostics;
using System.Text;

namespace Skiff.Runtime.Util;

public sealed record ProcResult(int ExitCode, string Stdout, string Stderr);

/// <summary>Runs a helper program (runc, mount...) with an argument list, never through a shell.</summary>
public static class Proc
{
    public static async Task<ProcResult> RunAsync(string file, IEnumerable<string> args, CancellationToken ct = default, string? stdin = null, IDictionary<string, string>? env = null)
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

        if (env is not null)
        {
            foreach (var (k, v) in env)
            {
                psi.Environment[k] = v;
            }
        }

        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {file}");
        if (stdin is not null)
        {
            await p.StandardInput.WriteAsync(stdin);
            p.StandardInput.Close();
        }

        var so = p.StandardOutput.ReadToEndAsync(ct);
        var se = p.StandardError.ReadToEndAsync(ct);
        await p.WaitForExitAsync(ct);
        return new ProcResult(p.ExitCode, await so, await se);
    }

    public static async Task<string> CheckAsync(string file, IEnumerable<string> args, CancellationToken ct = default, string? stdin = null)
    {
        var list = args.ToList();
        var r = await RunAsync(file, list, ct, stdin);
        if (r.ExitCode != 0)
        {
            var sb = new StringBuilder();
            sb.Append(Path.GetFileName(file)).Append(' ').Append(string.Join(' ', list)).Append(": ");
            sb.Append(string.IsNullOrWhiteSpace(r.Stderr) ? r.Stdout.Trim() : r.Stderr.Trim());
            throw new InvalidOperationException(sb.ToString());
        }

        return r.Stdout;
    }
}
