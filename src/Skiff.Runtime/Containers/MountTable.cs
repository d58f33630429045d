namespace Skiff.Runtime.Containers;

internal static class MountTable
{
    /// <summary>Is <paramref name="path"/> a mount point in our mount namespace (/proc/self/mountinfo field 5)?</summary>
    public static bool IsMounted(string path)
    {
        var full = Path.GetFullPath(path).TrimEnd('/');
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            var f = line.Split(' ');
            if (f.Length > 4 && Unescape(f[4]) == full)
            {
                return true;
            }
        }

        return false;
    }

    private static string Unescape(string s) => s.Replace("\\040", " ", StringComparison.Ordinal).Replace("\\011", "\t", StringComparison.Ordinal).Replace("\\134", "\\", StringComparison.Ordinal);
}
