using System.Numerics;

namespace Skiff.Manager.Security;

/// <summary>
/// Lowercase base-36 text for non-negative big integers, as Go's <c>big.Int.Text(36)</c> produces and
/// swarmkit uses for object ids and join tokens.
/// </summary>
public static class Base36
{
    private const string Alphabet = "0123456789abcdefghijklmnopqrstuvwxyz";
    private static readonly BigInteger Radix = 36;

    /// <summary>Encodes <paramref name="value"/> (must be non-negative), left-padded with '0' to <paramref name="minLength"/>.</summary>
    public static string Encode(BigInteger value, int minLength = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value.Sign, nameof(value));
        ArgumentOutOfRangeException.ThrowIfNegative(minLength);
        var digits = new List<char>(Math.Max(minLength, 8));
        while (!value.IsZero)
        {
            value = BigInteger.DivRem(value, Radix, out var remainder);
            digits.Add(Alphabet[(int)remainder]);
        }
        if (digits.Count == 0)
        {
            digits.Add('0');
        }
        while (digits.Count < minLength)
        {
            digits.Add('0');
        }
        digits.Reverse();
        return new string(digits.ToArray());
    }

    /// <summary>Encodes big-endian unsigned bytes (like Go's <c>big.Int.SetBytes</c>), left-padded to <paramref name="minLength"/>.</summary>
    public static string Encode(ReadOnlySpan<byte> bigEndianUnsigned, int minLength = 0) =>
        Encode(new BigInteger(bigEndianUnsigned, isUnsigned: true, isBigEndian: true), minLength);

    /// <summary>Decodes lowercase base-36 text (leading zeros allowed). Throws <see cref="FormatException"/> on anything else.</summary>
    public static BigInteger Decode(string text)
    {
        if (!TryDecode(text, out var value))
        {
            throw new FormatException("not a lowercase base-36 number");
        }
        return value;
    }

    public static bool TryDecode(string? text, out BigInteger value)
    {
        value = BigInteger.Zero;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }
        foreach (var c in text)
        {
            int digit;
            if (c is >= '0' and <= '9')
            {
                digit = c - '0';
            }
            else if (c is >= 'a' and <= 'z')
            {
                digit = c - 'a' + 10;
            }
            else
            {
                value = BigInteger.Zero;
                return false;
            }
            value = (value * Radix) + digit;
        }
        return true;
    }

    /// <summary>Decodes to exactly <paramref name="length"/> big-endian bytes; throws if the number does not fit.</summary>
    public static byte[] DecodeToBytes(string text, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var value = Decode(text);
        var bytes = value.ToByteArray(isUnsigned: true, isBigEndian: true);
        if (value.IsZero)
        {
            bytes = [];
        }
        if (bytes.Length > length)
        {
            throw new FormatException($"base-36 number does not fit in {length} bytes");
        }
        var result = new byte[length];
        bytes.CopyTo(result, length - bytes.Length);
        return result;
    }
}
