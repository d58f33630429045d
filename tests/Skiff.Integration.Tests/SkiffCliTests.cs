using Skiff.Integration.Tests.Support;

namespace Skiff.Integration.Tests;

/// <summary>skiff, our own CLI, against a real skiffd.</summary>
[Collection("daemon")]
public sealed class SkiffCliTests(DaemonFixture fixture)
{
    private readonly Skiffd _d = fixture.Daemon;

    [Fact]
    public void VersionAndImages_ShowServerAndLoadedImages()
    {
        Assert.Contains("Skiff Engine", _d.SkiffOk("version"));
        var images = _d.SkiffOk("images");
        Assert.Contains("REPOSITORY", images);
        Assert.Contains("busybox", images);
    }

    [Fact]
    public void RunPsLogsExecRm_Lifecycle()
    {
        _d.SkiffOk("run", "-d", "--name", "skiff-life", "-e", "GREETING=ahoy", "busybox", "sh", "-c", "echo $GREETING; sleep 300");
        try
        {
            Assert.Contains("skiff-life", _d.SkiffOk("ps"));
            Wait.Until(() => _d.SkiffOk("logs", "skiff-life").Contains("ahoy", StringComparison.Ordinal), TimeSpan.FromSeconds(20), "ahoy in skiff logs");
            Assert.Equal("inside\n", _d.SkiffOk("exec", "skiff-life", "echo", "inside"));
            Assert.Equal("running", _d.SkiffOk("inspect", "-f", "{{.State.Status}}", "skiff-life").Trim());
        }
        finally
        {
            _d.SkiffOk("rm", "-f", "skiff-life");
        }
    }

    [Fact]
    public void Run_Attached_ExitsWithContainerCode()
    {
        var r = _d.Skiff("run", "--rm", "busybox", "sh", "-c", "echo out-line; exit 4");
        Assert.Equal(4, r.ExitCode);
        Assert.Contains("out-line", r.Stdout);
    }

    [Fact]
    public void Rm_RunningWithoutForce_FailsWithDaemonMessage()
    {
        _d.SkiffOk("run", "-d", "--name", "skiff-busy", "busybox", "sleep", "300");
        try
        {
            var r = _d.Skiff("rm", "skiff-busy");
            Assert.Equal(1, r.ExitCode);
            Assert.StartsWith("Error response from daemon: You cannot remove a running container", r.Stderr);
            Assert.Single(r.Stderr.Trim().Split('\n'));
        }
        finally
        {
            _d.Skiff("rm", "-f", "skiff-busy");
        }
    }
}
