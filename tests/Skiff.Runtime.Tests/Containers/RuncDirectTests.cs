using System.Diagnostics;
using Skiff.Runtime.Containers;

namespace Skiff.Runtime.Tests.Containers;

/// <summary>
/// The start and signal paths that skip a runc process: the exec-FIFO handshake of a created container and signals by
/// pidfd, checked against real processes standing in for a container's init (the real runc path is exercised by every
/// integration test that runs a container). A fake "runc" records when the daemon falls back to it.
/// </summary>
public sealed class RuncDirectTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private readonly string _root = Path.Combine(Path.GetTempPath(), "skiff-runc-direct-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly List<Process> _processes = [];
    private readonly Runc _runc;
    private readonly string _calls;

    public RuncDirectTests()
    {
        Directory.CreateDirectory(_root);
        _calls = Path.Combine(_root, "calls");
        var fake = Path.Combine(_root, "runc");
        File.WriteAllText(fake, $"#!/bin/sh\necho \"$@\" >> {_calls}\nexit 0\n");
        File.SetUnixFileMode(fake, (UnixFileMode)0b111_101_101);
        _runc = new Runc(new RuntimePaths(Path.Combine(_root, "run")), fake, "conmon");
    }

    public void Dispose()
    {
        foreach (var p in _processes)
        {
            if (!p.HasExited)
            {
                p.Kill();
                p.WaitForExit();
            }

            p.Dispose();
        }

        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task Start_InitWaitingOnTheFifo_ReleasedAndFifoRemovedWithoutRunc()
    {
        var fifo = MakeFifo("c1");
        var released = Path.Combine(_root, "released");
        // What runc init does: open the FIFO for writing (blocks until a reader comes), write one byte, go on.
        var init = Spawn($"printf 0 > {fifo} && touch {released} && exec sleep 60");

        await _runc.StartAsync("c1", init.Id, CancellationToken.None).WaitAsync(Wait);

        Assert.False(File.Exists(fifo), "the FIFO should be removed, as runc start does (runc state then says running)");
        await WaitForAsync(() => File.Exists(released), "the stand-in init to get past the FIFO");
        Assert.False(File.Exists(_calls), "no runc process should have been used");
    }

    [Fact]
    public async Task Start_InitAlreadyDead_FailsClearly()
    {
        var fifo = MakeFifo("c2");
        var init = Spawn("exit 0");
        await init.WaitForExitAsync().WaitAsync(Wait);

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => _runc.StartAsync("c2", init.Id, CancellationToken.None).WaitAsync(Wait));

        Assert.Equal("container process is already dead", e.Message);
        Assert.True(File.Exists(fifo), "a failed start leaves runc's state as it was");
    }

    [Fact]
    public async Task Start_InitClosesTheFifoWithoutWriting_FailsClearly()
    {
        var fifo = MakeFifo("c3");
        var init = Spawn($"exec 3>{fifo}; exec 3>&-; exec sleep 60");

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => _runc.StartAsync("c3", init.Id, CancellationToken.None).WaitAsync(Wait));

        Assert.Equal("cannot start an already running container", e.Message); // runc's words for an empty FIFO
    }

    [Fact]
    public async Task Start_NoFifo_FallsBackToRuncStart()
    {
        await _runc.StartAsync("c4", 12345, CancellationToken.None);

        Assert.Contains("start c4", await File.ReadAllTextAsync(_calls));
    }

    [Fact]
    public async Task Signal_MatchingStartTime_DeliveredWithoutRunc()
    {
        var init = Spawn("exec sleep 60");
        var ticks = Runc.InitStartTicks(init.Id);
        Assert.NotNull(ticks);

        await _runc.SignalInitAsync("c5", init.Id, ticks, "SIGTERM", CancellationToken.None);

        await init.WaitForExitAsync().WaitAsync(Wait);
        Assert.Equal(143, init.ExitCode); // .NET reports a signalled process as 128 + the signal
        Assert.False(File.Exists(_calls), "no runc process should have been used");
    }

    [Fact]
    public async Task Signal_ReusedPidOrGoneProcess_NotRunningAndNothingSignalled()
    {
        var other = Spawn("exec sleep 60");
        var ticks = Runc.InitStartTicks(other.Id)!.Value;

        // Same pid, another start time: a different process than the one recorded. It must not be touched.
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => _runc.SignalInitAsync("c6", other.Id, ticks - 1, "SIGKILL", CancellationToken.None));
        Assert.Equal("container not running", e.Message);
        Assert.False(other.HasExited);

        var gone = Spawn("exit 0");
        var goneTicks = Runc.InitStartTicks(gone.Id) ?? 1;
        await gone.WaitForExitAsync().WaitAsync(Wait);
        e = await Assert.ThrowsAsync<InvalidOperationException>(() => _runc.SignalInitAsync("c6", gone.Id, goneTicks, "SIGKILL", CancellationToken.None));
        Assert.Equal("container not running", e.Message);
        Assert.Null(Runc.InitStartTicks(gone.Id));
    }

    [Fact]
    public async Task Signal_NoRecordedStartTime_FallsBackToRuncKill()
    {
        await _runc.SignalInitAsync("c7", 12345, null, "SIGTERM", CancellationToken.None);

        Assert.Contains("kill c7 SIGTERM", await File.ReadAllTextAsync(_calls));
    }

    private string MakeFifo(string id)
    {
        var dir = Path.Combine(_root, "run", "runc", id);
        Directory.CreateDirectory(dir);
        var fifo = Path.Combine(dir, "exec.fifo");
        var mk = Process.Start("mkfifo", fifo);
        mk.WaitForExit();
        Assert.Equal(0, mk.ExitCode);
        return fifo;
    }

    private Process Spawn(string script)
    {
        var p = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", script]) { UseShellExecute = false })!;
        _processes.Add(p);
        return p;
    }

    private static async Task WaitForAsync(Func<bool> condition, string what)
    {
        using var cts = new CancellationTokenSource(Wait);
        while (!condition())
        {
            try
            {
                await Task.Delay(20, cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"timed out after {Wait.TotalSeconds} s waiting for {what}");
            }
        }
    }
}
