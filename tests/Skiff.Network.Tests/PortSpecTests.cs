using Skiff.Api;

namespace Skiff.Network.Tests;

public class PortSpecTests
{
    public static TheoryData<string, string[]> Valid => new()
    {
        // spec, expected "port|hostIp|hostPort" per mapping
        { "80", ["80/tcp||"] },
        { "80/udp", ["80/udp||"] },
        { "80/", ["80/tcp||"] },
        { "80/UDP", ["80/udp||"] },
        { "8080:80", ["80/tcp||8080"] },
        { "127.0.0.1:8080:80", ["80/tcp|127.0.0.1|8080"] },
        { "127.0.0.1::80", ["80/tcp|127.0.0.1|"] },
        { "[::1]:8080:80/udp", ["80/udp|::1|8080"] },
        { "::1:8080:80", ["80/tcp|::1|8080"] },
        { "[::]:80:80", ["80/tcp|::|80"] },
        { "8000-8001:80-81", ["80/tcp||8000", "81/tcp||8001"] },
        { "80-81", ["80/tcp||", "81/tcp||"] },
        { "8000-8010:80", ["80/tcp||8000-8010"] },
        { "0.0.0.0:8000-8001:80-81/sctp", ["80/sctp|0.0.0.0|8000", "81/sctp|0.0.0.0|8001"] },
        { "080:0080", ["80/tcp||80"] },
        { "65535:65535", ["65535/tcp||65535"] },
        { "1-2-3", ["1/tcp||", "2/tcp||"] },
    };

    [Theory]
    [MemberData(nameof(Valid))]
    public void ParseSpec_Valid_MatchesDocker(string spec, string[] expected)
    {
        var got = PortSpec.ParseSpec(spec).Select(m => $"{m.Port}|{m.Binding.HostIp}|{m.Binding.HostPort}");
        Assert.Equal(expected, got);
    }

    [Theory]
    [InlineData("", "No port specified: <empty>")]
    [InlineData("8080:", "No port specified: 8080:<empty>")]
    [InlineData("/tcp", "No port specified: /tcp<empty>")]
    [InlineData("x", "invalid containerPort: x")]
    [InlineData("65536", "invalid containerPort: 65536")]
    [InlineData("-1", "invalid containerPort: -1")]
    [InlineData("81-80", "invalid containerPort: 81-80")]
    [InlineData("+80", "invalid containerPort: +80")]
    [InlineData("x:80", "invalid hostPort: x")]
    [InlineData("8081-8080:80", "invalid hostPort: 8081-8080")]
    [InlineData("80/xyz", "invalid proto: xyz")]
    [InlineData("1.2.3:80:80", "Invalid ip address: 1.2.3")]
    [InlineData("localhost:80:80", "Invalid ip address: localhost")]
    [InlineData("256.0.0.1:80:80", "Invalid ip address: 256.0.0.1")]
    [InlineData("8000-8002:80-81", "Invalid ranges specified for container and host Ports: 80-81 and 8000-8002")]
    [InlineData("8000:80-81", "Invalid ranges specified for container and host Ports: 80-81 and 8000")]
    public void ParseSpec_Malformed_ThrowsBadRequestWithDockerMessage(string spec, string message)
    {
        var e = Assert.Throws<BadRequestException>(() => PortSpec.ParseSpec(spec));
        Assert.Equal(message, e.Message);
        Assert.Equal(400, e.StatusCode);
    }

    [Fact]
    public void ParseSpecs_SamePortTwice_OneExposedPortTwoBindings()
    {
        var r = PortSpec.ParseSpecs(["8080:80", "127.0.0.1:9090:80", "53/udp"]);
        Assert.Equal(["80/tcp", "53/udp"], r.ExposedPorts.Keys);
        Assert.Equal(2, r.PortBindings["80/tcp"].Count);
        Assert.Equal("9090", r.PortBindings["80/tcp"][1].HostPort);
        Assert.Equal("127.0.0.1", r.PortBindings["80/tcp"][1].HostIp);
        Assert.Equal("", r.PortBindings["53/udp"][0].HostPort);
        Assert.Equal("", r.PortBindings["53/udp"][0].HostIp);
    }
}
