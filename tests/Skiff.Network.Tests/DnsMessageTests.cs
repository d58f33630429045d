using System.Net;

namespace Skiff.Network.Tests;

public class DnsMessageTests
{
    private static EmbeddedDns Server(IReadOnlyList<IPEndPoint>? upstreams = null) => new(
        "net1",
        new IPEndPoint(IPAddress.Loopback, 0),
        (net, name) => net == "net1" && name is "web" or "web.alias" or "0123456789ab" ? [IPAddress.Parse("10.210.1.2")] : [],
        upstreams ?? []);

    [Fact]
    public void BuildQuery_ParseQuery_RoundTrips()
    {
        var q = DnsMessage.ParseQuery(DnsMessage.BuildQuery(0x1234, "Web.Example.", DnsMessage.TypeAaaa));
        Assert.NotNull(q);
        Assert.Equal(0x1234, q.Id);
        Assert.Equal("Web.Example", q.Name);
        Assert.Equal(DnsMessage.TypeAaaa, q.Type);
    }

    [Theory]
    [InlineData("web")]
    [InlineData("WEB.")]
    [InlineData("Web.Alias")]
    [InlineData("0123456789AB")]
    public async Task Handle_KnownNameAnyCase_AnswersA(string name)
    {
        await using var dns = Server();
        var resp = await dns.HandleAsync(DnsMessage.BuildQuery(7, name), CancellationToken.None);
        var (rcode, addrs) = DnsMessage.ParseResponse(resp);
        Assert.Equal(DnsMessage.RcodeNoError, rcode);
        Assert.Equal([IPAddress.Parse("10.210.1.2")], addrs);
        Assert.Equal(7, resp![1]);
    }

    [Fact]
    public async Task Handle_KnownNameAaaa_NoData()
    {
        await using var dns = Server();
        var (rcode, addrs) = DnsMessage.ParseResponse(await dns.HandleAsync(DnsMessage.BuildQuery(7, "web", DnsMessage.TypeAaaa), CancellationToken.None));
        Assert.Equal(DnsMessage.RcodeNoError, rcode);
        Assert.Empty(addrs);
    }

    [Fact]
    public async Task Handle_UnknownNameNoUpstream_NxDomain()
    {
        await using var dns = Server();
        var (rcode, addrs) = DnsMessage.ParseResponse(await dns.HandleAsync(DnsMessage.BuildQuery(7, "nope"), CancellationToken.None));
        Assert.Equal(DnsMessage.RcodeNxDomain, rcode);
        Assert.Empty(addrs);
    }

    [Fact]
    public async Task Handle_Garbage_FormErrOrNothing()
    {
        await using var dns = Server();
        Assert.Null(await dns.HandleAsync([1, 2, 3], CancellationToken.None));
        var bad = new byte[12];
        bad[5] = 2; // two questions
        var resp = await dns.HandleAsync(bad, CancellationToken.None);
        Assert.Equal(DnsMessage.RcodeFormErr, DnsMessage.ParseResponse(resp).Rcode);
    }

    [Fact]
    public async Task Handle_UpstreamSilent_ServFail()
    {
        // A bound UDP socket that never answers: the forwarder times out and answers SERVFAIL.
        using var silent = new System.Net.Sockets.UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        await using var dns = Server([(IPEndPoint)silent.Client.LocalEndPoint!]);
        var resp = await dns.HandleAsync(DnsMessage.BuildQuery(9, "elsewhere.example"), CancellationToken.None);
        Assert.Equal(DnsMessage.RcodeServFail, DnsMessage.ParseResponse(resp).Rcode);
    }

    [Fact]
    public void ReadUpstreams_ResolvConf_NameserversOnPort53()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "# c\nsearch x\nnameserver 127.0.0.53\nnameserver  fe80::1%eth0\noptions edns0\n");
            Assert.Equal(["127.0.0.53:53", "[fe80::1]:53"], EmbeddedDns.ReadUpstreams(path).Select(e => e.ToString()));
        }
        finally
        {
            File.Delete(path);
        }
    }
}

public class DnsForwardingTests
{
    [Fact]
    public async Task Handle_UnknownNameWithUpstream_RelaysUpstreamAnswer()
    {
        // Fake upstream on loopback answering every A query with 192.0.2.7.
        using var upstream = new System.Net.Sockets.UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var serve = Task.Run(async () =>
        {
            var r = await upstream.ReceiveAsync().WaitAsync(TimeSpan.FromSeconds(10));
            var q = DnsMessage.ParseQuery(r.Buffer)!;
            var answer = DnsMessage.BuildResponse(r.Buffer, q, DnsMessage.RcodeNoError, [IPAddress.Parse("192.0.2.7")], 60);
            await upstream.SendAsync(answer, r.RemoteEndPoint);
            return q.Name;
        });
        await using var dns = new EmbeddedDns(
            "n", new IPEndPoint(IPAddress.Loopback, 0), (_, _) => [], [(IPEndPoint)upstream.Client.LocalEndPoint!]);

        var resp = await dns.HandleAsync(DnsMessage.BuildQuery(77, "example.org"), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal("example.org", await serve);
        var (rcode, addrs) = DnsMessage.ParseResponse(resp);
        Assert.Equal(DnsMessage.RcodeNoError, rcode);
        Assert.Equal([IPAddress.Parse("192.0.2.7")], addrs);
        Assert.Equal(77, resp![1]);
    }

    [Fact]
    public async Task Start_UdpOnLoopback_AnswersOverTheWire()
    {
        var port = 0;
        using (var probe = new System.Net.Sockets.UdpClient(new IPEndPoint(IPAddress.Loopback, 0)))
        {
            port = ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
        }

        await using var dns = new EmbeddedDns("n", new IPEndPoint(IPAddress.Loopback, port), (_, n) => n == "db" ? [IPAddress.Parse("10.210.0.9")] : [], []);
        dns.Start();
        using var client = new System.Net.Sockets.UdpClient();
        await client.SendAsync(DnsMessage.BuildQuery(5, "DB."), new IPEndPoint(IPAddress.Loopback, port));
        var r = await client.ReceiveAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal([IPAddress.Parse("10.210.0.9")], DnsMessage.ParseResponse(r.Buffer).Addresses);
    }
}
