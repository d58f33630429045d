namespace Skiff.Compose;

/// <summary>The compose files to load and any warnings to print (several candidate names in one directory).</summary>
public sealed record DiscoveredFiles(IReadOnlyList<string> Files, IReadOnlyList<string> Warnings);

/// <summary>
/// Which compose files to load when no <c>-f</c> is given, as compose-go does: <c>COMPOSE_FILE</c> (split on
/// <c>COMPOSE_PATH_SEPARATOR</c>, default <c>:</c>) when set; otherwise the first directory, from the working
/// directory up to the root, that holds one of <see cref="DefaultFileNames"/> (first name in that order wins),
/// plus the first of <see cref="DefaultOverrideFileNames"/> in the same directory.
/// </summary>
public static class ComposeFileDiscovery
{
    public const string FileEnvironmentVariable = "COMPOSE_FILE";
    public const string PathSeparatorEnvironmentVariable = "COMPOSE_PATH_SEPARATOR";

    public static IReadOnlyList<string> DefaultFileNames { get; } = ["compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml"];

    public static IReadOnlyList<string> DefaultOverrideFileNames { get; } =
        ["compose.override.yml", "compose.override.yaml", "docker-compose.override.yml", "docker-compose.override.yaml"];

    /// <summary>Absolute paths; empty when no file is found (which is fine for commands that only need a project name).</summary>
    public static DiscoveredFiles Discover(string workingDirectory, Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(workingDirectory);
        var cwd = Path.GetFullPath(workingDirectory);
        var fromEnvironment = environment?.Invoke(FileEnvironmentVariable);
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            var separator = environment?.Invoke(PathSeparatorEnvironmentVariable);
            if (string.IsNullOrEmpty(separator))
            {
                separator = ":";
            }

            var files = fromEnvironment.Split(separator, StringSplitOptions.RemoveEmptyEntries)
                .Select(f => Path.GetFullPath(f, cwd))
                .ToList();
            return new DiscoveredFiles(files, []);
        }

        var warnings = new List<string>();
        for (var dir = cwd; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            var candidates = Existing(dir, DefaultFileNames);
            if (candidates.Count == 0)
            {
                continue;
            }

            var result = new List<string> { Pick(candidates, "config", warnings) };
            var overrides = Existing(dir, DefaultOverrideFileNames);
            if (overrides.Count > 0)
            {
                result.Add(Pick(overrides, "override", warnings));
            }

            return new DiscoveredFiles(result, warnings);
        }

        return new DiscoveredFiles([], warnings);
    }

    private static List<string> Existing(string dir, IReadOnlyList<string> names) =>
        names.Select(n => Path.Combine(dir, n)).Where(File.Exists).ToList();

    private static string Pick(List<string> candidates, string kind, List<string> warnings)
    {
        if (candidates.Count > 1)
        {
            warnings.Add($"Found multiple {kind} files with supported names: {string.Join(", ", candidates)}");
            warnings.Add($"Using {candidates[0]}");
        }

        return candidates[0];
    }
}
