namespace Skiff.Api;

public sealed class VolumeResource
{
    public string Name { get; set; } = "";
    public string Driver { get; set; } = "local";
    public string Mountpoint { get; set; } = "";
    public string CreatedAt { get; set; } = "";
    public Dictionary<string, string> Labels { get; set; } = [];
    public string Scope { get; set; } = "local";
    public Dictionary<string, string> Options { get; set; } = [];
    public VolumeUsage? UsageData { get; set; }
}

public sealed class VolumeUsage
{
    public long Size { get; set; }
    public long RefCount { get; set; }
}

public sealed class VolumeCreateRequest
{
    public string? Name { get; set; }
    public string? Driver { get; set; }
    public Dictionary<string, string>? DriverOpts { get; set; }
    public Dictionary<string, string>? Labels { get; set; }
}

public sealed class VolumeListResponse
{
    public List<VolumeResource> Volumes { get; set; } = [];
    public List<string> Warnings { get; set; } = [];
}

public sealed class VolumePruneResponse
{
    public List<string> VolumesDeleted { get; set; } = [];
    public long SpaceReclaimed { get; set; }
}
