using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Skiff.Network;

/// <summary>The parts of a DNS query the embedded server needs (RFC 1035 §4).</summary>
public sealed record DnsQuestion(ushort Id, ushort Flags, string Name, ushort Type, ushort Class, int QuestionEnd);

/// <summary>Minimal DNS wire format: parse a query's question, build answers.</summary>
public static class DnsMessage
{
    public const ushort TypeA = 1;
    public const ushort TypeAaaa = 28;
    public const ushort ClassIn = 1;
    public const byte RcodeNoError = 0;
    public const byte RcodeFormErr = 1;
    public const byte RcodeServFail = 2;
    public const byte RcodeNxDomain = 3;
    public const byte RcodeNotImp = 4;

    /// <summary>Parses the header and the single question; null when not a well-formed one-question query.</summary>
    public static DnsQuestion? ParseQuery(ReadOnlySpan<byte> msg)
    {
        if (msg.Length < 12)
        {
            return null;
        }

        var id = BinaryPrimitives.ReadUInt16BigEndian(msg);
        var flags = BinaryPrimitives.ReadUInt16BigEndian(msg[2..]);
        var qd = BinaryPrimitives.ReadUInt16BigEndian(msg[4..]);
        if ((flags & 0x8000) != 0 || qd != 1)
        {
            return null;
        }

        var pos = 12;
        var name = ReadName(msg, ref pos);
        if (name is null || pos + 4 > msg.Length)
        {
            return null;
        }

        var type = BinaryPrimitives.ReadUInt16BigEndian(msg[pos..]);
        var cls = BinaryPrimitives.ReadUInt16BigEndian(msg[(pos + 2)..]);
        return new DnsQuestion(id, flags, name, type, cls, pos + 4);
    }

    /// <summary>A response echoing the question, with A/AAAA answers (TTL <paramref name="ttl"/>).</summary>
    public static byte[] BuildResponse(
        ReadOnlySpan<byte> query, DnsQuestion q, byte rcode, IReadOnlyList<IPAddress> answers, uint ttl = 600)
    {
        var answerLen = answers.Sum(a => 12 + (a.AddressFamily == AddressFamily.InterNetwork ? 4 : 16));
        var buf = new byte[q.QuestionEnd + answerLen];
        query[..q.QuestionEnd].CopyTo(buf);
        var opcode = (ushort)(q.Flags & 0x7800);
        var rd = (ushort)(q.Flags & 0x0100);
        // QR, opcode, AA, RD copied, RA, rcode.
        var flags = (ushort)(0x8000 | opcode | 0x0400 | rd | 0x0080 | rcode);
        BinaryPrimitives.WriteUInt16BigEndian(buf.AsSpan(2), flags);
        BinaryPrimitives.WriteUInt16BigEndian(buf.AsSpan(4), 1);
        BinaryPrimitives.WriteUInt16BigEndian(buf.AsSpan(6), (ushort)answers.Count);
        BinaryPrimitives.WriteUInt16BigEndian(buf.AsSpan(8), 0);
        BinaryPrimitives.WriteUInt16BigEndian(buf.AsSpan(10), 0);
        var pos = q.QuestionEnd;
        foreach (var a in answers)
        {
            var v4 = a.AddressFamily == AddressFamily.InterNetwork;
            var span = buf.AsSpan(pos);
            BinaryPrimitives.WriteUInt16BigEndian(span, 0xC00C); // pointer to the question name
            BinaryPrimitives.WriteUInt16BigEndian(span[2..], v4 ? TypeA : TypeAaaa);
            BinaryPrimitives.WriteUInt16BigEndian(span[4..], ClassIn);
            BinaryPrimitives.WriteUInt32BigEndian(span[6..], ttl);
            BinaryPrimitives.WriteUInt16BigEndian(span[10..], (ushort)(v4 ? 4 : 16));
            a.TryWriteBytes(span[12..], out var written);
            pos += 12 + written;
        }

        return buf;
    }

