namespace Skiff.Compose.Tests;

public sealed class ComposeParsersTests
{
    private static string Show(ServicePort p) => $"{p.HostIp}|{p.Published}|{p.Target}|{p.Protocol}|{p.Mode}";

    [Theory]
    [InlineData("5000:5000", "|5000|5000|tcp|ingress")]
    [InlineData("80", "||80|tcp|ingress")]
    [InlineData("127.0.0.1:80:80/udp", "127.0.0.1|80|80|udp|ingress")]
    [InlineData("[::1]:80:80", "::1|80|80|tcp|ingress")]
    [InlineData("::1:6000:6000", "::1|6000|6000|tcp|ingress")]
    [InlineData("127.0.0.1::5000", "127.0.0.1||5000|tcp|ingress")]
    [InlineData("8000-9000:80", "|8000-9000|80|tcp|ingress")]
    [InlineData("6060:6060/sctp", "|6060|6060|sctp|ingress")]
    public void PortParser_ShortSyntax_SinglePort(string spec, string expected)
    {
        Assert.Equal(expected, Show(Assert.Single(PortParser.ParseShort(spec))));
    }

    [Fact]
    public void PortParser_ContainerRange_OnePortEach()
    {
        Assert.Equal(["||3000|tcp|ingress", "||3001|tcp|ingress", "||3002|tcp|ingress"], PortParser.ParseShort("3000-3002").Select(Show));
    }

    [Fact]
    public void PortParser_BothRanges_PairedPorts()
    {
        Assert.Equal(["|9090|8080|tcp|ingress", "|9091|8081|tcp|ingress"], PortParser.ParseShort("9090-9091:8080-8081").Select(Show));
    }

    [Theory]
    [InlineData("80:80:80", "invalid IP address \"80\"")]
    [InlineData("abc", "invalid container port \"abc\"")]
    [InlineData("70000", "invalid container port \"70000\"")]
    [InlineData("1-3:1-2", "invalid ranges specified for container and host ports")]
    [InlineData("80/", "empty protocol")]
    [InlineData("5-1", "invalid container port range 5-1")]
    public void PortParser_Invalid_Throws(string spec, string message)
    {
        Assert.Equal(message, Assert.Throws<FormatException>(() => PortParser.ParseShort(spec)).Message);
    }

    [Theory]
    [InlineData(".:/code", "Bind|/proj|/code|False")]
    [InlineData("./data:/data:ro", "Bind|/proj/data|/data|True")]
    [InlineData("../x:/x", "Bind|/x|/x|False")]
    [InlineData("/abs:/x:ro", "Bind|/abs|/x|True")]
    [InlineData("~/cfg:/cfg", "Bind|/home/u/cfg|/cfg|False")]
    [InlineData("logvolume01:/var/log", "Volume|logvolume01|/var/log|False")]
    [InlineData("/anon", "Volume||/anon|False")]
    [InlineData("data:/d:rw,nocopy", "Volume|data|/d|False")]
    public void VolumeParser_ShortSyntax_LongForm(string spec, string expected)
    {
        var v = VolumeParser.ParseShort(spec, "/proj", "/home/u");
        Assert.Equal(expected, $"{v.Type}|{v.Source}|{v.Target}|{v.ReadOnly}");
        Assert.Equal(v.Type == VolumeType.Bind, v.CreateHostPath);
    }

    [Theory]
    [InlineData("a:b:c:d")]
    [InlineData("data:/d:bogus")]
    [InlineData(":/d")]
    public void VolumeParser_Invalid_Throws(string spec)
    {
        Assert.Throws<FormatException>(() => VolumeParser.ParseShort(spec, "/proj"));
    }

    [Theory]
    [InlineData("10s", 10_000)]
    [InlineData("1m30s", 90_000)]
    [InlineData("1.5h", 5_400_000)]
    [InlineData("500ms", 500)]
    [InlineData("0", 0)]
    [InlineData("2h45m", 9_900_000)]
    public void ParseDuration_GoSyntax_Milliseconds(string text, long ms)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(ms), ComposeUnits.ParseDuration(text));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("s")]
    [InlineData("10x")]
    [InlineData("")]
    public void ParseDuration_Invalid_Throws(string text)
    {
        Assert.Throws<FormatException>(() => ComposeUnits.ParseDuration(text));
    }

    [Theory]
    [InlineData(90_000, "1m30s")]
    [InlineData(10_000, "10s")]
    [InlineData(500, "500ms")]
    [InlineData(3_600_000, "1h0m0s")]
    public void FormatDuration_GoStyle(long ms, string expected)
    {
        Assert.Equal(expected, ComposeUnits.FormatDuration(TimeSpan.FromMilliseconds(ms)));
    }

    [Theory]
    [InlineData("50M", 52_428_800)]
    [InlineData("1g", 1_073_741_824)]
    [InlineData("512kb", 524_288)]
    [InlineData("1024", 1024)]
    [InlineData("1.5m", 1_572_864)]
    public void ParseBytes_Units_Bytes(string text, long bytes)
    {
        Assert.Equal(bytes, ComposeUnits.ParseBytes(text));
    }

    [Theory]
    [InlineData("50X")]
    [InlineData("M")]
    public void ParseBytes_Invalid_Throws(string text)
    {
        Assert.Throws<FormatException>(() => ComposeUnits.ParseBytes(text));
    }

    [Theory]
    [InlineData("0.1", 100_000_000)]
    [InlineData("2", 2_000_000_000)]
    [InlineData("1.5", 1_500_000_000)]
    public void ParseNanoCpus_Decimal_Nano(string text, long nano)
    {
        Assert.Equal(nano, ComposeUnits.ParseNanoCpus(text));
    }

    [Theory]
    [InlineData("echo hi", new[] { "echo", "hi" })]
    [InlineData("sh -c 'echo a b'", new[] { "sh", "-c", "echo a b" })]
    [InlineData("a \"b \\\" c\"  d", new[] { "a", "b \" c", "d" })]
    public void SplitCommand_ShellWords(string text, string[] expected)
    {
        Assert.Equal(expected, ComposeUnits.SplitCommand(text));
    }
}
