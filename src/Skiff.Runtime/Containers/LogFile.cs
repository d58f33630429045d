using System.Runtime.CompilerServices;
using Skiff.Api;
using Skiff.Runtime.Util;

namespace Skiff.Runtime.Containers;

/// <summary>One line of a container's output.</summary>
/// <param name="Stream">1 = stdout, 2 = stderr (stdcopy numbering).</param>
public sealed record LogLine(DateTimeOffset Time, byte Stream, string Text, bool Partial);

public sealed record LogOptions(bool Follow, int? Tail, DateTimeOffset? Since, DateTimeOffset? Until);

/// <summary>
/// Reads conmon's k8s-file logs: <c>&lt;RFC3339Nano&gt; stdout|stderr F|P &lt;text&gt;</c>, one line per
/// record; P marks a partial line that continues in the next record.
/// </summary>
public static class LogFile
{
    public static LogLine? Parse(string line)
    {
        var a = line.IndexOf(' ', StringComparison.Ordinal);
        if (a < 0)
        {
            return null;
        }

        var b = line.IndexOf(' ', a + 1);
        if (b < 0)
        {
            return null;
        }

        var c = line.IndexOf(' ', b + 1);
        var tag = c < 0 ? line[(b + 1)..] : line[(b + 1)..c];
        var text = c < 0 ? "" : line[(c + 1)..];
        if (!Rfc3339.TryParse(line[..a], out var ts))
        {
            return null;
        }

        var stream = line.AsSpan(a + 1, b - a - 1).SequenceEqual("stderr") ? (byte)2 : (byte)1;
        return new LogLine(ts, stream, text, tag == "P");
    }

    /// <summary>
    /// Yields the log's lines (joined partials, with their newline). With follow, keeps reading new
    /// lines until <paramref name="stillRunning"/> says the container is gone and the file is drained.
    /// </summary>
    public static async IAsyncEnumerable<LogLine> ReadAsync(
        string path,
        LogOptions options,
        Func<bool> stillRunning,
        [EnumeratorCancellation] CancellationToken ct)
    {
        if (!File.Exists(path))
        {
            if (!options.Follow)
            {
                yield break;
            }

            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            using (File.Open(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite))
            {
            }
        }

        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 65536, FileOptions.Asynchronous);
        using var reader = new StreamReader(fs);
        var pending = new List<LogLine>();
        string? partial = null;

        LogLine? Join(LogLine l)
        {
            if (l.Partial)
            {
                partial = (partial ?? "") + l.Text;
                return null;
            }

            var text = (partial ?? "") + l.Text + "\n";
            partial = null;
            return l with { Text = text, Partial = false };
        }

        bool Keep(LogLine l) => (options.Since is null || l.Time >= options.Since) && (options.Until is null || l.Time <= options.Until);

        // History first (tail applies to it only).
        while (await reader.ReadLineAsync(ct) is { } raw)
        {
            if (Parse(raw) is { } l && Join(l) is { } full && Keep(full))
            {
                pending.Add(full);
            }
        }

        var start = options.Tail is { } t && t >= 0 ? Math.Max(0, pending.Count - t) : 0;
        for (var i = start; i < pending.Count; i++)
        {
            yield return pending[i];
        }

        if (!options.Follow)
        {
            yield break;
        }

        using var changed = new SemaphoreSlim(0);
        using var watcher = new FileSystemWatcher(Path.GetDirectoryName(path)!, Path.GetFileName(path))
        {
            NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.Size,
        };
        watcher.Changed += (_, _) => changed.Release();
        watcher.EnableRaisingEvents = true;
        while (!ct.IsCancellationRequested)
        {
            var any = false;
            while (await reader.ReadLineAsync(ct) is { } raw)
            {
                any = true;
                if (Parse(raw) is { } l && Join(l) is { } full && Keep(full))
                {
                    yield return full;
                }
            }

            if (!any && !stillRunning())
            {
                // conmon writes the last lines before the exit file; one more drain and we are done.
                while (await reader.ReadLineAsync(ct) is { } raw)
                {
                    if (Parse(raw) is { } l && Join(l) is { } full && Keep(full))
                    {
                        yield return full;
                    }
                }

                yield break;
            }

            // inotify wakes us on writes; the timeout only re-checks whether the container still runs.
            try
            {
                await changed.WaitAsync(TimeSpan.FromMilliseconds(500), ct);
            }
            catch (OperationCanceledException)
            {
                yield break;
            }
        }
    }
}

/// <summary>Docker's stdcopy framing: [stream, 0, 0, 0, big-endian uint32 length] then the payload.</summary>
public static class StdCopy
{
    public static byte[] Frame(byte stream, ReadOnlySpan<byte> payload)
    {
        var buf = new byte[8 + payload.Length];
        buf[0] = stream;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(buf.AsSpan(4), (uint)payload.Length);
        payload.CopyTo(buf.AsSpan(8));
        return buf;
    }
}
