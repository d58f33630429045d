using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Skiff.Api;

namespace Skiff.Runtime.Build;

/// <summary>A file or directory a COPY/ADD source names: its path relative to the source root and on disk.</summary>
public sealed record SourceMatch(string RelativePath, string FullPath, bool IsDirectory);

/// <summary>
/// The build context, unpacked from the client's tar into a private directory. The daemon does not apply
/// .dockerignore again: as with dockerd, the client already left ignored files out of the tar.
/// </summary>
public sealed partial class BuildContext : IDisposable
{
    private BuildContext(string root)
    {
        Root = root;
    }

    public string Root { get; }

    /// <summary>Unpacks a context tar (plain or gzip) into <paramref name="directory"/> (created, must not exist).
    /// Paths escaping the directory, devices and broken archives are refused with a 400.</summary>
    public static async Task<BuildContext> ExtractAsync(Stream tar, string directory, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(tar);
        var root = Path.GetFullPath(directory);
        Directory.CreateDirectory(root);
        var context = new BuildContext(root);
        try
        {
            await using var input = Images.LayerExtractor.MaybeDecompress(tar);
            await using var reader = new TarReader(input, leaveOpen: true);
            var dirModes = new List<(string Path, UnixFileMode Mode)>();
            while (await reader.GetNextEntryAsync(copyData: false, ct) is { } entry)
            {
                var path = Images.LayerExtractor.SafePath(root, entry.Name);
                if (path is null)
                {
                    continue;
                }

                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                switch (entry.EntryType)
                {
                    case TarEntryType.Directory:
                        Directory.CreateDirectory(path);
                        dirModes.Add((path, entry.Mode));
                        break;
                    case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                        await using (var file = new FileStream(path, FileMode.Create, FileAccess.Write))
                        {
                            if (entry.DataStream is { } data)
                            {
                                await data.CopyToAsync(file, ct);
                            }
                        }

                        File.SetUnixFileMode(path, entry.Mode);
                        break;
                    case TarEntryType.SymbolicLink:
                        File.CreateSymbolicLink(path, entry.LinkName);
                        break;
                    case TarEntryType.HardLink:
                        var existing = Images.LayerExtractor.SafePath(root, entry.LinkName)
                            ?? throw new BadRequestException($"invalid build context: hard link {entry.Name} to the root");
                        File.Copy(existing, path, overwrite: true);
                        break;
                    case TarEntryType.GlobalExtendedAttributes:
                        break;
                    default:
                        throw new BadRequestException($"invalid build context: {entry.Name} is a {entry.EntryType}, which a build context cannot hold");
                }
            }

            foreach (var (path, mode) in dirModes)
            {
                File.SetUnixFileMode(path, mode | UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            return context;
        }
        catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or FormatException)
        {
            context.Dispose();
            throw new BadRequestException($"Error processing tar file: {ex.Message}");
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    /// <summary>The Dockerfile's text, or Docker's 500 "Cannot locate specified Dockerfile: NAME".</summary>
    public string ReadDockerfile(string name)
    {
        var path = Images.LayerExtractor.SafePath(Root, name);
        if (path is null || !File.Exists(path))
        {
            throw new SkiffException(500, $"Cannot locate specified Dockerfile: {name}");
        }

        return File.ReadAllText(path);
    }

    /// <summary>
    /// Resolves COPY/ADD sources against <paramref name="root"/> (the context, or another stage's filesystem) as the
    /// classic builder does: paths are relative to the root and cannot leave it, wildcards (<c>*?[</c>) match
    /// whole paths; a missing source or an empty wildcard is an error with Docker's text.
    /// </summary>
    public static IReadOnlyList<SourceMatch> Resolve(string root, IReadOnlyList<string> sources, string keyword, bool fromContext)
    {
        ArgumentNullException.ThrowIfNull(sources);
        var result = new List<SourceMatch>();
        foreach (var source in sources)
        {
            var rel = BuildPlan.CleanPath("/" + source).TrimStart('/');
            if (source.IndexOfAny(['*', '?', '[']) >= 0)
            {
                var regex = Glob(rel);
                foreach (var entry in Walk(root, ""))
                {
                    if (regex.IsMatch(entry.RelativePath))
                    {
                        result.Add(entry);
                    }
                }

                continue;
            }

            var full = rel.Length == 0 ? root : Path.Combine(root, rel);
            var info = new FileInfo(full);
            if (!info.Exists && !Directory.Exists(full) && info.LinkTarget is null)
            {
                throw new BadRequestException(fromContext
                    ? $"{keyword} failed: file not found in build context or excluded by .dockerignore: stat {source}: file does not exist"
                    : $"{keyword} failed: stat {source}: file does not exist");
            }

            result.Add(new SourceMatch(rel, full, info.LinkTarget is null && Directory.Exists(full)));
        }

        if (result.Count == 0)
        {
            throw new BadRequestException($"{keyword} failed: no source files were specified");
        }

        return result;
    }

    /// <summary>Every entry under <paramref name="dir"/>, sorted, with '/'-separated paths relative to the walk's start.</summary>
    public static IEnumerable<SourceMatch> Walk(string dir, string prefix)
    {
        foreach (var full in Directory.EnumerateFileSystemEntries(dir).Order(StringComparer.Ordinal))
        {
            var rel = prefix + Path.GetFileName(full);
            var isDir = new FileInfo(full).LinkTarget is null && Directory.Exists(full);
            yield return new SourceMatch(rel, full, isDir);
            if (isDir)
            {
                foreach (var inner in Walk(full, rel + "/"))
                {
                    yield return inner;
                }
            }
        }
    }

    /// <summary>The plan's content digest of COPY/ADD sources: names, modes, link targets and contents of every
    /// file they cover, so a changed file misses the cache and an untouched context hits it.</summary>
    public string ContentDigest(IReadOnlyList<string> sources)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(string text) => hash.AppendData(Encoding.UTF8.GetBytes(text + "\0"));
        IReadOnlyList<SourceMatch> matches;
        try
        {
            matches = Resolve(Root, sources, "COPY", fromContext: true);
        }
        catch (BadRequestException ex)
        {
            // The step itself reports the error when it runs; the digest only has to differ.
            Add("error:" + ex.Message);
            return "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
        }

        foreach (var match in matches)
        {
            var files = match.IsDirectory ? [match, .. Walk(match.FullPath, match.RelativePath + "/")] : new[] { match };
            foreach (var f in files)
            {
                var info = new FileInfo(f.FullPath);
                Add(f.RelativePath);
                Add(((int)File.GetUnixFileMode(f.FullPath)).ToString(System.Globalization.CultureInfo.InvariantCulture));
                if (info.LinkTarget is { } target)
                {
                    Add("->" + target);
                }
                else if (!f.IsDirectory)
                {
                    using var stream = File.OpenRead(f.FullPath);
                    hash.AppendData(SHA256.HashData(stream));
                }
            }
        }

        return "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Follows symlinks in <paramref name="path"/> inside <paramref name="root"/>, as Docker's
    /// FollowSymlinkInScope: COPY into /lib where /lib -> usr/lib must write usr/lib, not replace the link.</summary>
    internal static string ResolveInRoot(string root, string path)
    {
        var pending = new Queue<string>(path.Split('/', StringSplitOptions.RemoveEmptyEntries));
        var resolved = new List<string>();
        var hops = 0;
        while (pending.Count > 0)
        {
            var part = pending.Dequeue();
            if (part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                if (resolved.Count > 0)
                {
                    resolved.RemoveAt(resolved.Count - 1);
                }

                continue;
            }

            var candidate = Path.Combine(root, string.Join('/', resolved.Append(part)));
            var link = new FileInfo(candidate).LinkTarget;
            if (link is null || ++hops > 40)
            {
                resolved.Add(part);
                continue;
            }

            if (link.StartsWith('/'))
            {
                resolved.Clear();
            }

            var rest = pending.ToList();
            pending.Clear();
            foreach (var p in link.Split('/', StringSplitOptions.RemoveEmptyEntries).Concat(rest))
            {
                pending.Enqueue(p);
            }
        }

        return "/" + string.Join('/', resolved);
    }

    /// <summary>Go's filepath.Match over a whole relative path: * and ? never cross '/'.</summary>
    internal static Regex Glob(string pattern)
    {
        var sb = new StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            switch (c)
            {
                case '*':
                    sb.Append("[^/]*");
                    break;
                case '?':
                    sb.Append("[^/]");
                    break;
                case '[':
                    var close = pattern.IndexOf(']', i + 1);
                    if (close < 0)
                    {
                        sb.Append(@"\[");
                        break;
                    }

                    var cls = pattern[(i + 1)..close];
                    sb.Append('[').Append(cls.StartsWith('^') ? "^" + Regex.Escape(cls[1..]) : Regex.Escape(cls)).Append(']');
                    i = close;
                    break;
                case '\\' when i + 1 < pattern.Length:
                    sb.Append(Regex.Escape(pattern[++i].ToString()));
                    break;
                default:
                    sb.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }

        return new Regex(sb.Append('$').ToString(), RegexOptions.CultureInvariant);
    }

    public void Dispose()
    {
        try
        {
            if (Directory.Exists(Root))
            {
                Directory.Delete(Root, recursive: true);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
