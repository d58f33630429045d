using System.Net;
using System.Net.Sockets;
using Skiff.State.Raft;

namespace Skiff.State.Tests.Raft;

public sealed class RaftStoreTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly string _dir = Directory.CreateTempSubdirectory("skiff-raft-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private RaftStoreOptions Options(int port) => new()
    {
        DataDirectory = _dir,
        EndPoint = new IPEndPoint(IPAddress.Loopback, port),
        SnapshotEvery = 7,
    };

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<T> Within<T>(Task<T> task, string awaited)
    {
        try
        {
            return await task.WaitAsync(Timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"timed out after {Timeout} waiting for {awaited}");
        }
    }

    private static async Task Within(Task task, string awaited)
    {
        try
        {
            await task.WaitAsync(Timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"timed out after {Timeout} waiting for {awaited}");
        }
    }

    [Fact]
    public async Task StartAsync_FirstStart_BootstrapsAndLeads()
    {
        await using var raft = await Within(RaftStore.StartAsync(Options(FreePort())), "the first start");

        Assert.True(raft.StartedCold);
        Assert.True(raft.IsLeader);
        Assert.True(File.Exists(Path.Combine(_dir, "bootstrapped")));
    }

    [Fact]
    public async Task ProposeAsync_Commands_AppliedBeforeReturn()
    {
        await using var raft = await Within(RaftStore.StartAsync(Options(FreePort())), "the first start");

        var version = await Within(raft.UpdateAsync(tx => tx.Create(Objects.Service("s1", "web"))), "the proposal");

        Assert.Equal(version, raft.Store.View(tx => tx.Get<Service>("s1"))?.Meta.Version);
    }

    [Fact]
    public async Task ProposeAsync_RefusedAtApply_SurfacesDomainErrorAndChangesNothing()
    {
        await using var raft = await Within(RaftStore.StartAsync(Options(FreePort())), "the first start");
        var first = raft.Store.Prepare(tx => tx.Create(Objects.Service("s1", "web")));
        var second = raft.Store.Prepare(tx => tx.Create(Objects.Service("s2", "web")));
        await Within(raft.ProposeAsync(first), "the first proposal");
        var index = raft.Store.Index;

        await Assert.ThrowsAsync<NameConflictException>(() => raft.ProposeAsync(second));
        Assert.Equal(index, raft.Store.Index);
    }

    [Fact]
    public async Task ProposeAsync_SameRequestTwice_AppliedOnce()
    {
        await using var raft = await Within(RaftStore.StartAsync(Options(FreePort())), "the first start");
        var command = raft.Store.Prepare(tx => tx.Create(Objects.Service("s1", "web")));

        var first = await Within(raft.ProposeAsync(command), "the proposal");
        var second = await Within(raft.ProposeAsync(command), "the repeated proposal");

        Assert.Equal(first, second);
        Assert.Equal(1, raft.Store.View(tx => tx.Count<Service>()));
    }

    [Fact]
    public async Task StartAsync_RestartFromSameDirectory_SameStateNoReBootstrap()
    {
        var port = FreePort();
        byte[] before;
        string clusterId;
        await using (var raft = await Within(RaftStore.StartAsync(Options(port)), "the first start"))
        {
            clusterId = raft.ClusterId;
            for (var i = 0; i < 25; i++)
            {
                var id = i;
                await Within(raft.UpdateAsync(tx => tx.Create(Objects.Service($"s{id}", $"svc{id}"))), $"proposal {id}");
            }

            var s3 = raft.Store.View(tx => tx.Get<Service>("s3"))!;
            await Within(raft.UpdateAsync(tx => tx.Update(s3.WithSpec(9))), "the update");
            before = raft.Store.SnapshotBytes();
        }

        Assert.NotEmpty(Directory.GetFiles(Path.Combine(_dir, "snapshots"), "*", SearchOption.AllDirectories));
        Assert.True(new FileInfo(Path.Combine(_dir, "members")).Length > 0, "membership should be on disk");

        await using (var raft = await Within(RaftStore.StartAsync(Options(port)), "the restart"))
        {
            Assert.False(raft.StartedCold);
            Assert.Equal(clusterId, raft.ClusterId);
            await Within(raft.WaitForLeadershipAsync(Timeout), "leadership from persisted membership");
            await Within(raft.ReadBarrierAsync(), "the replay of the log");

            Assert.Equal(before, raft.Store.SnapshotBytes());
            Assert.Equal(9UL, raft.Store.View(tx => tx.GetByName<Service>("svc3"))?.Replicas);

            var version = await Within(raft.UpdateAsync(tx => tx.Create(Objects.Service("after", "after"))), "a write after restart");
            Assert.True(version > raft.Store.View(tx => tx.Get<Service>("s3"))!.Meta.Version);
        }
    }
}
