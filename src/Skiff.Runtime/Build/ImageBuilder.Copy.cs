using System.Formats.Tar;
using System.IO.Compression;
using Skiff.Api;
using Skiff.Runtime.Containers;
using Skiff.Runtime.Images;

namespace Skiff.Runtime.Build;

public sealed partial class ImageBuilder
{
    private sealed partial class Run
    {
        /// <summary>WORKDIR: a layer holding the directory (and missing parents, root-owned 0755, as the classic
        /// builder makes them), or no layer when the image already has it.</summary>
        private async Task<string?> WorkdirAsync(BuildStep step, string? parent)
        {
            var id = await CreateContainerAsync(parent, step, [.. step.Shell, "#(nop) " + step.Instruction.Original], null);
            try
            {
                using var view = RootfsView.Open(Images, parent, work);
                var path = BuildContext.ResolveInRoot(view.Root, step.Config.WorkingDir ?? "/");
                if (Directory.Exists(Path.Combine(view.Root, path.TrimStart('/'))))
                {
                    return null;
                }

                var tar = NewLayerPath();
                await using (var file = new FileStream(tar, FileMode.CreateNew, FileAccess.Write))
                await using (var writer = new TarWriter(file, TarEntryFormat.Pax, leaveOpen: true))
                {
                    var layer = new LayerWriter(writer, view.Root, 0, 0, builder._time.GetUtcNow());
                    await layer.EnsureDirectoryAsync(path, ct);
                }

                return tar;
            }
            finally
            {
                await RemoveContainerAsync(id, true);
            }
        }

        /// <summary>COPY/ADD: the sources (context, another stage, or an image) written under the destination as a
        /// new layer, owned by root or --chown, with --chmod; ADD unpacks local tar archives (plain or gzip).</summary>
        private async Task<string?> CopyAsync(BuildStage stage, BuildStep step, string? parent)
        {
            var copy = step.Copy!;
            var keyword = copy.IsAdd ? "ADD" : "COPY";
            using var view = RootfsView.Open(Images, parent, work);
            RootfsView? fromView = null;
            try
            {
                string sourceRoot;
                if (copy.FromStage is { } fs)
                {
                    fromView = RootfsView.Open(Images, _stageImages[fs], work);
                    sourceRoot = fromView.Root;
                }
                else if (copy.FromImage is { } image)
                {
                    if (Images.TryResolve(image) is null)
                    {
                        await Images.PullAsync(image, emit, ct);
                    }

                    fromView = RootfsView.Open(Images, Images.Resolve(image).Id, work);
                    sourceRoot = fromView.Root;
                }
                else
                {
                    sourceRoot = context.Root;
                }

                var matches = BuildContext.Resolve(sourceRoot, copy.Sources, keyword, fromContext: fromView is null);
                var (uid, gid) = Owner(copy.Chown, view.Root);
                var destination = copy.Destination;
                var resolved = BuildContext.ResolveInRoot(view.Root, destination.TrimEnd('/'));
                var destIsDir = destination.EndsWith('/') || matches.Count > 1
                    || Directory.Exists(Path.Combine(view.Root, resolved.TrimStart('/')));

                var tar = NewLayerPath();
                await using (var file = new FileStream(tar, FileMode.CreateNew, FileAccess.Write))
                await using (var writer = new TarWriter(file, TarEntryFormat.Pax, leaveOpen: true))
                {
                    var layer = new LayerWriter(writer, view.Root, uid, gid, builder._time.GetUtcNow());
                    foreach (var match in matches)
                    {
                        if (match.IsDirectory)
                        {
                            // A directory source copies its contents, not itself.
                            await layer.EnsureDirectoryAsync(resolved, ct);
                            foreach (var entry in BuildContext.Walk(match.FullPath, ""))
                            {
                                await layer.WriteSourceAsync(entry.FullPath, Join(resolved, entry.RelativePath), copy.Chmod, ct);
                            }

                            continue;
                        }

                        var target = destIsDir ? Join(resolved, Path.GetFileName(match.RelativePath)) : resolved;
                        if (copy.IsAdd && ArchiveKind(match.FullPath) is { } kind)
                        {
                            await layer.EnsureDirectoryAsync(resolved, ct);
                            await layer.UnpackAsync(match.FullPath, kind, resolved, match.RelativePath, ct);
                            continue;
                        }

                        await layer.EnsureDirectoryAsync(Parent(target), ct);
                        await layer.WriteSourceAsync(match.FullPath, target, copy.Chmod, ct);
                    }
                }

                return tar;
            }
            finally
            {
                fromView?.Dispose();
            }
        }

