using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Skiff.Api;
using Skiff.Runtime.Containers;
using Skiff.Runtime.Images;

namespace Skiff.Runtime.Build;

/// <summary>What <c>POST /build</c> asks for (the classic builder's options).</summary>
public sealed record BuildRequest
{
    public string Dockerfile { get; init; } = "Dockerfile";
    public IReadOnlyList<string> Tags { get; init; } = [];
    public IReadOnlyDictionary<string, string> BuildArgs { get; init; } = new Dictionary<string, string>();
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    public bool NoCache { get; init; }

    /// <summary>Remove intermediate containers after a successful step (Docker's default).</summary>
    public bool Remove { get; init; } = true;

    /// <summary>Remove intermediate containers even when their step failed.</summary>
    public bool ForceRemove { get; init; }

    public string? Target { get; init; }
    public bool Pull { get; init; }

    /// <summary>Network of RUN containers: null or "default" is the default bridge, as Docker's.</summary>
    public string? NetworkMode { get; init; }
}

/// <summary>A step that failed with an exit code (a RUN's command): Docker puts the code in errorDetail.</summary>
public sealed class BuildStepFailedException(string message, int code) : SkiffException(500, message)
{
    public int Code { get; } = code;
}

/// <summary>
/// Executes a <see cref="BuildPlan"/> as dockerd's classic builder does: every step commits an image (intermediate
/// images, children of the previous step's image, hidden from <c>docker images</c>), config-only steps change the
/// config and add an empty_layer history entry, RUN runs in a container of the local engine and its overlay upper
/// directory becomes the layer, COPY/ADD/WORKDIR write their layer directly. Steps whose (parent image, cache key)
/// was built before reuse that image. Tags are applied only once the whole build succeeded.
/// </summary>
public sealed partial class ImageBuilder
{
    private const string StderrStart = "\u001b[91m";
    private const string StderrEnd = "\u001b[0m";

    private readonly IImageStore _images;
    private readonly ContainerManager _containers;
    private readonly BuildCache _cache;
    private readonly string _tmpRoot;
    private readonly TimeProvider _time;
    private readonly ILogger _log;

    public ImageBuilder(IImageStore images, ContainerManager containers, string dataRoot, TimeProvider time, ILogger<ImageBuilder> log)
    {
        _images = images;
        _containers = containers;
        _cache = new BuildCache(dataRoot);
        _tmpRoot = Path.Combine(Path.GetFullPath(dataRoot), "builder", "tmp");
        _time = time;
        _log = log;
        // Leftovers of builds interrupted by a crash (contexts, unfinished layer tars, read-only views still
        // mounted): never state, so they go, mounts first.
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            var mountPoint = line.Split(' ') is { Length: > 4 } f ? f[4] : "";
            if (mountPoint.StartsWith(_tmpRoot + "/", StringComparison.Ordinal))
            {
                Util.Native.Umount2(mountPoint, Util.Native.MntDetach);
            }
        }

        try
        {
            if (Directory.Exists(_tmpRoot))
            {
                Directory.Delete(_tmpRoot, recursive: true);
            }
        }
        catch (IOException ex)
        {
            _log.LogWarning("could not clear {Dir}: {Error}", _tmpRoot, ex.Message);
        }

