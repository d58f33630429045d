using System.Text;
using Skiff.Cli.Connection;

namespace Skiff.Cli.Tests.Connection;

public class ConnectionTests
{
    [Theory]
    [InlineData(null, null, null, "unix:///run/skiff/skiff.sock")]
    [InlineData("unix:///tmp/a.sock", "unix:///tmp/b.sock", "unix:///tmp/c.sock", "unix:///tmp/a.sock")]
    [InlineData(null, "unix:///tmp/b.sock", "unix:///tmp/c.sock", "unix:///tmp/b.sock")]
    [InlineData(null, null, "tcp://10.0.0.1:2375", "tcp://10.0.0.1:2375")]
    public void Resolve_Precedence_FlagThenSkiffHostThenDockerHost(string? flag, string? skiffHost, string? dockerHost, string expected)
    {
        var spec = HostSpec.Resolve(flag, n => n == "SKIFF_HOST" ? skiffHost : n == "DOCKER_HOST" ? dockerHost : null, null);
        Assert.Equal(expected, spec.Original);
    }

    [Fact]
    public void Parse_Tcp_HostAndPort()
    {
        var spec = HostSpec.Parse("tcp://192.168.1.5:2376", new TlsSettings("ca.pem", "cert.pem", "key.pem", true));
        Assert.Equal(("tcp", "192.168.1.5", 2376), (spec.Scheme, spec.Address, spec.Port));
        Assert.NotNull(spec.Tls);
        Assert.Equal(2375, HostSpec.Parse("tcp://example", null).Port);
    }

    [Fact]
    public void Parse_UnknownScheme_Throws()
    {
        Assert.Throws<CliException>(() => HostSpec.Parse("ssh://user@host", null));
    }

    [Fact]
    public async Task Demux_Frames_SplitByStreamType()
    {
        var input = new MemoryStream([.. StdCopy.Frame(1, "a"u8), .. StdCopy.Frame(2, "bb"u8), .. StdCopy.Frame(1, "c\n"u8)]);
        var stdout = new MemoryStream();
        var stderr = new MemoryStream();
        await StdCopy.DemuxAsync(input, stdout, stderr);
        Assert.Equal("ac\n", Encoding.UTF8.GetString(stdout.ToArray()));
        Assert.Equal("bb", Encoding.UTF8.GetString(stderr.ToArray()));
    }

    [Fact]
    public async Task Demux_TruncatedHeader_Throws()
    {
        var input = new MemoryStream([1, 0, 0]);
        await Assert.ThrowsAsync<IOException>(() => StdCopy.DemuxAsync(input, Stream.Null, Stream.Null));
    }

    [Fact]
    public async Task ReadResponseHead_Upgrade_StopsAtBlankLine()
    {
        var bytes = Encoding.ASCII.GetBytes("HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\nRAW");
        var stream = new MemoryStream(bytes);
        var (status, headers) = await EngineClient.ReadResponseHeadAsync(stream, CancellationToken.None);
        Assert.Equal(101, status);
        Assert.Equal("tcp", headers["upgrade"]);
        var rest = new byte[3];
        await stream.ReadExactlyAsync(rest);
        Assert.Equal("RAW", Encoding.ASCII.GetString(rest));
    }

    [Fact]
    public void ParseErrorMessage_JsonBody_ReturnsMessage()
    {
        Assert.Equal("No such container: x", EngineClient.ParseErrorMessage("{\"message\":\"No such container: x\"}", 404));
        Assert.Equal("plain text", EngineClient.ParseErrorMessage("plain text\n", 500));
    }
}
