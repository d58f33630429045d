using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Skiff.Network;

/// <summary>
/// Persistent network namespaces for containers, as files under a directory the daemon chooses
/// (e.g. /run/skiff/netns/&lt;id&gt;), given to runc as the container's network namespace path.
/// </summary>
/// <remarks>
/// A namespace is created as <c>unshare --net=PATH true</c> would (in-process, by a thread that unshares its
/// network namespace and bind-mounts its nsfs file onto PATH, then exits); the bind mount keeps
/// the namespace alive without a process. This is what <c>ip netns add</c> does, but at any path, so
/// two daemons (different directories) never see each other's namespaces and nothing appears in the
/// global /run/netns list. Like <c>ip netns</c>, the directory is made a shared bind mount of itself so
/// that unmounting a namespace also releases the copies in mount namespaces created later.
/// Changes inside are made through sockets opened in the namespace (<see cref="CreateSocketIn"/>, <see cref="RtNetlink.OpenIn"/>);
/// commands that must run inside use <c>nsenter --net=PATH</c> (not <c>ip netns exec</c>, which remounts /sys).
/// </remarks>
public sealed class NetnsManager(string directory)
{
    public string Directory { get; } = Path.GetFullPath(directory);

    public string PathFor(string id)
    {
        if (id.Length == 0 || id.Contains('/') || id is "." or "..")
        {
            throw new ArgumentException($"invalid namespace id: {id}", nameof(id));
        }

        return Path.Combine(Directory, id);
    }

    /// <summary>Creates the namespace file for <paramref name="id"/> (idempotent) and returns its path.</summary>
    public async Task<string> CreateAsync(string id, CancellationToken ct = default)
    {
        var path = PathFor(id);
        await EnsureDirectoryAsync(ct);
        if (IsNamespaceFile(path))
        {
            return path;
        }

        await using (File.Create(path))
        {
        }

        try
        {
            CreateBoundNamespace(path);
        }
        catch
        {
            File.Delete(path);
            throw;
        }

        return path;
    }

    /// <summary>
    /// What <c>unshare --net=PATH true</c> does, without two processes per container: a dedicated thread moves
    /// itself into a new network namespace (namespaces are per thread on Linux, so the daemon's other threads stay
    /// in the host's), bind-mounts its namespace file onto <paramref name="path"/>, and exits; the mount keeps the
    /// namespace alive.
    /// </summary>
    private static void CreateBoundNamespace(string path) => OnOwnThread("skiff-netns-create", () =>
    {
        if (NativeMethods.Unshare(NativeMethods.CloneNewNet) != 0)
        {
            throw new IOException($"unshare(CLONE_NEWNET) failed: errno {Marshal.GetLastPInvokeError()}");
        }

        if (NativeMethods.Mount("/proc/thread-self/ns/net", path, null, NativeMethods.MsBind, null) != 0)
        {
            throw new IOException($"bind-mounting a new network namespace on {path} failed: errno {Marshal.GetLastPInvokeError()}");
        }
    });

