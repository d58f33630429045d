namespace Skiff.Cli.Connection;

/// <summary>Where and how to reach the engine: <c>unix://path</c> or <c>tcp://host:port</c> (optionally mutual TLS).</summary>
internal sealed record HostSpec(string Original, string Scheme, string Address, int Port, TlsSettings? Tls)
{
    public const string DefaultHost = "unix:///run/skiff/skiff.sock";

    public bool IsUnix => Scheme == "unix";

    /// <summary><c>-H/--host</c>, then <c>SKIFF_HOST</c>, then <c>DOCKER_HOST</c>, then the default socket.</summary>
    public static HostSpec Resolve(string? flagHost, Func<string, string?> getEnv, TlsSettings? tls)
    {
        var host = !string.IsNullOrEmpty(flagHost) ? flagHost
            : !string.IsNullOrEmpty(getEnv("SKIFF_HOST")) ? getEnv("SKIFF_HOST")!
            : !string.IsNullOrEmpty(getEnv("DOCKER_HOST")) ? getEnv("DOCKER_HOST")!
            : DefaultHost;
        return Parse(host, tls);
    }

    public static HostSpec Parse(string host, TlsSettings? tls)
    {
        if (host.StartsWith("unix://", StringComparison.Ordinal))
        {
            var path = host["unix://".Length..];
            if (path.Length == 0)
            {
                throw new CliException($"invalid host: {host}");
            }
            return new HostSpec(host, "unix", path, 0, null);
        }
        if (host.StartsWith('/'))
        {
            return new HostSpec("unix://" + host, "unix", host, 0, null);
        }
        var rest = host;
        if (host.StartsWith("tcp://", StringComparison.Ordinal))
        {
            rest = host["tcp://".Length..];
        }
        else if (host.StartsWith("http://", StringComparison.Ordinal))
        {
            rest = host["http://".Length..];
        }
        else if (host.StartsWith("https://", StringComparison.Ordinal))
        {
            rest = host["https://".Length..];
            tls ??= new TlsSettings(null, null, null, false);
        }
        else if (host.Contains("://", StringComparison.Ordinal))
        {
            throw new CliException($"unable to parse docker host `{host}`: unsupported scheme (use unix:// or tcp://)");
        }
        rest = rest.TrimEnd('/');
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            rest = rest[..slash];
        }
        var colon = rest.LastIndexOf(':');
        string address;
        int port;
        if (colon < 0 || rest.EndsWith(']'))
        {
            address = rest;
            port = tls != null ? 2376 : 2375;
        }
        else
        {
            address = rest[..colon];
            if (!int.TryParse(rest[(colon + 1)..], out port) || port <= 0 || port > 65535)
            {
                throw new CliException($"invalid host: {host}: invalid port");
            }
        }
        if (address.Length == 0)
        {
            address = "127.0.0.1";
        }
        return new HostSpec(host, "tcp", address.Trim('[', ']'), port, tls);
    }
}

/// <summary>TLS material for tcp:// hosts. <paramref name="Verify"/> checks the server against the CA.</summary>
internal sealed record TlsSettings(string? CaCert, string? Cert, string? Key, bool Verify);