    /// <summary>An error response for a message whose question could not be parsed: header only.</summary>
    public static byte[]? BuildHeaderError(ReadOnlySpan<byte> query, byte rcode)
    {
        if (query.Length < 12)
        {
            return null;
        }

        var buf = new byte[12];
        query[..2].CopyTo(buf);
        var qflags = BinaryPrimitives.ReadUInt16BigEndian(query[2..]);
        BinaryPrimitives.WriteUInt16BigEndian(buf.AsSpan(2), (ushort)(0x8000 | (qflags & 0x7900) | 0x0080 | rcode));
        return buf;
    }

    /// <summary>Builds a query (for clients and tests).</summary>
    public static byte[] BuildQuery(ushort id, string name, ushort type = TypeA)
    {
        var ms = new MemoryStream();
        Span<byte> h = stackalloc byte[12];
        BinaryPrimitives.WriteUInt16BigEndian(h, id);
        BinaryPrimitives.WriteUInt16BigEndian(h[2..], 0x0100); // RD
        BinaryPrimitives.WriteUInt16BigEndian(h[4..], 1);
        ms.Write(h);
        foreach (var label in name.TrimEnd('.').Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            var b = Encoding.ASCII.GetBytes(label);
            ms.WriteByte((byte)b.Length);
            ms.Write(b);
        }

        ms.WriteByte(0);
        Span<byte> t = stackalloc byte[4];
        BinaryPrimitives.WriteUInt16BigEndian(t, type);
        BinaryPrimitives.WriteUInt16BigEndian(t[2..], ClassIn);
        ms.Write(t);
        return ms.ToArray();
    }

    /// <summary>Reads rcode and the A/AAAA addresses of a response (for clients and tests).</summary>
    public static (byte Rcode, List<IPAddress> Addresses) ParseResponse(ReadOnlySpan<byte> msg)
    {
        if (msg.Length < 12)
        {
            throw new FormatException("DNS message shorter than its header");
        }

        var rcode = (byte)(msg[3] & 0x0F);
        var qd = BinaryPrimitives.ReadUInt16BigEndian(msg[4..]);
        var an = BinaryPrimitives.ReadUInt16BigEndian(msg[6..]);
        var pos = 12;
        for (var i = 0; i < qd; i++)
        {
            _ = ReadName(msg, ref pos) ?? throw new FormatException("bad question name");
            pos += 4;
        }

        var result = new List<IPAddress>();
        for (var i = 0; i < an; i++)
        {
            _ = ReadName(msg, ref pos) ?? throw new FormatException("bad answer name");
            if (pos + 10 > msg.Length)
            {
                throw new FormatException("truncated answer");
            }

            var type = BinaryPrimitives.ReadUInt16BigEndian(msg[pos..]);
            var len = BinaryPrimitives.ReadUInt16BigEndian(msg[(pos + 8)..]);
            pos += 10;
            if (pos + len > msg.Length)
            {
                throw new FormatException("truncated rdata");
            }

            if ((type == TypeA && len == 4) || (type == TypeAaaa && len == 16))
            {
                result.Add(new IPAddress(msg.Slice(pos, len)));
            }

            pos += len;
        }

        return (rcode, result);
    }

    // Labels with compression pointers; returns "a.b.c" (no trailing dot), "" for the root.
    private static string? ReadName(ReadOnlySpan<byte> msg, ref int pos)
    {
        var sb = new StringBuilder();
        var p = pos;
        var jumped = false;
        for (var hops = 0; hops < 64; hops++)
        {
            if (p >= msg.Length)
            {
                return null;
            }

            var len = msg[p];
            if ((len & 0xC0) == 0xC0)
            {
                if (p + 1 >= msg.Length)
                {
                    return null;
                }

                if (!jumped)
                {
                    pos = p + 2;
                }

                jumped = true;
                p = ((len & 0x3F) << 8) | msg[p + 1];
                continue;
            }

            if ((len & 0xC0) != 0)
            {
                return null;
            }

            if (len == 0)
            {
                if (!jumped)
                {
                    pos = p + 1;
                }

                return sb.ToString();
            }

            if (p + 1 + len > msg.Length)
            {
                return null;
            }

            if (sb.Length > 0)
            {
                sb.Append('.');
            }

            sb.Append(Encoding.ASCII.GetString(msg.Slice(p + 1, len)));
            p += 1 + len;
        }

        return null;
    }
}
