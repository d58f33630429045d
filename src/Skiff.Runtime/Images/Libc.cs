using System.Runtime.InteropServices;
using System.Text;

namespace Skiff.Runtime.Images;

/// <summary>The few libc calls layer extraction needs that .NET does not expose.</summary>
internal static class Libc
{
    public const uint SIfChr = 0x2000;
    public const uint SIfBlk = 0x6000;
    public const uint SIfIfo = 0x1000;

    [DllImport("libc", EntryPoint = "lchown", SetLastError = true)]
    private static extern int NativeLchown([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint owner, uint group);

    [DllImport("libc", EntryPoint = "chmod", SetLastError = true)]
    private static extern int NativeChmod([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint mode);

    [DllImport("libc", EntryPoint = "mknod", SetLastError = true)]
    private static extern int NativeMknod([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint mode, ulong dev);

    [DllImport("libc", EntryPoint = "link", SetLastError = true)]
    private static extern int NativeLink([MarshalAs(UnmanagedType.LPUTF8Str)] string oldPath, [MarshalAs(UnmanagedType.LPUTF8Str)] string newPath);

    [DllImport("libc", EntryPoint = "lsetxattr", SetLastError = true)]
    private static extern int NativeLsetxattr([MarshalAs(UnmanagedType.LPUTF8Str)] string path, [MarshalAs(UnmanagedType.LPUTF8Str)] string name, byte[] value, nuint size, int flags);

    [DllImport("libc", EntryPoint = "lgetxattr", SetLastError = true)]
    private static extern nint NativeLgetxattr([MarshalAs(UnmanagedType.LPUTF8Str)] string path, [MarshalAs(UnmanagedType.LPUTF8Str)] string name, byte[] value, nuint size);

    public static void Lchown(string path, int uid, int gid) =>
        Check(NativeLchown(path, (uint)uid, (uint)gid), "lchown", path);

    public static void Chmod(string path, UnixFileMode mode) =>
        Check(NativeChmod(path, (uint)mode & 0xfff), "chmod", path);

    public static void Mknod(string path, uint mode, int major, int minor) =>
        Check(NativeMknod(path, mode, MakeDev((uint)major, (uint)minor)), "mknod", path);

    public static void Link(string existing, string newPath) =>
        Check(NativeLink(existing, newPath), "link", newPath);

    public static void SetXattr(string path, string name, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        Check(NativeLsetxattr(path, name, bytes, (nuint)bytes.Length, 0), "lsetxattr", path);
    }

    /// <summary>The attribute's value, or null when it is not set.</summary>
    public static string? GetXattr(string path, string name)
    {
        var buffer = new byte[4096];
        var n = NativeLgetxattr(path, name, buffer, (nuint)buffer.Length);
        return n < 0 ? null : Encoding.UTF8.GetString(buffer, 0, (int)n);
    }

    // glibc's makedev.
    private static ulong MakeDev(uint major, uint minor) =>
        ((ulong)(major & 0xfffff000) << 32) | ((ulong)(major & 0xfff) << 8) |
        ((ulong)(minor & 0xffffff00) << 12) | (minor & 0xff);

    private static void Check(int rc, string call, string path)
    {
        if (rc != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"{call} {path}: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
        }
    }
}
