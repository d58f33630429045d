using System.Security.Cryptography;

namespace Skiff.Runtime.Util;

public static class Ids
{
    /// <summary>A 64-hex-digit id like Docker's container, exec and network ids.</summary>
    public static string NewHexId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    public static string Short(string id)
    {
        var s = id.StartsWith("sha256:", StringComparison.Ordinal) ? id[7..] : id;
        return s.Length > 12 ? s[..12] : s;
    }
}
