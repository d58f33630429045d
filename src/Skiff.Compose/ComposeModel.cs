namespace Skiff.Compose;

/// <summary>The normalised compose application model (after interpolation and merge).</summary>
public sealed class ComposeProject
{
    public required string Name { get; init; }

    public required string WorkingDirectory { get; init; }

    /// <summary>Services in document order (after merge).</summary>
    public IReadOnlyList<ServiceConfig> Services { get; init; } = [];

    public IReadOnlyDictionary<string, NetworkConfig> Networks { get; init; } = new Dictionary<string, NetworkConfig>();

    public IReadOnlyDictionary<string, VolumeConfig> Volumes { get; init; } = new Dictionary<string, VolumeConfig>();

    public IReadOnlyDictionary<string, FileObjectConfig> Secrets { get; init; } = new Dictionary<string, FileObjectConfig>();

    public IReadOnlyDictionary<string, FileObjectConfig> Configs { get; init; } = new Dictionary<string, FileObjectConfig>();

    /// <summary>Warnings to print as compose does (obsolete <c>version</c> ...).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    public ServiceConfig? Service(string name) => Services.FirstOrDefault(s => s.Name == name);
}

public sealed class ServiceConfig
{
    public required string Name { get; init; }

    public string? Image { get; init; }

    public BuildConfig? Build { get; init; }

    public IReadOnlyList<string>? Command { get; init; }

    public IReadOnlyList<string>? Entrypoint { get; init; }

    /// <summary>Variables; a null value is a name without <c>=</c> (taken from the environment when the container is created).</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();

    public IReadOnlyList<EnvFileRef> EnvFiles { get; init; } = [];

    public IReadOnlyList<ServicePort> Ports { get; init; } = [];

    public IReadOnlyList<ServiceVolume> Volumes { get; init; } = [];

    public IReadOnlyList<string> Links { get; init; } = [];

    public IReadOnlyDictionary<string, ServiceDependency> DependsOn { get; init; } = new Dictionary<string, ServiceDependency>();

    /// <summary>Networks the service joins; null when none is given (the loader then adds <c>default</c>).</summary>
    public IReadOnlyDictionary<string, ServiceNetwork?> Networks { get; init; } = new Dictionary<string, ServiceNetwork?>();

    public DeployConfig? Deploy { get; init; }

    public HealthcheckConfig? Healthcheck { get; init; }

    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    public string? Restart { get; init; }

    public string? Hostname { get; init; }

    public string? WorkingDir { get; init; }

    public string? User { get; init; }

    public IReadOnlyList<string> Profiles { get; init; } = [];

    public int? Scale { get; init; }

    public string? ContainerName { get; init; }

    /// <summary><c>network_mode</c> as written: bridge, host, none, <c>service:NAME</c> or <c>container:NAME</c>.</summary>
    public string? NetworkMode { get; init; }

    /// <summary><c>volumes_from</c> entries as written (<c>svc</c>, <c>svc:ro</c>, <c>container:name</c>).</summary>
    public IReadOnlyList<string> VolumesFrom { get; init; } = [];

    public TimeSpan? StopGracePeriod { get; init; }

    public string? StopSignal { get; init; }

    public bool Tty { get; init; }

    public bool StdinOpen { get; init; }

    public bool Privileged { get; init; }

    public bool ReadOnly { get; init; }

    public bool? Init { get; init; }

    /// <summary>Container ports exposed without publishing (<c>"3000"</c>, <c>"8000-8001/udp"</c>).</summary>
    public IReadOnlyList<string> Expose { get; init; } = [];

    /// <summary><c>host:ip</c> pairs (either <c>=</c> or <c>:</c> in the file).</summary>
    public IReadOnlyList<string> ExtraHosts { get; init; } = [];

    public IReadOnlyList<string> Dns { get; init; } = [];

    public IReadOnlyList<string> CapAdd { get; init; } = [];

    public IReadOnlyList<string> CapDrop { get; init; } = [];

    public IReadOnlyList<string> Tmpfs { get; init; } = [];

