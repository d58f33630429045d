using System.Formats.Tar;
using System.IO.Compression;
using Microsoft.Extensions.Logging;
using Skiff.Api;

namespace Skiff.Runtime.Images;

/// <summary>
/// Extracts an image layer tar into a directory by hand (TarReader), keeping modes and owners, refusing
/// paths that escape the root, and translating OCI whiteouts into overlayfs ones (0/0 character devices and
/// the <c>trusted.overlay.opaque</c> xattr).
/// </summary>
internal static class LayerExtractor
{
    private const string WhiteoutPrefix = ".wh.";
    private const string OpaqueWhiteout = ".wh..wh..opq";

    /// <summary>The diff id (sha256 of the uncompressed tar stream) and the total size of the regular files.</summary>
    public sealed record Result(string DiffId, long Size);

    /// <summary>Wraps <paramref name="raw"/> in a GZipStream when it starts with the gzip magic (1f 8b).</summary>
    public static Stream MaybeDecompress(Stream raw)
    {
        var buffered = raw is BufferedStream or FileStream ? raw : new BufferedStream(raw, 65536);
        if (buffered.CanSeek)
        {
            var start = buffered.Position;
            Span<byte> magic = stackalloc byte[2];
            var n = buffered.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
            buffered.Position = start;
            return n == 2 && magic[0] == 0x1f && magic[1] == 0x8b ? new GZipStream(buffered, CompressionMode.Decompress) : buffered;
        }

        return new PeekStream(buffered).Decompressed();
    }

    /// <summary>
    /// Extracts <paramref name="tar"/> (uncompressed) into <paramref name="root"/>, which must exist and be empty.
    /// If <paramref name="copyTo"/> is given, the exact tar bytes are written to it as well.
    /// Throws BadRequestException for a truncated or malformed tar or an unsafe path.
    /// </summary>
    public static async Task<Result> ExtractAsync(Stream tar, string root, Stream? copyTo, ILogger? logger, CancellationToken ct)
    {
        root = Path.GetFullPath(root);
        using var hashing = new HashingStream(tar, copyTo);
        var state = new State(root, logger);
        try
        {
            await using (var reader = new TarReader(hashing, leaveOpen: true))
            {
                while (await reader.GetNextEntryAsync(copyData: false, ct) is { } entry)
                {
                    await ExtractEntryAsync(entry, state, ct);
                }
            }

            await hashing.DrainAsync(ct);
        }
        catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or FormatException or ArgumentException)
        {
            throw new BadRequestException($"invalid layer tar: {ex.Message}");
        }

        // Directory times last, deepest first, since creating entries inside changes them.
        for (var i = state.DirTimes.Count - 1; i >= 0; i--)
        {
            var (path, time) = state.DirTimes[i];
            Directory.SetLastWriteTimeUtc(path, time.UtcDateTime);
        }