        private static (int Uid, int Gid) Owner(string? chown, string root)
        {
            if (string.IsNullOrEmpty(chown))
            {
                return (0, 0);
            }

            // The classic builder's rule: "--chown=user" means user:user (the group named like the user).
            var spec = chown.Contains(':', StringComparison.Ordinal) ? chown : chown + ":" + chown;
            var user = UserResolver.Resolve(spec, root);
            return ((int)user.Uid, (int)user.Gid);
        }

        private static string Join(string dir, string name) => dir == "/" ? "/" + name : dir + "/" + name;

        private static string Parent(string path)
        {
            var slash = path.LastIndexOf('/');
            return slash <= 0 ? "/" : path[..slash];
        }

        /// <summary>Docker decides by content whether an ADD source is an archive to unpack. Compressions .NET cannot
        /// read are refused rather than silently copied as a file.</summary>
        private static string? ArchiveKind(string path)
        {
            if (new FileInfo(path).LinkTarget is not null)
            {
                return null;
            }

            var head = new byte[512];
            int n;
            using (var f = File.OpenRead(path))
            {
                n = f.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            }

            if (n >= 2 && head[0] == 0x1f && head[1] == 0x8b)
            {
                return "gzip";
            }

            if (n >= 3 && head[0] == 'B' && head[1] == 'Z' && head[2] == 'h')
            {
                throw new BadRequestException($"ADD of the bzip2 archive {Path.GetFileName(path)} is not supported by skiff: unpack it or use a gzip tar");
            }

            if (n >= 6 && head[0] == 0xFD && head[1] == '7' && head[2] == 'z' && head[3] == 'X' && head[4] == 'Z' && head[5] == 0)
            {
                throw new BadRequestException($"ADD of the xz archive {Path.GetFileName(path)} is not supported by skiff: unpack it or use a gzip tar");
            }

            if (n >= 4 && head[0] == 0x28 && head[1] == 0xB5 && head[2] == 0x2F && head[3] == 0xFD)
            {
                throw new BadRequestException($"ADD of the zstd archive {Path.GetFileName(path)} is not supported by skiff: unpack it or use a gzip tar");
            }

            return n >= 262 && head[257] == 'u' && head[258] == 's' && head[259] == 't' && head[260] == 'a' && head[261] == 'r' ? "tar" : null;
        }
    }

    /// <summary>Writes a COPY/ADD/WORKDIR layer: parent directories once each (existing ones with the image's own
    /// metadata, so /tmp keeps 1777; new ones root or --chown 0755), then the entries.</summary>
    private sealed class LayerWriter(TarWriter writer, string viewRoot, int uid, int gid, DateTimeOffset now)
    {
        private readonly HashSet<string> _dirs = new(StringComparer.Ordinal) { "/" };

