using System.Formats.Tar;
using System.Net.Http.Headers;
using System.Text.Json;
using Skiff.Api;
using Skiff.Api.Build;
using Skiff.Cli.Formatting;

namespace Skiff.Cli.Connection;

/// <summary>What a build asks the daemon for; the same options as <c>docker build</c>'s classic builder.</summary>
internal sealed record BuildOptions
{
    /// <summary>The Dockerfile's path (absolute, or relative to the current directory as <c>-f</c> is); null means
    /// <c>Dockerfile</c> in the context. One outside the context is sent inside the tar under a private name.</summary>
    public string? Dockerfile { get; init; }

    public IReadOnlyList<string> Tags { get; init; } = [];
    public IReadOnlyDictionary<string, string> BuildArgs { get; init; } = new Dictionary<string, string>();
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    public bool NoCache { get; init; }
    public bool Quiet { get; init; }
    public string? Target { get; init; }
    public bool Pull { get; init; }
    public string? Network { get; init; }
    public string? Platform { get; init; }
    public bool Remove { get; init; } = true;
    public bool ForceRemove { get; init; }
}

/// <summary>A build that failed in the daemon: the message and the exit code docker uses (the RUN's code, else 1).</summary>
internal sealed class BuildFailedException(string message, int exitCode) : CliException(message, exitCode);

/// <summary>
/// Client side of <c>POST /build</c>: tars the context honouring .dockerignore, sends it and hands each piece of
/// the daemon's stream to <c>output</c> as docker's classic builder prints it. Used by <c>skiff build</c> and by
/// <c>skiff compose build</c>/<c>up --build</c>.
/// </summary>
internal sealed class BuildClient(EngineClient client)
{
    /// <summary>Builds <paramref name="contextDir"/>; returns the image id ("sha256:...").</summary>
    public async Task<string> BuildAsync(string contextDir, BuildOptions options, Action<string> output, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        var context = Path.GetFullPath(contextDir);
        if (!Directory.Exists(context))
        {
            throw new CliException($"unable to prepare context: path \"{contextDir}\" not found");
        }

        var dockerfile = Path.GetFullPath(options.Dockerfile ?? Path.Combine(context, "Dockerfile"));
        if (!File.Exists(dockerfile))
        {
            throw new CliException($"unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat {dockerfile}: no such file or directory");
        }

        var tarPath = Path.Combine(Path.GetTempPath(), "skiff-build-" + Guid.NewGuid().ToString("N") + ".tar");
        try
        {
            string dockerfileInContext;
            await using (var file = new FileStream(tarPath, FileMode.CreateNew, FileAccess.Write))
            {
                dockerfileInContext = await WriteContextAsync(context, dockerfile, file, ct);
            }

            if (!options.Quiet)
            {
                output($"Sending build context to Docker daemon  {Units.HumanSize(new FileInfo(tarPath).Length)}\n");
            }

            await using var body = File.OpenRead(tarPath);
            return await SendAsync(body, dockerfileInContext, options, output, ct);
        }
        finally
        {
            File.Delete(tarPath);
        }
    }

    /// <summary>Sends a ready context (a tar, possibly gzip) as it is: <c>skiff build -</c>.</summary>
    public Task<string> BuildFromTarAsync(Stream tar, BuildOptions options, Action<string> output, CancellationToken ct) =>
        SendAsync(tar, options.Dockerfile ?? "Dockerfile", options, output, ct);