        return new Result(hashing.Digest, state.Size);
    }

    private sealed class State(string root, ILogger? logger)
    {
        public string Root { get; } = root;
        public ILogger? Logger { get; } = logger;
        public HashSet<string> KnownDirs { get; } = [root];
        public List<(string Path, DateTimeOffset Time)> DirTimes { get; } = [];
        public long Size { get; set; }
    }

    /// <summary>The entry's path under root, or null for the root itself. Throws for anything escaping.</summary>
    internal static string? SafePath(string root, string name)
    {
        var parts = new List<string>();
        foreach (var part in name.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                throw new BadRequestException($"invalid layer tar: path {name} escapes the root");
            }

            parts.Add(part);
        }

        if (parts.Count == 0)
        {
            return null;
        }

        var full = Path.GetFullPath(Path.Combine(root, string.Join('/', parts)));
        if (!full.StartsWith(root + "/", StringComparison.Ordinal))
        {
            throw new BadRequestException($"invalid layer tar: path {name} escapes the root");
        }

        return full;
    }

    /// <summary>Makes sure every directory between root and <paramref name="path"/> exists and is a real directory.</summary>
    private static void EnsureParents(State state, string path)
    {
        var parent = Path.GetDirectoryName(path)!;
        if (state.KnownDirs.Contains(parent))
        {
            return;
        }

        EnsureParents(state, parent);
        var info = new DirectoryInfo(parent);
        if (info.LinkTarget is not null)
        {
            throw new BadRequestException($"invalid layer tar: {parent[state.Root.Length..]} is a symlink, refusing to write through it");
        }

        if (!info.Exists)
        {
            if (File.Exists(parent))
            {
                throw new BadRequestException($"invalid layer tar: {parent[state.Root.Length..]} is not a directory");
            }

            Directory.CreateDirectory(parent);
            Libc.Chmod(parent, (UnixFileMode)0b111_101_101);
        }

        state.KnownDirs.Add(parent);
    }

    private static void Forget(State state, string path)
    {
        if (state.KnownDirs.Remove(path))
        {
            state.KnownDirs.RemoveWhere(d => d.StartsWith(path + "/", StringComparison.Ordinal));
        }
    }

    private static void RemoveExisting(string path, bool keepDirectory)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is not null || info.Exists)
        {
            info.Delete();
        }
        else if (Directory.Exists(path) && !keepDirectory)
        {
            Directory.Delete(path, recursive: true);
        }
    }

    private static async Task ExtractEntryAsync(TarEntry entry, State state, CancellationToken ct)
    {
        var path = SafePath(state.Root, entry.Name);
        var posix = entry as PosixTarEntry;
        var uid = entry.Uid;
        var gid = entry.Gid;
        if (path is null)
        {
            // The root directory itself ("./"): take its mode and owner.
            if (entry.EntryType == TarEntryType.Directory)
            {
                Libc.Lchown(state.Root, uid, gid);
                Libc.Chmod(state.Root, entry.Mode);
                state.DirTimes.Add((state.Root, entry.ModificationTime));
            }

            return;
        }

        EnsureParents(state, path);
        var baseName = Path.GetFileName(path);
        var dir = Path.GetDirectoryName(path)!;
        if (baseName == OpaqueWhiteout)
        {
            Libc.SetXattr(dir, "trusted.overlay.opaque", "y");
            return;
        }

        if (baseName.StartsWith(WhiteoutPrefix, StringComparison.Ordinal))
        {
            var hidden = baseName[WhiteoutPrefix.Length..];
            if (hidden.StartsWith(WhiteoutPrefix, StringComparison.Ordinal))
            {
                return; // other AUFS metadata (.wh..wh.plnk, ...): meaningless here
            }

            var target = Path.Combine(dir, hidden);
            Forget(state, target);
            RemoveExisting(target, keepDirectory: false);
            Libc.Mknod(target, Libc.SIfChr, 0, 0);
            return;
        }

        if (entry.EntryType != TarEntryType.Directory)
        {
            Forget(state, path);
        }

        switch (entry.EntryType)
        {
            case TarEntryType.Directory:
                RemoveExisting(path, keepDirectory: true);
                Directory.CreateDirectory(path);
                state.KnownDirs.Add(path);
                Libc.Lchown(path, uid, gid);
                Libc.Chmod(path, entry.Mode);
                state.DirTimes.Add((path, entry.ModificationTime));
                break;

            case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                RemoveExisting(path, keepDirectory: false);
                await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 65536, FileOptions.Asynchronous))
                {
                    if (entry.DataStream is { } data)
                    {
                        await data.CopyToAsync(file, ct);
                    }

                    state.Size += file.Length;
                }

                Libc.Lchown(path, uid, gid);
                Libc.Chmod(path, entry.Mode);
                File.SetLastWriteTimeUtc(path, entry.ModificationTime.UtcDateTime);
                break;

            case TarEntryType.SymbolicLink:
                RemoveExisting(path, keepDirectory: false);
                File.CreateSymbolicLink(path, entry.LinkName);
                Libc.Lchown(path, uid, gid);
                break;

            case TarEntryType.HardLink:
                {
                    var target = SafePath(state.Root, entry.LinkName)
                        ?? throw new BadRequestException($"invalid layer tar: hard link {entry.Name} to the root");
                    if (!File.Exists(target) && new FileInfo(target).LinkTarget is null)
                    {
                        throw new BadRequestException($"invalid layer tar: hard link {entry.Name} to missing {entry.LinkName}");
                    }

                    RemoveExisting(path, keepDirectory: false);
                    Libc.Link(target, path);
                    break;
                }

            case TarEntryType.CharacterDevice or TarEntryType.BlockDevice or TarEntryType.Fifo:
                {
                    RemoveExisting(path, keepDirectory: false);
                    var type = entry.EntryType switch
                    {
                        TarEntryType.CharacterDevice => Libc.SIfChr,
                        TarEntryType.BlockDevice => Libc.SIfBlk,
                        _ => Libc.SIfIfo,
                    };
                    try
                    {
                        Libc.Mknod(path, type | (uint)entry.Mode, posix?.DeviceMajor ?? 0, posix?.DeviceMinor ?? 0);
                        Libc.Lchown(path, uid, gid);
                        Libc.Chmod(path, entry.Mode);
                    }
                    catch (IOException ex)
                    {
                        state.Logger?.LogWarning("skipping device {Name} in layer: {Error}", entry.Name, ex.Message);
                    }

                    break;
                }

            default:
                state.Logger?.LogWarning("skipping tar entry {Name} of type {Type}", entry.Name, entry.EntryType);
                break;
        }
    }

    /// <summary>Peeks the first two bytes of a non-seekable stream to decide on gzip.</summary>
    private sealed class PeekStream(Stream inner) : Stream
    {
        private readonly byte[] _head = new byte[2];
        private int _headLength;
        private int _headPosition;

        public Stream Decompressed()
        {
            _headLength = inner.ReadAtLeast(_head, 2, throwOnEndOfStream: false);
            return _headLength == 2 && _head[0] == 0x1f && _head[1] == 0x8b ? new GZipStream(this, CompressionMode.Decompress) : this;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_headPosition < _headLength)
            {
                var n = Math.Min(buffer.Length, _headLength - _headPosition);
                _head.AsSpan(_headPosition, n).CopyTo(buffer);
                _headPosition += n;
                return n;
            }

            return inner.Read(buffer);
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_headPosition < _headLength)
            {
                return Read(buffer.Span);
            }

            return await inner.ReadAsync(buffer, cancellationToken);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
