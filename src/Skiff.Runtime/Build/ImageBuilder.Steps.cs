using Skiff.Api;
using Skiff.Runtime.Images;

namespace Skiff.Runtime.Build;

public sealed partial class ImageBuilder
{
    /// <summary>One build: walks the stages up to the target, step by step, keeping the current image id.</summary>
    private sealed partial class Run(
        ImageBuilder builder,
        Dockerfile parsed,
        BuildPlan plan,
        BuildRequest request,
        BuildContext context,
        string work,
        Action<JsonMessage> emit,
        CancellationToken ct)
    {
        private readonly Dictionary<int, string?> _stageImages = [];
        private int _step;
        private int _layerCounter;

        private IImageStore Images => builder._images;

        public async Task<string> ExecuteAsync()
        {
            foreach (var note in plan.Notes)
            {
                emit(Stream("[Warning] " + note + "\n"));
            }

            // Docker numbers every instruction up to the end of the target stage, meta ARGs included, and runs
            // every stage before the target whether the target needs it or not.
            var total = parsed.Instructions.Count;
            var metaArgs = parsed.Instructions.TakeWhile(i => i is ArgInstruction).ToList();
            foreach (var arg in metaArgs)
            {
                StepHeader(arg, total);
            }

            var froms = parsed.Instructions.OfType<FromInstruction>().ToList();
            string? current = null;
            foreach (var stage in plan.Stages)
            {
                current = await BuildStageAsync(stage, froms[stage.Index], total);
                _stageImages[stage.Index] = current;
                if (current is not null)
                {
                    emit(new JsonMessage { Aux = new Dictionary<string, string> { ["ID"] = current } });
                }

                if (stage.Index == plan.Target.Index)
                {
                    break;
                }
            }

            foreach (var warning in plan.Warnings)
            {
                emit(Stream(warning + "\n"));
            }

            if (current is null)
            {
                // FROM scratch and nothing else: Docker has no image to show either.
                throw new SkiffException(500, "No image was generated. Is your Dockerfile empty?");
            }

            emit(Stream($"Successfully built {Short(current)}\n"));
            return current;
        }

        private void StepHeader(Instruction ins, int total)
        {
            _step++;
            emit(Stream($"Step {_step}/{total} : {ins.Original}"));
            emit(Stream("\n"));
        }

        private async Task<string?> BuildStageAsync(BuildStage stage, FromInstruction from, int total)
        {
            StepHeader(from, total);
            string? current;
            OciImageConfig baseConfig;
            if (stage.BaseStage is { } b)
            {
                current = _stageImages[b];
            }
            else if (stage.IsScratch)
            {
                current = null;
            }
            else
            {
                current = Images.Resolve(stage.BaseImage).Id;
            }

            baseConfig = current is null ? new OciImageConfig { Config = new ContainerConfig() } : Images.Resolve(current).Config;
            emit(Stream($" ---> {Short(current)}\n"));
            var config = baseConfig;
            foreach (var step in stage.Steps)
            {
                StepHeader(step.Instruction, total);
                ct.ThrowIfCancellationRequested();
                if (!request.NoCache && builder._cache.Lookup(current, step.CacheKey) is { } cachedId)
                {
                    var cached = Images.TryResolve(cachedId);
                    if (cached is not null && cached.Parent == current)
                    {
                        emit(Stream(" ---> Using cache\n"));
                        emit(Stream($" ---> {Short(cached.Id)}\n"));
                        current = cached.Id;
                        config = cached.Config;
                        continue;
                    }

                    builder._cache.Forget(current, step.CacheKey);
                }

                var result = await ExecuteStepAsync(stage, step, current, config);
                builder._cache.Store(current, step.CacheKey, result.Id);
                emit(Stream($" ---> {Short(result.Id)}\n"));
                current = result.Id;
                config = result.Config;
            }

            return current;
        }

        private async Task<ImageRecord> ExecuteStepAsync(BuildStage stage, BuildStep step, string? parent, OciImageConfig parentConfig)
        {
            string? layerTar = null;
            switch (step.Kind)
            {
                case BuildStepKind.Config:
                    // As the classic builder: a container is created for the commit but never started.
                    var nop = new List<string>(step.Shell) { "#(nop) " + step.Instruction.Original };
                    var id = await CreateContainerAsync(parent, step, nop, null);
                    await RemoveContainerAsync(id, true);
                    break;
                case BuildStepKind.Run:
                    layerTar = await RunAsync(parent, step);
                    break;
                case BuildStepKind.Copy:
                    layerTar = await CopyAsync(stage, step, parent);
                    break;
                case BuildStepKind.Workdir:
                    layerTar = await WorkdirAsync(step, parent);
                    break;
                default:
                    throw new InvalidOperationException($"unknown step kind {step.Kind}");
            }

            var now = builder.Now();
            var history = new List<OciHistory>(parentConfig.History ?? [])
            {
                new()
                {
                    Created = now,
                    CreatedBy = step.History.CreatedBy,
                    Comment = step.History.Comment,
                    EmptyLayer = layerTar is null ? true : null,
                },
            };
            var config = new OciImageConfig
            {
                Architecture = parentConfig.Architecture,
                Os = parentConfig.Os,
                Variant = parentConfig.Variant,
                Created = now,
                Author = stage.Author ?? parentConfig.Author,
                Config = ImageConfigFor(step.Config),
                History = history,
            };
            return await Images.CommitAsync(new ImageCommit(parent, layerTar is null ? [] : [layerTar], config), ct);
        }

        /// <summary>The image's config as Docker stores a built one: the plan's config without container-only fields.</summary>
        private static ContainerConfig ImageConfigFor(ContainerConfig c)
        {
            var copy = ConfigCloner.Clone(c);
            copy.Image = null;
            copy.Hostname = null;
            return copy;
        }

        /// <summary>A new temp path for a layer tar of this build.</summary>
        private string NewLayerPath() => Path.Combine(work, $"layer-{++_layerCounter}.tar");
    }
}
