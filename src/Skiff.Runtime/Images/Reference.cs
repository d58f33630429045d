using System.Net;
using System.Text.RegularExpressions;
using Skiff.Api;

namespace Skiff.Runtime.Images;

/// <summary>
/// A parsed image reference, normalised as Docker does: <c>busybox</c> is
/// <c>docker.io/library/busybox:latest</c>; a first component with a '.' or ':' or equal to
/// <c>localhost</c> is a registry host.
/// </summary>
public sealed partial record ImageReference(string Domain, string Path, string? Tag, string? Digest)
{
    public const string DefaultDomain = "docker.io";
    public const string DefaultTag = "latest";

    /// <summary>The name as Docker shows it: <c>busybox</c>, <c>foo/bar</c>, <c>127.0.0.1:5000/x</c>.</summary>
    public string FamiliarName =>
        Domain == DefaultDomain
            ? (Path.StartsWith("library/", StringComparison.Ordinal) && Path.IndexOf('/', 8) < 0 ? Path[8..] : Path)
            : Domain + "/" + Path;

    /// <summary><c>docker.io/library/busybox</c>.</summary>
    public string FullName => Domain + "/" + Path;

    /// <summary>The tag, or "latest" when neither tag nor digest was given.</summary>
    public string EffectiveTag => Tag ?? DefaultTag;

    /// <summary><c>busybox:latest</c> (the default tag filled in).</summary>
    public string FamiliarTagged => FamiliarName + ":" + EffectiveTag;

    /// <summary><c>busybox@sha256:...</c>; only meaningful when <see cref="Digest"/> is set.</summary>
    public string FamiliarDigested => FamiliarName + "@" + Digest;

    /// <summary>What Docker prints for this reference: name:tag or name@digest.</summary>
    public override string ToString() => Digest is not null && Tag is null ? FamiliarDigested : FamiliarTagged;

    /// <summary>True when the registry should be spoken to over plain HTTP (loopback hosts).</summary>
    public bool IsInsecureRegistry => IsLoopbackHost(Domain);

    /// <summary>The host the Registry API lives on (Docker Hub's is registry-1.docker.io).</summary>
    public string RegistryHost => Domain == DefaultDomain ? "registry-1.docker.io" : Domain;

    public static ImageReference Parse(string reference) =>
        TryParse(reference, out var result, out var error) ? result : throw new BadRequestException(error);

    public static bool TryParse(string reference, out ImageReference result) => TryParse(reference, out result, out _);

    public static bool TryParse(string reference, out ImageReference result, out string error)
    {
        result = null!;
        error = $"invalid reference format: {reference}";
        if (string.IsNullOrWhiteSpace(reference) || reference.Length > 512)
        {
            error = "invalid reference format";
            return false;
        }

        var rest = reference;
        string? digest = null;
        var at = rest.IndexOf('@');
        if (at >= 0)
        {
            digest = rest[(at + 1)..];
            rest = rest[..at];
            if (!DigestRegex().IsMatch(digest))
            {
                error = "invalid reference format";
                return false;
            }
        }

        string? tag = null;
        var colon = rest.LastIndexOf(':');
        if (colon > rest.LastIndexOf('/'))
        {
            tag = rest[(colon + 1)..];
            rest = rest[..colon];
            if (!TagRegex().IsMatch(tag))
            {
                error = "invalid reference format";
                return false;
            }
        }

        string domain;
        string path;
        var slash = rest.IndexOf('/');
        var first = slash < 0 ? rest : rest[..slash];
        if (slash >= 0 && (first.Contains('.') || first.Contains(':') || first == "localhost" || first.Any(char.IsUpper)))
        {
            domain = first;
            path = rest[(slash + 1)..];
            if (!DomainRegex().IsMatch(domain))
            {
                error = "invalid reference format";
                return false;
            }
        }
        else
        {
            domain = DefaultDomain;
            path = rest;
        }

        if (domain == "index.docker.io")
        {
            domain = DefaultDomain;
        }

        if (domain == DefaultDomain && !path.Contains('/'))
        {
            path = "library/" + path;
        }

        if (path.Any(char.IsUpper))
        {
            error = $"invalid reference format: repository name ({rest}) must be lowercase";
            return false;
        }

        if (!PathRegex().IsMatch(path) || path.Length > 255)
        {
            error = "invalid reference format";
            return false;
        }

        result = new ImageReference(domain, path, tag, digest);
        return true;
    }

    /// <summary>"repository" plus optional tag as given to <c>docker tag</c> / <c>?repo=&amp;tag=</c>.</summary>
    public static ImageReference ParseRepositoryAndTag(string repository, string? tag)
    {
        var parsed = Parse(repository);
        if (parsed.Digest is not null)
        {
            throw new BadRequestException("refusing to create a tag with a digest reference");
        }

        if (!string.IsNullOrEmpty(tag))
        {
            if (parsed.Tag is not null || !TagRegex().IsMatch(tag))
            {
                throw new BadRequestException("invalid reference format");
            }

            parsed = parsed with { Tag = tag };
        }

        return parsed;
    }

    internal static bool IsLoopbackHost(string domain)
    {
        var host = domain;
        if (host.StartsWith('['))
        {
            var end = host.IndexOf(']');
            host = end > 0 ? host[1..end] : host;
        }
        else
        {
            var colon = host.LastIndexOf(':');
            if (colon >= 0)
            {
                host = host[..colon];
            }
        }

        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        return IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip);
    }

    [GeneratedRegex(@"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$")]
    private static partial Regex PathRegex();

    [GeneratedRegex(@"^[\w][\w.-]{0,127}$")]
    private static partial Regex TagRegex();

    [GeneratedRegex(@"^[a-z0-9]+:[a-f0-9]{32,}$")]
    private static partial Regex DigestRegex();

    [GeneratedRegex(@"^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?$")]
    private static partial Regex DomainRegex();
}
