using System.Text;
using System.Text.RegularExpressions;

namespace Skiff.Api.Build;

/// <summary>
/// <c>.dockerignore</c> as Docker reads it (moby/patternmatcher/ignorefile + MatchesOrParentMatches): lines starting
/// with '#' are comments, blank lines skipped, patterns trimmed and path-cleaned (leading '/' and './' removed),
/// '!' marks an exception, the last matching pattern wins, a pattern matching a parent directory matches its
/// contents, <c>**</c> spans any number of directories. As the docker CLI does, the Dockerfile and the
/// .dockerignore are re-included so they are always sent.
/// </summary>
public sealed class DockerIgnore
{
    private readonly List<(bool Exclusion, Regex Regex)> _compiled = [];

    private DockerIgnore(IReadOnlyList<string> patterns)
    {
        Patterns = patterns;
        foreach (var p in patterns)
        {
            var exclusion = p.StartsWith('!');
            _compiled.Add((exclusion, Compile(exclusion ? p[1..] : p)));
        }
    }

    /// <summary>The cleaned patterns, in order, including the appended exceptions for the Dockerfile and .dockerignore.</summary>
    public IReadOnlyList<string> Patterns { get; }

    public static DockerIgnore Parse(string text, string dockerfilePath = "Dockerfile")
    {
        ArgumentNullException.ThrowIfNull(text);
        var patterns = new List<string>();
        var first = true;
        foreach (var raw in text.Replace("\r\n", "\n").Split('\n'))
        {
            var line = first && raw.StartsWith('\uFEFF') ? raw[1..] : raw;
            first = false;
            if (line.StartsWith('#'))
            {
                continue;
            }

            var pattern = line.Trim();
            if (pattern.Length == 0)
            {
                continue;
            }

            var invert = pattern[0] == '!';
            if (invert)
            {
                pattern = pattern[1..].Trim();
            }

            if (pattern.Length > 0)
            {
                pattern = Clean(pattern);
                if (pattern.Length > 1 && pattern[0] == '/')
                {
                    pattern = pattern[1..];
                }
            }

            patterns.Add(invert ? "!" + pattern : pattern);
        }

        var ignore = new DockerIgnore(patterns);
        var extra = new List<string>();
        foreach (var keep in new[] { ".dockerignore", NormalizePath(dockerfilePath) })
        {
            if (ignore.Matches(keep))
            {
                extra.Add("!" + keep);
            }
        }

        return extra.Count == 0 ? ignore : new DockerIgnore([.. patterns, .. extra]);
    }

    /// <summary>True when the context path (relative, '/'-separated) is excluded from the build context.</summary>
    public bool Matches(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var file = NormalizePath(path);
        if (file.Length == 0)
        {
            return false;
        }

        var parents = file.Split('/');
        var matched = false;
        foreach (var (exclusion, regex) in _compiled)
        {
            if (exclusion != matched)
            {
                continue;
            }

            var match = regex.IsMatch(file);
            for (var i = 1; !match && i < parents.Length; i++)
            {
                match = regex.IsMatch(string.Join('/', parents[..i]));
            }

            if (match)
            {
                matched = !exclusion;
            }
        }

        return matched;
    }

    private static string NormalizePath(string path)
    {
        var p = Clean(path.Replace('\\', '/'));
        p = p.TrimStart('/');
        return p == "." ? "" : p;
    }

    /// <summary>Go's filepath.Clean for a relative or absolute slash path.</summary>
    private static string Clean(string path)
    {
        var rooted = path.StartsWith('/');
        var parts = new List<string>();
        foreach (var p in path.Split('/'))
        {
            if (p.Length == 0 || p == ".")
            {
                continue;
            }

            if (p == ".." && parts.Count > 0 && parts[^1] != "..")
            {
                parts.RemoveAt(parts.Count - 1);
                continue;
            }

            if (p == ".." && rooted)
            {
                continue;
            }

            parts.Add(p);
        }

        var joined = string.Join('/', parts);
        return rooted ? "/" + joined : joined.Length == 0 ? "." : joined;
    }

    private static Regex Compile(string pattern)
    {
        var sb = new StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            var ch = pattern[i];
            switch (ch)
            {
                case '*' when i + 1 < pattern.Length && pattern[i + 1] == '*':
                    i++;
                    if (i + 1 < pattern.Length && pattern[i + 1] == '/')
                    {
                        i++;
                    }

                    sb.Append(i + 1 >= pattern.Length ? ".*" : "(.*/)?");
                    break;
                case '*':
                    sb.Append("[^/]*");
                    break;
                case '?':
                    sb.Append("[^/]");
                    break;
                case '\\':
                    if (i + 1 < pattern.Length)
                    {
                        sb.Append(Regex.Escape(pattern[++i].ToString()));
                    }
                    else
                    {
                        sb.Append(@"\\");
                    }

                    break;
                case '[':
                {
                    var close = pattern.IndexOf(']', i + 1);
                    if (close < 0)
                    {
                        sb.Append(@"\[");
                        break;
                    }

                    var cls = pattern[(i + 1)..close]; // Go's filepath.Match class: [abc], [a-z], [^a]
                    sb.Append('[').Append(cls.Replace(@"\", @"\\").Replace("[", @"\[")).Append(']');
                    i = close;
                    break;
                }

                default:
                    sb.Append(Regex.Escape(ch.ToString()));
                    break;
            }
        }

        sb.Append('$');
        return new Regex(sb.ToString(), RegexOptions.CultureInvariant);
    }
}
