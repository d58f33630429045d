using Skiff.Api;

namespace Skiff.Runtime.Images;

/// <summary>An image known to the local engine.</summary>
/// <param name="Id">"sha256:&lt;hex&gt;", the digest of the config blob.</param>
/// <param name="Config">The parsed image config (env, cmd, entrypoint, rootfs diff ids...).</param>
/// <param name="RepoTags">"name:tag" references pointing at it, normalised as Docker shows them (busybox:latest, 127.0.0.1:5000/x:1).</param>
/// <param name="RepoDigests">"name@sha256:..." from pulls and pushes.</param>
/// <param name="Created">The config's created time (or import time).</param>
/// <param name="Size">Sum of the uncompressed layer sizes in bytes.</param>
public sealed record ImageRecord(
    string Id,
    OciImageConfig Config,
    IReadOnlyList<string> RepoTags,
    IReadOnlyList<string> RepoDigests,
    DateTimeOffset Created,
    long Size)
{
    /// <summary>The image this one was built on (<c>docker build</c> steps), or null. Untagged images with a
    /// child are the builder's intermediate images, hidden from <c>docker images</c> without <c>-a</c>.</summary>
    public string? Parent { get; init; }
}

/// <summary>A new image on top of <see cref="ParentId"/> (null: scratch): the parent's layers plus
/// <see cref="LayerTars"/> (uncompressed layer tar files, in order), with <see cref="Config"/>'s rootfs replaced
/// by the resulting diff ids. <see cref="Config"/>'s history must already include the new steps.</summary>
public sealed record ImageCommit(string? ParentId, IReadOnlyList<string> LayerTars, OciImageConfig Config);

/// <summary>What the store reports so the daemon can emit Docker events (type "image").</summary>
/// <param name="Action">load, import, pull, push, tag, untag, delete.</param>
public sealed record ImageEvent(string Action, string Id, string? Name);

/// <summary>
/// Local images: content-addressed layers on disk, shared between images, extracted once per diff id.
/// Every method is safe to call from several threads.
/// </summary>
public interface IImageStore
{
    event Action<ImageEvent>? Changed;

    /// <summary><c>POST /images/load</c>: a docker-archive or an OCI image layout tar. Returns Docker's
    /// lines ("Loaded image: busybox:latest", or "Loaded image ID: sha256:..." for untagged ones).
    /// A truncated or corrupt tar throws BadRequestException and leaves no partial layer behind.</summary>
    Task<IReadOnlyList<string>> LoadAsync(Stream tar, Action<JsonMessage>? progress, CancellationToken ct);

    /// <summary><c>POST /images/create?fromSrc=-</c>: a root filesystem tar as a one-layer image.</summary>
    Task<ImageRecord> ImportAsync(Stream rootfsTar, string? repoTag, ContainerConfig? changes, CancellationToken ct);

    IReadOnlyList<ImageRecord> List();

    /// <summary>By name[:tag] (default tag latest, docker.io/library/ prefixes normalised), full id, id
    /// without "sha256:", unique id prefix, or name@digest. Throws NotFoundException "No such image: REF".</summary>
    ImageRecord Resolve(string reference);

    ImageRecord? TryResolve(string reference);

    /// <summary>Stores the commit's layers (already present ones are reused) and its config, records the parent,
    /// and returns the image (untagged). Nothing is registered unless every layer was stored.</summary>
    Task<ImageRecord> CommitAsync(ImageCommit commit, CancellationToken ct);

    /// <summary>Adds repo:tag to the image (moving the tag if another image had it).</summary>
    void Tag(string sourceReference, string repository, string? tag);

    /// <summary><c>DELETE /images/{name}</c> with Docker's semantics: removing by tag untags, and deletes the
    /// image when no tag is left; removing by id with several tags needs force (409); an image used by a
    /// container (isInUse(imageId)) is refused with 409 unless force. Layers no other image uses are freed.</summary>
    IReadOnlyList<ImageDeleteResponseItem> Remove(string reference, bool force, bool noPrune, Func<string, bool> isInUse);

    /// <summary>The extracted layer directories of the image, lowest layer first (overlayfs lowerdir is the reverse).</summary>
    IReadOnlyList<string> LayerDirectories(ImageRecord image);

    /// <summary>Registry HTTP API v2 pull (plain HTTP for loopback registries, as Docker's insecure-registries).</summary>
    Task PullAsync(string reference, Action<JsonMessage> progress, CancellationToken ct);

    /// <summary>Registry HTTP API v2 push.</summary>
    Task PushAsync(string reference, Action<JsonMessage> progress, CancellationToken ct);
}
