using System.Formats.Tar;
using Skiff.Cli.Connection;

namespace Skiff.Cli.Tests.Connection;

/// <summary>The context tar <c>skiff build</c> sends, as the docker CLI makes it.</summary>
public sealed class BuildClientTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "skiff-buildclient-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string relative, string content)
    {
        var full = Path.Combine(_dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
        return full;
    }

    private static async Task<(string Dockerfile, List<string> Names)> TarAsync(string context, string dockerfile)
    {
        var ms = new MemoryStream();
        var name = await BuildClient.WriteContextAsync(context, dockerfile, ms, CancellationToken.None);
        ms.Position = 0;
        var names = new List<string>();
        await using var reader = new TarReader(ms);
        while (await reader.GetNextEntryAsync() is { } e)
        {
            names.Add(e.Name);
        }

        return (name, names);
    }

    [Fact]
    public async Task WriteContextAsync_DockerIgnore_LeavesOutMatchesButKeepsExceptionsAndTheDockerfile()
    {
        var ctx = Path.Combine(_dir, "ctx");
        var dockerfile = Write("ctx/Dockerfile", "FROM busybox\n");
        Write("ctx/app.txt", "a");
        Write("ctx/secret.env", "s");
        Write("ctx/logs/a.log", "l");
        Write("ctx/logs/keep.log", "k");
        Write("ctx/.dockerignore", "*.env\nlogs\n!logs/keep.log\nDockerfile\n");

        var (name, names) = await TarAsync(ctx, dockerfile);

        Assert.Equal("Dockerfile", name);
        Assert.Equal([".dockerignore", "Dockerfile", "app.txt", "logs/keep.log"], names);
    }

    [Fact]
    public async Task WriteContextAsync_DockerfileOutsideTheContext_IsSentUnderAPrivateName()
    {
        var ctx = Path.Combine(_dir, "ctx");
        Write("ctx/app.txt", "a");
        var dockerfile = Write("elsewhere/web.Dockerfile", "FROM busybox\n");

        var (name, names) = await TarAsync(ctx, dockerfile);

        Assert.StartsWith(".dockerfile.", name, StringComparison.Ordinal);
        Assert.Equal(["app.txt", name], names);
    }
}
