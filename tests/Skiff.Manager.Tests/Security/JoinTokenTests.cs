using System.Security.Cryptography;
using Skiff.Manager.Security;
using Skiff.State;

namespace Skiff.Manager.Tests.Security;

public sealed class JoinTokenTests : IDisposable
{
    private const string TokenPattern = "^SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}$";
    private readonly RootCa _ca = RootCa.Create();

    public void Dispose() => _ca.Dispose();

    [Fact]
    public void Generate_FromCaDigest_HasDockerFormat()
    {
        var token = JoinToken.Generate(_ca.Digest.Span);
        Assert.Matches(TokenPattern, token.ToString());
        Assert.Equal(Base36.Encode(_ca.Digest.Span, 50), token.CaDigest);
    }

    [Fact]
    public void Generate_SmallDigestAndSecret_AreLeftPadded()
    {
        var token = JoinToken.Generate(new byte[32]);
        Assert.Equal(new string('0', 50), token.CaDigest);
        Assert.Matches(TokenPattern, token.ToString());
    }

    [Fact]
    public void Generate_TwoCalls_HaveDifferentSecrets()
    {
        var a = JoinToken.Generate(_ca.Digest.Span);
        var b = JoinToken.Generate(_ca.Digest.Span);
        Assert.Equal(a.CaDigest, b.CaDigest);
        Assert.NotEqual(a.Secret, b.Secret);
        Assert.False(a.Matches(b));
    }

    [Fact]
    public void Generate_WrongDigestSize_Throws() =>
        Assert.Throws<ArgumentException>(() => JoinToken.Generate(new byte[20]));

    [Fact]
    public void Parse_GeneratedToken_RoundTrips()
    {
        var token = JoinToken.Generate(_ca.Digest.Span);
        var parsed = JoinToken.Parse(token.ToString());
        Assert.Equal(token.ToString(), parsed.ToString());
        Assert.True(parsed.Matches(token));
    }

    [Theory]
    [InlineData(null, "invalid join token")]
    [InlineData("", "invalid join token")]
    [InlineData("garbage", "invalid join token")]
    [InlineData("SWMTKN-1-abc", "invalid join token")]
    [InlineData("SWMTKX-1-0-0", "invalid join token")]
    [InlineData("SWMTKN-x-0-0", "invalid join token")]
    [InlineData("SWMTKN-2-0-0", "invalid join token: unsupported version 2")]
    [InlineData("SWMTKN-1-0-0-0", "invalid join token")]
    [InlineData("SWMTKN-1-abc-0000000000000000000000000", "invalid join token: the root CA digest has the wrong length")]
    [InlineData("SWMTKN-1-00000000000000000000000000000000000000000000000000-abc", "invalid join token: the secret has the wrong length")]
    [InlineData("SWMTKN-1-00000000000000000000000000000000000000000000000000-000000000000000000000000A", "invalid join token: the secret has the wrong length")]
    [InlineData("SWMTKN-1-00000000000000000000000000000000000000000000000000-zzzzzzzzzzzzzzzzzzzzzzzzz", "invalid join token: the secret has the wrong length")]
    public void Parse_Malformed_ThrowsInvalidJoinToken(string? text, string message)
    {
        var ex = Assert.Throws<InvalidJoinTokenException>(() => JoinToken.Parse(text));
        Assert.Equal(message, ex.Message);
        Assert.False(JoinToken.TryParse(text, out var parsed));
        Assert.Null(parsed);
    }

    [Fact]
    public void VerifiesCa_CaTheTokenWasMadeFor_IsTrue() =>
        Assert.True(JoinToken.Generate(_ca.Digest.Span).VerifiesCa(_ca.Certificate.RawData));

    [Fact]
    public void VerifiesCa_ForeignCa_IsFalse()
    {
        using var foreign = RootCa.Create();
        Assert.False(JoinToken.Generate(_ca.Digest.Span).VerifiesCa(foreign.Certificate.RawData));
    }

    [Fact]
    public void RoleFor_CurrentTokens_ReturnsTheirRoles()
    {
        var tokens = JoinTokens.Generate(_ca.Digest.Span);
        Assert.Equal(NodeRole.Worker, tokens.RoleFor(tokens.Worker.ToString()));
        Assert.Equal(NodeRole.Manager, tokens.RoleFor(tokens.Manager.ToString()));
        Assert.NotEqual(tokens.Worker.Secret, tokens.Manager.Secret);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("SWMTKN-1-nope")]
    public void RoleFor_Malformed_ReturnsNull(string? text) =>
        Assert.Null(JoinTokens.Generate(_ca.Digest.Span).RoleFor(text));

    [Fact]
    public void RoleFor_TokenOfAnotherCaWithSameSecret_ReturnsNull()
    {
        var tokens = JoinTokens.Generate(_ca.Digest.Span);
        var forged = $"SWMTKN-1-{Base36.Encode(SHA256.HashData([1, 2, 3]), 50)}-{tokens.Worker.Secret}";
        Assert.Null(tokens.RoleFor(forged));
    }

    [Fact]
    public void Rotate_Worker_OldWorkerTokenStopsWorkingManagerUnchanged()
    {
        var before = JoinTokens.Generate(_ca.Digest.Span);
        var after = before.Rotate(NodeRole.Worker);

        Assert.Same(before.Manager, after.Manager);
        Assert.Equal(before.Worker.CaDigest, after.Worker.CaDigest);
        Assert.Null(after.RoleFor(before.Worker.ToString()));
        Assert.Equal(NodeRole.Worker, after.RoleFor(after.Worker.ToString()));
        Assert.Equal(NodeRole.Manager, after.RoleFor(before.Manager.ToString()));
    }

    [Fact]
    public void Rotate_Manager_OldManagerTokenStopsWorkingWorkerUnchanged()
    {
        var before = JoinTokens.Generate(_ca.Digest.Span);
        var after = before.Rotate(NodeRole.Manager);

        Assert.Same(before.Worker, after.Worker);
        Assert.Null(after.RoleFor(before.Manager.ToString()));
        Assert.Equal(NodeRole.Manager, after.RoleFor(after.Manager.ToString()));
        Assert.Equal(NodeRole.Worker, after.RoleFor(before.Worker.ToString()));
    }
}