        public async Task EnsureDirectoryAsync(string path, CancellationToken ct)
        {
            if (_dirs.Contains(path))
            {
                return;
            }

            var slash = path.LastIndexOf('/');
            await EnsureDirectoryAsync(slash <= 0 ? "/" : path[..slash], ct);
            _dirs.Add(path);
            var inView = Path.Combine(viewRoot, path.TrimStart('/'));
            var name = path.TrimStart('/') + "/";
            if (new FileInfo(inView).LinkTarget is null && Directory.Exists(inView))
            {
                await writer.WriteEntryAsync(inView, name, ct);
                return;
            }

            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.Directory, name)
            {
                Mode = (UnixFileMode)0b111_101_101,
                Uid = uid,
                Gid = gid,
                ModificationTime = now,
            }, ct);
        }

        /// <summary>One file, symlink or directory from the source, at <paramref name="target"/> (absolute).</summary>
        public async Task WriteSourceAsync(string source, string target, int? chmod, CancellationToken ct)
        {
            var info = new FileInfo(source);
            var name = target.TrimStart('/');
            PaxTarEntry entry;
            Stream? data = null;
            if (info.LinkTarget is { } link)
            {
                entry = new PaxTarEntry(TarEntryType.SymbolicLink, name) { LinkName = link };
            }
            else if (Directory.Exists(source))
            {
                _dirs.Add(target);
                entry = new PaxTarEntry(TarEntryType.Directory, name + "/");
            }
            else
            {
                data = File.OpenRead(source);
                entry = new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = data };
            }

            try
            {
                entry.Mode = chmod is { } m && entry.EntryType != TarEntryType.SymbolicLink
                    ? (UnixFileMode)m
                    : entry.EntryType == TarEntryType.SymbolicLink ? (UnixFileMode)0b111_111_111 : File.GetUnixFileMode(source);
                entry.Uid = uid;
                entry.Gid = gid;
                entry.ModificationTime = info.LinkTarget is null ? info.LastWriteTimeUtc : DateTimeOffset.UnixEpoch;
                await writer.WriteEntryAsync(entry, ct);
            }
            finally
            {
                if (data is not null)
                {
                    await data.DisposeAsync();
                }
            }
        }

        /// <summary>ADD of a local archive: its entries below <paramref name="destination"/>, with their own owners
        /// and modes; entries that would land outside the destination are refused.</summary>
        public async Task UnpackAsync(string archive, string kind, string destination, string displayName, CancellationToken ct)
        {
            await using var file = File.OpenRead(archive);
            await using Stream input = kind == "gzip" ? new GZipStream(file, CompressionMode.Decompress) : file;
            try
            {
                await using var reader = new TarReader(input, leaveOpen: true);
                while (await reader.GetNextEntryAsync(copyData: false, ct) is { } entry)
                {
                    if (entry.EntryType is TarEntryType.GlobalExtendedAttributes)
                    {
                        continue;
                    }

                    var inner = BuildPlan.CleanPath("/" + entry.Name);
                    if (inner == "/")
                    {
                        continue;
                    }

                    if (entry.Name.Split('/').Contains(".."))
                    {
                        throw new BadRequestException($"ADD failed: {displayName}: entry {entry.Name} leaves the destination");
                    }

                    var target = destination == "/" ? inner : destination + inner;
                    var type = entry.EntryType switch
                    {
                        TarEntryType.V7RegularFile or TarEntryType.ContiguousFile => TarEntryType.RegularFile,
                        var t => t,
                    };
                    await EnsureDirectoryAsync(target[..Math.Max(1, target.LastIndexOf('/'))], ct);
                    var name = target.TrimStart('/') + (type == TarEntryType.Directory ? "/" : "");
                    if (type == TarEntryType.Directory)
                    {
                        _dirs.Add(target);
                    }

                    var copy = new PaxTarEntry(type, name)
                    {
                        Mode = entry.Mode,
                        Uid = entry.Uid,
                        Gid = entry.Gid,
                        ModificationTime = entry.ModificationTime,
                    };
                    if (type is TarEntryType.RegularFile)
                    {
                        copy.DataStream = entry.DataStream;
                    }
                    else if (type is TarEntryType.SymbolicLink)
                    {
                        copy.LinkName = entry.LinkName;
                    }
                    else if (type is TarEntryType.HardLink)
                    {
                        var linked = BuildPlan.CleanPath("/" + entry.LinkName);
                        copy.LinkName = (destination == "/" ? linked : destination + linked).TrimStart('/');
                    }
                    else if (type is TarEntryType.CharacterDevice or TarEntryType.BlockDevice && entry is PosixTarEntry { } posix)
                    {
                        copy.DeviceMajor = posix.DeviceMajor;
                        copy.DeviceMinor = posix.DeviceMinor;
                    }
                    else if (type is TarEntryType.CharacterDevice or TarEntryType.BlockDevice)
                    {
                        throw new BadRequestException($"ADD failed: {displayName}: device entry {entry.Name} in a V7 archive");
                    }

                    await writer.WriteEntryAsync(copy, ct);
                }
            }
            catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or FormatException)
            {
                throw new BadRequestException($"ADD failed: {displayName} is not a readable archive: {ex.Message}");
            }
        }
    }

    /// <summary>
    /// An image's filesystem, read-only, for COPY (destination checks, --chown names, --from sources): one layer is
    /// used as it is, several are mounted as a read-only overlay (lowerdirs only), none is an empty directory.
    /// </summary>
    private sealed class RootfsView : IDisposable
    {
        private readonly string? _mountPoint;

        private RootfsView(string root, string? mountPoint)
        {
            Root = root;
            _mountPoint = mountPoint;
        }

        public string Root { get; }

        public static RootfsView Open(IImageStore images, string? imageId, string work)
        {
            var layers = imageId is null ? [] : images.LayerDirectories(images.Resolve(imageId));
            if (layers.Count == 1)
            {
                return new RootfsView(layers[0], null);
            }

            var dir = Path.Combine(work, "view-" + Util.Ids.NewHexId()[..12]);
            Directory.CreateDirectory(dir);
            if (layers.Count == 0)
            {
                return new RootfsView(dir, null);
            }

            const ulong MsRdonly = 1;
            var opts = "lowerdir=" + string.Join(':', layers.Reverse());
            if (Util.Native.Mount("overlay", dir, "overlay", MsRdonly, opts) != 0)
            {
                var errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
                throw new SkiffException(500, $"mount a read-only view of {imageId}: errno {errno}");
            }

            return new RootfsView(dir, dir);
        }

        public void Dispose()
        {
            if (_mountPoint is not null)
            {
                Util.Native.Umount2(_mountPoint, Util.Native.MntDetach);
            }
        }
    }
}
