using System.Security.Cryptography;

namespace Skiff.Manager.Security;

/// <summary>
/// Swarm object ids as swarmkit's <c>identity.NewID</c>: 128 random bits as lowercase base 36,
/// left-padded with '0' to 25 characters.
/// </summary>
public static class SwarmIds
{
    public const int Length = 25;
    public const int ShortLength = 12;
    private const int RandomBytes = 16;

    public static string New()
    {
        Span<byte> bytes = stackalloc byte[RandomBytes];
        RandomNumberGenerator.Fill(bytes);
        return Base36.Encode(bytes, Length);
    }

    /// <summary>The first 12 characters, as the CLI shows ids (shorter input is returned as is).</summary>
    public static string Short(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        return id.Length <= ShortLength ? id : id[..ShortLength];
    }

    /// <summary>True for exactly 25 characters of [0-9a-z] whose value fits in 128 bits.</summary>
    public static bool IsValid(string? id) =>
        id is { Length: Length }
        && Base36.TryDecode(id, out var value)
        && value.GetBitLength() <= RandomBytes * 8;
}
