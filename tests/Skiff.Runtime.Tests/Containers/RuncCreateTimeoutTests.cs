using System.Diagnostics;
using System.Text.Json.Nodes;
using Skiff.Runtime.Containers;

namespace Skiff.Runtime.Tests.Containers;

/// <summary>
/// A runc create that never returns must not hold its caller forever: with a real conmon and a "runc" that hangs
/// in create, CreateAsync fails within its limit, names what was stuck, and leaves no process of it behind.
/// </summary>
public sealed class RuncCreateTimeoutTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "skiff-runc-timeout-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp directory does not matter.
        }
    }

    [Fact]
    public async Task CreateAsync_RuncCreateHangs_FailsWithinTheLimitAndKillsTheStuckProcesses()
    {
        Directory.CreateDirectory(_root);
        var fakeRunc = Path.Combine(_root, "runc");
        // Hangs in "create" (as the stuck runc create did); answers "delete" at once.
        File.WriteAllText(fakeRunc, "#!/bin/sh\nfor a in \"$@\"; do [ \"$a\" = create ] && exec sleep 600; done\nexit 0\n");
        File.SetUnixFileMode(fakeRunc, (UnixFileMode)0b111_101_101);
        var runc = new Runc(new RuntimePaths(Path.Combine(_root, "run")), fakeRunc, Runc.Find("conmon"), TimeSpan.FromSeconds(3));
        var id = "stuck" + Guid.NewGuid().ToString("N");
        var spec = new JsonObject { ["process"] = new JsonObject { ["terminal"] = false } };
        var clock = Stopwatch.StartNew();

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => runc.CreateAsync(id, spec, Path.Combine(_root, "log"), false, false, CancellationToken.None));

        Assert.StartsWith("runc create did not finish within 3 s and was stopped (stuck: ", e.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
        var left = Directory.EnumerateDirectories("/proc")
            .Select(d => Path.Combine(d, "cmdline"))
            .Where(f => { try { return File.ReadAllText(f).Contains(id, StringComparison.Ordinal); } catch (IOException) { return false; } })
            .ToList();
        Assert.Empty(left);
    }
}