        Directory.CreateDirectory(_tmpRoot);
    }

    /// <summary>Runs a build of the context tar. Messages go to <paramref name="emit"/> in the classic builder's
    /// shapes. Errors before the first message (bad context, Dockerfile errors) throw without emitting; later
    /// ones are thrown after the stream started and the caller reports them in-band. Returns the image id.</summary>
    public async Task<string> BuildAsync(Stream contextTar, BuildRequest request, Action<JsonMessage> emit, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(emit);
        var work = Path.Combine(_tmpRoot, Util.Ids.NewHexId()[..16]);
        Directory.CreateDirectory(work);
        try
        {
            // The upload is spooled to disk first: the decompression sniffing needs a seekable stream, and a
            // truncated upload is then a 400 before the stream starts rather than an error halfway through.
            var spooled = Path.Combine(work, "context.tar");
            await using (var file = new FileStream(spooled, FileMode.CreateNew, FileAccess.Write))
            {
                await contextTar.CopyToAsync(file, ct);
            }

            BuildContext context;
            await using (var file = File.OpenRead(spooled))
            {
                context = await BuildContext.ExtractAsync(file, Path.Combine(work, "context"), ct);
            }

            File.Delete(spooled);
            using var owned = context;
            var parsed = Parse(context, request);
            await EnsureBaseImagesAsync(parsed, request, emit, ct);
            BuildPlan plan;
            try
            {
                plan = BuildPlan.Create(parsed, request.BuildArgs, request.Target, context.ContentDigest,
                    name => _images.TryResolve(name)?.Config.Config);
            }
            catch (DockerfileException ex)
            {
                throw new BadRequestException(ClassicMessage(ex));
            }

            var run = new Run(this, parsed, plan, request, context, work, emit, ct);
            var id = await run.ExecuteAsync();
            foreach (var tag in request.Tags)
            {
                var reference = ImageReference.Parse(tag);
                _images.Tag(id, reference.FamiliarName, reference.EffectiveTag);
                emit(Stream($"Successfully tagged {reference.FamiliarTagged}\n"));
            }

            return id;
        }
        finally
        {
            try
            {
                Directory.Delete(work, recursive: true);
            }
            catch (IOException ex)
            {
                _log.LogWarning("could not remove build directory {Dir}: {Error}", work, ex.Message);
            }
        }
    }

    /// <summary>Parses the Dockerfile, cut after the target stage and with <c>--label</c>s as a final LABEL, as
    /// moby's classic builder does (the label step counts as a step).</summary>
    private static Dockerfile Parse(BuildContext context, BuildRequest request)
    {
        var name = string.IsNullOrEmpty(request.Dockerfile) ? "Dockerfile" : request.Dockerfile;
        var text = context.ReadDockerfile(name);
        try
        {
            var parsed = DockerfileParser.Parse(text, Path.GetFileName(name));
            var froms = parsed.Instructions.OfType<FromInstruction>().ToList();
            if (request.Target is { } target)
            {
                var index = froms.FindIndex(f => string.Equals(f.StageName, target, StringComparison.OrdinalIgnoreCase));
                if (index < 0)
                {
                    throw new SkiffException(500, $"failed to reach build target {target} in Dockerfile");
                }

                if (index + 1 < froms.Count)
                {
                    var lines = text.Replace("\r\n", "\n").Split('\n');
                    text = string.Join('\n', lines[..(froms[index + 1].Line - 1)]) + "\n";
                }
            }

            if (request.Labels.Count > 0)
            {
                var esc = parsed.EscapeToken;
                text = text.TrimEnd('\n') + "\nLABEL " + string.Join(' ', request.Labels.OrderBy(kv => kv.Key, StringComparer.Ordinal)
                    .Select(kv => LabelWord(kv.Key, esc) + "=" + LabelWord(kv.Value, esc))) + "\n";
            }

            return DockerfileParser.Parse(text, Path.GetFileName(name));
        }
        catch (DockerfileException ex)
        {
            throw new BadRequestException(ClassicMessage(ex));
        }
    }

    private static string LabelWord(string word, char escape)
    {
        if (word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '/' or ':' or ','))
        {
            return word;
        }

        var sb = new StringBuilder("\"");
        foreach (var c in word)
        {
            if (c == '"' || c == '$' || c == escape)
            {
                sb.Append(escape);
            }

            sb.Append(c == '\n' ? ' ' : c);
        }

        return sb.Append('"').ToString();
    }

    /// <summary>The classic builder's parse error text: "dockerfile parse error line 2: unknown instruction: FORM".</summary>
    internal static string ClassicMessage(DockerfileException ex) =>
        ex.Detail is { } detail && ex.Line > 0 ? $"dockerfile parse error line {ex.Line}: {detail}" : ex.Message;

    /// <summary>Base images must be local; a missing one (or every one with <c>pull</c>) is pulled from its registry.</summary>
    private async Task EnsureBaseImagesAsync(Dockerfile parsed, BuildRequest request, Action<JsonMessage> emit, CancellationToken ct)
    {
        var names = new List<string>();
        try
        {
            // A first plan only to learn the expanded FROM names (they may use ARGs).
            var probe = BuildPlan.Create(parsed, request.BuildArgs, request.Target, _ => "sha256:", _ => null);
            names.AddRange(probe.Stages.Where(s => s.BaseStage is null && !s.IsScratch).Select(s => s.BaseImage).Distinct(StringComparer.Ordinal));
        }
        catch (DockerfileException ex)
        {
            throw new BadRequestException(ClassicMessage(ex));
        }

        foreach (var name in names)
        {
            var local = _images.TryResolve(name);
            if (local is not null && !request.Pull)
            {
                continue;
            }

            try
            {
                await _images.PullAsync(name, emit, ct);
            }
            catch (Exception ex) when (local is not null && ex is SkiffException or HttpRequestException or IOException)
            {
                // --pull with no registry reachable: say so and build from the local image rather than fail.
                emit(Stream($"skiff: --pull could not refresh {name} ({ex.Message}); using the local image {Util.Ids.Short(local.Id)}\n"));
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException)
            {
                throw new NotFoundException($"pull access denied for {name}, repository does not exist or may require 'docker login': {ex.Message}");
            }
        }
    }

    internal static JsonMessage Stream(string text) => new() { Stream = text };

    private static string Short(string? id) => id is null ? "" : Util.Ids.Short(id);

    private string Now() => _time.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
}
