using System.Net;
using Skiff.Api;

namespace Skiff.Network.Tests;

public class NftRenderTests
{
    private static readonly FirewallNetwork Default = new("skiff0", "10.210.0.0/24", IPAddress.Parse("10.210.0.1"));
    private static readonly FirewallNetwork User = new("br-abc", "10.210.1.0/24", IPAddress.Parse("10.210.1.1"));

    [Fact]
    public void Render_Empty_ReplacesTableWithEmptyChains()
    {
        var text = NftFirewall.Render("skiff_t", new FirewallState([], []));
        Assert.Equal(
            """
            table ip skiff_t {}
            delete table ip skiff_t
            table ip skiff_t {
            	chain prerouting {
            		type nat hook prerouting priority -110; policy accept;
            		fib daddr type local jump published
            	}
            	chain output {
            		type nat hook output priority -110; policy accept;
            		fib daddr type local jump published
            	}
            	chain published {
            	}
            	chain postrouting {
            		type nat hook postrouting priority 100; policy accept;
            	}
            	chain forward {
            		type filter hook forward priority -10; policy accept;
            	}
            }

            """.Replace("\r", "", StringComparison.Ordinal), text);
    }

    [Fact]
    public void Render_NetworksAndPorts_AllRulesPresent()
    {
        var state = new FirewallState(
            [User, Default],
            [
                new PublishedPort("tcp", null, 8080, IPAddress.Parse("10.210.0.2"), 80),
                new PublishedPort("UDP", IPAddress.Parse("127.0.0.1"), 5353, IPAddress.Parse("10.210.1.2"), 53),
            ]);
        var lines = NftFirewall.Render("skiff_skiff0", state).Split('\n').Select(l => l.Trim()).ToList();

        Assert.Contains("ip daddr { 10.210.1.1, 10.210.0.1 } meta l4proto { tcp, udp } th dport 53 return", lines);
        Assert.Contains("tcp dport 8080 dnat to 10.210.0.2:80", lines);
        Assert.Contains("ip daddr 127.0.0.1 udp dport 5353 dnat to 10.210.1.2:53", lines);
        Assert.Contains("ip saddr 10.210.0.0/24 oifname != \"skiff0\" masquerade", lines);
        Assert.Contains("ip saddr 10.210.1.0/24 oifname != \"br-abc\" masquerade", lines);
        Assert.Contains("oifname { \"br-abc\", \"skiff0\" } ip saddr 127.0.0.0/8 masquerade", lines);
        Assert.Contains("ip saddr 10.210.0.2 ip daddr 10.210.0.2 tcp dport 80 masquerade", lines);
        Assert.Contains("iifname \"skiff0\" oifname \"br-abc\" drop", lines);
        Assert.Contains("iifname \"br-abc\" oifname \"skiff0\" drop", lines);
        Assert.Contains("iifname { \"br-abc\", \"skiff0\" } accept", lines);
        Assert.Contains("oifname { \"br-abc\", \"skiff0\" } accept", lines);
        // Isolation drops come before the accepts.
        Assert.True(lines.IndexOf("iifname \"skiff0\" oifname \"br-abc\" drop") < lines.IndexOf("iifname { \"br-abc\", \"skiff0\" } accept"));
    }

    [Fact]
    public void Render_InternalNetwork_NoMasqueradeAndDropsOutside()
    {
        var text = NftFirewall.Render("skiff_x", new FirewallState([new FirewallNetwork("brint", "10.9.0.0/24", Internal: true)], []));
        Assert.DoesNotContain("ip saddr 10.9.0.0/24", text);
        Assert.Contains("iifname \"brint\" oifname != \"brint\" drop", text);
        Assert.Contains("oifname \"brint\" iifname != \"brint\" drop", text);
    }

    [Fact]
    public void Render_SameStateDifferentInsertionOrder_SameText()
    {
        var a = new NftFirewall("skiff_a");
        a.SetNetwork(Default);
        a.SetNetwork(User);
        a.SetPorts("e2", [new PublishedPort("tcp", null, 2, IPAddress.Parse("10.210.0.3"), 2)]);
        a.SetPorts("e1", [new PublishedPort("tcp", null, 1, IPAddress.Parse("10.210.0.2"), 1)]);
        var b = new NftFirewall("skiff_a");
        b.SetPorts("e1", [new PublishedPort("tcp", null, 1, IPAddress.Parse("10.210.0.2"), 1)]);
        b.SetNetwork(User);
        b.SetPorts("e2", [new PublishedPort("tcp", null, 2, IPAddress.Parse("10.210.0.3"), 2)]);
        b.SetNetwork(Default);
        Assert.Equal(NftFirewall.Render("skiff_a", a.Snapshot()), NftFirewall.Render("skiff_a", b.Snapshot()));

        b.RemovePorts("e1");
        b.RemoveNetwork("br-abc");
        var s = b.Snapshot();
        Assert.Single(s.Ports);
        Assert.Single(s.Networks);
    }

    [Theory]
    [InlineData("skiff0", "skiff_skiff0")]
    [InlineData("br-1a2b", "skiff_br_1a2b")]
    [InlineData("a.b", "skiff_a_b")]
    public void TableNameFor_BridgeName_SanitisedName(string bridge, string table)
        => Assert.Equal(table, NftFirewall.TableNameFor(bridge));

    [Fact]
    public void SetPorts_BadProto_ThrowsBadRequest()
        => Assert.Throws<BadRequestException>(() => new NftFirewall("skiff_x").SetPorts("e", [new PublishedPort("icmp", null, 1, IPAddress.Loopback, 1)]));

    [Fact]
    public void SetPorts_Ipv6HostIp_ThrowsBadRequest()
        => Assert.Throws<BadRequestException>(() => new NftFirewall("skiff_x").SetPorts("e", [new PublishedPort("tcp", IPAddress.IPv6Any, 80, IPAddress.Loopback, 80)]));

    [Fact]
    public void SetNetwork_BadBridgeName_ThrowsBadRequest()
        => Assert.Throws<BadRequestException>(() => new NftFirewall("skiff_x").SetNetwork(new FirewallNetwork("bad\" name", "10.0.0.0/24")));

    [Fact]
    public async Task Render_Output_AcceptedByNftCheckMode()
    {
        var state = new FirewallState(
            [User, Default, new FirewallNetwork("brint", "10.9.0.0/24", Internal: true)],
            [
                new PublishedPort("tcp", null, 8080, IPAddress.Parse("10.210.0.2"), 80),
                new PublishedPort("udp", IPAddress.Parse("127.0.0.1"), 5353, IPAddress.Parse("10.210.1.2"), 53),
                new PublishedPort("sctp", null, 9000, IPAddress.Parse("10.210.1.2"), 9000),
            ]);
        // -c: parse and validate against the kernel without committing.
        var r = await Cmd.RunAsync("nft", ["-c", "-f", "-"], NftFirewall.Render("skiff_checkonly", state));
        Assert.True(r.ExitCode == 0, $"nft -c rejected the rule set: {r.StdErr}");
    }
}
