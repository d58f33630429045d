using System.Text.Json;
using System.Text.Json.Serialization;

namespace Skiff.Api;

/// <summary>
/// Source-generated JSON for every Engine API contract. Names are Docker's (PascalCase, no policy);
/// unset optional values are omitted, because the docker CLI reads a present-but-empty object as
/// meaningful (NOTES.md §6).
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.Unspecified,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    PropertyNameCaseInsensitive = true,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true,
    NumberHandling = JsonNumberHandling.AllowReadingFromString)]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(SystemVersion))]
[JsonSerializable(typeof(SystemInfo))]
[JsonSerializable(typeof(EventMessage))]
[JsonSerializable(typeof(JsonMessage))]
[JsonSerializable(typeof(ContainerCreateRequest))]
[JsonSerializable(typeof(ContainerCreateResponse))]
[JsonSerializable(typeof(List<ContainerSummary>))]
[JsonSerializable(typeof(ContainerInspect))]
[JsonSerializable(typeof(ContainerWaitResponse))]
[JsonSerializable(typeof(ContainerTopResponse))]
[JsonSerializable(typeof(ContainerPruneResponse))]
[JsonSerializable(typeof(ExecCreateRequest))]
[JsonSerializable(typeof(ExecStartRequest))]
[JsonSerializable(typeof(ExecInspect))]
[JsonSerializable(typeof(IdResponse))]
[JsonSerializable(typeof(List<ImageSummary>))]
[JsonSerializable(typeof(ImageInspect))]
[JsonSerializable(typeof(List<ImageDeleteResponseItem>))]
[JsonSerializable(typeof(ImagePruneResponse))]
[JsonSerializable(typeof(List<ImageHistoryItem>))]
[JsonSerializable(typeof(OciImageConfig))]
[JsonSerializable(typeof(List<DockerArchiveManifestEntry>))]
[JsonSerializable(typeof(OciManifest))]
[JsonSerializable(typeof(OciIndex))]
[JsonSerializable(typeof(RegistryErrorResponse))]
[JsonSerializable(typeof(RegistryTokenResponse))]
[JsonSerializable(typeof(ImageRepositoriesFile))]
[JsonSerializable(typeof(NetworkResource))]
[JsonSerializable(typeof(List<NetworkResource>))]
[JsonSerializable(typeof(NetworkCreateRequest))]
[JsonSerializable(typeof(NetworkCreateResponse))]
[JsonSerializable(typeof(NetworkConnectRequest))]
[JsonSerializable(typeof(NetworkDisconnectRequest))]
[JsonSerializable(typeof(NetworkPruneResponse))]
[JsonSerializable(typeof(VolumeResource))]
[JsonSerializable(typeof(VolumeCreateRequest))]
[JsonSerializable(typeof(VolumeListResponse))]
[JsonSerializable(typeof(VolumePruneResponse))]
[JsonSerializable(typeof(SwarmInspect))]
[JsonSerializable(typeof(SwarmSpec))]
[JsonSerializable(typeof(SwarmInitRequest))]
[JsonSerializable(typeof(SwarmJoinRequest))]
[JsonSerializable(typeof(NodeWire))]
[JsonSerializable(typeof(List<NodeWire>))]
[JsonSerializable(typeof(NodeSpecWire))]
[JsonSerializable(typeof(ServiceSpecWire))]
[JsonSerializable(typeof(ServiceWire))]
[JsonSerializable(typeof(List<ServiceWire>))]
[JsonSerializable(typeof(ServiceCreateResponse))]
[JsonSerializable(typeof(ServiceUpdateResponse))]
[JsonSerializable(typeof(TaskWire))]
[JsonSerializable(typeof(List<TaskWire>))]
[JsonSerializable(typeof(TaskSpecWire))]
[JsonSerializable(typeof(SwarmFileSpecWire))]
[JsonSerializable(typeof(SwarmFileWire))]
[JsonSerializable(typeof(List<SwarmFileWire>))]
[JsonSerializable(typeof(SwarmCreateResponse))]
[JsonSerializable(typeof(Dictionary<string, List<string>>))]
[JsonSerializable(typeof(Dictionary<string, Dictionary<string, bool>>))]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(string))]
public sealed partial class SkiffJson : JsonSerializerContext
{
    /// <summary>
    /// The same contracts with Go-like escaping (quotes and apostrophes stay readable), for what the daemon
    /// writes: error messages carry names in quotes, and users read them.
    /// </summary>
    public static SkiffJson Wire => _wire ??= CreateWire();

    private static SkiffJson? _wire;

    private static SkiffJson CreateWire()
    {
        var options = new JsonSerializerOptions(Default.Options)
        {
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };
        return new SkiffJson(options);
    }
}
