using System.CommandLine;
using Skiff.Cli.Connection;

namespace Skiff.Cli.Commands;

/// <summary><c>build</c> and <c>image build</c>: docker's classic builder client (see <see cref="BuildClient"/>).</summary>
internal static class BuildCommands
{
    public static void Register(CliApp.App app, CliContext ctx)
    {
        app.Root.Subcommands.Add(Build(ctx));
        var image = app.Root.Subcommands.FirstOrDefault(c => c.Name == "image");
        image?.Subcommands.Add(Build(ctx));
    }

    private static Command Build(CliContext ctx)
    {
        var cmd = Common.Cmd("build", "Build an image from a Dockerfile");
        var tags = Common.List("--tag", "-t", "Name and optionally a tag in the \"name:tag\" format");
        var file = Common.Str("--file", "-f", "Name of the Dockerfile (Default is \"PATH/Dockerfile\")");
        var buildArgs = Common.List("--build-arg", null, "Set build-time variables");
        var labels = Common.List("--label", null, "Set metadata for an image");
        var noCache = Common.Flag("--no-cache", null, "Do not use cache when building the image");
        var quiet = Common.Flag("--quiet", "-q", "Suppress the build output and print image ID on success");
        var target = Common.Str("--target", null, "Set the target build stage to build.");
        var pull = Common.Flag("--pull", null, "Always attempt to pull a newer version of the image");
        var network = Common.Str("--network", null, "Set the networking mode for the RUN instructions during build (default \"default\")");
        var platform = Common.Str("--platform", null, "Set platform if server is multi-platform capable");
        var iidfile = Common.Str("--iidfile", null, "Write the image ID to the file");
        var forceRm = Common.Flag("--force-rm", null, "Always remove intermediate containers");
        var rm = new Option<bool>("--rm") { Description = "Remove intermediate containers after a successful build", DefaultValueFactory = _ => true };
        var path = Common.Arg("PATH | URL | -");
        foreach (var o in new Option[] { tags, file, buildArgs, labels, noCache, quiet, target, pull, network, platform, iidfile, forceRm, rm })
        {
            cmd.Options.Add(o);
        }

        cmd.Arguments.Add(path);
        cmd.SetAction(async (pr, ct) =>
        {
            var contextArg = pr.GetValue(path)!;
            if (contextArg.Contains("://", StringComparison.Ordinal) || contextArg.StartsWith("git@", StringComparison.Ordinal))
            {
                throw new CliException($"remote build contexts are not supported by skiff: {contextArg} (clone or download it and build the directory)");
            }

            var options = new BuildOptions
            {
                Tags = pr.GetValue(tags) ?? [],
                BuildArgs = BuildArgs(ctx, pr.GetValue(buildArgs) ?? []),
                Labels = Common.KeyValues(pr.GetValue(labels) ?? []) ?? new Dictionary<string, string>(),
                NoCache = pr.GetValue(noCache),
                Quiet = pr.GetValue(quiet),
                Target = pr.GetValue(target),
                Pull = pr.GetValue(pull),
                Network = pr.GetValue(network),
                Platform = pr.GetValue(platform),
                Remove = pr.GetValue(rm),
                ForceRemove = pr.GetValue(forceRm),
            };
            // With -q the daemon answers with the id alone, or on failure with everything it held back, which
            // docker prints on stderr before the error.
            var held = new System.Text.StringBuilder();
            void Output(string text)
            {
                if (options.Quiet)
                {
                    held.Append(text);
                    return;
                }

                ctx.Out.Write(text);
                ctx.Out.Flush();
            }

            var client = new BuildClient(ctx.Client);
            string id;
            try
            {
                if (contextArg == "-")
                {
                    id = await client.BuildFromTarAsync(await StdinContextAsync(ctx, ct), options with { Dockerfile = pr.GetValue(file) }, Output, ct);
                }
                else
                {
                    var dockerfile = pr.GetValue(file) is { } f ? Path.GetFullPath(f) : null;
                    var dir = Path.GetFullPath(contextArg);
                    id = await client.BuildAsync(dir, options with { Dockerfile = dockerfile }, Output, ct);
                }
            }
            catch (CliException) when (options.Quiet && held.Length > 0)
            {
                await ctx.Err.WriteAsync(held.ToString());
                throw;
            }

            if (options.Quiet)
            {
                await ctx.Out.WriteLineAsync(id);
            }

            if (pr.GetValue(iidfile) is { Length: > 0 } idPath)
            {
                await File.WriteAllTextAsync(Path.GetFullPath(idPath), id, ct);
            }

            return 0;
        });
        return cmd;
    }

    /// <summary>docker's rule: "K=V" sets K; "K" alone takes K from the environment and is dropped when unset.</summary>
    private static Dictionary<string, string> BuildArgs(CliContext ctx, IEnumerable<string> items)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            var eq = item.IndexOf('=', StringComparison.Ordinal);
            if (eq == 0)
            {
                throw new CliException($"invalid argument \"{item}\" for \"--build-arg\" flag: invalid build-arg: name is empty");
            }

            if (eq > 0)
            {
                result[item[..eq]] = item[(eq + 1)..];
            }
            else if (ctx.GetEnv(item) is { } value)
            {
                result[item] = value;
            }
        }

        return result;
    }

    /// <summary><c>build -</c>: stdin is either a context tar (plain or gzip) or a Dockerfile alone, as in docker.</summary>
    private static async Task<Stream> StdinContextAsync(CliContext ctx, CancellationToken ct)
    {
        var buffer = new MemoryStream();
        await ctx.Stdin.CopyToAsync(buffer, ct);
        var bytes = buffer.ToArray();
        var isGzip = bytes.Length >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;
        var isTar = bytes.Length >= 262 && System.Text.Encoding.ASCII.GetString(bytes, 257, 5) == "ustar";
        if (isGzip || isTar)
        {
            return new MemoryStream(bytes, writable: false);
        }

        var tar = new MemoryStream();
        await using (var writer = new System.Formats.Tar.TarWriter(tar, System.Formats.Tar.TarEntryFormat.Pax, leaveOpen: true))
        {
            await writer.WriteEntryAsync(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, "Dockerfile")
            {
                DataStream = new MemoryStream(bytes, writable: false),
                Mode = (UnixFileMode)0b110_100_100,
            }, ct);
        }

        tar.Position = 0;
        return tar;
    }
}
