using System.CommandLine;
using Skiff.Cli.Connection;
using Skiff.Compose;
using Skiff.Compose.Local;

namespace Skiff.Cli.Commands;

/// <summary><c>compose build</c> and the builds of <c>up</c>.</summary>
internal static partial class ComposeCommands
{
    private static Command BuildCmd(CliContext ctx, ProjectOptions po)
    {
        var cmd = Common.Cmd("build", "Build or rebuild services");
        var noCache = Common.Flag("--no-cache", null, "Do not use cache when building the image");
        var buildArg = Common.List("--build-arg", null, "Set build-time variables for services");
        var quiet = Common.Flag("--quiet", "-q", "Don't print anything to STDOUT");
        var services = Common.Args("SERVICE", 0);
        cmd.Options.Add(noCache);
        cmd.Options.Add(buildArg);
        cmd.Options.Add(quiet);
        cmd.Arguments.Add(services);
        cmd.SetAction(async (pr, ct) =>
        {
            var project = Load(pr, ctx, po, services: pr.GetValue(services)).Project;
            var args = Common.KeyValues(pr.GetValue(buildArg) ?? []) ?? [];
            foreach (var s in ComposePlanner.StartOrder(project, pr.GetValue(services) ?? [], noDeps: true).Where(s => s.Build is not null))
            {
                await BuildServiceAsync(ctx, s, s.Image ?? ComposeLabels.DefaultImageName(project.Name, s.Name), pr.GetValue(noCache), args, ct);
            }

            return 0;
        });
        return cmd;
    }

    /// <summary>Builds a service's image through <c>POST /build</c> (the classic builder) and tags it <paramref name="tag"/>.
    /// Build args without a value take the shell's (or .env's) value, as compose does; the build output goes to stdout.</summary>
    private static async Task BuildServiceAsync(CliContext ctx, ServiceConfig service, string tag, bool noCache, Dictionary<string, string> buildArgs, CancellationToken ct)
    {
        var build = service.Build!;
        if (build.Context.Contains("://", StringComparison.Ordinal) || build.Context.StartsWith("git@", StringComparison.Ordinal))
        {
            throw new CliException($"service \"{service.Name}\": remote build contexts ({build.Context}) are not supported; clone it and build from the directory");
        }

        var args = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in build.Args)
        {
            if ((v ?? ctx.GetEnv(k)) is { } value)
            {
                args[k] = value;
            }
        }

        foreach (var (k, v) in buildArgs)
        {
            args[k] = v;
        }

        Progress(ctx, "Service", service.Name, "Building");
        var options = new BuildOptions
        {
            Dockerfile = Path.IsPathRooted(build.Dockerfile) ? build.Dockerfile : Path.Combine(build.Context, build.Dockerfile),
            Tags = [tag],
            BuildArgs = args,
            NoCache = noCache,
        };
        await new BuildClient(ctx.Client).BuildAsync(build.Context, options, text => ctx.Out.Write(text), ct);
        Progress(ctx, "Service", service.Name, "Built");
    }

    /// <summary>
    /// `stack deploy` of a service with <c>build:</c>: built here under its <c>image</c> name, then pushed when the
    /// name starts with a registry (<c>host:port/...</c> or a dotted host), so every node can pull it; without a
    /// registry only this node has the image, which is said (a task placed elsewhere fails to get it).
    /// </summary>
    internal static async Task BuildForStackAsync(CliContext ctx, ComposeProject project, ServiceConfig service, CancellationToken ct)
    {
        var image = service.Image!;
        await BuildServiceAsync(ctx, service, image, noCache: false, buildArgs: [], ct);
        var first = image.Split('/')[0];
        var hasRegistry = image.Contains('/', StringComparison.Ordinal) && (first.Contains('.', StringComparison.Ordinal) || first.Contains(':', StringComparison.Ordinal) || first == "localhost");
        if (!hasRegistry)
        {
            Warn(ctx, $"service \"{service.Name}\": image {image} was built on this node only; name it REGISTRY/NAME (for example 127.0.0.1:5000/{image}) to push it where every node can pull it");
            return;
        }

        await ctx.Out.WriteLineAsync($"Pushing {image}");
        var slash = image.LastIndexOf('/');
        var colon = image.LastIndexOf(':');
        var (repo, tag) = colon > slash ? (image[..colon], image[(colon + 1)..]) : (image, "latest");
        using var response = await ctx.Client.SendAsync(HttpMethod.Post, $"/images/{repo}/push" + new Query().Add("tag", tag), headers: [new("X-Registry-Auth", "e30=")], stream: true, ct: ct);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (line.Length > 0 && System.Text.Json.JsonSerializer.Deserialize(line, Skiff.Api.SkiffJson.Default.JsonMessage) is { } m && (m.ErrorDetail?.Message ?? m.Error) is { } error)
            {
                throw new CliException($"push {image}: {error}");
            }
        }
    }
}
