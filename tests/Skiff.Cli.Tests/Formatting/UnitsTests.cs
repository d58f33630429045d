using Skiff.Cli.Formatting;

namespace Skiff.Cli.Tests.Formatting;

public class UnitsTests
{
    [Theory]
    [InlineData(0.5, "Less than a second")]
    [InlineData(1, "1 second")]
    [InlineData(45, "45 seconds")]
    [InlineData(60, "About a minute")]
    [InlineData(5 * 60, "5 minutes")]
    [InlineData(3600, "About an hour")]
    [InlineData(2 * 3600, "2 hours")]
    [InlineData(2 * 86400, "2 days")]
    [InlineData(21 * 86400, "3 weeks")]
    [InlineData(125 * 86400, "4 months")]
    [InlineData(2 * 366 * 86400, "2 years")]
    public void HumanDuration_Seconds_MatchesGoUnits(double seconds, string expected)
    {
        Assert.Equal(expected, Units.HumanDuration(TimeSpan.FromSeconds(seconds)));
    }

    [Theory]
    [InlineData(4_264_813, "4.26MB")]
    [InlineData(0, "0B")]
    [InlineData(999, "999B")]
    [InlineData(1_000, "1kB")]
    [InlineData(1_234_567_890, "1.23GB")]
    [InlineData(72_800_000, "72.8MB")]
    public void HumanSizeWithPrecision_Precision3_DecimalUnits(long size, string expected)
    {
        Assert.Equal(expected, Units.HumanSizeWithPrecision(size, 3));
    }

    [Fact]
    public void BytesSize_Gibibytes_BinaryUnits()
    {
        Assert.Equal("7.763GiB", Units.BytesSize(8_335_421_440));
    }

    [Theory]
    [InlineData("512m", 512L * 1024 * 1024)]
    [InlineData("1g", 1024L * 1024 * 1024)]
    [InlineData("1G", 1024L * 1024 * 1024)]
    [InlineData("64k", 64L * 1024)]
    [InlineData("1.5g", 1610612736L)]
    [InlineData("100", 100L)]
    [InlineData("10mb", 10L * 1024 * 1024)]
    public void RamInBytes_Suffixes_BinaryMultipliers(string text, long expected)
    {
        Assert.Equal(expected, Units.RamInBytes(text));
    }

    [Fact]
    public void RamInBytes_Garbage_ThrowsDockerMessage()
    {
        var e = Assert.Throws<FormatException>(() => Units.RamInBytes("foo"));
        Assert.Equal("invalid size: 'foo'", e.Message);
    }

    [Theory]
    [InlineData("30s", 30_000_000_000L)]
    [InlineData("1m30s", 90_000_000_000L)]
    [InlineData("500ms", 500_000_000L)]
    [InlineData("2h", 7_200_000_000_000L)]
    public void ParseGoDuration_Units_Nanoseconds(string text, long nanos)
    {
        Assert.Equal(nanos, Units.ToNanoseconds(Units.ParseGoDuration(text)));
    }

    [Fact]
    public void TryParseGoDuration_NoUnit_Fails()
    {
        Assert.False(Units.TryParseGoDuration("30", out _));
    }
}
