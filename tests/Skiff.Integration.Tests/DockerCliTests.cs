using System.Net.Sockets;
using System.Text;
using Skiff.Integration.Tests.Support;

namespace Skiff.Integration.Tests;

/// <summary>The stock docker CLI (28.x) against a real skiffd: each command works, with no error or warning printed.</summary>
[Collection("daemon")]
public sealed class DockerCliTests(DaemonFixture fixture)
{
    private readonly Skiffd _d = fixture.Daemon;

    [Fact]
    public void VersionAndInfo_PrintServerWithoutWarnings()
    {
        var version = _d.DockerOk("version");
        Assert.Contains("Server: Skiff Engine", version);
        Assert.Contains("API version:      1.41", version);
        var info = _d.DockerOk("info");
        Assert.Contains("Server Version: 28.2.2-skiff", info);
        Assert.Contains("Swarm: inactive", info);
        Assert.DoesNotContain("WARNING", info);
    }

    [Fact]
    public void Images_AfterLoad_ListsBusyboxAndRedis()
    {
        var images = _d.DockerOk("images", "--format", "{{.Repository}}:{{.Tag}}");
        Assert.Contains("busybox:latest", images);
        Assert.Contains("redis:latest", images);
    }

    [Fact]
    public void RunPsLogsExecStopRm_Busybox_Lifecycle()
    {
        var id = _d.DockerOk("run", "-d", "--name", "life", "busybox", "sh", "-c", "echo hello-from-container; sleep 300").Trim();
        Assert.Matches("^[0-9a-f]{64}$", id);
        try
        {
            var ps = _d.DockerOk("ps");
            Assert.Contains("life", ps);
            Assert.Contains("Up ", ps);
            Wait.Until(() => _d.DockerOk("logs", "life").Contains("hello-from-container", StringComparison.Ordinal), TimeSpan.FromSeconds(20), "the container's first line in docker logs");
            Assert.Equal("hi\n", _d.DockerOk("exec", "life", "echo", "hi"));
            var failing = _d.Docker("exec", "life", "sh", "-c", "echo to-stderr >&2; exit 3");
            Assert.Equal(3, failing.ExitCode);
            Assert.Contains("to-stderr", failing.Stderr);
            var top = _d.DockerOk("top", "life");
            Assert.Contains("sleep 300", top);
            _d.DockerOk("stop", "-t", "1", "life");
            var all = _d.DockerOk("ps", "-a", "--filter", "name=life", "--format", "{{.Status}}");
            Assert.StartsWith("Exited (", all.Trim());
        }
        finally
        {
            _d.Docker("rm", "-f", "life");
        }

        Assert.DoesNotContain("life", _d.DockerOk("ps", "-a"));
    }

    [Fact]
    public void Run_Attached_ExitsWithContainerCode()
    {
        var r = _d.Docker("run", "--rm", "busybox", "sh", "-c", "echo attached-out; exit 7");
        Assert.Equal(7, r.ExitCode);
        Assert.Contains("attached-out", r.Stdout);
    }

    [Fact]
    public void RunPublished_Redis_AnswersPingOnHostPort()
    {
        var port = Skiffd.FreePort();
        _d.DockerOk("run", "-d", "--name", "redis-pub", "-p", $"{port}:6379", "redis");
        try
        {
            Wait.Until(() => RedisPing(port), TimeSpan.FromSeconds(30), $"redis to answer PING on 127.0.0.1:{port}");
            Assert.Contains($"0.0.0.0:{port}->6379/tcp", _d.DockerOk("ps", "--filter", "name=redis-pub"));
            Assert.Equal($"0.0.0.0:{port}", _d.DockerOk("port", "redis-pub", "6379").Trim());
        }
        finally
        {
            _d.Docker("rm", "-f", "redis-pub");
        }
    }

    internal static bool RedisPing(int port)
    {
        try
        {
            using var c = new TcpClient();
            c.Connect("127.0.0.1", port);
            var s = c.GetStream();
            s.Write("PING\r\n"u8);
            var buf = new byte[64];
            s.ReadTimeout = 2000;
            var n = s.Read(buf);
            return Encoding.ASCII.GetString(buf, 0, n) == "+PONG\r\n";
        }
        catch (Exception ex) when (ex is SocketException or IOException)
        {
            return false;
        }
    }

