using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Skiff.Network.Tests;

/// <summary>
/// Real networking as root: a bridge with a unique name, two namespaces attached, the nftables
/// table, published ports and the embedded DNS. Everything is removed in DisposeAsync.
/// Missing prerequisites fail the tests with a message (never a silent skip).
/// </summary>
public sealed class RealNetworkTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly string _suffix = Convert.ToHexString(Guid.NewGuid().ToByteArray())[..6].ToLowerInvariant();
    private readonly List<Process> _processes = [];
    private readonly List<IAsyncDisposable> _disposables = [];
    private NetnsManager _netns = null!;
    private NftFirewall _firewall = null!;
    private IpamPool _ipam = null!;
    private string _bridge = "";
    private string _ns1 = "";
    private string _ns2 = "";
    private IPAddress _ip1 = IPAddress.None;
    private IPAddress _ip2 = IPAddress.None;

    public async Task InitializeAsync()
    {
        await RequirePrerequisitesAsync();
        _bridge = $"sktest{_suffix}";
        _netns = new NetnsManager($"/run/sktest-{_suffix}/netns");
        _firewall = new NftFirewall(NftFirewall.TableNameFor(_bridge));

        var subnet = new SubnetAllocator([new("10.211.0.0/16", 24)])
            .Allocate([], await SubnetAllocator.ReadHostRoutesAsync());
        _ipam = new IpamPool(subnet);
        await BridgeDriver.EnsureBridgeAsync(_bridge, _ipam.GatewayCidr);

        _ns1 = await _netns.CreateAsync("c1");
        _ns2 = await _netns.CreateAsync("c2");
        _ip1 = _ipam.Allocate();
        _ip2 = _ipam.Allocate();
        await BridgeDriver.AttachAsync($"a{_suffix}00000000", _ns1, _bridge, "eth0", _ipam.ToCidr(_ip1), _ipam.Gateway.ToString(), Ipv4.MacFromIp(_ip1));
        await BridgeDriver.AttachAsync($"b{_suffix}00000000", _ns2, _bridge, "eth0", _ipam.ToCidr(_ip2), _ipam.Gateway.ToString(), Ipv4.MacFromIp(_ip2));
        _firewall.SetNetwork(new FirewallNetwork(_bridge, subnet, _ipam.Gateway));
        await _firewall.ApplyAsync();
    }

    public async Task DisposeAsync()
    {
        var errors = new List<string>();
        foreach (var p in _processes)
        {
            try
            {
                if (!p.HasExited)
                {
                    p.Kill(entireProcessTree: true);
                    await p.WaitForExitAsync();
                }
            }
            catch (InvalidOperationException)
            {
            }

            p.Dispose();
        }

        foreach (var d in _disposables)
        {
            await d.DisposeAsync();
        }

        async Task Try(Func<Task> f)
        {
            try
            {
                await f();
            }
            catch (Exception e)
            {
                errors.Add(e.Message);
            }
        }

        if (_firewall is not null)
        {
            await Try(() => _firewall.DeleteAsync());
        }

        if (_netns is not null)
        {
            await Try(() => _netns.DeleteAllAsync(removeDirectory: true));
            await Try(() => Task.Run(() => Directory.Delete(Path.GetDirectoryName(_netns.Directory)!, true)));
        }

        if (_bridge.Length > 0)
        {
            await Try(() => BridgeDriver.DeleteBridgeAsync(_bridge));
        }

        Assert.True(errors.Count == 0, "cleanup failed: " + string.Join("; ", errors));
    }

    [Fact]
    public async Task Attach_TwoNamespaces_PingAndHttpBetweenThem()
    {
        var ping = await Cmd.RunAsync("nsenter", [$"--net={_ns2}", "busybox", "ping", "-c", "1", "-W", "3", _ip1.ToString()]);
        Assert.True(ping.ExitCode == 0, $"ping {_ip1} from ns2 failed: {ping.StdOut} {ping.StdErr}");

        await StartHttpdAsync(_ns1, 8000, "from-ns1");
        var body = await WgetAsync(_ns2, $"http://{_ip1}:8000/index.html");
        Assert.Equal("from-ns1", body.Trim());

        var link = await Ip.InNetnsAsync(_ns1, ["-o", "link", "show", "dev", "eth0"]);
        Assert.Contains(Ipv4.MacFromIp(_ip1), link);
        var route = await Ip.InNetnsAsync(_ns1, ["route", "show", "default"]);
        Assert.Contains($"via {_ipam.Gateway}", route);
    }

    [Fact]
    public async Task PublishedPort_HostLoopbackAndGateway_ReachesListenerInNamespace()
    {
        var ports = new HostPortAllocator();
        using var reservation = ports.Reserve("tcp", null, 0, "web");
        _firewall.SetPorts("ep1", [new PublishedPort("tcp", null, reservation.HostPort, _ip1, 8080)]);
        await _firewall.ApplyAsync();
        await StartHttpdAsync(_ns1, 8080, "published");

        // The host itself, via 127.0.0.1 (output DNAT + route_localnet + masquerade).
        using var http = new HttpClient { Timeout = Timeout };
        Assert.Equal("published", (await http.GetStringAsync($"http://127.0.0.1:{reservation.HostPort}/index.html")).Trim());

        // Another container via the host's (gateway) address (prerouting DNAT), and the container itself (hairpin).
        foreach (var ns in new[] { _ns2, _ns1 })
        {
            var body = await WgetAsync(ns, $"http://{_ipam.Gateway}:{reservation.HostPort}/index.html");
            Assert.Equal("published", body.Trim());
        }

        // Unpublish: the port no longer leads to the container.
        _firewall.RemovePorts("ep1");
        await _firewall.ApplyAsync();
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => http.GetStringAsync($"http://127.0.0.1:{reservation.HostPort}/index.html"));
    }

    [Fact]
    public async Task PublishedUdpPort_HostLoopback_DatagramArrivesInNamespace()
    {
        var ports = new HostPortAllocator();
        using var reservation = ports.Reserve("udp", IPAddress.Loopback, 0, "udp1");
        _firewall.SetPorts("ep-udp", [new PublishedPort("udp", IPAddress.Loopback, reservation.HostPort, _ip1, 9000)]);
        await _firewall.ApplyAsync();

        // busybox nc has no UDP: listen with a socket created inside ns1.
        using var listener = NetnsManager.CreateSocketIn(_ns1, AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        listener.Bind(new IPEndPoint(IPAddress.Any, 9000));
        var buf = new byte[64];
        using var cts = new CancellationTokenSource(Timeout);
        var read = listener.ReceiveFromAsync(buf, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), cts.Token).AsTask();
        using var client = new UdpClient();
        await client.SendAsync("skiff-udp"u8.ToArray(), new IPEndPoint(IPAddress.Loopback, reservation.HostPort));
        var received = await read;

        Assert.Equal("skiff-udp", System.Text.Encoding.ASCII.GetString(buf, 0, received.ReceivedBytes));
        // Seen from inside, the sender is the bridge gateway (127.0.0.1 masqueraded).
        Assert.Equal(_ipam.Gateway, ((IPEndPoint)received.RemoteEndPoint).Address);
    }

    [Fact]
    public async Task EmbeddedDns_OnGateway_AnswersContainersAndNxDomain()
    {
        var dns = new EmbeddedDns(
            "net1",
            new IPEndPoint(_ipam.Gateway, 53),
            (net, name) => net == "net1" && name == "web" ? [_ip1] : [],
            upstreams: []);
        dns.Start();
        _disposables.Add(dns);

        var ok = await Cmd.RunAsync("nsenter", [$"--net={_ns2}", "busybox", "nslookup", "WEB", _ipam.Gateway.ToString()]);
        Assert.True(ok.ExitCode == 0 && ok.StdOut.Contains(_ip1.ToString()), $"nslookup WEB: {ok.StdOut} {ok.StdErr}");

        var missing = await Cmd.RunAsync("nsenter", [$"--net={_ns2}", "busybox", "nslookup", "nosuchname", _ipam.Gateway.ToString()]);
        Assert.True(missing.ExitCode != 0 && (missing.StdOut + missing.StdErr).Contains("NXDOMAIN"), $"nslookup nosuchname: {missing.StdOut} {missing.StdErr}");

        // TCP from the host with our own client code.
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(_ipam.Gateway, 53).WaitAsync(Timeout);
        var q = DnsMessage.BuildQuery(42, "web.");
        var framed = new byte[q.Length + 2];
        framed[0] = (byte)(q.Length >> 8);
        framed[1] = (byte)q.Length;
        q.CopyTo(framed, 2);
        var stream = tcp.GetStream();
        await stream.WriteAsync(framed);
        var len = new byte[2];
        await stream.ReadExactlyAsync(len).AsTask().WaitAsync(Timeout);
        var resp = new byte[(len[0] << 8) | len[1]];
        await stream.ReadExactlyAsync(resp).AsTask().WaitAsync(Timeout);
        Assert.Equal([_ip1], DnsMessage.ParseResponse(resp).Addresses);
    }

    [Fact]
    public async Task Firewall_TwoTables_IndependentAndDeleteRemovesOnlyOwn()
    {
        var other = new NftFirewall($"skiff_other{_suffix}");
        try
        {
            other.SetNetwork(new FirewallNetwork("skother0", "10.99.0.0/24"));
            await other.ApplyAsync();
            _firewall.SetPorts("e", [new PublishedPort("udp", IPAddress.Loopback, 5000, _ip2, 53)]);
            await _firewall.ApplyAsync();
            await _firewall.ApplyAsync(); // idempotent re-apply

            var mine = await Nft.RunAsync(["list", "table", "ip", _firewall.TableName]);
            Assert.Contains($"ip daddr 127.0.0.1 udp dport 5000 dnat to {_ip2}:53", mine);
            Assert.Contains("10.99.0.0/24", await Nft.RunAsync(["list", "table", "ip", other.TableName]));

            await other.DeleteAsync();
            Assert.NotEqual(0, (await Cmd.RunAsync("nft", ["list", "table", "ip", other.TableName])).ExitCode);
            Assert.Contains("dnat to", await Nft.RunAsync(["list", "table", "ip", _firewall.TableName]));
        }
        finally
        {
            await other.DeleteAsync();
        }
    }

    [Fact]
    public async Task Bridge_EnsureAgainAndDetach_IdempotentAndVethGone()
    {
        await BridgeDriver.EnsureBridgeAsync(_bridge, _ipam.GatewayCidr);
        Assert.Equal("1", (await File.ReadAllTextAsync($"/proc/sys/net/ipv4/conf/{_bridge}/route_localnet")).Trim());
        Assert.Equal("1", (await File.ReadAllTextAsync("/proc/sys/net/ipv4/ip_forward")).Trim());
        var addr = await Ip.RunAsync(["-o", "-4", "addr", "show", "dev", _bridge]);
        Assert.Single(addr.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        var veth = BridgeDriver.HostVethName($"a{_suffix}00000000", 0);
        Assert.True(await Ip.LinkExistsAsync(veth), $"{veth} should exist");
        await BridgeDriver.DetachAsync(veth);
        await BridgeDriver.DetachAsync(veth);
        Assert.False(await Ip.LinkExistsAsync(veth));
        var links = await Ip.InNetnsAsync(_ns1, ["-o", "link"]);
        Assert.DoesNotContain("eth0", links);
    }

    [Fact]
    public async Task Attach_OverNetlink_LeavesWhatIpWouldHaveMade()
    {
        // The pair, address, routes and flags as `ip` reads them back (attach speaks route netlink itself).
        var veth = BridgeDriver.HostVethName($"a{_suffix}00000000", 0);
        var hostLink = await Ip.RunAsync(["-o", "-d", "link", "show", "dev", veth]);
        Assert.Contains($"master {_bridge}", hostLink);
        Assert.Contains("state UP", hostLink);
        Assert.Contains("hairpin on", hostLink);
        var inside = await Ip.InNetnsAsync(_ns1, ["-o", "link", "show", "dev", "eth0"]);
        Assert.Contains(Ipv4.MacFromIp(_ip1), inside);
        Assert.Contains(",UP", inside);
        Assert.Contains("LOWER_UP", inside);
        Assert.Contains(",UP", await Ip.InNetnsAsync(_ns1, ["-o", "link", "show", "dev", "lo"]));
        Assert.Contains($"inet {_ipam.ToCidr(_ip1)} ", await Ip.InNetnsAsync(_ns1, ["-o", "-4", "addr", "show", "dev", "eth0"]));
        Assert.Contains($"default via {_ipam.Gateway} dev eth0", await Ip.InNetnsAsync(_ns1, ["route", "show"]));
    }

    [Fact]
    public async Task Attach_BadInputAndKernelRefusals_ClearErrorsAndNothingLeft()
    {
        var ns = await _netns.CreateAsync("bad");
        var id = $"c{_suffix}00000000";
        var veth = BridgeDriver.HostVethName(id, 0);
        var ip = _ipam.Allocate();

        var mac = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            BridgeDriver.AttachAsync(id, ns, _bridge, "eth0", _ipam.ToCidr(ip), null, "02:42:zz:00:00:01"));
        Assert.Equal("invalid MAC address: 02:42:zz:00:00:01", mac.Message);
        var bridge = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            BridgeDriver.AttachAsync(id, ns, "sknobridge0", "eth0", _ipam.ToCidr(ip), null, ""));
        Assert.Equal("bridge sknobridge0 does not exist", bridge.Message);

        // Nothing was made by the refused attaches; a request the kernel refuses carries the kernel's own reason.
        using (var nl = RtNetlink.OpenIn(ns))
        {
            Assert.Null(nl.LinkIndex("eth0"));
            Assert.False(nl.DeleteLink("eth0"));
            var route = Assert.Throws<NetlinkException>(() => nl.ReplaceDefaultRoute(IPAddress.Parse("10.9.9.1"), nl.LinkIndex("lo")!.Value));
            Assert.Equal("replace default route via 10.9.9.1: Network is unreachable (Nexthop has invalid gateway)", route.Message);
        }

        // eth0 exists in the namespace already: the kernel refuses, with its reason, and nothing is left behind.
        await BridgeDriver.AttachAsync(id, ns, _bridge, "eth0", _ipam.ToCidr(ip), null, "");
        var again = await Assert.ThrowsAsync<NetlinkException>(() =>
            BridgeDriver.AttachAsync($"d{_suffix}00000000", ns, _bridge, "eth0", _ipam.ToCidr(ip), null, ""));
        Assert.StartsWith("create veth ", again.Message);
        Assert.Contains("File exists", again.Message);
        Assert.False(await Ip.LinkExistsAsync(BridgeDriver.HostVethName($"d{_suffix}00000000", 0)), "the refused pair's host end should be gone");
        Assert.True(await Ip.LinkExistsAsync(veth), "the first pair should be untouched");

        // A stale host end of the same name (a crash) is replaced, not refused.
        await BridgeDriver.DetachAsync(veth);
        using (var host = RtNetlink.Open())
        using (var fd = File.OpenHandle(ns, FileMode.Open, FileAccess.Read))
        {
            host.CreateVeth(veth, null, "eth9", null, (int)fd.DangerousGetHandle());
        }

        await BridgeDriver.AttachAsync(id, ns, _bridge, "eth0", _ipam.ToCidr(ip), null, "");
        Assert.Contains($"master {_bridge}", await Ip.RunAsync(["-o", "link", "show", "dev", veth]));
        Assert.DoesNotContain("eth9", await Ip.InNetnsAsync(ns, ["-o", "link"]));
        await NetnsManager.DeleteAsync(ns);
    }

    [Fact]
    public async Task Netns_CreateTwiceListDelete_Lifecycle()
    {
        var path = await _netns.CreateAsync("c3");
        Assert.Equal(path, await _netns.CreateAsync("c3"));
        Assert.True(NetnsManager.IsMountPoint(path));
        Assert.True(NetnsManager.IsNamespaceFile(path));
        Assert.False(NetnsManager.IsNamespaceFile(_netns.Directory));
        Assert.Equal(["c1", "c2", "c3"], _netns.List());
        await NetnsManager.DeleteAsync(path);
        Assert.False(File.Exists(path));
        Assert.Equal(["c1", "c2"], _netns.List());
    }

    // busybox 1.35 wget segfaults with -T: bound the time with a cancellation instead.
    private static async Task<string> WgetAsync(string netns, string url)
    {
        using var cts = new CancellationTokenSource(Timeout);
        try
        {
            return await Cmd.CheckAsync("nsenter", [$"--net={netns}", "busybox", "wget", "-q", "-O", "-", url], null, cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"wget {url} in {netns} did not finish within {Timeout}");
        }
    }

    private async Task StartHttpdAsync(string netns, int port, string content)
    {
        var root = $"/run/sktest-{_suffix}/www{port}";
        Directory.CreateDirectory(root);
        await File.WriteAllTextAsync(Path.Combine(root, "index.html"), content + "\n");
        var psi = new ProcessStartInfo("nsenter") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { $"--net={netns}", "busybox", "httpd", "-f", "-p", port.ToString(), "-h", root })
        {
            psi.ArgumentList.Add(a);
        }

        var p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start busybox httpd");
        _processes.Add(p);

        // Ready when it listens inside the namespace.
        var deadline = DateTime.UtcNow + Timeout;
        while (true)
        {
            var ss = await Cmd.RunAsync("nsenter", [$"--net={netns}", "ss", "-ltnH", $"sport = :{port}"]);
            if (ss.StdOut.Contains($":{port}"))
            {
                return;
            }

            Assert.False(p.HasExited, $"busybox httpd exited: {await p.StandardError.ReadToEndAsync()}");
            Assert.True(DateTime.UtcNow < deadline, $"busybox httpd did not listen on :{port} within {Timeout}");
            await Task.Delay(50);
        }
    }

    private static async Task RequirePrerequisitesAsync()
    {
        var id = await Cmd.RunAsync("id", ["-u"]);
        Assert.True(id.StdOut.Trim() == "0", "RealNetworkTests need root (bridges, namespaces, nftables)");
        foreach (var tool in new[] { "ip", "nft", "nsenter", "unshare", "ss", "busybox" })
        {
            var r = await Cmd.RunAsync("sh", ["-c", $"command -v {tool}"]);
            Assert.True(r.ExitCode == 0, $"prerequisite missing: {tool} is not installed");
        }
    }
}
