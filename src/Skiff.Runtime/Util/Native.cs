using System.Runtime.InteropServices;

namespace Skiff.Runtime.Util;

internal static partial class Native
{
    [LibraryImport("libc", EntryPoint = "mkfifo", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int MkFifo(string path, uint mode);

    [LibraryImport("libc", EntryPoint = "mount", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int Mount(string source, string target, string? fstype, ulong flags, string? data);

    [LibraryImport("libc", EntryPoint = "umount2", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int Umount2(string target, int flags);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    internal static partial int Kill(int pid, int sig);

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    internal static partial int Close(int fd);

    internal const int MntDetach = 2;

    internal const int OWriteOnly = 1;

    internal const int ONonBlock = 0x800;

    internal static bool ProcessAlive(int pid) => pid > 0 && Kill(pid, 0) == 0;
}

/// <summary>File ownership, which .NET does not expose (used for the files of secrets and configs).</summary>
public static partial class PosixFiles
{
    [LibraryImport("libc", EntryPoint = "chown", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int NativeChown(string path, uint owner, uint group);

    public static void Chown(string path, uint uid, uint gid)
    {
        if (NativeChown(path, uid, gid) != 0)
        {
            throw new IOException($"chown {path} {uid}:{gid}: errno {Marshal.GetLastPInvokeError()}");
        }
    }
}
