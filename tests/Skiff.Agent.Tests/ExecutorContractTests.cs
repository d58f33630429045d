using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using Skiff.Agent.Executors;
using Skiff.Api;
using Skiff.Daemon;

namespace Skiff.Agent.Tests;

/// <summary>
/// One contract, three executors: the runc engine (real containers), plain processes and the hollow
/// executor. Each test runs against all three; what the agent relies on must hold for every one.
/// </summary>
public abstract class ExecutorContractTests : IAsyncLifetime
{
    protected ITaskExecutor Executor { get; private set; } = null!;

    protected abstract Task<ITaskExecutor> CreateAsync();

    public async System.Threading.Tasks.Task InitializeAsync() => Executor = await CreateAsync();

    public virtual System.Threading.Tasks.Task DisposeAsync() => System.Threading.Tasks.Task.CompletedTask;

    private static AssignedTask NewTask(string script, string? id = null) => new()
    {
        TaskId = id ?? Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12)),
        ServiceId = "svc1",
        ServiceName = "web",
        Slot = 1,
        NodeId = "node1",
        Spec = new TaskSpecWire
        {
            ContainerSpec = new ContainerSpecWire { Image = "busybox:latest", Command = ["/bin/sh", "-c", script] },
        },
    };

    protected static async Task<T> Within<T>(Task<T> task, string what)
    {
        try
        {
            return await task.WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"timed out after 30 s waiting for {what}");
        }
    }

    [Fact]
    public async Task Prepare_ThenInspect_ExistsAndIsNotRunning()
    {
        var t = NewTask("sleep 100");
        await Executor.PrepareAsync(t, CancellationToken.None);

        var status = await Executor.InspectAsync(t.TaskId, CancellationToken.None);

        Assert.NotNull(status);
        Assert.False(status.Running);
        Assert.False(status.Exited);
        Assert.Contains(t.TaskId, await Executor.ListAsync(CancellationToken.None));
        await Executor.RemoveAsync(t.TaskId, CancellationToken.None);
    }

    [Fact]
    public async Task Start_ReportsRunningWithAnIdAndPid()
    {
        var t = NewTask("sleep 100");
        await Executor.PrepareAsync(t, CancellationToken.None);

        var started = await Executor.StartAsync(t.TaskId, CancellationToken.None);

        Assert.True(started.Running);
        Assert.NotEqual("", started.ContainerId);
        Assert.True(started.Pid > 0, "a running task has a pid");
        await Executor.StopAsync(t.TaskId, TimeSpan.FromSeconds(1), CancellationToken.None);
        await Executor.RemoveAsync(t.TaskId, CancellationToken.None);
    }

    [Fact]
    public async Task Wait_TaskThatExits_ReturnsItsExitCode()
    {
        var t = NewTask("exit 3");
        await Executor.PrepareAsync(t, CancellationToken.None);
        await Executor.StartAsync(t.TaskId, CancellationToken.None);

        var code = await Within(Executor.WaitAsync(t.TaskId, CancellationToken.None), "the task to exit");

        Assert.Equal(3, code);
        var status = await Executor.InspectAsync(t.TaskId, CancellationToken.None);
        Assert.True(status is { Running: false, Exited: true, ExitCode: 3 }, $"inspect after exit: {status}");
        await Executor.RemoveAsync(t.TaskId, CancellationToken.None);
    }

    [Fact]
    public async Task Stop_RunningTask_WaitReturnsAndItIsNoLongerRunning()
    {
        var t = NewTask("sleep 100");
        await Executor.PrepareAsync(t, CancellationToken.None);
        await Executor.StartAsync(t.TaskId, CancellationToken.None);
        var wait = Executor.WaitAsync(t.TaskId, CancellationToken.None);

        await Executor.StopAsync(t.TaskId, TimeSpan.FromSeconds(1), CancellationToken.None);

        await Within(wait, "the stopped task's wait to return");
        Assert.False((await Executor.InspectAsync(t.TaskId, CancellationToken.None))!.Running);
        await Executor.RemoveAsync(t.TaskId, CancellationToken.None);
    }

    [Fact]
    public async Task Remove_IsIdempotentAndForgetsTheTask()
    {
        var t = NewTask("sleep 100");
        await Executor.PrepareAsync(t, CancellationToken.None);
        await Executor.StartAsync(t.TaskId, CancellationToken.None);

        await Executor.RemoveAsync(t.TaskId, CancellationToken.None);
        await Executor.RemoveAsync(t.TaskId, CancellationToken.None);

        Assert.Null(await Executor.InspectAsync(t.TaskId, CancellationToken.None));
        Assert.DoesNotContain(t.TaskId, await Executor.ListAsync(CancellationToken.None));
    }

    [Fact]
    public async Task StopAndRemove_UnknownTask_AreNoOps()
    {
        await Executor.StopAsync("no-such-task", TimeSpan.FromSeconds(1), CancellationToken.None);
        await Executor.RemoveAsync("no-such-task", CancellationToken.None);

        Assert.Null(await Executor.InspectAsync("no-such-task", CancellationToken.None));
    }

    [Fact]
    public async Task Prepare_Twice_IsIdempotent()
    {
        var t = NewTask("sleep 100");
        await Executor.PrepareAsync(t, CancellationToken.None);
        await Executor.PrepareAsync(t, CancellationToken.None);

        Assert.Single(await Executor.ListAsync(CancellationToken.None), id => id == t.TaskId);
        await Executor.RemoveAsync(t.TaskId, CancellationToken.None);
    }
}

