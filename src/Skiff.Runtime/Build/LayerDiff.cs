using System.Formats.Tar;
using System.Runtime.InteropServices;
using System.Text;

namespace Skiff.Runtime.Build;

/// <summary>
/// Turns an overlayfs upper directory (what a RUN container changed) into an OCI layer tar: a 0:0 character
/// device (overlay's whiteout) becomes an empty <c>.wh.NAME</c> file, a directory with
/// <c>trusted.overlay.opaque=y</c> gets a <c>.wh..wh..opq</c> entry, everything else is written as it is
/// (mode, owner, times, symlinks, devices). Entries are sorted so the same tree gives the same tar.
/// </summary>
public static class LayerDiff
{
    public const string WhiteoutPrefix = ".wh.";
    public const string OpaqueMarker = ".wh..wh..opq";

    /// <summary>Writes the tar of <paramref name="upperDir"/> to <paramref name="output"/>; returns how many entries
    /// it holds (0: the step changed nothing, so no layer). <paramref name="skip"/> gets the '/'-separated relative path and the full path.</summary>
    public static async Task<int> WriteAsync(string upperDir, Stream output, Func<string, string, bool>? skip, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(output);
        var root = Path.GetFullPath(upperDir);
        var count = 0;
        await using var writer = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true);

        async Task WalkAsync(string dir, string prefix)
        {
            var names = Directory.EnumerateFileSystemEntries(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal);
            foreach (var name in names)
            {
                ct.ThrowIfCancellationRequested();
                var full = Path.Combine(dir, name!);
                var rel = prefix + name;
                if (skip?.Invoke(rel, full) == true)
                {
                    continue;
                }

                var st = Stat(full);
                if (st.IsCharDevice && st.RdevMajor == 0 && st.RdevMinor == 0)
                {
                    var slash = rel.LastIndexOf('/');
                    var wh = rel[..(slash + 1)] + WhiteoutPrefix + rel[(slash + 1)..];
                    await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, wh) { Mode = (UnixFileMode)0b110_000_000 }, ct);
                    count++;
                    continue;
                }

                await writer.WriteEntryAsync(full, st.IsDirectory ? rel + "/" : rel, ct);
                count++;
                if (st.IsDirectory)
                {
                    if (GetXattr(full, "trusted.overlay.opaque") == "y")
                    {
                        await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, rel + "/" + OpaqueMarker) { Mode = (UnixFileMode)0b110_000_000 }, ct);
                        count++;
                    }

                    await WalkAsync(full, rel + "/");
                }
            }
        }

        await WalkAsync(root, "");
        return count;
    }

    internal readonly record struct StatResult(uint Mode, uint RdevMajor, uint RdevMinor)
    {
        public bool IsCharDevice => (Mode & 0xF000) == 0x2000;

        public bool IsDirectory => (Mode & 0xF000) == 0x4000;
    }

    /// <summary>statx(2) without following symlinks: its struct has the same layout on every architecture,
    /// unlike struct stat, and .NET exposes neither the file type of devices nor their numbers.</summary>
    internal static StatResult Stat(string path)
    {
        var buffer = new byte[256];
        if (NativeStatx(-100 /* AT_FDCWD */, path, 0x100 /* AT_SYMLINK_NOFOLLOW */, 0x3 /* STATX_TYPE | STATX_MODE */, buffer) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"statx {path}: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
        }

        return new StatResult(BitConverter.ToUInt16(buffer, 28), BitConverter.ToUInt32(buffer, 128), BitConverter.ToUInt32(buffer, 132));
    }

    internal static string? GetXattr(string path, string name)
    {
        var buffer = new byte[256];
        var n = NativeLgetxattr(path, name, buffer, (nuint)buffer.Length);
        return n < 0 ? null : Encoding.UTF8.GetString(buffer, 0, (int)n);
    }

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int NativeStatx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte[] buffer);

    [DllImport("libc", EntryPoint = "lgetxattr", SetLastError = true)]
    private static extern nint NativeLgetxattr([MarshalAs(UnmanagedType.LPUTF8Str)] string path, [MarshalAs(UnmanagedType.LPUTF8Str)] string name, byte[] value, nuint size);
}
