using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Threading.Channels;
using Skiff.Integration.Tests.Support;

namespace Skiff.Integration.Tests;

/// <summary>
/// The replicated store survives SIGKILL: members (one, and three as raw Raft members) are killed
/// while writes stream, restarted, and every acknowledged write is then present on every replica,
/// with byte-identical stores, over many rounds (dotnext-raft-notes.md, hazards 1-5).
/// </summary>
[Collection("swarm")]
public sealed class RaftCrashTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly string _root = Path.Combine(Path.GetTempPath(), "skiff-raft-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3)));
    private readonly string _net = $"127.{RandomNumberGenerator.GetInt32(10, 250)}.{RandomNumberGenerator.GetInt32(1, 250)}";
    private readonly List<Member> _members = [];
    private readonly ConcurrentDictionary<string, byte> _acked = new();
    private int _next;

    public void Dispose()
    {
        foreach (var m in _members)
        {
            m.Dispose();
        }

        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task OneManager_KilledWhileWritesStream_KeepsEveryAcknowledgedWrite()
    {
        var m = Add(1);
        var clusterId = await m.StartAsync(join: null);
        Assert.NotEmpty(clusterId);

        for (var round = 0; round < 8; round++)
        {
            await WriteThenKillAsync(m, [m]);
        }

        await VerifyAsync();
    }

    [Fact]
    public async Task ThreeMembers_LeaderFollowerOrAllKilled_KeepEveryAcknowledgedWriteOnEveryReplica()
    {
        var first = Add(1);
        var clusterId = await first.StartAsync(join: null);
        for (var i = 2; i <= 3; i++)
        {
            var m = Add(i);
            await m.StartAsync(join: clusterId);
            Assert.StartsWith("added", await first.AskAsync("add " + m.Endpoint), StringComparison.Ordinal);
        }

        for (var round = 0; round < 12; round++)
        {
            var leader = await LeaderAsync();
            IReadOnlyList<Member> victims = (round % 3) switch
            {
                0 => [leader],
                1 => [_members.First(m => m != leader)],
                _ => _members,
            };
            await WriteThenKillAsync(leader, victims);
        }

        await VerifyAsync();
    }

    private Member Add(int n)
    {
        var m = new Member(Path.Combine(_root, "m" + n), $"{_net}.{n}:4190", _acked);
        _members.Add(m);
        return m;
    }

    /// <summary>Streams writes to the leader; once some are acknowledged, SIGKILLs the victims mid-stream and restarts them.</summary>
    private async Task WriteThenKillAsync(Member leader, IReadOnlyList<Member> victims)
    {
        var before = _acked.Count;
        for (var i = 0; i < 300; i++)
        {
            leader.Send("put k" + Interlocked.Increment(ref _next));
        }

        Wait.Until(() => _acked.Count >= before + 20, Timeout, "20 writes acknowledged before the kill");
        foreach (var v in victims)
        {
            v.Kill();
        }

        foreach (var v in victims)
        {
            await v.StartAsync(join: null);
        }

        await LeaderAsync();
    }

    private async Task<Member> LeaderAsync()
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (DateTime.UtcNow < deadline)
        {
            foreach (var m in _members)
            {
                if ((await m.AskAsync("state")).EndsWith(" yes", StringComparison.Ordinal))
                {
                    return m;
                }
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"no leader among {_members.Count} members within {Timeout.TotalSeconds} s");
    }

    /// <summary>All replicas converge on the same store, which holds every acknowledged write.</summary>
    private async Task VerifyAsync()
    {
        var deadline = DateTime.UtcNow + Timeout;
        string[] states = [];
        while (DateTime.UtcNow < deadline)
        {
            states = await Task.WhenAll(_members.Select(async m => string.Join(' ', (await m.AskAsync("state")).Split(' ')[1..3])));
            if (states.Distinct().Count() == 1)
            {
                break;
            }

            await Task.Delay(200);
        }

        Assert.True(states.Distinct().Count() == 1, "replicas did not converge on one store: " + string.Join(" | ", states));
        Assert.True(_acked.Count > 100, $"the test acknowledged only {_acked.Count} writes");
        foreach (var m in _members)
        {
            var ids = (await m.AskAsync("ids")).Split(' ').Skip(1).ToHashSet();
            var lost = _acked.Keys.Where(id => !ids.Contains(id)).ToList();
            Assert.True(lost.Count == 0, $"{m.Endpoint} lost {lost.Count} acknowledged writes: {string.Join(", ", lost.Take(10))}");
        }
    }

    private sealed class Member(string data, string endpoint, ConcurrentDictionary<string, byte> acked) : IDisposable
    {
        private Process? _process;
        private Channel<string> _replies = Channel.CreateUnbounded<string>();
        private readonly SemaphoreSlim _ask = new(1, 1);

        public string Endpoint { get; } = endpoint;

        public async Task<string> StartAsync(string? join)
        {
            var psi = new ProcessStartInfo("dotnet")
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var a in new[] { MemberDll(), "--data", data, "--endpoint", Endpoint })
            {
                psi.ArgumentList.Add(a);
            }

            if (join is not null && !Directory.Exists(data))
            {
                psi.ArgumentList.Add("--join");
                psi.ArgumentList.Add(join);
            }

            _replies = Channel.CreateUnbounded<string>();
            var replies = _replies;
            _process = Process.Start(psi)!;
            _process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is null)
                {
                    return;
                }

                if (e.Data.StartsWith("ack ", StringComparison.Ordinal))
                {
                    acked.TryAdd(e.Data[4..], 0);
                }
                else if (!e.Data.StartsWith("nack ", StringComparison.Ordinal))
                {
                    replies.Writer.TryWrite(e.Data);
                }
            };
            _process.ErrorDataReceived += (_, _) => { };
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
            var ready = await ReadAsync("ready");
            return ready.Split(' ')[1];
        }

        public void Send(string line)
        {
            try
            {
                _process!.StandardInput.WriteLine(line);
                _process.StandardInput.Flush();
            }
            catch (IOException)
            {
                // Killed meanwhile: a write never sent is simply not acknowledged.
            }
        }

        public async Task<string> AskAsync(string command)
        {
            await _ask.WaitAsync();
            try
            {
                Send(command);
                return await ReadAsync(command.Split(' ')[0] switch { "add" => "", var c => c });
            }
            finally
            {
                _ask.Release();
            }
        }

        private async Task<string> ReadAsync(string prefix)
        {
            using var cts = new CancellationTokenSource(Timeout);
            try
            {
                while (true)
                {
                    var line = await _replies.Reader.ReadAsync(cts.Token);
                    if (line.StartsWith(prefix, StringComparison.Ordinal))
                    {
                        return line;
                    }
                }
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"member {Endpoint} did not answer '{prefix}' within {Timeout.TotalSeconds} s");
            }
        }

        public void Kill()
        {
            _process!.Kill();
            _process.WaitForExit();
        }

        public void Dispose()
        {
            if (_process is { HasExited: false })
            {
                Kill();
            }

            _process?.Dispose();
            _ask.Dispose();
        }

        private static string MemberDll()
        {
            foreach (var config in new[] { "Debug", "Release" })
            {
                var p = Path.Combine(Repo.Root, "tests", "Support", "Skiff.RaftMember", "bin", config, "net10.0", "Skiff.RaftMember.dll");
                if (File.Exists(p))
                {
                    return p;
                }
            }

            throw new FileNotFoundException("Skiff.RaftMember.dll is not built: run `dotnet build Skiff.sln` first (scripts/test.sh does)");
        }
    }
}