public sealed class HollowExecutorContractTests : ExecutorContractTests
{
    protected override Task<ITaskExecutor> CreateAsync() => System.Threading.Tasks.Task.FromResult<ITaskExecutor>(new HollowExecutor());
}

public sealed class ProcessExecutorContractTests : ExecutorContractTests
{
    protected override Task<ITaskExecutor> CreateAsync() => System.Threading.Tasks.Task.FromResult<ITaskExecutor>(new ProcessExecutor());

    [Fact]
    public async Task Prepare_NoCommand_IsRejected()
    {
        var t = new AssignedTask
        {
            TaskId = "t-nocmd",
            ServiceId = "s",
            ServiceName = "web",
            NodeId = "n",
            Spec = new TaskSpecWire { ContainerSpec = new ContainerSpecWire { Image = "busybox" } },
        };

        var e = await Assert.ThrowsAsync<TaskRejectedException>(() => Executor.PrepareAsync(t, CancellationToken.None));
        Assert.Contains("needs a command", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Prepare_Secrets_RejectedWithReason()
    {
        var t = new AssignedTask
        {
            TaskId = "t-secret",
            ServiceId = "s",
            ServiceName = "web",
            NodeId = "n",
            Spec = new TaskSpecWire
            {
                ContainerSpec = new ContainerSpecWire
                {
                    Command = ["true"],
                    Secrets = [new SecretReference { SecretID = "s1", SecretName = "pw", File = new SecretFileTarget { Name = "pw" } }],
                },
            },
        };

        var e = await Assert.ThrowsAsync<TaskRejectedException>(() => Executor.PrepareAsync(t, CancellationToken.None));
        Assert.Contains("cannot deliver secrets or configs", e.Message, StringComparison.Ordinal);
    }
}

/// <summary>The runc engine: real containers of a private engine (own data root, bridge and cgroup parent).</summary>
public sealed class EngineExecutorContractTests : ExecutorContractTests
{
    private Engine? _engine;
    private string _root = "";
    private string _bridge = "";

    protected override async Task<ITaskExecutor> CreateAsync()
    {
        var tag = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
        _root = Path.Combine(Path.GetTempPath(), "skiff-ex-" + tag);
        _bridge = "skex" + tag;
        _engine = new Engine(
            new DaemonOptions
            {
                DataRoot = Path.Combine(_root, "data"),
                ExecRoot = Path.Combine(_root, "run"),
                BridgeName = _bridge,
                BridgeCidr = $"10.214.{RandomNumberGenerator.GetInt32(1, 250)}.1/24",
                CgroupParent = "/skiff-ex-" + tag,
            },
            NullLoggerFactory.Instance,
            TimeProvider.System);
        await _engine.StartAsync(CancellationToken.None);
        await using (var tar = File.OpenRead(Path.Combine(RepoRoot(), "images", "out", "busybox.tar")))
        {
            await _engine.Images.LoadAsync(tar, null, CancellationToken.None);
        }

        return new EngineExecutor(_engine.Containers, null, Path.Combine(_root, "run", "swarm-files"));
    }

    [Fact]
    public async Task Start_SecretsAndConfigs_ReadOnlyFilesWithOwnerAndMode()
    {
        var t = new AssignedTask
        {
            TaskId = "t-files",
            ServiceId = "s",
            ServiceName = "web",
            NodeId = "n",
            Spec = new TaskSpecWire
            {
                ContainerSpec = new ContainerSpecWire
                {
                    Image = "busybox:latest",
                    Command = ["/bin/sh", "-c", "cat /run/secrets/pw /app.conf; stat -c '%u:%g %a' /run/secrets/pw /etc/pw; (echo x > /etc/pw) 2>/dev/null || echo read-only"],
                    Secrets =
                    [
                        new SecretReference { SecretID = "s1", SecretName = "pw", File = new SecretFileTarget { Name = "pw" } },
                        new SecretReference { SecretID = "s1", SecretName = "pw", File = new SecretFileTarget { Name = "/etc/pw", UID = "100", GID = "101", Mode = 2304 /* 04400: setuid dropped */ } },
                    ],
                    Configs = [new ConfigReferenceWire { ConfigID = "c1", ConfigName = "conf", File = new SecretFileTarget { Name = "app.conf" } }],
                },
            },
            Files =
            [
                new TaskFileData(TaskFileKind.Secret, "s1", [.. "hunter2\n"u8]),
                new TaskFileData(TaskFileKind.Config, "c1", [.. "a=1\n"u8]),
            ],
        };
        await Executor.PrepareAsync(t, CancellationToken.None);
        await Executor.StartAsync(t.TaskId, CancellationToken.None);
        Assert.Equal(0, await Within(Executor.WaitAsync(t.TaskId, CancellationToken.None), "the task reading its secrets to exit"));

        var lines = new List<string>();
        await foreach (var line in ((ITaskLogs)Executor).LogsAsync(t.TaskId, false, null, null, null, CancellationToken.None))
        {
            lines.Add(line.Text.TrimEnd('\n'));
        }

        Assert.Equal(["hunter2", "a=1", "0:0 444", "100:101 400", "read-only"], lines);
        var dir = Path.Combine(_root, "run", "swarm-files", t.TaskId);
        Assert.True(Directory.Exists(dir));
        await Executor.RemoveAsync(t.TaskId, CancellationToken.None);
        Assert.False(Directory.Exists(dir), "the task's secret files outlived its container");
    }

    [Fact]
    public async Task Prepare_SecretDataMissing_IsRejected()
    {
        var t = new AssignedTask
        {
            TaskId = "t-nofile",
            ServiceId = "s",
            ServiceName = "web",
            NodeId = "n",
            Spec = new TaskSpecWire
            {
                ContainerSpec = new ContainerSpecWire
                {
                    Image = "busybox:latest",
                    Secrets = [new SecretReference { SecretID = "gone", SecretName = "pw", File = new SecretFileTarget { Name = "pw" } }],
                },
            },
        };

        var e = await Assert.ThrowsAsync<TaskRejectedException>(() => Executor.PrepareAsync(t, CancellationToken.None));
        Assert.Contains("secret pw (gone) was not sent with the task", e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_root, "run", "swarm-files", t.TaskId)), "a failed prepare left the task's files");
    }

