using System.Text;
using Skiff.Cli.Connection;

namespace Skiff.Cli;

/// <summary>Build information printed by <c>skiff version</c>.</summary>
internal static class CliInfo
{
    public const string Version = "0.1.0";
    public const string GitCommit = "skiff";
    public const string Built = "Fri Nov 27 00:00:00 2026";
}

/// <summary>The process' streams, environment, clock and the engine connection (tests substitute all of them).</summary>
internal sealed class CliContext : IDisposable
{
    private EngineClient? _client;

    public CliContext(Stream stdout, Stream stderr, Stream stdin, Func<string, string?> getEnv, TimeProvider time)
    {
        StdoutStream = stdout;
        StderrStream = stderr;
        Stdin = stdin;
        GetEnv = getEnv;
        Time = time;
        Delay = (d, ct) => Task.Delay(d, time, ct);
        var utf8 = new UTF8Encoding(false);
        Out = new StreamWriter(stdout, utf8, 4096, leaveOpen: true) { AutoFlush = true, NewLine = "\n" };
        Err = new StreamWriter(stderr, utf8, 1024, leaveOpen: true) { AutoFlush = true, NewLine = "\n" };
    }

    public static CliContext CreateConsole() => new(
        Console.OpenStandardOutput(),
        Console.OpenStandardError(),
        Console.OpenStandardInput(),
        Environment.GetEnvironmentVariable,
        TimeProvider.System)
    {
        StdinIsTerminal = !Console.IsInputRedirected,
        StdoutIsTerminal = !Console.IsOutputRedirected,
        TerminalWidth = ConsoleWidth,
    };

    private static int ConsoleWidth()
    {
        try
        {
            return Console.WindowWidth;
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or PlatformNotSupportedException)
        {
            return 80;
        }
    }

    public Stream StdoutStream { get; }
    public Stream StderrStream { get; }
    public Stream Stdin { get; }
    public TextWriter Out { get; }
    public TextWriter Err { get; }
    public Func<string, string?> GetEnv { get; }
    public TimeProvider Time { get; }
    public bool StdinIsTerminal { get; init; }
    public bool StdoutIsTerminal { get; init; }

    /// <summary>Columns of the terminal on stdout (progress bars need more than 110, as docker's).</summary>
    public Func<int> TerminalWidth { get; init; } = () => 80;

    /// <summary>Waits between polls (service progress); tests replace it with a clock that advances instantly.</summary>
    public Func<TimeSpan, CancellationToken, Task> Delay { get; set; }

    /// <summary>The directory relative paths are taken from (compose files, build contexts); tests substitute it.</summary>
    public Func<string> WorkingDirectory { get; init; } = () => Environment.CurrentDirectory;

    /// <summary>Set from the global <c>-H/--host</c> flag before a command runs.</summary>
    public string? HostFlag { get; set; }

    /// <summary>Set from the global TLS flags before a command runs.</summary>
    public TlsSettings? Tls { get; set; }

    /// <summary>Answers "y"/"N" prompts (prune); tests can replace it.</summary>
    public Func<string, bool>? Confirm { get; set; }

    public EngineClient Client => _client ??= new EngineClient(HostSpec.Resolve(HostFlag, GetEnv, Tls));

    public bool PromptYesNo(string message)
    {
        if (Confirm != null)
        {
            return Confirm(message);
        }
        Out.Write(message + " [y/N] ");
        using var reader = new StreamReader(Stdin, leaveOpen: true);
        var answer = reader.ReadLine()?.Trim().ToLowerInvariant();
        return answer is "y" or "yes";
    }

    public void Dispose()
    {
        _client?.Dispose();
        Out.Flush();
        Err.Flush();
    }
}
