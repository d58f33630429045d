using System.Runtime.InteropServices;

namespace Skiff.Runtime.Containers;

internal static partial class MountTable
{
    /// <summary>
    /// Is a file system mounted on <paramref name="path"/> that is not its parent's (an overlay on a container's
    /// merged directory)? Compares the device numbers of the directory and its parent, as mountpoint(1) does, instead
    /// of scanning /proc/self/mountinfo, which grows with every container and was read on every start and removal.
    /// A bind mount of a directory of the same file system is not seen; the callers only ask about overlays.
    /// </summary>
    public static bool IsMounted(string path)
    {
        var full = Path.GetFullPath(path).TrimEnd('/');
        var parent = Path.GetDirectoryName(full);
        return parent is not null && Device(full) is { } dev && Device(parent) is { } parentDev && dev != parentDev;
    }

    /// <summary>st_dev, the first field of struct stat on the 64-bit Linux ABIs we run on; null when the path is missing.
    /// Any other failure is an error, not "not mounted" (which would have the caller mount over a mount, or skip an
    /// unmount).</summary>
    private static ulong? Device(string path)
    {
        Span<byte> buf = stackalloc byte[256];
        if (Stat(path, buf) == 0)
        {
            return BitConverter.ToUInt64(buf);
        }

        var errno = Marshal.GetLastPInvokeError();
        return errno is 2 or 20 ? null : throw new IOException($"stat {path}: {Marshal.GetPInvokeErrorMessage(errno)}"); // ENOENT, ENOTDIR
    }

    [LibraryImport("libc", EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Stat(string path, Span<byte> buf);
}
