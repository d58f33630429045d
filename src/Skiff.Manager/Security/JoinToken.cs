using System.Security.Cryptography;
using System.Text;
using Skiff.State;

namespace Skiff.Manager.Security;

/// <summary>A join token that cannot be parsed; the message follows Docker's ("invalid join token").</summary>
public sealed class InvalidJoinTokenException : FormatException
{
    public InvalidJoinTokenException()
        : base("invalid join token")
    {
    }

    public InvalidJoinTokenException(string message)
        : base(message)
    {
    }

    public InvalidJoinTokenException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// A swarmkit v1 join token (a class, not a record: equality must go through the constant-time <see cref="Matches"/>): <c>SWMTKN-1-&lt;SHA-256 of the root CA, base 36, 50 chars&gt;-&lt;128-bit secret, base 36, 25 chars&gt;</c>.
/// </summary>
public sealed class JoinToken
{
    public const string Prefix = "SWMTKN";
    public const int Version = 1;
    public const int DigestLength = 50;
    public const int SecretLength = 25;
    private const int DigestBytes = 32;
    private const int SecretBytes = 16;

    private JoinToken(string caDigest, string secret)
    {
        CaDigest = caDigest;
        Secret = secret;
    }

    /// <summary>The root CA digest part (50 base-36 chars).</summary>
    public string CaDigest { get; }

    /// <summary>The secret part (25 base-36 chars). Never log it.</summary>
    public string Secret { get; }

    public override string ToString() => $"{Prefix}-{Version}-{CaDigest}-{Secret}";

    /// <summary>A new token for a root CA whose SHA-256 digest is <paramref name="rootCaDigest"/>.</summary>
    public static JoinToken Generate(ReadOnlySpan<byte> rootCaDigest)
    {
        if (rootCaDigest.Length != DigestBytes)
        {
            throw new ArgumentException("the root CA digest must be a 32-byte SHA-256", nameof(rootCaDigest));
        }
        Span<byte> secret = stackalloc byte[SecretBytes];
        RandomNumberGenerator.Fill(secret);
        return new JoinToken(Base36.Encode(rootCaDigest, DigestLength), Base36.Encode(secret, SecretLength));
    }

    public static JoinToken Parse(string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            throw new InvalidJoinTokenException();
        }
        var parts = token.Split('-');
        if (parts.Length < 4 || parts[0] != Prefix)
        {
            throw new InvalidJoinTokenException();
        }
        if (parts[1] != Version.ToString())
        {
            throw new InvalidJoinTokenException(
                int.TryParse(parts[1], out _)
                    ? $"invalid join token: unsupported version {parts[1]}"
                    : "invalid join token");
        }
        if (parts.Length != 4)
        {
            throw new InvalidJoinTokenException();
        }
        if (parts[2].Length != DigestLength || !IsDigestValue(parts[2]))
        {
            throw new InvalidJoinTokenException("invalid join token: the root CA digest has the wrong length");
        }
        if (parts[3].Length != SecretLength || !IsSecretValue(parts[3]))
        {
            throw new InvalidJoinTokenException("invalid join token: the secret has the wrong length");
        }
        return new JoinToken(parts[2], parts[3]);
    }

    public static bool TryParse(string? token, out JoinToken? result)
    {
        try
        {
            result = Parse(token);
            return true;
        }
        catch (InvalidJoinTokenException)
        {
            result = null;
            return false;
        }
    }

    /// <summary>True if the CA certificate the joining node was shown has the digest this token pins.</summary>
    public bool VerifiesCa(ReadOnlySpan<byte> presentedCaCertificateDer)
    {
        var presented = Base36.Encode(RootCa.ComputeDigest(presentedCaCertificateDer), DigestLength);
        return FixedTimeEquals(presented, CaDigest);
    }

    /// <summary>Constant-time comparison of both parts.</summary>
    public bool Matches(JoinToken other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var digest = FixedTimeEquals(CaDigest, other.CaDigest);
        var secret = FixedTimeEquals(Secret, other.Secret);
        return digest & secret;
    }

    /// <summary>The same CA digest with a fresh secret.</summary>
    public JoinToken Regenerate() => Generate(Base36.DecodeToBytes(CaDigest, DigestBytes));

    internal static bool FixedTimeEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(a), Encoding.ASCII.GetBytes(b));

    private static bool IsDigestValue(string text) =>
        Base36.TryDecode(text, out var value) && value.GetBitLength() <= DigestBytes * 8;

    private static bool IsSecretValue(string text) =>
        Base36.TryDecode(text, out var value) && value.GetBitLength() <= SecretBytes * 8;
}

/// <summary>The cluster's current worker and manager join tokens.</summary>
public sealed record JoinTokens(JoinToken Worker, JoinToken Manager)
{
    public static JoinTokens Generate(ReadOnlySpan<byte> rootCaDigest) =>
        new(JoinToken.Generate(rootCaDigest), JoinToken.Generate(rootCaDigest));

    /// <summary>A copy where the token for <paramref name="which"/> has a new secret; the old one stops working.</summary>
    public JoinTokens Rotate(NodeRole which) => which switch
    {
        NodeRole.Worker => this with { Worker = Worker.Regenerate() },
        NodeRole.Manager => this with { Manager = Manager.Regenerate() },
        _ => throw new ArgumentOutOfRangeException(nameof(which), which, "unknown node role"),
    };

    /// <summary>The role a presented token grants, or null if it is malformed or not current.</summary>
    public NodeRole? RoleFor(string? presentedToken)
    {
        if (!JoinToken.TryParse(presentedToken, out var presented) || presented is null)
        {
            return null;
        }
        // Compare against both without short-circuiting, so timing does not reveal which one matched.
        var worker = Worker.Matches(presented);
        var manager = Manager.Matches(presented);
        return manager ? NodeRole.Manager : worker ? NodeRole.Worker : null;
    }
}
