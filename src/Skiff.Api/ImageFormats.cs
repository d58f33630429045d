using System.Text.Json.Serialization;

namespace Skiff.Api;

/// <summary>An entry of a docker-archive's <c>manifest.json</c> (<c>docker save</c> format).</summary>
public sealed class DockerArchiveManifestEntry
{
    public string Config { get; set; } = "";
    public List<string>? RepoTags { get; set; }
    public List<string> Layers { get; set; } = [];
}

/// <summary>An OCI content descriptor (also used by Docker schema2 manifests and manifest lists).</summary>
public sealed class OciDescriptor
{
    [JsonPropertyName("mediaType")]
    public string MediaType { get; set; } = "";
    [JsonPropertyName("digest")]
    public string Digest { get; set; } = "";
    [JsonPropertyName("size")]
    public long Size { get; set; }
    [JsonPropertyName("platform")]
    public OciPlatform? Platform { get; set; }
    [JsonPropertyName("annotations")]
    public Dictionary<string, string>? Annotations { get; set; }
}

public sealed class OciPlatform
{
    [JsonPropertyName("architecture")]
    public string Architecture { get; set; } = "";
    [JsonPropertyName("os")]
    public string Os { get; set; } = "";
    [JsonPropertyName("variant")]
    public string? Variant { get; set; }
}

/// <summary>An OCI image manifest or a Docker schema2 manifest (same shape).</summary>
public sealed class OciManifest
{
    [JsonPropertyName("schemaVersion")]
    public int SchemaVersion { get; set; } = 2;
    [JsonPropertyName("mediaType")]
    public string? MediaType { get; set; }
    [JsonPropertyName("config")]
    public OciDescriptor Config { get; set; } = new();
    [JsonPropertyName("layers")]
    public List<OciDescriptor> Layers { get; set; } = [];
    [JsonPropertyName("annotations")]
    public Dictionary<string, string>? Annotations { get; set; }
}

/// <summary>An OCI image index or a Docker manifest list (same shape); also an OCI layout's index.json.</summary>
public sealed class OciIndex
{
    [JsonPropertyName("schemaVersion")]
    public int SchemaVersion { get; set; } = 2;
    [JsonPropertyName("mediaType")]
    public string? MediaType { get; set; }
    [JsonPropertyName("manifests")]
    public List<OciDescriptor> Manifests { get; set; } = [];
    [JsonPropertyName("annotations")]
    public Dictionary<string, string>? Annotations { get; set; }
}

/// <summary>Registry v2 error body: <c>{"errors":[{"code":..,"message":..}]}</c>.</summary>
public sealed class RegistryErrorResponse
{
    [JsonPropertyName("errors")]
    public List<RegistryError>? Errors { get; set; }
}

public sealed class RegistryError
{
    [JsonPropertyName("code")]
    public string? Code { get; set; }
    [JsonPropertyName("message")]
    public string? Message { get; set; }
}

/// <summary>A registry token service's answer (Docker Hub style bearer auth).</summary>
public sealed class RegistryTokenResponse
{
    [JsonPropertyName("token")]
    public string? Token { get; set; }
    [JsonPropertyName("access_token")]
    public string? AccessToken { get; set; }
}

/// <summary>The image store's persisted references (<c>image/repositories.json</c>).</summary>
public sealed class ImageRepositoriesFile
{
    /// <summary>"name:tag" (as Docker shows it) to image id.</summary>
    public Dictionary<string, string> Tags { get; set; } = [];
    /// <summary>"name@sha256:..." to image id.</summary>
    public Dictionary<string, string> Digests { get; set; } = [];
    /// <summary>Image id to import/load time for images whose config has no created time.</summary>
    public Dictionary<string, string>? Created { get; set; }
}
