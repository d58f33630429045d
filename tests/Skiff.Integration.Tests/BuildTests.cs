using System.Formats.Tar;
using System.IO.Compression;
using System.Text.RegularExpressions;
using Skiff.Integration.Tests.Support;

namespace Skiff.Integration.Tests;

/// <summary><c>skiff build</c> and <c>docker build</c> (classic builder) against a real skiffd.</summary>
[Collection("daemon")]
public sealed partial class BuildTests(DaemonFixture fixture) : IDisposable
{
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromSeconds(180);
    private readonly Skiffd _d = fixture.Daemon;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "skiff-build-it-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    private string Context(string name, params (string Path, string Content)[] files)
    {
        var root = Path.Combine(_dir, name);
        foreach (var (path, content) in files)
        {
            var full = Path.Combine(root, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, content);
        }

        return root;
    }

    private CliResult SkiffBuild(params string[] args) => _d.Skiff(BuildTimeout, ["build", .. args]);

    private static IReadOnlyList<string> Containers(string output) =>
        [.. RunningIn().Matches(output).Select(m => m.Groups[1].Value)];

    [GeneratedRegex(@" ---> Running in ([0-9a-f]{12})")]
    private static partial Regex RunningIn();

    private const string AppDockerfile = """
        FROM busybox
        WORKDIR /app
        COPY . .
        RUN echo built > /app/built.txt && mkdir -p /tmp/scratch && echo x > /tmp/scratch/f && rm -rf /tmp/scratch && rm /etc/group /app/remove-me.txt
        ENV GREETING=hello
        LABEL org.example.role=test
        EXPOSE 8080
        CMD ["sh", "-c", "echo $GREETING; cat a.txt built.txt; ls -A /app; test -e /etc/group || echo no-group"]
        """;

    private string AppContext() => Context(
        "app",
        ("Dockerfile", AppDockerfile),
        ("a.txt", "from-context\n"),
        ("remove-me.txt", "deleted by RUN\n"),
        ("secret.txt", "never sent\n"),
        ("logs/debug.log", "never sent either\n"),
        (".dockerignore", "secret.txt\nlogs\n"));

    [Fact]
    public void SkiffBuild_SmallApp_RunsAndTheSecondBuildUsesTheCacheForEveryStep()
    {
        var ctx = AppContext();
        try
        {
            var first = SkiffBuild("-t", "it-app:1", ctx);
            Assert.True(first.ExitCode == 0, $"build failed:\n{first}\n{_d.Tail()}");
            Assert.Contains("Step 8/8 : CMD", first.Stdout, StringComparison.Ordinal);
            Assert.Contains("Successfully tagged it-app:1", first.Stdout, StringComparison.Ordinal);
            Assert.DoesNotContain("Using cache", first.Stdout, StringComparison.Ordinal);

            // Intermediate containers are gone (rm=true).
            var all = _d.DockerOk("ps", "-aq", "--no-trunc");
            Assert.All(Containers(first.Stdout), id => Assert.DoesNotContain(id, all, StringComparison.Ordinal));

            var output = _d.DockerOk("run", "--rm", "it-app:1").Split('\n', StringSplitOptions.RemoveEmptyEntries);
            // ENV and CMD applied; COPY brought a.txt and the Dockerfile but not the .dockerignore'd files; the
            // RUN's deletions are whiteouts: /etc/group and remove-me.txt are absent, /tmp/scratch never shows.
            Assert.Equal(["hello", "from-context", "built", ".dockerignore", "Dockerfile", "a.txt", "built.txt", "no-group"], output);
            Assert.Equal("/app map[8080/tcp:{}] test", _d.DockerOk("image", "inspect", "-f", "{{.Config.WorkingDir}} {{.Config.ExposedPorts}} {{index .Config.Labels \"org.example.role\"}}", "it-app:1").Trim());
            Assert.Equal("", _d.DockerOk("run", "--rm", "it-app:1", "ls", "-A", "/tmp").Trim());

            var second = SkiffBuild("-t", "it-app:1", ctx);
            Assert.True(second.ExitCode == 0, second.ToString());
            var steps = Regex.Matches(second.Stdout, @"^Step \d+/8 :", RegexOptions.Multiline).Count;
            Assert.Equal(8, steps);
            Assert.Equal(steps - 1, Regex.Matches(second.Stdout, " ---> Using cache").Count); // every step but FROM
            Assert.Empty(Containers(second.Stdout));

            var rebuilt = SkiffBuild("--no-cache", "-t", "it-app:2", ctx);
            Assert.True(rebuilt.ExitCode == 0, rebuilt.ToString());
            Assert.DoesNotContain("Using cache", rebuilt.Stdout, StringComparison.Ordinal);
            Assert.Contains(" ---> Running in ", rebuilt.Stdout, StringComparison.Ordinal);
            Assert.NotEqual(_d.DockerOk("image", "inspect", "-f", "{{.Id}}", "it-app:1"), _d.DockerOk("image", "inspect", "-f", "{{.Id}}", "it-app:2"));

            // The intermediate images are hidden from `images` but listed with -a.
            var visible = _d.DockerOk("images", "-q").Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
            var withIntermediates = _d.DockerOk("images", "-aq").Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
            Assert.True(withIntermediates > visible, $"images -a ({withIntermediates}) should list more than images ({visible})");
        }
        finally
        {
            _d.Docker("rmi", "it-app:1", "it-app:2");
        }
    }