    /// <summary><c>mem_limit</c> in bytes (a <c>deploy.resources.limits.memory</c> takes precedence).</summary>
    public long? MemLimit { get; init; }

    /// <summary><c>cpus</c> as nano-CPUs (a <c>deploy.resources.limits.cpus</c> takes precedence).</summary>
    public long? NanoCpus { get; init; }

    public string? PullPolicy { get; init; }

    /// <summary>Keys the file sets that Skiff accepts but does not act on (each reported once by the commands).</summary>
    public IReadOnlyList<string> UnsupportedKeys { get; init; } = [];

    /// <summary>Top-level secrets the service uses (short syntax: the source only); the loader checks they are declared.</summary>
    public IReadOnlyList<ServiceFileReference> Secrets { get; init; } = [];

    /// <summary>Top-level configs the service uses, as <see cref="Secrets"/>.</summary>
    public IReadOnlyList<ServiceFileReference> Configs { get; init; } = [];
}

/// <summary>A service's use of a secret or config; null fields were not written (the engine's defaults apply). <c>Mode</c> as written (<c>0440</c>).</summary>
public sealed record ServiceFileReference(string Source, string? Target, string? Uid, string? Gid, string? Mode);

public sealed record BuildConfig(string Context, string Dockerfile, IReadOnlyDictionary<string, string?> Args);

/// <param name="Format">null (compose's .env rules) or <c>raw</c> (KEY=VALUE lines taken literally).</param>
public sealed record EnvFileRef(string Path, bool Required, string? Format = null);

public sealed record ServicePort(string Mode, int Target, string? Published, string Protocol, string? HostIp);

public enum VolumeType
{
    Bind,
    Volume,
    Tmpfs,
}

public sealed record ServiceVolume(VolumeType Type, string? Source, string Target, bool ReadOnly)
{
    /// <summary>Short-syntax binds create a missing host path (<c>bind.create_host_path: true</c>).</summary>
    public bool CreateHostPath { get; init; }

    public bool NoCopy { get; init; }
}

public sealed record ServiceDependency(string Condition, bool Required, bool Restart);

public sealed record ServiceNetwork(IReadOnlyList<string> Aliases);

public sealed class DeployConfig
{
    public string? Mode { get; init; }

    public int? Replicas { get; init; }

    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    public UpdateConfig? UpdateConfig { get; init; }

    public UpdateConfig? RollbackConfig { get; init; }

    public ResourceSpec? Limits { get; init; }

    public ResourceSpec? Reservations { get; init; }

    public RestartPolicy? RestartPolicy { get; init; }

    public Placement? Placement { get; init; }

    public string? EndpointMode { get; init; }
}

/// <summary>CPUs as written (<c>"0.1"</c>) and as nano-CPUs; memory in bytes.</summary>
public sealed record ResourceSpec(string? Cpus, long? NanoCpus, long? MemoryBytes, long? Pids);

public sealed record RestartPolicy(string? Condition, TimeSpan? Delay, int? MaxAttempts, TimeSpan? Window);

public sealed record UpdateConfig(int? Parallelism, TimeSpan? Delay, string? FailureAction, TimeSpan? Monitor, double? MaxFailureRatio, string? Order);

public sealed record Placement(IReadOnlyList<string> Constraints, IReadOnlyList<string> PreferenceSpreads, int? MaxReplicasPerNode);

public sealed record HealthcheckConfig(
    IReadOnlyList<string>? Test,
    TimeSpan? Interval,
    TimeSpan? Timeout,
    TimeSpan? StartPeriod,
    TimeSpan? StartInterval,
    int? Retries,
    bool Disable);

public sealed record NetworkConfig(string Name, string? Driver, bool External, IReadOnlyDictionary<string, string> Labels);

public sealed record VolumeConfig(string Name, string? Driver, bool External, IReadOnlyDictionary<string, string> Labels);

public sealed record FileObjectConfig(string Name, string? File, string? Environment, bool External)
{
    /// <summary>The object's own labels (a stack adds its namespace label to them).</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
}
