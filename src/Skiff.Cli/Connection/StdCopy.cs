using System.Buffers.Binary;

namespace Skiff.Cli.Connection;

/// <summary>
/// Docker's stdcopy framing: an 8-byte header (stream type 0 stdin / 1 stdout / 2 stderr / 3 systemerr,
/// three zero bytes, uint32 big-endian length) and then the payload.
/// </summary>
internal static class StdCopy
{
    /// <summary>Demultiplexes <paramref name="source"/> into stdout/stderr until EOF.</summary>
    public static async Task DemuxAsync(Stream source, Stream stdout, Stream stderr, CancellationToken ct = default)
    {
        var header = new byte[8];
        var buffer = new byte[32 * 1024];
        while (true)
        {
            var read = await ReadFullAsync(source, header, ct);
            if (read == 0)
            {
                return;
            }
            if (read < header.Length)
            {
                throw new IOException("unexpected EOF in a stdcopy frame header");
            }
            var kind = header[0];
            var length = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(4));
            var target = kind switch
            {
                0 or 1 => stdout,
                2 => stderr,
                3 => null,
                _ => throw new IOException($"Unrecognized input header: {kind}"),
            };
            var errorText = kind == 3 ? new MemoryStream() : null;
            var remaining = (long)length;
            while (remaining > 0)
            {
                var n = await source.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, remaining)), ct);
                if (n == 0)
                {
                    throw new IOException("unexpected EOF in a stdcopy frame");
                }
                if (target != null)
                {
                    await target.WriteAsync(buffer.AsMemory(0, n), ct);
                }
                else
                {
                    errorText!.Write(buffer, 0, n);
                }
                remaining -= n;
            }
            if (target != null)
            {
                await target.FlushAsync(ct);
            }
            else
            {
                throw new CliException("Error: " + System.Text.Encoding.UTF8.GetString(errorText!.ToArray()));
            }
        }
    }

    /// <summary>Copies a raw (TTY) stream.</summary>
    public static async Task CopyRawAsync(Stream source, Stream stdout, CancellationToken ct = default)
    {
        var buffer = new byte[32 * 1024];
        int n;
        while ((n = await source.ReadAsync(buffer, ct)) > 0)
        {
            await stdout.WriteAsync(buffer.AsMemory(0, n), ct);
            await stdout.FlushAsync(ct);
        }
    }

    private static async Task<int> ReadFullAsync(Stream s, byte[] buffer, CancellationToken ct)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = await s.ReadAsync(buffer.AsMemory(total), ct);
            if (n == 0)
            {
                break;
            }
            total += n;
        }
        return total;
    }

    /// <summary>Encodes one frame (used by tests and fakes).</summary>
    public static byte[] Frame(byte kind, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[8 + payload.Length];
        frame[0] = kind;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), (uint)payload.Length);
        payload.CopyTo(frame.AsSpan(8));
        return frame;
    }
}
