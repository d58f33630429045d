using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Skiff.Integration.Tests.Support;

/// <summary>
/// A real skiffd process with its own data root, exec root, socket, bridge and subnet, so that tests run
/// beside any other daemon on the machine. Dispose removes everything it made (containers, mounts, bridge,
/// nftables table, directories).
/// </summary>
public sealed class Skiffd : IDisposable
{
    private Process? _process;
    private readonly List<string> _log = [];
    private readonly IReadOnlyList<string> _extraArgs;

    public Skiffd(IReadOnlyList<string>? extraArgs = null)
    {
        _extraArgs = extraArgs ?? [];
        var tag = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
        Root = Path.Combine(Path.GetTempPath(), "skiff-it-" + tag);
        DataRoot = Path.Combine(Root, "data");
        ExecRoot = Path.Combine(Root, "run");
        Socket = Path.Combine(ExecRoot, "skiff.sock");
        Bridge = "skit" + tag;
        Cidr = $"10.212.{RandomNumberGenerator.GetInt32(1, 250)}.1/24";
        Start();
    }

    public string Root { get; }
    public string DataRoot { get; }
    public string ExecRoot { get; }
    public string Socket { get; }
    public string Bridge { get; }
    public string Cidr { get; }
    public string Host => "unix://" + Socket;

    public string Log
    {
        get
        {
            lock (_log)
            {
                return string.Join('\n', _log);
            }
        }
    }

    public void Start()
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[]
        {
            Repo.Built("Skiff.Daemon", "skiffd.dll"), "-H", Host, "--data-root", DataRoot, "--exec-root", ExecRoot,
            "--bridge-name", Bridge, "--bridge-cidr", Cidr, "--cgroup-parent", "/skiff-it-" + Bridge,
        }.Concat(_extraArgs))
        {
            psi.ArgumentList.Add(a);
        }

        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _process = Process.Start(psi)!;
        void OnLine(string? line)
        {
            if (line is null)
            {
                ready.TrySetException(new InvalidOperationException("skiffd exited before it was ready:\n" + Log));
                return;
            }

            lock (_log)
            {
                _log.Add(line);
            }

            if (line.Contains("Application started", StringComparison.Ordinal))
            {
                ready.TrySetResult();
            }
        }

        _process.OutputDataReceived += (_, e) => OnLine(e.Data);
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_log)
                {
                    _log.Add(e.Data);
                }
            }
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        if (!ready.Task.Wait(TimeSpan.FromSeconds(60)))
        {
            throw new TimeoutException("skiffd did not report 'Application started' within 60 s:\n" + Log);
        }
    }

    /// <summary>SIGKILL, as a crash: conmon keeps the containers running.</summary>
    public void Kill()
    {
        _process!.Kill();
        _process.WaitForExit();
    }

    /// <summary>SIGTERM, as systemd stops the daemon; returns its exit code once it has exited and its output drained.</summary>
    public int Terminate(TimeSpan timeout)
    {
        Cli.Run("kill", ["-TERM", _process!.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(10));
        if (!_process.WaitForExit(timeout))
        {
            throw new TimeoutException($"skiffd did not exit within {timeout.TotalSeconds} s of SIGTERM:\n{Tail()}");
        }

        _process.WaitForExit();
        return _process.ExitCode;
    }

    public CliResult Docker(params string[] args) => Docker(TimeSpan.FromSeconds(60), args);

    public CliResult Docker(TimeSpan timeout, params string[] args) =>
        Cli.Run("docker", args, timeout, new Dictionary<string, string> { ["DOCKER_HOST"] = Host });

    public CliResult Skiff(params string[] args) => Skiff(TimeSpan.FromSeconds(60), args);

    public CliResult Skiff(TimeSpan timeout, params string[] args) =>
        Cli.Run("dotnet", [Repo.Built("Skiff.Cli", "skiff.dll"), .. args], timeout, new Dictionary<string, string> { ["SKIFF_HOST"] = Host });

    /// <summary>Runs the named client: the stock <c>docker</c> CLI or <c>skiff</c>.</summary>
    public CliResult Client(string client, TimeSpan timeout, params string[] args) =>
        client == "skiff" ? Skiff(timeout, args) : Docker(timeout, args);

    /// <summary>Runs docker and asserts success with nothing on stderr (no error, no warning).</summary>
    public string DockerOk(params string[] args)
    {
        var r = Docker(args);
        Assert.True(r.ExitCode == 0 && r.Stderr.Trim() == "", $"docker {string.Join(' ', args)} failed:\n{r}\ndaemon log:\n{Tail()}");
        return r.Stdout;
    }

    public string SkiffOk(params string[] args)
    {
        var r = Skiff(args);
        Assert.True(r.ExitCode == 0, $"skiff {string.Join(' ', args)} failed:\n{r}\ndaemon log:\n{Tail()}");
        return r.Stdout;
    }

    public string Tail(int lines = 30)
    {
        lock (_log)
        {
            return string.Join('\n', _log.TakeLast(lines));
        }
    }

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        try
        {
            if (_process is { HasExited: false })
            {
                var ids = Docker("ps", "-aq").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
                if (ids.Length > 0)
                {
                    Docker(["rm", "-f", .. ids]);
                }

                _process.Kill();
                _process.WaitForExit();
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
        }

        // Whatever is left after a failed test: containers, mounts, namespaces, the bridge and the table.
        var runcRoot = Path.Combine(ExecRoot, "runc");
        if (Directory.Exists(runcRoot))
        {
            foreach (var d in Directory.GetDirectories(runcRoot))
            {
                Cli.Run("runc", ["--root", runcRoot, "delete", "--force", Path.GetFileName(d)], TimeSpan.FromSeconds(30));
            }
        }

        foreach (var line in File.ReadAllLines("/proc/self/mountinfo").Reverse())
        {
            var mp = line.Split(' ')[4];
            if (mp.StartsWith(Root, StringComparison.Ordinal))
            {
                Cli.Run("umount", ["-l", mp], TimeSpan.FromSeconds(30));
            }
        }

        Cli.Run("ip", ["link", "delete", Bridge], TimeSpan.FromSeconds(30));
        foreach (var controller in Directory.Exists("/sys/fs/cgroup") ? Directory.GetDirectories("/sys/fs/cgroup") : [])
        {
            var dir = Path.Combine(controller, "skiff-it-" + Bridge);
            if (Directory.Exists(dir))
            {
                foreach (var sub in Directory.GetDirectories(dir))
                {
                    try
                    {
                        Directory.Delete(sub);
                    }
                    catch (IOException)
                    {
                    }
                }

                try
                {
                    Directory.Delete(dir);
                }
                catch (IOException)
                {
                }
            }
        }

        Cli.Run("nft", ["delete", "table", "ip", "skiff_" + Bridge], TimeSpan.FromSeconds(30));
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
