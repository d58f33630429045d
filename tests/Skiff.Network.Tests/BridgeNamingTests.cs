namespace Skiff.Network.Tests;

public class BridgeNamingTests
{
    [Theory]
    [InlineData("0123456789abcdef0123", 0, "sk0123456789ab0")]
    [InlineData("0123456789abcdef0123", 12, "sk0123456789a12")]
    [InlineData("abc", 1, "skabc1")]
    public void HostVethName_IdAndIndex_AtMost15Chars(string id, int index, string expected)
    {
        var name = BridgeDriver.HostVethName(id, index);
        Assert.Equal(expected, name);
        Assert.True(name.Length <= 15);
    }
}
