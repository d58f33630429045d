using System.Text.Json.Serialization;

namespace Skiff.Api;

/// <summary>A row of <c>GET /images/json</c>.</summary>
public sealed class ImageSummary
{
    public string Id { get; set; } = "";
    public string ParentId { get; set; } = "";
    public List<string> RepoTags { get; set; } = [];
    public List<string> RepoDigests { get; set; } = [];
    public long Created { get; set; }
    public long Size { get; set; }
    public long SharedSize { get; set; } = -1;
    public long VirtualSize { get; set; }
    public Dictionary<string, string> Labels { get; set; } = [];
    public int Containers { get; set; } = -1;
}

public sealed class ImageInspect
{
    public string Id { get; set; } = "";
    public List<string> RepoTags { get; set; } = [];
    public List<string> RepoDigests { get; set; } = [];
    public string Parent { get; set; } = "";
    public string Comment { get; set; } = "";
    public string Created { get; set; } = "";
    public string Container { get; set; } = "";
    public ContainerConfig ContainerConfig { get; set; } = new();
    public string DockerVersion { get; set; } = "";
    public string Author { get; set; } = "";
    public ContainerConfig Config { get; set; } = new();
    public string Architecture { get; set; } = "amd64";
    public string? Variant { get; set; }
    public string Os { get; set; } = "linux";
    public long Size { get; set; }
    public long VirtualSize { get; set; }
    public GraphDriverData GraphDriver { get; set; } = new();
    public ImageRootFs RootFS { get; set; } = new();
    public ImageMetadata Metadata { get; set; } = new();
}

public sealed class ImageRootFs
{
    public string Type { get; set; } = "layers";
    public List<string> Layers { get; set; } = [];
}

public sealed class ImageMetadata
{
    public string LastTagTime { get; set; } = "0001-01-01T00:00:00Z";
}

public sealed class ImageDeleteResponseItem
{
    public string? Untagged { get; set; }
    public string? Deleted { get; set; }
}

public sealed class ImagePruneResponse
{
    public List<ImageDeleteResponseItem> ImagesDeleted { get; set; } = [];
    public long SpaceReclaimed { get; set; }
}

public sealed class ImageHistoryItem
{
    public string Id { get; set; } = "";
    public long Created { get; set; }
    public string CreatedBy { get; set; } = "";
    public List<string> Tags { get; set; } = [];
    public long Size { get; set; }
    public string Comment { get; set; } = "";
}

/// <summary>The OCI / Docker image configuration blob (the JSON whose digest is the image ID).</summary>
public sealed class OciImageConfig
{
    [JsonPropertyName("architecture")]
    public string Architecture { get; set; } = "amd64";
    [JsonPropertyName("os")]
    public string Os { get; set; } = "linux";
    [JsonPropertyName("created")]
    public string? Created { get; set; }
    [JsonPropertyName("author")]
    public string? Author { get; set; }
    [JsonPropertyName("config")]
    public ContainerConfig? Config { get; set; }
    [JsonPropertyName("rootfs")]
    public OciRootFs RootFs { get; set; } = new();
    [JsonPropertyName("history")]
    public List<OciHistory>? History { get; set; }
    [JsonPropertyName("variant")]
    public string? Variant { get; set; }
}

public sealed class OciRootFs
{
    [JsonPropertyName("type")]
    public string Type { get; set; } = "layers";
    [JsonPropertyName("diff_ids")]
    public List<string> DiffIds { get; set; } = [];
}

public sealed class OciHistory
{
    [JsonPropertyName("created")]
    public string? Created { get; set; }
    [JsonPropertyName("created_by")]
    public string? CreatedBy { get; set; }
    [JsonPropertyName("comment")]
    public string? Comment { get; set; }
    [JsonPropertyName("empty_layer")]
    public bool? EmptyLayer { get; set; }
}
