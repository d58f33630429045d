namespace Skiff.Compose;

/// <summary>
/// Compose project names: only <c>[a-z0-9_-]</c>, starting with a letter or digit.
/// Precedence (as docker compose): <c>-p</c>, then <c>COMPOSE_PROJECT_NAME</c>, then the top-level <c>name:</c>,
/// then the project directory's base name. Explicit names (<c>-p</c>, environment) must already be valid;
/// names from <c>name:</c> and from the directory are normalised (lowercased, other characters dropped,
/// leading <c>_</c> / <c>-</c> trimmed), like compose-go's <c>NormalizeProjectName</c>.
/// </summary>
public static class ProjectName
{
    public const string EnvironmentVariable = "COMPOSE_PROJECT_NAME";

    /// <summary>Lowercases, keeps <c>[a-z0-9_-]</c>, trims leading <c>_</c> and <c>-</c>. May return an empty string.</summary>
    public static string Normalize(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var kept = new string(name.ToLowerInvariant().Where(IsAllowed).ToArray());
        return kept.TrimStart('_', '-');
    }

    public static bool IsValid(string name) =>
        !string.IsNullOrEmpty(name) && (char.IsAsciiDigit(name[0]) || char.IsAsciiLetterLower(name[0])) && name.All(IsAllowed);

    /// <exception cref="ArgumentException">An explicit name is invalid, or no source yields a non-empty name.</exception>
    public static string Resolve(string? fromFlag, string? fromEnvironment, string? fromComposeFile, string projectDirectory)
    {
        ArgumentNullException.ThrowIfNull(projectDirectory);
        foreach (var explicitName in new[] { fromFlag, fromEnvironment })
        {
            if (!string.IsNullOrEmpty(explicitName))
            {
                return IsValid(explicitName)
                    ? explicitName
                    : throw new ArgumentException(
                        $"\"{explicitName}\" is not a valid project name: it must contain only characters from [a-z0-9_-] and start with [a-z0-9]");
            }
        }

        if (!string.IsNullOrEmpty(fromComposeFile))
        {
            var normalized = Normalize(fromComposeFile);
            if (normalized.Length > 0)
            {
                return normalized;
            }
        }

        var directoryName = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(projectDirectory)));
        var fromDirectory = Normalize(directoryName);
        return fromDirectory.Length > 0
            ? fromDirectory
            : throw new ArgumentException("project name must not be empty: set one with -p, COMPOSE_PROJECT_NAME or the top-level name:");
    }

    private static bool IsAllowed(char c) => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '_' or '-';
}
