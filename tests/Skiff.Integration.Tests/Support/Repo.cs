namespace Skiff.Integration.Tests.Support;

internal static class Repo
{
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Skiff.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("cannot find the repository root (Skiff.sln) above " + AppContext.BaseDirectory);
    }

    public static string Built(string project, string dll)
    {
        foreach (var config in new[] { "Debug", "Release" })
        {
            var p = Path.Combine(Root, "src", project, "bin", config, "net10.0", dll);
            if (File.Exists(p))
            {
                return p;
            }
        }

        throw new FileNotFoundException($"{dll} is not built: run `dotnet build Skiff.sln` first (scripts/test.sh does)");
    }

    public static string Image(string name)
    {
        var p = Path.Combine(Root, "images", "out", name + ".tar");
        if (!File.Exists(p))
        {
            var r = Cli.Run("bash", [Path.Combine(Root, "images", "build-all.sh")], TimeSpan.FromMinutes(2));
            if (r.ExitCode != 0 || !File.Exists(p))
            {
                throw new InvalidOperationException($"images/build-all.sh failed: {r.Stderr}");
            }
        }

        return p;
    }
}