    [Fact]
    public void SkiffBuild_ChangedContextFile_MissesTheCacheFromTheCopyOn()
    {
        var ctx = Context("change", ("Dockerfile", "FROM busybox\nENV A=1\nCOPY a.txt /a.txt\nRUN cat /a.txt\n"), ("a.txt", "one\n"));
        try
        {
            Assert.Equal(0, SkiffBuild("-t", "it-change:1", ctx).ExitCode);
            File.WriteAllText(Path.Combine(ctx, "a.txt"), "two\n");

            var again = SkiffBuild("-t", "it-change:1", ctx);

            Assert.True(again.ExitCode == 0, again.ToString());
            Assert.Single(Regex.Matches(again.Stdout, " ---> Using cache")); // ENV only
            Assert.Contains("two", again.Stdout, StringComparison.Ordinal); // the RUN ran again and printed it
        }
        finally
        {
            _d.Docker("rmi", "it-change:1");
        }
    }

    [Fact]
    public void SkiffBuild_FailingRun_ExitsOneWithDockersMessageAndTagsNothing()
    {
        var ctx = Context("fail", ("Dockerfile", "FROM busybox\nRUN echo before\nRUN false\n"));
        var r = SkiffBuild("-t", "it-fail:1", ctx);
        try
        {
            Assert.Equal(1, r.ExitCode);
            Assert.Equal("The command '/bin/sh -c false' returned a non-zero code: 1", r.Stderr.Trim());
            Assert.Contains("before", r.Stdout, StringComparison.Ordinal);
            Assert.DoesNotContain("Successfully", r.Stdout, StringComparison.Ordinal);
            Assert.NotEqual(0, _d.Docker("image", "inspect", "it-fail:1").ExitCode);
        }
        finally
        {
            // As dockerd without --force-rm: the failed step's container is kept for inspection.
            foreach (var id in Containers(r.Stdout))
            {
                _d.Docker("rm", "-f", id);
            }
        }
    }

    [Fact]
    public void SkiffBuild_UnknownInstruction_FailsWithOneLine()
    {
        var ctx = Context("unknown", ("Dockerfile", "FROM busybox\nFORM x\n"));

        var r = SkiffBuild(ctx);

        Assert.Equal(1, r.ExitCode);
        Assert.Equal("Error response from daemon: dockerfile parse error line 2: unknown instruction: FORM", r.Stderr.Trim());
        Assert.DoesNotContain("Step", r.Stdout, StringComparison.Ordinal); // refused before any step ran
    }

