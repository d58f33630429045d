using System.Net;
using System.Net.Sockets;
using Skiff.Api;

namespace Skiff.Network.Tests;

public class HostPortAllocatorTests
{
    private static int FreeTcpPort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    [Fact]
    public void ReadDynamicRange_Host_MatchesKernelOrDockerFallback()
    {
        var (s, e) = HostPortAllocator.ReadDynamicRange();
        var text = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal((int.Parse(text[0]), int.Parse(text[1])), (s, e));
        Assert.Equal((49153, 65535), HostPortAllocator.ReadDynamicRange("/nonexistent"));
    }

    [Fact]
    public void Reserve_SamePortTwice_PortIsAlreadyAllocated()
    {
        var a = new HostPortAllocator();
        var port = FreeTcpPort();
        using var r = a.Reserve("tcp", null, port, "web");
        var e = Assert.Throws<SkiffException>(() => a.Reserve("tcp", IPAddress.Loopback, port, "db"));
        Assert.Equal($"driver failed programming external connectivity on endpoint db: Bind for 127.0.0.1:{port} failed: port is already allocated", e.Message);
        // Another protocol is independent.
        using var u = a.Reserve("udp", null, port, "web");
        r.Dispose();
        using var again = a.Reserve("tcp", null, port, "db");
        Assert.Equal(port, again.HostPort);
    }

    [Fact]
    public void Reserve_PortUsedByOtherProcess_PortIsAlreadyAllocated()
    {
        using var l = new TcpListener(IPAddress.Any, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        Assert.False(HostPortAllocator.IsFree("tcp", null, port));
        var e = Assert.Throws<SkiffException>(() => new HostPortAllocator().Reserve("tcp", null, port, "web"));
        Assert.Equal($"driver failed programming external connectivity on endpoint web: Bind for 0.0.0.0:{port} failed: port is already allocated", e.Message);
    }

    [Fact]
    public void Reserve_Held_OtherProcessCannotListen()
    {
        var port = FreeTcpPort();
        using var r = new HostPortAllocator().Reserve("tcp", null, port, "web");
        using var l = new TcpListener(IPAddress.Loopback, port);
        Assert.Throws<SocketException>(() => l.Start());
    }

    [Fact]
    public void Reserve_Ephemeral_RoundRobinInRange()
    {
        var start = FreeTcpPort();
        var a = new HostPortAllocator(start, start + 2);
        using var r1 = a.Reserve("tcp", null, 0, "x");
        var p1 = r1.HostPort;
        r1.Dispose();
        using var r2 = a.Reserve("tcp", null, 0, "x");
        Assert.InRange(r2.HostPort, start, start + 2);
        Assert.NotEqual(p1, r2.HostPort);
    }

    [Fact]
    public void ReserveRange_AllTaken_AllPortsAllocated()
    {
        var start = FreeTcpPort();
        var a = new HostPortAllocator();
        using var r = a.Reserve("udp", null, start, "x");
        var e = Assert.Throws<SkiffException>(() => a.ReserveRange("udp", null, start, start, "y"));
        Assert.Contains("port is already allocated", e.Message);
        var e2 = Assert.Throws<SkiffException>(() => new HostPortAllocator(start, start).ReserveRange("udp", null, start, start, "y"));
        Assert.Contains("port is already allocated", e2.Message);
    }

    [Fact]
    public void Reserve_NonLocalHostIp_ClearBindError()
    {
        var e = Assert.Throws<SkiffException>(() => new HostPortAllocator().Reserve("tcp", IPAddress.Parse("192.0.2.1"), 8080, "web"));
        Assert.Equal("driver failed programming external connectivity on endpoint web: listen tcp4 192.0.2.1:8080: bind: cannot assign requested address", e.Message);
    }
}
