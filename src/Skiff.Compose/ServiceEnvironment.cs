using Skiff.Compose.Local;

namespace Skiff.Compose;

/// <summary>
/// A service's environment as its containers (compose) or tasks (stack) get it: the <c>env_file</c>s in order, then
/// <c>environment</c>; a name without a value takes the shell's (or <c>.env</c>'s) value and is left out when unset,
/// as compose does. Stack deploy uses the same rules (one loader for both; docker/cli's stack reads env files
/// literally, without quotes removed or interpolation, which is one of the disagreements Skiff removes).
/// </summary>
public static class ServiceEnvironment
{
    /// <exception cref="ComposeEngineException">A required env file is missing, or one does not parse.</exception>
    public static Dictionary<string, string> Resolve(ServiceConfig service, Func<string, string?> lookup)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(lookup);
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var f in service.EnvFiles)
        {
            if (!File.Exists(f.Path))
            {
                if (f.Required)
                {
                    throw new ComposeEngineException($"env file {f.Path} not found: stat {f.Path}: no such file or directory");
                }

                continue;
            }

            try
            {
                // compose-go's order for ${VAR} inside an env file: the project's environment (shell, .env), then the
                // service's own `environment:` values.
                var values = f.Format == "raw"
                    ? Raw(File.ReadAllText(f.Path), f.Path)
                    : DotEnv.ReadFiles([f.Path], k => lookup(k) ?? (service.Environment.TryGetValue(k, out var own) ? own : null));
                foreach (var (k, v) in values)
                {
                    env[k] = v;
                }
            }
            catch (DotEnvException e)
            {
                throw new ComposeEngineException(e.Message);
            }
        }

        foreach (var (k, v) in service.Environment)
        {
            if (v is not null)
            {
                env[k] = v;
            }
            else if (lookup(k) is { } fromShell)
            {
                env[k] = fromShell;
            }
        }

        return env;
    }

    /// <summary>
    /// compose's <c>format: raw</c>: each <c>KEY=VALUE</c> line as it is (no quotes removed, no interpolation, so
    /// <c>$</c> and quotes reach the container); blank lines and lines starting with <c>#</c> are skipped.
    /// </summary>
    /// <exception cref="DotEnvException">A line without <c>=</c> or with an empty key.</exception>
    public static IReadOnlyDictionary<string, string> Raw(string content, string fileName)
    {
        ArgumentNullException.ThrowIfNull(content);
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var lines = content.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (line.Trim().Length == 0 || line.TrimStart().StartsWith('#'))
            {
                continue;
            }

            var eq = line.IndexOf('=', StringComparison.Ordinal);
            var key = eq < 0 ? "" : line[..eq].Trim();
            if (key.Length == 0)
            {
                throw new DotEnvException($"{fileName}:{i + 1}: expected KEY=VALUE (format: raw), got \"{line}\"");
            }

            result[key] = line[(eq + 1)..];
        }

        return result;
    }
}
