using System.CommandLine;
using System.Security.Cryptography;
using Skiff.Api;
using Skiff.Cli.Connection;
using Skiff.Compose;
using Skiff.Compose.Local;

namespace Skiff.Cli.Commands;

/// <summary><c>compose run</c>: a one-off container of a service (its dependencies brought up first).</summary>
internal static partial class ComposeCommands
{
    private static Command Run(CliApp.App app, CliContext ctx, ProjectOptions po)
    {
        var cmd = Common.Cmd("run", "Run a one-off command on a service");
        var detach = Common.Flag("--detach", "-d", "Run container in background and print container ID");
        var rm = Common.Flag("--rm", null, "Automatically remove the container when it exits");
        var env = Common.List("--env", "-e", "Set environment variables");
        var name = Common.Str("--name", null, "Assign a name to the container");
        var noDeps = Common.Flag("--no-deps", null, "Don't start linked services");
        var noTty = Common.Flag("--no-TTY", "-T", "Disable pseudo-TTY allocation (default: auto-detected)");
        var servicePorts = Common.Flag("--service-ports", null, "Run command with all service's ports enabled and mapped to the host");
        var user = Common.Str("--user", "-u", "Run as specified username or uid");
        var workdir = Common.Str("--workdir", "-w", "Working directory inside the container");
        var entrypoint = Common.Str("--entrypoint", null, "Override the entrypoint of the image");
        var service = Common.Arg("SERVICE");
        var command = new Argument<string[]>("COMMAND") { Arity = ArgumentArity.ZeroOrMore };
        foreach (var o in new Option[] { detach, rm, env, name, noDeps, noTty, servicePorts, user, workdir, entrypoint })
        {
            cmd.Options.Add(o);
        }

        cmd.Arguments.Add(service);
        cmd.Arguments.Add(command);
        app.PassThrough.Add(cmd);
        cmd.SetAction(async (pr, ct) =>
        {
            var loaded = Load(pr, ctx, po, services: [pr.GetValue(service)!]);
            var project = loaded.Project;
            var svc = project.Service(pr.GetValue(service)!) ?? throw new CliException($"no such service: {pr.GetValue(service)}");

            // Dependencies first (not the service itself), as compose does.
            var deps = ComposePlanner.Dependencies(svc).Where(d => project.Service(d) is not null).ToList();
            if (!pr.GetValue(noDeps) && deps.Count > 0)
            {
                await UpAsync(ctx, loaded, deps, new UpOptions(), noDeps: false, removeOrphans: false, forceBuild: false, noBuild: false, start: true, ct);
            }

            var image = await EnsureImageAsync(ctx, project, svc, forceBuild: false, noBuild: false, ct);
            var environment = ServiceEnvironment(svc, loaded.Lookup);
            foreach (var e in pr.GetValue(env) ?? [])
            {
                var eq = e.IndexOf('=', StringComparison.Ordinal);
                if (eq > 0)
                {
                    environment[e[..eq]] = e[(eq + 1)..];
                }
                else if (ctx.GetEnv(e) is { } v)
                {
                    environment[e] = v;
                }
            }

            var containers = await ProjectContainersAsync(ctx, project.Name, all: false, ct);
            var firstOfService = containers.Where(c => c.Labels.GetValueOrDefault(ComposeLabels.OneOff) != "True")
                .GroupBy(c => c.Labels.GetValueOrDefault(ComposeLabels.Service, ""))
                .ToDictionary(g => g.Key, g => Name(g.First()));
            var context = new ContainerContext(image.Ref, image.Id, environment, loaded.ConfigFiles, s => firstOfService.GetValueOrDefault(s));
            ContainerCreateRequest body;
            try
            {
                var (template, hash) = ContainerSpecBuilder.Template(project, svc, context);
                body = ContainerSpecBuilder.ForReplica(template, hash, 1, oneOff: true);
            }
            catch (ComposeEngineException e)
            {
                throw new CliException(e.Message);
            }

            var tty = !pr.GetValue(noTty) && ctx.StdinIsTerminal && ctx.StdoutIsTerminal;
            var attach = !pr.GetValue(detach);
            if (pr.GetValue(command) is { Length: > 0 } argv)
            {
                body.Cmd = [.. argv];
            }

            if (pr.GetValue(entrypoint) is { } ep)
            {
                body.Entrypoint = ep.Length == 0 ? [""] : [.. ep.Split(' ', StringSplitOptions.RemoveEmptyEntries)];
            }

            body.User = pr.GetValue(user) ?? body.User;
            body.WorkingDir = pr.GetValue(workdir) ?? body.WorkingDir;
            body.Tty = tty;
            body.OpenStdin = attach;
            body.AttachStdin = attach;
            body.StdinOnce = attach;
            body.HostConfig!.AutoRemove = pr.GetValue(rm);
            body.HostConfig.RestartPolicy = null;
            if (!pr.GetValue(servicePorts))
            {
                // A one-off does not take the service's host ports (they are the running service's).
                body.HostConfig.PortBindings = null;
            }

            var containerName = pr.GetValue(name) ?? $"{project.Name}-{svc.Name}-run-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}";
            var created = await ctx.Client.PostAsync($"/containers/create?name={Common.Escape(containerName)}", body, SkiffJson.Default.ContainerCreateRequest, SkiffJson.Default.ContainerCreateResponse, ct);
            if (!attach)
            {
                await ctx.Client.PostAsync($"/containers/{created.Id}/start", ct: ct);
                await ctx.Out.WriteLineAsync(created.Id);
                return 0;
            }

            return await ContainerCommands.AttachStartWaitAsync(ctx, created.Id, tty, stdin: true, pr.GetValue(rm) ? "removed" : "next-exit", runErrors: true, ct);
        });
        return cmd;
    }
}
