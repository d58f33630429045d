using Skiff.Api;
using Skiff.Runtime.Containers;

namespace Skiff.Runtime.Tests.Containers;

public sealed class RestartPoliciesTests
{
    [Theory]
    [InlineData(null, 0, false)]
    [InlineData("", 0, false)]
    [InlineData("no", 0, false)]
    [InlineData("always", 0, false)]
    [InlineData("unless-stopped", 0, false)]
    [InlineData("on-failure", 0, false)]
    [InlineData("on-failure", 5, false)]
    [InlineData("no", 0, true)]
    public void Validate_ValidPolicies_DoNotThrow(string? name, int retries, bool autoRemove)
    {
        var p = name is null ? null : new RestartPolicy { Name = name, MaximumRetryCount = retries };

        RestartPolicies.Validate(p, autoRemove);
    }

    [Theory]
    [InlineData("sometimes", 0, false, "invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'")]
    [InlineData("always", 3, false, "invalid restart policy: maximum retry count can only be used with 'on-failure'")]
    [InlineData("unless-stopped", 1, false, "invalid restart policy: maximum retry count can only be used with 'on-failure'")]
    [InlineData("no", 2, false, "invalid restart policy: maximum retry count can only be used with 'on-failure'")]
    [InlineData("on-failure", -1, false, "invalid restart policy: maximum retry count cannot be negative")]
    [InlineData("always", 0, true, "can't create 'AutoRemove' container with restart policy")]
    [InlineData("on-failure", 3, true, "can't create 'AutoRemove' container with restart policy")]
    public void Validate_InvalidPolicies_ThrowBadRequestWithDockerMessage(string name, int retries, bool autoRemove, string message)
    {
        var ex = Assert.Throws<BadRequestException>(() => RestartPolicies.Validate(new RestartPolicy { Name = name, MaximumRetryCount = retries }, autoRemove));

        Assert.Equal(message, ex.Message);
        Assert.Equal(400, ex.StatusCode);
    }

    [Theory]
    [InlineData(null, 1, 0, false, false)]
    [InlineData("no", 1, 0, false, false)]
    [InlineData("always", 0, 0, false, true)]
    [InlineData("always", 1, 100, false, true)]
    [InlineData("always", 1, 0, true, false)]
    [InlineData("unless-stopped", 0, 0, false, true)]
    [InlineData("unless-stopped", 1, 0, true, false)]
    [InlineData("on-failure", 0, 0, false, false)]
    [InlineData("on-failure", 1, 0, false, true)]
    [InlineData("on-failure", 137, 50, false, true)]
    [InlineData("on-failure", 1, 0, true, false)]
    public void ShouldRestart_Table(string? name, int exitCode, int restartCount, bool manuallyStopped, bool expected)
    {
        var p = name is null ? null : new RestartPolicy { Name = name };

        Assert.Equal(expected, RestartPolicies.ShouldRestart(p, exitCode, restartCount, manuallyStopped));
    }

    [Theory]
    [InlineData(3, 0, true)]
    [InlineData(3, 2, true)]
    [InlineData(3, 3, false)]
    [InlineData(3, 4, false)]
    [InlineData(1, 0, true)]
    [InlineData(1, 1, false)]
    public void ShouldRestart_OnFailureWithMaxRetries_StopsAtTheLimit(int max, int restartCount, bool expected)
    {
        var p = new RestartPolicy { Name = "on-failure", MaximumRetryCount = max };

        Assert.Equal(expected, RestartPolicies.ShouldRestart(p, 1, restartCount, false));
    }

    [Fact]
    public void NextDelay_FirstRestart_IsInitialDelay()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(100), RestartPolicies.NextDelay(TimeSpan.Zero, TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void NextDelay_QuickExits_DoubleUpToOneMinute()
    {
        var delays = new List<TimeSpan>();
        var d = TimeSpan.Zero;
        for (var i = 0; i < 12; i++)
        {
            d = RestartPolicies.NextDelay(d, TimeSpan.FromMilliseconds(50));
            delays.Add(d);
        }

        Assert.Equal(
            [100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 51200, 60000, 60000],
            delays.Select(x => (int)x.TotalMilliseconds));
    }

    [Theory]
    [InlineData(10_000)]
    [InlineData(10_001)]
    [InlineData(3_600_000)]
    public void NextDelay_RanTenSecondsOrMore_ResetsToInitial(int ranMs)
    {
        Assert.Equal(RestartPolicies.InitialDelay, RestartPolicies.NextDelay(TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(ranMs)));
    }

    [Fact]
    public void NextDelay_RanJustUnderTenSeconds_KeepsDoubling()
    {
        Assert.Equal(TimeSpan.FromSeconds(2), RestartPolicies.NextDelay(TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(9_999)));
    }
}
