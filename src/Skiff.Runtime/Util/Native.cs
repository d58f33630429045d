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

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    internal static partial nint Read(int fd, Span<byte> buffer, nint count);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    internal static partial int Poll(ref PollFd fds, ulong count, int timeoutMs);

    /// <summary>pidfd_open(2) (glibc 2.36): a descriptor that names this process and no later one with a reused pid.</summary>
    [LibraryImport("libc", EntryPoint = "pidfd_open", SetLastError = true)]
    internal static partial int PidfdOpen(int pid, uint flags);

    /// <summary>pidfd_send_signal(2) (glibc 2.36).</summary>
    [LibraryImport("libc", EntryPoint = "pidfd_send_signal", SetLastError = true)]
    internal static partial int PidfdSendSignal(int pidfd, int signal, nint info, uint flags);

    [StructLayout(LayoutKind.Sequential)]
    internal struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    internal const short PollIn = 0x1;

    internal const short PollHup = 0x10;

    internal const int ORdOnly = 0;

    internal const int OCloexec = 0x80000;

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
