namespace Skiff.Daemon;

/// <summary>skiffd's configuration (flags). Two daemons with different roots, sockets and bridges run side by side.</summary>
public sealed record DaemonOptions
{
    public List<string> Hosts { get; init; } = [];
    public string DataRoot { get; init; } = "/var/lib/skiff";
    public string ExecRoot { get; init; } = "/run/skiff";
    public string BridgeName { get; init; } = "skiff0";
    public string BridgeCidr { get; init; } = "172.18.240.1/20";
    public string LogLevel { get; init; } = "info";
    public bool TlsVerify { get; init; }
    public string? TlsCaCert { get; init; }
    public string? TlsCert { get; init; }
    public string? TlsKey { get; init; }
    public string? NodeHostname { get; init; }
    public string CgroupParent { get; init; } = "/skiff";

    /// <summary><c>--ip</c>: the host address published ports bind to when a binding names none (Docker's
    /// <c>--ip</c>); null is every address. Lets several nodes on one machine publish the same port.</summary>
    public string? DefaultBindIp { get; init; }

    /// <summary><c>--max-concurrent-starts</c>: swarm tasks this node's engine executor creates and starts at once.</summary>
    public int MaxConcurrentStarts { get; init; } = Math.Max(2, Environment.ProcessorCount);

    public string DefaultSocket => Path.Combine(ExecRoot, "skiff.sock");
}
