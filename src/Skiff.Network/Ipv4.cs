using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Skiff.Api;

namespace Skiff.Network;

/// <summary>An IPv4 prefix (network address + length); the host bits are always zero.</summary>
public readonly record struct Ipv4Cidr(uint Network, int PrefixLength)
{
    public uint Mask => PrefixLength == 0 ? 0u : uint.MaxValue << (32 - PrefixLength);

    /// <summary>Number of addresses in the prefix (including network and broadcast).</summary>
    public ulong Size => 1UL << (32 - PrefixLength);

    public uint Broadcast => Network | ~Mask;

    public IPAddress NetworkAddress => Ipv4.ToAddress(Network);

    public bool Contains(uint address) => (address & Mask) == Network;

    public bool Contains(IPAddress address) => Contains(Ipv4.ToUInt(address));

    public bool Overlaps(Ipv4Cidr other)
    {
        var shorter = Math.Min(PrefixLength, other.PrefixLength);
        var mask = shorter == 0 ? 0u : uint.MaxValue << (32 - shorter);
        return (Network & mask) == (other.Network & mask);
    }

    public override string ToString() => $"{NetworkAddress}/{PrefixLength}";

    /// <summary>Parses <c>a.b.c.d/n</c> (a bare address is a /32); host bits are cleared.</summary>
    public static Ipv4Cidr Parse(string cidr)
    {
        if (!TryParse(cidr, out var c))
        {
            throw new BadRequestException($"invalid CIDR address: {cidr}");
        }

        return c;
    }

    public static bool TryParse(string? cidr, out Ipv4Cidr result)
    {
        result = default;
        if (string.IsNullOrEmpty(cidr))
        {
            return false;
        }

        var slash = cidr.IndexOf('/');
        var addr = slash < 0 ? cidr : cidr[..slash];
        var len = 32;
        if (slash >= 0 && !int.TryParse(cidr.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out len))
        {
            return false;
        }

        if (len is < 0 or > 32 || !Ipv4.TryParseStrict(addr, out var ip))
        {
            return false;
        }

        var mask = len == 0 ? 0u : uint.MaxValue << (32 - len);
        result = new Ipv4Cidr(Ipv4.ToUInt(ip) & mask, len);
        return true;
    }
}

/// <summary>Conversions between <see cref="IPAddress"/> and host-order integers.</summary>
public static class Ipv4
{
    public static uint ToUInt(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new BadRequestException($"not an IPv4 address: {address}");
        }

        Span<byte> b = stackalloc byte[4];
        address.TryWriteBytes(b, out _);
        return BinaryPrimitives.ReadUInt32BigEndian(b);
    }

    public static IPAddress ToAddress(uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, value);
        return new IPAddress(b);
    }

    /// <summary>Dotted quad only (IPAddress.TryParse also takes "1" or "0x7f.1").</summary>
    public static bool TryParseStrict(string? s, out IPAddress address)
    {
        address = IPAddress.None;
        if (s is null)
        {
            return false;
        }

        var parts = s.Split('.');
        if (parts.Length != 4)
        {
            return false;
        }

        Span<byte> b = stackalloc byte[4];
        for (var i = 0; i < 4; i++)
        {
            var p = parts[i];
            if (p.Length is 0 or > 3 || (p.Length > 1 && p[0] == '0') || !p.All(char.IsAsciiDigit))
            {
                return false;
            }

            var v = int.Parse(p, CultureInfo.InvariantCulture);
            if (v > 255)
            {
                return false;
            }

            b[i] = (byte)v;
        }

        address = new IPAddress(b);
        return true;
    }

    /// <summary>Docker's MAC for an endpoint address: 02:42 followed by the four address bytes.</summary>
    public static string MacFromIp(IPAddress address)
    {
        var v = ToUInt(address);
        return $"02:42:{v >> 24:x2}:{(v >> 16) & 0xff:x2}:{(v >> 8) & 0xff:x2}:{v & 0xff:x2}";
    }
}
