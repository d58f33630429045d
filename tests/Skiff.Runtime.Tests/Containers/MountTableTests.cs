using System.Diagnostics;
using Skiff.Runtime.Containers;

namespace Skiff.Runtime.Tests.Containers;

/// <summary>The mount check used for container root file systems, against a real tmpfs mount (root).</summary>
public sealed class MountTableTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "skiff-mounttable-" + Guid.NewGuid().ToString("N")[..8]);

    public MountTableTests() => Directory.CreateDirectory(Path.Combine(_dir, "merged"));

    public void Dispose()
    {
        if (MountTable.IsMounted(Path.Combine(_dir, "merged")))
        {
            Run("umount", Path.Combine(_dir, "merged"));
        }

        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void IsMounted_BeforeDuringAfterAMount_FollowsTheMount()
    {
        var merged = Path.Combine(_dir, "merged");
        Assert.False(MountTable.IsMounted(merged));
        Assert.False(MountTable.IsMounted(Path.Combine(_dir, "missing")));

        Run("mount", "-t", "tmpfs", "tmpfs", merged);
        Assert.True(MountTable.IsMounted(merged));
        Assert.True(MountTable.IsMounted(merged + "/"));

        Run("umount", merged);
        Assert.False(MountTable.IsMounted(merged));
    }

    private static void Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{file} {string.Join(' ', args)} failed: {p.StandardError.ReadToEnd()}");
    }
}
