namespace Skiff.Cli.Connection;

/// <summary>A CLI-side failure: printed as one line on stderr, exit code <see cref="ExitCode"/>.</summary>
internal class CliException(string message, int exitCode = 1) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>A non-2xx answer from the daemon: "Error response from daemon: &lt;message&gt;".</summary>
internal sealed class DaemonException(int statusCode, string daemonMessage)
    : CliException("Error response from daemon: " + daemonMessage)
{
    public int StatusCode { get; } = statusCode;
    public string DaemonMessage { get; } = daemonMessage;
}

/// <summary>The daemon could not be reached.</summary>
internal sealed class DaemonUnreachableException(string host, Exception? inner)
    : CliException($"Cannot connect to the Skiff daemon at {host}. Is skiffd running?")
{
    public Exception? Detail { get; } = inner;
}

/// <summary>Ends the CLI with an exit code and no message (e.g. a container's exit status).</summary>
internal sealed class ExitException(int exitCode) : CliException("", exitCode);
