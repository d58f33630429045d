using System.Reflection;

namespace Skiff.Daemon;

internal static class ThisAssembly
{
    public static string Commit { get; } =
        typeof(ThisAssembly).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "GitCommit")?.Value ?? "unknown";

    public static string BuildTime { get; } =
        File.GetLastWriteTimeUtc(typeof(ThisAssembly).Assembly.Location).ToString("yyyy-MM-ddTHH:mm:ss.000000000+00:00", System.Globalization.CultureInfo.InvariantCulture);
}