    [Fact]
    public void SkiffBuild_MultiStageWithTargetAndAddArchive_CopiesBetweenStages()
    {
        var archive = new MemoryStream();
        using (var gz = new GZipStream(archive, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gz, TarEntryFormat.Pax))
        {
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "pkg/readme") { DataStream = new MemoryStream("unpacked\n"u8.ToArray()), Mode = (UnixFileMode)0b110_100_100 });
        }

        var ctx = Context("multi", ("Dockerfile", """
            FROM busybox AS builder
            RUN echo compiled > /out.txt
            FROM busybox
            COPY --from=builder /out.txt /srv/
            ADD files.tgz /opt/
            COPY --chown=1000:1000 --from=builder /out.txt /home/owned.txt
            CMD ["sh", "-c", "cat /srv/out.txt /opt/pkg/readme; stat -c %u:%g /home/owned.txt"]
            """));
        File.WriteAllBytes(Path.Combine(ctx, "files.tgz"), archive.ToArray());
        try
        {
            var r = SkiffBuild("-t", "it-multi:1", ctx);
            Assert.True(r.ExitCode == 0, $"{r}\n{_d.Tail()}");
            Assert.Equal("compiled\nunpacked\n1000:1000", _d.DockerOk("run", "--rm", "it-multi:1").Trim());

            var target = SkiffBuild("--target", "builder", "-t", "it-multi:builder", ctx);
            Assert.True(target.ExitCode == 0, target.ToString());
            // As dockerd: the count stops at the end of the target stage, and nothing after it runs.
            Assert.Contains("Step 2/2 : RUN echo compiled > /out.txt", target.Stdout, StringComparison.Ordinal);
            Assert.DoesNotContain("Step 3/", target.Stdout, StringComparison.Ordinal);
            Assert.Equal("compiled", _d.DockerOk("run", "--rm", "it-multi:builder", "cat", "/out.txt").Trim());
        }
        finally
        {
            _d.Docker("rmi", "it-multi:1", "it-multi:builder");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void DockerBuild_AgainstSkiffd_BuildsWithTheClassicBuilder(bool buildkitOff)
    {
        var ctx = AppContext();
        var tag = buildkitOff ? "it-docker:off" : "it-docker:default";
        var env = new Dictionary<string, string> { ["DOCKER_HOST"] = _d.Host };
        if (buildkitOff)
        {
            env["DOCKER_BUILDKIT"] = "0";
        }

        try
        {
            var r = Cli.Run("docker", ["build", "-t", tag, ctx], BuildTimeout, env);

            Assert.True(r.ExitCode == 0, $"{r}\n{_d.Tail()}");
            Assert.Contains("Step 1/8 : FROM busybox", r.Stdout, StringComparison.Ordinal);
            Assert.Contains($"Successfully tagged {tag}", r.Stdout, StringComparison.Ordinal);
            Assert.Contains("hello\nfrom-context\nbuilt", _d.DockerOk("run", "--rm", tag), StringComparison.Ordinal);

            var quiet = Cli.Run("docker", ["build", "-q", ctx], BuildTimeout, env);
            Assert.True(quiet.ExitCode == 0, quiet.ToString());
            Assert.Matches("^sha256:[0-9a-f]{64}$", quiet.Stdout.Trim());
        }
        finally
        {
            _d.Docker("rmi", tag);
        }
    }

    [Fact]
    public void DockerBuild_FailingRun_ExitsWithTheCommandsCode()
    {
        var ctx = Context("docker-fail", ("Dockerfile", "FROM busybox\nRUN exit 3\n"));
        var env = new Dictionary<string, string> { ["DOCKER_HOST"] = _d.Host };

        var r = Cli.Run("docker", ["build", ctx], BuildTimeout, env);
        try
        {
            Assert.Equal(3, r.ExitCode);
            Assert.Contains("The command '/bin/sh -c exit 3' returned a non-zero code: 3", r.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            foreach (var id in Containers(r.Stdout))
            {
                _d.Docker("rm", "-f", id);
            }
        }
    }
}
