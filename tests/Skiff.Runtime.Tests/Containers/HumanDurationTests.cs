using Skiff.Runtime.Containers;

namespace Skiff.Runtime.Tests.Containers;

/// <summary>docker/go-units duration_test.go, plus its rounding edges.</summary>
public sealed class HumanDurationTests
{
    private const long Day = 24L * 3600;
    private const long Week = 7 * Day;
    private const long Month = 30 * Day;
    private const long Year = 365 * Day;

    public static TheoryData<long, string> GoUnitsTable() => new()
    {
        { 1, "1 second" },
        { 45, "45 seconds" },
        { 46, "46 seconds" },
        { 59, "59 seconds" },
        { 60, "About a minute" },
        { 3 * 60, "3 minutes" },
        { 35 * 60, "35 minutes" },
        { (35 * 60) + 40, "35 minutes" },
        { 45 * 60, "45 minutes" },
        { (45 * 60) + 40, "45 minutes" },
        { 46 * 60, "46 minutes" },
        { 59 * 60, "59 minutes" },
        { 3600, "About an hour" },
        { 3600 + (29 * 60), "About an hour" },
        { 3600 + (31 * 60), "2 hours" },
        { 3600 + (59 * 60), "2 hours" },
        { 3 * 3600, "3 hours" },
        { (3 * 3600) + (29 * 60), "3 hours" },
        { (3 * 3600) + (31 * 60), "4 hours" },
        { (3 * 3600) + (59 * 60), "4 hours" },
        { (3 * 3600) + (60 * 60), "4 hours" },
        { 24 * 3600, "24 hours" },
        { Day + (12 * 3600), "36 hours" },
        { 2 * Day, "2 days" },
        { 7 * Day, "7 days" },
        { (13 * Day) + (5 * 3600), "13 days" },
        { 2 * Week, "2 weeks" },
        { (2 * Week) + (4 * Day), "2 weeks" },
        { 3 * Week, "3 weeks" },
        { 4 * Week, "4 weeks" },
        { (4 * Week) + (3 * Day), "4 weeks" },
        { Month, "4 weeks" },
        { Month + (2 * Week), "6 weeks" },
        { 2 * Month, "2 months" },
        { (2 * Month) + (2 * Week), "2 months" },
        { 3 * Month, "3 months" },
        { (3 * Month) + Week, "3 months" },
        { (5 * Month) + (2 * Week), "5 months" },
        { 13 * Month, "13 months" },
        { 23 * Month, "23 months" },
        { 24 * Month, "24 months" },
        { (24 * Month) + (2 * Week), "2 years" },
        { (3 * Year) + (2 * Month), "3 years" },
    };

    [Theory]
    [MemberData(nameof(GoUnitsTable))]
    public void HumanDuration_GoUnitsTable_Matches(long seconds, string expected)
    {
        Assert.Equal(expected, ContainerManager.HumanDuration(TimeSpan.FromSeconds(seconds)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(450)]
    [InlineData(999)]
    public void HumanDuration_UnderOneSecond_LessThanASecond(int ms)
    {
        Assert.Equal("Less than a second", ContainerManager.HumanDuration(TimeSpan.FromMilliseconds(ms)));
    }

    [Fact]
    public void HumanDuration_NegativeClockSkew_LessThanASecond()
    {
        Assert.Equal("Less than a second", ContainerManager.HumanDuration(TimeSpan.FromSeconds(-5)));
    }

    [Theory]
    [InlineData(90, "2 hours")]
    [InlineData(150, "3 hours")]
    [InlineData(210, "4 hours")]
    [InlineData(270, "5 hours")]
    public void HumanDuration_ExactHalfHours_RoundHalfUpLikeGo(int minutes, string expected)
    {
        // go-units: int(d.Hours() + 0.5), never banker's rounding.
        Assert.Equal(expected, ContainerManager.HumanDuration(TimeSpan.FromMinutes(minutes)));
    }

    [Fact]
    public void HumanDuration_JustUnderTwoYears_YearsUseTruncatedHoursLikeGo()
    {
        // 17519.6 h: rounded hours (17520) leave the months branch, then years = int(d.Hours())/24/365 = 1.
        Assert.Equal("1 years", ContainerManager.HumanDuration(TimeSpan.FromHours(17519.6)));
    }
}
