using System.Net;
using Skiff.Api;

namespace Skiff.Network.Tests;

public class IpamTests
{
    [Fact]
    public void Allocate_Default_SkipsNetworkAndGatewayAndHandsOutLowest()
    {
        var pool = new IpamPool("10.210.5.0/24");
        Assert.Equal("10.210.5.1", pool.Gateway.ToString());
        Assert.Equal("10.210.5.1/24", pool.GatewayCidr);
        Assert.Equal("10.210.5.2", pool.Allocate().ToString());
        Assert.Equal("10.210.5.3", pool.Allocate().ToString());
        Assert.True(pool.Release(IPAddress.Parse("10.210.5.2")));
        Assert.Equal("10.210.5.2", pool.Allocate().ToString());
        Assert.Equal("10.210.5.4/24", pool.ToCidr(pool.Allocate()));
    }

    [Fact]
    public void Allocate_RequestedTaken_ThrowsConflict()
    {
        var pool = new IpamPool("10.210.5.0/24");
        Assert.Equal("10.210.5.9", pool.Allocate(IPAddress.Parse("10.210.5.9")).ToString());
        Assert.Throws<ConflictException>(() => pool.Allocate(IPAddress.Parse("10.210.5.9")));
        Assert.Throws<ConflictException>(() => pool.Allocate(IPAddress.Parse("10.210.5.1")));
        Assert.Throws<BadRequestException>(() => pool.Allocate(IPAddress.Parse("10.210.6.9")));
        Assert.Throws<BadRequestException>(() => pool.Allocate(IPAddress.Parse("10.210.5.255")));
    }

    [Fact]
    public void Allocate_CustomGatewayAndRange_StaysInRange()
    {
        var pool = new IpamPool("10.1.0.0/16", "10.1.0.254", "10.1.7.0/30");
        Assert.Equal("10.1.0.254", pool.Gateway.ToString());
        Assert.Equal(["10.1.7.0", "10.1.7.1", "10.1.7.2", "10.1.7.3"], Enumerable.Range(0, 4).Select(_ => pool.Allocate().ToString()));
        Assert.Throws<SkiffException>(() => pool.Allocate());
    }

    [Fact]
    public void Allocate_Exhausted_Throws()
    {
        var pool = new IpamPool("192.168.9.0/30");
        Assert.Equal("192.168.9.2", pool.Allocate().ToString());
        var e = Assert.Throws<SkiffException>(() => pool.Allocate());
        Assert.Contains("no available IPv4 addresses", e.Message);
    }

    [Fact]
    public void Restore_AfterRestart_MarksAddressesUsed()
    {
        var pool = new IpamPool("10.210.5.0/24");
        pool.Restore([IPAddress.Parse("10.210.5.2"), IPAddress.Parse("10.210.5.4"), IPAddress.Parse("8.8.8.8")]);
        Assert.Equal(2, pool.AllocatedCount);
        Assert.Equal("10.210.5.3", pool.Allocate().ToString());
        Assert.Equal("10.210.5.5", pool.Allocate().ToString());
    }

    [Theory]
    [InlineData("10.0.0.0/33")]
    [InlineData("10.0.0/24")]
    [InlineData("nope")]
    [InlineData("10.0.0.0/31")]
    public void Constructor_BadSubnet_ThrowsBadRequest(string subnet)
        => Assert.Throws<BadRequestException>(() => new IpamPool(subnet));

    [Fact]
    public void Constructor_GatewayOutsideSubnet_ThrowsBadRequest()
        => Assert.Throws<BadRequestException>(() => new IpamPool("10.0.0.0/24", "10.0.1.1"));

    [Fact]
    public void MacFromIp_Address_DockerStyle()
        => Assert.Equal("02:42:0a:d2:00:02", Ipv4.MacFromIp(IPAddress.Parse("10.210.0.2")));

    [Fact]
    public void SubnetAllocator_UsedAndRouted_PicksNextFree()
    {
        var a = new SubnetAllocator();
        Assert.Equal("10.210.0.0/24", a.Allocate([], []));
        Assert.Equal("10.210.2.0/24", a.Allocate(["10.210.0.0/24"], ["10.210.1.0/24", "default", "192.168.1.0/24"]));
        // A host address inside a candidate (local route /32) also blocks it.
        Assert.Equal("10.210.1.0/24", a.Allocate(["10.210.0.0/24"], ["10.210.0.7"]));
        // A wide route covering the whole pool exhausts it.
        Assert.Throws<SkiffException>(() => a.Allocate([], ["10.0.0.0/8"]));
    }

    [Fact]
    public void SubnetAllocator_SeveralPools_FallsThrough()
    {
        var a = new SubnetAllocator([new("10.9.0.0/23", 24), new("172.80.0.0/15", 16)]);
        Assert.Equal("172.81.0.0/16", a.Allocate(["10.9.0.0/24", "10.9.1.0/24"], ["172.80.3.0/24"]));
    }

    [Fact]
    public async Task ReadHostRoutes_Host_ReturnsParsableCidrs()
    {
        var routes = await SubnetAllocator.ReadHostRoutesAsync();
        Assert.All(routes, r => Assert.True(Ipv4Cidr.TryParse(r, out _), r));
    }
}