    [Fact]
    public async Task List_IncludesTasksWithOnlyFilesLeft_RemoveDeletesThem()
    {
        var stray = Path.Combine(_root, "run", "swarm-files", "t-stray");
        Directory.CreateDirectory(stray);
        await File.WriteAllTextAsync(Path.Combine(stray, "secret-0"), "x");

        Assert.Contains("t-stray", await Executor.ListAsync(CancellationToken.None));
        await Executor.RemoveAsync("t-stray", CancellationToken.None);
        Assert.False(Directory.Exists(stray));
    }

    [Fact]
    public async Task Prepare_MissingImage_IsRejectedWithDockersText()
    {
        var t = new AssignedTask
        {
            TaskId = "t-noimage",
            ServiceId = "s",
            ServiceName = "web",
            NodeId = "n",
            Spec = new TaskSpecWire { ContainerSpec = new ContainerSpecWire { Image = "nope:1" } },
        };

        var e = await Assert.ThrowsAsync<TaskRejectedException>(() => Executor.PrepareAsync(t, CancellationToken.None));
        Assert.Contains("No such image: nope:1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Prepare_NamesAndLabelsTheContainerAsDockerDoes()
    {
        var t = new AssignedTask
        {
            TaskId = "abcdefghijklmnopqrstuvwxy",
            ServiceId = "svc9",
            ServiceName = "redis",
            Slot = 4,
            NodeId = "node7",
            Spec = new TaskSpecWire { ContainerSpec = new ContainerSpecWire { Image = "busybox:latest", Args = ["sleep", "1"] } },
        };
        await Executor.PrepareAsync(t, CancellationToken.None);

        var c = _engine!.Containers.Get("redis.4.abcdefghijklmnopqrstuvwxy");

        Assert.Equal("svc9", c.Config.Labels!["com.docker.swarm.service.id"]);
        Assert.Equal("redis", c.Config.Labels["com.docker.swarm.service.name"]);
        Assert.Equal("node7", c.Config.Labels["com.docker.swarm.node.id"]);
        Assert.Equal("redis.4.abcdefghijklmnopqrstuvwxy", c.Config.Labels["com.docker.swarm.task.name"]);
        await Executor.RemoveAsync(t.TaskId, CancellationToken.None);
    }

    public override async Task DisposeAsync()
    {
        if (_engine is not null)
        {
            foreach (var id in await Executor.ListAsync(CancellationToken.None))
            {
                await Executor.RemoveAsync(id, CancellationToken.None);
            }

            await _engine.DisposeAsync();
        }

        Run("ip", "link", "delete", _bridge);
        Run("nft", "delete", "table", "ip", Skiff.Network.NftFirewall.TableNameFor(_bridge));

        foreach (var line in File.ReadAllLines("/proc/self/mountinfo").Reverse())
        {
            var mp = line.Split(' ')[4];
            if (mp.StartsWith(_root, StringComparison.Ordinal))
            {
                Run("umount", "-l", mp);
            }
        }

        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static void Run(string file, params string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = System.Diagnostics.Process.Start(psi)!;
        p.WaitForExit();
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Skiff.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("cannot find the repository root");
    }
}
