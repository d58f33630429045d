using System.Diagnostics;

namespace Skiff.Integration.Tests.Support;

public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}

internal static class Cli
{
    /// <summary>Runs a program to completion; a hang fails the test with what it was running.</summary>
    public static CliResult Run(string file, IEnumerable<string> args, TimeSpan timeout, IDictionary<string, string>? env = null, string? stdinFile = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        var list = args.ToList();
        foreach (var a in list)
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var (k, v) in env ?? new Dictionary<string, string>())
        {
            psi.Environment[k] = v;
        }

        using var p = Process.Start(psi)!;
        var so = p.StandardOutput.ReadToEndAsync();
        var se = p.StandardError.ReadToEndAsync();
        if (stdinFile is not null)
        {
            using var f = File.OpenRead(stdinFile);
            f.CopyTo(p.StandardInput.BaseStream);
        }

        p.StandardInput.Close();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"`{file} {string.Join(' ', list)}` did not finish within {timeout.TotalSeconds} s; stdout so far: {so.Result}");
        }

        p.WaitForExit();
        return new CliResult(p.ExitCode, so.Result, se.Result);
    }
}
