using Skiff.Api;

namespace Skiff.Runtime.Containers;

public static class Signals
{
    private static readonly Dictionary<string, int> Numbers = new(StringComparer.Ordinal)
    {
        ["SIGHUP"] = 1, ["SIGINT"] = 2, ["SIGQUIT"] = 3, ["SIGILL"] = 4, ["SIGTRAP"] = 5, ["SIGABRT"] = 6,
        ["SIGBUS"] = 7, ["SIGFPE"] = 8, ["SIGKILL"] = 9, ["SIGUSR1"] = 10, ["SIGSEGV"] = 11, ["SIGUSR2"] = 12,
        ["SIGPIPE"] = 13, ["SIGALRM"] = 14, ["SIGTERM"] = 15, ["SIGSTKFLT"] = 16, ["SIGCHLD"] = 17,
        ["SIGCONT"] = 18, ["SIGSTOP"] = 19, ["SIGTSTP"] = 20, ["SIGTTIN"] = 21, ["SIGTTOU"] = 22,
        ["SIGURG"] = 23, ["SIGXCPU"] = 24, ["SIGXFSZ"] = 25, ["SIGVTALRM"] = 26, ["SIGPROF"] = 27,
        ["SIGWINCH"] = 28, ["SIGIO"] = 29, ["SIGPWR"] = 30, ["SIGSYS"] = 31,
    };

    /// <summary>"kill", "SIGKILL", "9" -> "SIGKILL"; unknown -> 400 as Docker.</summary>
    public static string Normalise(string signal)
    {
        var s = signal.Trim().ToUpperInvariant();
        if (int.TryParse(s, out var n))
        {
            var name = Numbers.FirstOrDefault(kv => kv.Value == n).Key;
            return name ?? throw new BadRequestException($"Invalid signal: {signal}");
        }

        if (!s.StartsWith("SIG", StringComparison.Ordinal))
        {
            s = "SIG" + s;
        }

        return Numbers.ContainsKey(s) ? s : throw new BadRequestException($"Invalid signal: {signal}");
    }

    public static int Number(string normalised) => Numbers[normalised];
}
