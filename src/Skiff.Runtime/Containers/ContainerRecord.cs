using System.Text.Json.Serialization;
using Skiff.Api;

namespace Skiff.Runtime.Containers;

/// <summary>
/// What the engine keeps about one container, persisted as <c>{data-root}/containers/{id}/container.json</c>.
/// This is a disk format: fields only grow; <see cref="FormatVersion"/> changes when meaning does.
/// </summary>
public sealed class ContainerRecord
{
    public const int CurrentFormat = 1;

    public int FormatVersion { get; set; } = CurrentFormat;
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    public DateTimeOffset Created { get; set; }
    public string Path { get; set; } = "";
    public List<string> Args { get; set; } = [];
    public ContainerConfig Config { get; set; } = new();
    public HostConfig HostConfig { get; set; } = new();
    public string ImageId { get; set; } = "";
    public ContainerState State { get; set; } = new();
    public int RestartCount { get; set; }
    /// <summary>Set by an explicit stop/kill; restart policies "always"/"unless-stopped" honour it as Docker does.</summary>
    public bool ManuallyStopped { get; set; }
    public bool HasBeenStarted { get; set; }

    /// <summary>The start time of the running init (see <see cref="Runc.InitStartTicks"/>): with State.Pid, what lets
    /// the daemon signal it directly without mistaking a reused pid for it.</summary>
    public long? InitStartTicks { get; set; }
    public Dictionary<string, EndpointSettings> Networks { get; set; } = [];
    /// <summary>Host ports actually bound (after -P / empty host ports were resolved).</summary>
    public Dictionary<string, List<PortBinding>?> Ports { get; set; } = [];
    public List<MountPoint> Mounts { get; set; } = [];
    public string LogPath { get; set; } = "";
    /// <summary>Named network namespace path held for this container while it runs (bridge networks).</summary>
    public string? NetnsPath { get; set; }
    public List<string> HostVeths { get; set; } = [];

    [JsonIgnore]
    public string ShortId => Id[..12];
}

[JsonSourceGenerationOptions(WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ContainerRecord))]
internal sealed partial class RuntimeJson : JsonSerializerContext
{
}
