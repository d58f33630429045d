using System.Diagnostics;

namespace Skiff.Integration.Tests.Support;

/// <summary>Debian's docker-registry (distribution 2.8) on a free loopback port, for pull and push.</summary>
public sealed class Registry : IDisposable
{
    private readonly Process _process;
    private readonly string _dir;

    public Registry()
    {
        if (!File.Exists("/usr/bin/docker-registry"))
        {
            throw new InvalidOperationException("/usr/bin/docker-registry is missing: apt-get install docker-registry (scripts/install-deps.sh does)");
        }

        Port = Skiffd.FreePort();
        _dir = Path.Combine(Path.GetTempPath(), "skiff-it-registry-" + Port);
        Directory.CreateDirectory(_dir);
        var config = Path.Combine(_dir, "config.yml");
        File.WriteAllText(config, $"version: 0.1\nlog:\n  level: info\nstorage:\n  filesystem:\n    rootdirectory: {_dir}/data\nhttp:\n  addr: 127.0.0.1:{Port}\n");
        var psi = new ProcessStartInfo("/usr/bin/docker-registry") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        psi.ArgumentList.Add("serve");
        psi.ArgumentList.Add(config);
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _process = Process.Start(psi)!;
        DataReceivedEventHandler onLine = (_, e) =>
        {
            if (e.Data?.Contains("listening on", StringComparison.Ordinal) == true)
            {
                ready.TrySetResult();
            }
        };
        _process.OutputDataReceived += onLine;
        _process.ErrorDataReceived += onLine;
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        if (!ready.Task.Wait(TimeSpan.FromSeconds(30)))
        {
            throw new TimeoutException("docker-registry did not log 'listening on' within 30 s");
        }
    }

    public int Port { get; }

    public void Dispose()
    {
        _process.Kill();
        _process.WaitForExit();
        _process.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
