using Skiff.Integration.Tests.Support;

namespace Skiff.Integration.Tests;

/// <summary>skiffd killed with SIGKILL: conmon keeps containers alive, and the restarted daemon adopts them.</summary>
public sealed class CrashRecoveryTests
{
    [Fact]
    public void SigkillDaemon_RunningContainersSurviveWithLogsAndExitCodes()
    {
        using var d = new Skiffd();
        d.DockerOk("load", "-i", Repo.Image("busybox"));
        d.DockerOk("run", "-d", "--name", "survivor", "busybox", "sh", "-c", "echo before-crash; sleep 600");
        d.DockerOk("run", "-d", "--name", "quitter", "busybox", "sh", "-c", "echo bye; exit 5");
        Assert.Equal("5\n", d.DockerOk("wait", "quitter"));
        Wait.Until(() => d.DockerOk("logs", "survivor").Contains("before-crash", StringComparison.Ordinal), TimeSpan.FromSeconds(20), "survivor's first log line");

        d.Kill();
        d.Start();

        var running = d.DockerOk("ps", "--format", "{{.Names}} {{.Status}}");
        Assert.Contains("survivor Up ", running);
        Assert.Equal("before-crash\n", d.DockerOk("logs", "survivor"));
        Assert.Equal("bye\n", d.DockerOk("logs", "quitter"));
        Assert.StartsWith("Exited (5)", d.DockerOk("ps", "-a", "--filter", "name=quitter", "--format", "{{.Status}}").Trim());

        // The adopted container is still fully manageable.
        Assert.Equal("alive\n", d.DockerOk("exec", "survivor", "echo", "alive"));
        d.DockerOk("stop", "-t", "1", "survivor");
        Assert.StartsWith("Exited (", d.DockerOk("ps", "-a", "--filter", "name=survivor", "--format", "{{.Status}}").Trim());
    }

    [Fact]
    public void SigkillDaemon_ContainerExitingWhileDown_ReportsItsExitCode()
    {
        using var d = new Skiffd();
        d.DockerOk("load", "-i", Repo.Image("busybox"));
        d.DockerOk("run", "-d", "--name", "short", "busybox", "sh", "-c", "read x < /dev/null; sleep 2; exit 9");
        d.Kill();
        // Wait for the container's own exit while no daemon runs: conmon writes the exit file.
        var exitDir = Path.Combine(d.ExecRoot, "exits");
        Wait.Until(() => Directory.Exists(exitDir) && Directory.GetFiles(exitDir).Length > 0, TimeSpan.FromSeconds(30), "conmon's exit file");
        d.Start();
        Assert.StartsWith("Exited (9)", d.DockerOk("ps", "-a", "--filter", "name=short", "--format", "{{.Status}}").Trim());
    }
}
