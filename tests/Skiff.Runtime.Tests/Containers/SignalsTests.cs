using Skiff.Api;
using Skiff.Runtime.Containers;

namespace Skiff.Runtime.Tests.Containers;

public sealed class SignalsTests
{
    [Theory]
    [InlineData("SIGKILL", "SIGKILL")]
    [InlineData("KILL", "SIGKILL")]
    [InlineData("kill", "SIGKILL")]
    [InlineData("sigterm", "SIGTERM")]
    [InlineData("9", "SIGKILL")]
    [InlineData("15", "SIGTERM")]
    [InlineData("1", "SIGHUP")]
    [InlineData(" hup ", "SIGHUP")]
    [InlineData("USR1", "SIGUSR1")]
    [InlineData("SIGWINCH", "SIGWINCH")]
    [InlineData("31", "SIGSYS")]
    public void Normalise_KnownForms_ReturnsCanonicalName(string input, string expected)
    {
        Assert.Equal(expected, Signals.Normalise(input));
    }

    [Theory]
    [InlineData("SIGFOO")]
    [InlineData("foo")]
    [InlineData("0")]
    [InlineData("32")]
    [InlineData("99")]
    [InlineData("-9")]
    [InlineData("")]
    [InlineData("SIG")]
    public void Normalise_Invalid_ThrowsBadRequest(string input)
    {
        var ex = Assert.Throws<BadRequestException>(() => Signals.Normalise(input));

        Assert.Equal("Invalid signal: " + input, ex.Message);
    }

    [Theory]
    [InlineData("SIGKILL", 9)]
    [InlineData("SIGTERM", 15)]
    [InlineData("SIGINT", 2)]
    public void Number_Normalised_ReturnsLinuxNumber(string name, int number)
    {
        Assert.Equal(number, Signals.Number(name));
    }
}