    private async Task<string> SendAsync(Stream tar, string dockerfile, BuildOptions options, Action<string> output, CancellationToken ct)
    {
        var q = new Query();
        foreach (var t in options.Tags)
        {
            q.Add("t", t);
        }

        q.Add("dockerfile", dockerfile)
            .AddIf(options.NoCache, "nocache", "1")
            .AddIf(options.Quiet, "q", "1")
            .Add("rm", options.Remove ? "1" : "0")
            .AddIf(options.ForceRemove, "forcerm", "1")
            .AddIfNotEmpty("target", options.Target)
            .AddIf(options.Pull, "pull", "1")
            .AddIfNotEmpty("networkmode", options.Network)
            .AddIfNotEmpty("platform", options.Platform)
            .Add("version", "1");
        if (options.BuildArgs.Count > 0)
        {
            q.Add("buildargs", JsonSerializer.Serialize(new Dictionary<string, string>(options.BuildArgs), SkiffJson.Default.DictionaryStringString));
        }

        if (options.Labels.Count > 0)
        {
            q.Add("labels", JsonSerializer.Serialize(new Dictionary<string, string>(options.Labels), SkiffJson.Default.DictionaryStringString));
        }

        using var content = new StreamContent(tar);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-tar");
        using var response = await client.SendAsync(HttpMethod.Post, "/build" + q, content, stream: true, ct: ct);
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        using var reader = new StreamReader(stream);
        string? id = null;
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (line.Trim().Length == 0)
            {
                continue;
            }

            JsonMessage? m;
            try
            {
                m = JsonSerializer.Deserialize(line, SkiffJson.Default.JsonMessage);
            }
            catch (JsonException)
            {
                output(line + "\n");
                continue;
            }

            if (m is null)
            {
                continue;
            }

            if (m.ErrorDetail is not null || !string.IsNullOrEmpty(m.Error))
            {
                var code = m.ErrorDetail?.Code is { } c and not 0 ? c : 1;
                throw new BuildFailedException(m.ErrorDetail?.Message is { Length: > 0 } dm ? dm : m.Error ?? "", code);
            }

            if (m.Aux is { } aux && aux.TryGetValue("ID", out var auxId))
            {
                id = auxId;
            }

            if (m.Stream is { Length: > 0 } text)
            {
                // Quiet builds answer with the id alone.
                if (options.Quiet && text.StartsWith("sha256:", StringComparison.Ordinal))
                {
                    id = text.Trim();
                }

                output(text);
            }
            else if (!string.IsNullOrEmpty(m.Status))
            {
                output((string.IsNullOrEmpty(m.Id) ? "" : m.Id + ": ") + m.Status + "\n");
            }
        }

        return id ?? throw new CliException("the daemon ended the build without an image id");
    }

    /// <summary>Writes the context tar: every file not excluded by .dockerignore (and the Dockerfile and
    /// .dockerignore always, as the docker CLI). Returns the Dockerfile's name inside the tar.</summary>
    internal static async Task<string> WriteContextAsync(string context, string dockerfile, Stream output, CancellationToken ct)
    {
        var relativeDockerfile = Path.GetRelativePath(context, dockerfile);
        var outside = relativeDockerfile.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relativeDockerfile);
        var dockerfileName = outside ? ".dockerfile." + Guid.NewGuid().ToString("N")[..20] : relativeDockerfile.Replace('\\', '/');
        var ignorePath = Path.Combine(context, ".dockerignore");
        var ignore = DockerIgnore.Parse(File.Exists(ignorePath) ? await File.ReadAllTextAsync(ignorePath, ct) : "", dockerfileName);
        var hasExceptions = ignore.Patterns.Any(p => p.StartsWith('!'));
        await using var writer = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true);

        async Task WalkAsync(string dir, string prefix)
        {
            foreach (var full in Directory.EnumerateFileSystemEntries(dir).Order(StringComparer.Ordinal))
            {
                var rel = prefix + Path.GetFileName(full);
                var isDir = new FileInfo(full).LinkTarget is null && Directory.Exists(full);
                var excluded = ignore.Matches(rel);
                if (!excluded)
                {
                    await writer.WriteEntryAsync(full, isDir ? rel + "/" : rel, ct);
                }

                // An excluded directory is still walked when a '!' pattern may bring back something inside it.
                if (isDir && (!excluded || hasExceptions))
                {
                    await WalkAsync(full, rel + "/");
                }
            }
        }

        await WalkAsync(context, "");
        if (outside)
        {
            await writer.WriteEntryAsync(dockerfile, dockerfileName, ct);
        }

        return dockerfileName;
    }
}