    [Fact]
    public void NetworkCreate_ContainersResolveEachOtherByNameAndAlias()
    {
        _d.DockerOk("network", "create", "itnet");
        try
        {
            _d.DockerOk("run", "-d", "--name", "peer-a", "--network", "itnet", "--network-alias", "alias-a", "busybox", "sleep", "300");
            var byName = _d.Docker("run", "--rm", "--network", "itnet", "busybox", "ping", "-c", "1", "-W", "5", "peer-a");
            Assert.True(byName.ExitCode == 0, byName.ToString());
            var byAlias = _d.Docker("run", "--rm", "--network", "itnet", "busybox", "nslookup", "alias-a");
            Assert.True(byAlias.ExitCode == 0, byAlias.ToString());
            Assert.Contains("itnet", _d.DockerOk("network", "ls"));
            Assert.Contains("peer-a", _d.DockerOk("network", "inspect", "itnet"));
        }
        finally
        {
            _d.Docker("rm", "-f", "peer-a");
            _d.Docker("network", "rm", "itnet");
        }

        Assert.DoesNotContain("itnet", _d.DockerOk("network", "ls"));
    }

    [Fact]
    public void VolumeCreate_DataOutlivesContainers()
    {
        _d.DockerOk("volume", "create", "itvol");
        try
        {
            _d.DockerOk("run", "--rm", "-v", "itvol:/data", "busybox", "sh", "-c", "echo kept > /data/f");
            Assert.Equal("kept\n", _d.DockerOk("run", "--rm", "-v", "itvol:/data", "busybox", "cat", "/data/f"));
            Assert.Contains("itvol", _d.DockerOk("volume", "ls"));
        }
        finally
        {
            _d.Docker("volume", "rm", "itvol");
        }
    }

    [Fact]
    public void PushRmiPull_AgainstRealRegistry_RoundTrips()
    {
        using var registry = new Registry();
        var name = $"127.0.0.1:{registry.Port}/it/busybox:1";
        var before = _d.DockerOk("inspect", "-f", "{{.Id}}", "busybox").Trim();
        _d.DockerOk("tag", "busybox", name);
        var push = _d.Docker("push", name);
        Assert.True(push.ExitCode == 0, push.ToString());
        Assert.Contains("digest: sha256:", push.Stdout);
        _d.DockerOk("rmi", name);
        var pull = _d.Docker("pull", name);
        Assert.True(pull.ExitCode == 0, pull.ToString());
        Assert.Equal(before, _d.DockerOk("inspect", "-f", "{{.Id}}", name).Trim());
        _d.DockerOk("rmi", name);
    }

    [Fact]
    public void RunPublished_Redis_AnswersFromAnotherHost()
    {
        // "Another host": a network namespace joined to this one by a veth pair, as a LAN peer would be.
        var tag = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(2));
        var ns = "skit-remote-" + tag;
        var hostIf = "skr" + tag + "a";
        var peerIf = "skr" + tag + "b";
        var net = System.Security.Cryptography.RandomNumberGenerator.GetInt32(1, 250);
        var hostIp = $"10.217.{net}.1";
        var port = Skiffd.FreePort();
        void Ip(params string[] args)
        {
            var r = Cli.Run("ip", args, TimeSpan.FromSeconds(30));
            Assert.True(r.ExitCode == 0, $"ip {string.Join(' ', args)}: {r}");
        }

        Ip("netns", "add", ns);
        try
        {
            Ip("link", "add", hostIf, "type", "veth", "peer", "name", peerIf);
            Ip("link", "set", peerIf, "netns", ns);
            Ip("addr", "add", hostIp + "/30", "dev", hostIf);
            Ip("link", "set", hostIf, "up");
            Ip("-n", ns, "addr", "add", $"10.217.{net}.2/30", "dev", peerIf);
            Ip("-n", ns, "link", "set", peerIf, "up");
            Ip("-n", ns, "link", "set", "lo", "up");
            _d.DockerOk("run", "-d", "--name", "redis-remote", "-p", $"{port}:6379", "redis");
            Wait.Until(() => RedisPing(port), TimeSpan.FromSeconds(30), "redis to answer locally first");
            var remote = Cli.Run("ip", ["netns", "exec", ns, "/bin/busybox", "sh", "-c", $"printf 'PING\\r\\n' | /bin/busybox nc -w 3 {hostIp} {port}"], TimeSpan.FromSeconds(30));
            Assert.True(remote.Stdout.Contains("+PONG", StringComparison.Ordinal), $"from the other host: {remote}");
        }
        finally
        {
            _d.Docker("rm", "-f", "redis-remote");
            Cli.Run("ip", ["link", "delete", hostIf], TimeSpan.FromSeconds(30));
            Cli.Run("ip", ["netns", "delete", ns], TimeSpan.FromSeconds(30));
        }
    }
}
