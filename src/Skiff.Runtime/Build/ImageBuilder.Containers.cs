using Microsoft.Extensions.Logging;
using Skiff.Api;
using Skiff.Runtime.Containers;

namespace Skiff.Runtime.Build;

public sealed partial class ImageBuilder
{
    private sealed partial class Run
    {
        /// <summary>Creates an intermediate container from <paramref name="imageId"/> through the engine's normal
        /// create path (so it shows in <c>ps -a</c> and emits events) and reports it as Docker does.</summary>
        private async Task<string?> CreateContainerAsync(string? imageId, BuildStep step, IReadOnlyList<string> argv, IReadOnlyList<string>? env)
        {
            if (imageId is null)
            {
                // FROM scratch: there is no image to create a container from; a config step needs none.
                return null;
            }

            var hostConfig = new HostConfig
            {
                NetworkMode = string.IsNullOrEmpty(request.NetworkMode) || request.NetworkMode == "default" ? null : request.NetworkMode,
            };
            var create = new ContainerCreateRequest
            {
                Image = imageId,
                Cmd = [.. argv],
                Entrypoint = [""], // RUN ignores ENTRYPOINT: the argv is the whole command
                Env = env is null ? null : [.. env],
                WorkingDir = step.Config.WorkingDir,
                User = step.Config.User,
                // The image's HEALTHCHECK is for the containers it will run, not for its own build steps.
                Healthcheck = new HealthConfig { Test = ["NONE"] },
                HostConfig = hostConfig,
            };
            var created = await builder._containers.CreateAsync(create, null, ct);
            emit(Stream($" ---> Running in {created.Id[..12]}\n"));
            return created.Id;
        }

        private async Task RemoveContainerAsync(string? id, bool succeeded)
        {
            if (id is null || !(succeeded ? request.Remove || request.ForceRemove : request.ForceRemove))
            {
                return;
            }

            // Never cancelled: an interrupted build must not leave the container half removed.
            await builder._containers.RemoveAsync(id, force: true, removeVolumes: true, CancellationToken.None);
            emit(Stream($"Removing intermediate container {id[..12]}\n"));
        }

        /// <summary>RUN: the argv in a container over the current image; its output goes to the build stream; its
        /// overlay upper directory becomes the step's layer (null when it changed nothing).</summary>
        private async Task<string?> RunAsync(string? parent, BuildStep step)
        {
            var details = step.Run!;
            if (parent is null)
            {
                throw new BadRequestException($"{step.Instruction.Original}: RUN needs a base image with the command in it, not scratch");
            }

            var id = (await CreateContainerAsync(parent, step, details.Argv, details.Env))!;
            var succeeded = false;
            try
            {
                await builder._containers.StartAsync(id, ct);
                await foreach (var line in builder._containers.Logs(id, new LogOptions(Follow: true, Tail: null, Since: null, Until: null), ct))
                {
                    // Lines come with their newline; stderr is coloured red as dockerd's classic builder does.
                    emit(Stream(line.Stream == 2 ? StderrStart + line.Text + StderrEnd : line.Text));
                }

                var code = await builder._containers.WaitAsync(id, "not-running", ct);
                if (code != 0)
                {
                    throw new BuildStepFailedException($"The command '{string.Join(' ', details.Argv)}' returned a non-zero code: {code}", code);
                }

                var upper = builder._containers.Inspect(id).GraphDriver.Data["UpperDir"];
                var tar = NewLayerPath();
                int entries;
                await using (var file = new FileStream(tar, FileMode.CreateNew, FileAccess.Write))
                {
                    entries = await LayerDiff.WriteAsync(upper, file, IsRuntimePlaceholder, ct);
                }

                succeeded = true;
                return entries == 0 ? null : tar;
            }
            catch (OperationCanceledException)
            {
                // The client went away: stop the command rather than leave it running for nobody.
                await TryKillAsync(id);
                await builder._containers.RemoveAsync(id, force: true, removeVolumes: true, CancellationToken.None);
                throw;
            }
            finally
            {
                if (!ct.IsCancellationRequested)
                {
                    await RemoveContainerAsync(id, succeeded);
                }
            }
        }

        private async Task TryKillAsync(string id)
        {
            try
            {
                await builder._containers.KillAsync(id, null, CancellationToken.None);
            }
            catch (SkiffException ex)
            {
                builder._log.LogDebug("kill of build container {Id}: {Error}", id, ex.Message);
            }
        }

        /// <summary>What the runtime puts in every container's upper directory: the targets of the /etc/hosts,
        /// /etc/hostname and /etc/resolv.conf bind mounts (a RUN's writes to them go to the mount, never the layer;
        /// Docker keeps these in its "init" layer), and /etc itself when it holds nothing else.</summary>
        private static bool IsRuntimePlaceholder(string relative, string full) => relative switch
        {
            "etc/hosts" or "etc/hostname" or "etc/resolv.conf" => true,
            "etc" => Directory.EnumerateFileSystemEntries(full).All(e => Path.GetFileName(e) is "hosts" or "hostname" or "resolv.conf")
                && LayerDiff.GetXattr(full, "trusted.overlay.opaque") != "y",
            _ => false,
        };
    }
}