    /// <summary>
    /// Runs <paramref name="action"/> on a dedicated thread that exits afterwards, and rethrows what it threw: a thread
    /// may change its own network namespace (setns, unshare) without moving the daemon's other threads.
    /// </summary>
    internal static void OnOwnThread(string name, Action action)
    {
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                action();
            }
            catch (Exception e)
            {
                error = e;
            }
        })
        {
            IsBackground = true,
            Name = name,
        };
        thread.Start();
        thread.Join();
        if (error is not null)
        {
            throw error;
        }
    }

    /// <summary>Unmounts and removes the namespace file (the namespace dies with its last user).</summary>
    public static Task DeleteAsync(string path, CancellationToken ct = default)
    {
        // umount(2), then a lazy detach if something still holds it busy, as `umount || umount -l` did.
        if (IsNamespaceFile(path) && NativeMethods.Umount2(path, 0) != 0 && IsNamespaceFile(path)
            && NativeMethods.Umount2(path, NativeMethods.MntDetach) != 0)
        {
            throw new IOException($"umount {path} failed: errno {Marshal.GetLastPInvokeError()}");
        }

        File.Delete(path);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Deletes every namespace of the directory and, with <paramref name="removeDirectory"/>, unmounts
    /// and removes the directory itself (tests, uninstall).
    /// </summary>
    public async Task DeleteAllAsync(bool removeDirectory, CancellationToken ct = default)
    {
        foreach (var id in List())
        {
            await DeleteAsync(PathFor(id), ct);
        }

        if (removeDirectory && System.IO.Directory.Exists(Directory))
        {
            _directoryReady = false;
            if (IsMountPoint(Directory))
            {
                await Cmd.CheckAsync("umount", [Directory], null, ct);
            }

            System.IO.Directory.Delete(Directory);
        }
    }

    /// <summary>
    /// Creates a socket inside the network namespace at <paramref name="netnsPath"/>: a dedicated
    /// thread joins the namespace with setns(2) (namespaces are per thread), creates the socket and
    /// exits; the socket stays in that namespace. Lets skiffd serve inside a container's namespace
    /// (e.g. DNS on 127.0.0.11 like Docker) without a helper process.
    /// </summary>
    public static Socket CreateSocketIn(string netnsPath, AddressFamily family, SocketType type, ProtocolType protocol)
    {
        Socket? socket = null;
        OnOwnThread("skiff-netns-socket", () =>
        {
            JoinNetns(netnsPath);
            socket = new Socket(family, type, protocol);
        });
        return socket!;
    }

    /// <summary>Moves the calling thread (only it: namespaces are per thread) into the network namespace at
    /// <paramref name="netnsPath"/>; for threads of <see cref="OnOwnThread"/>.</summary>
    internal static void JoinNetns(string netnsPath)
    {
        using var ns = File.OpenHandle(netnsPath, FileMode.Open, FileAccess.Read);
        if (NativeMethods.SetNs((int)ns.DangerousGetHandle(), NativeMethods.CloneNewNet) != 0)
        {
            throw new IOException($"setns({netnsPath}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>Ids of the namespaces present (for cleanup after a crash).</summary>
    public IReadOnlyList<string> List()
        => System.IO.Directory.Exists(Directory)
            ? [.. System.IO.Directory.EnumerateFiles(Directory).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal)]
            : [];

    /// <summary>True when <paramref name="path"/> is a live namespace file: an nsfs mount (statfs, no mountinfo
    /// scan, which grows with every container's mounts).</summary>
    public static bool IsNamespaceFile(string path) => NativeMethods.IsNsfs(path);

    /// <summary>True when <paramref name="path"/> is a mount point (/proc/self/mountinfo).</summary>
    public static bool IsMountPoint(string path)
    {
        var full = Path.GetFullPath(path);
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            // id parent major:minor root mountpoint ...
            var parts = line.Split(' ');
            if (parts.Length > 4 && Unescape(parts[4]) == full)
            {
                return true;
            }
        }

        return false;
    }

    private volatile bool _directoryReady;

    private async Task EnsureDirectoryAsync(CancellationToken ct)
    {
        if (_directoryReady)
        {
            return;
        }

        System.IO.Directory.CreateDirectory(Directory);
        if (!IsMountPoint(Directory))
        {
            var r = await Cmd.RunAsync("mount", ["--bind", Directory, Directory], null, ct);
            if (r.ExitCode != 0 && !IsMountPoint(Directory))
            {
                throw new CommandException($"mount --bind {Directory} {Directory}", r.ExitCode, r.StdErr);
            }
        }

        await Cmd.CheckAsync("mount", ["--make-shared", Directory], null, ct);
        _directoryReady = true;
    }

    private static string Unescape(string s)
        => s.Replace("\\040", " ", StringComparison.Ordinal).Replace("\\011", "\t", StringComparison.Ordinal)
            .Replace("\\012", "\n", StringComparison.Ordinal).Replace("\\134", "\\", StringComparison.Ordinal);
}
