using System.Text;
using Skiff.Runtime.Containers;

namespace Skiff.Runtime.Tests.Containers;

public sealed class LogFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("skiff-logs-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private string LogPath => Path.Combine(_dir, "c-json.log");

    private static readonly DateTimeOffset T0 = new(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);

    private static string Ts(int second) => T0.AddSeconds(second).ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);

    private void Write(params string[] lines) => File.AppendAllText(LogPath, string.Concat(lines.Select(l => l + "\n")));

    private static async Task<List<LogLine>> ReadAll(string path, LogOptions options, Func<bool>? stillRunning = null)
    {
        var list = new List<LogLine>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await foreach (var l in LogFile.ReadAsync(path, options, stillRunning ?? (() => false), cts.Token))
        {
            list.Add(l);
        }

        return list;
    }

    [Fact]
    public void Parse_FullStdoutLine_ReturnsTimeStreamAndText()
    {
        var l = LogFile.Parse("2024-05-01T12:00:00.123456789Z stdout F hello world");

        Assert.NotNull(l);
        Assert.Equal(1, l.Stream);
        Assert.Equal("hello world", l.Text);
        Assert.False(l.Partial);
        Assert.Equal(new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.Zero).AddTicks(1_234_567), l.Time);
    }

    [Fact]
    public void Parse_StderrPartial_IsStream2AndPartial()
    {
        var l = LogFile.Parse("2024-05-01T12:00:00Z stderr P part");

        Assert.NotNull(l);
        Assert.Equal(2, l.Stream);
        Assert.True(l.Partial);
        Assert.Equal("part", l.Text);
    }

    [Fact]
    public void Parse_EmptyText_KeepsEmptyLine()
    {
        var l = LogFile.Parse("2024-05-01T12:00:00Z stdout F");

        Assert.NotNull(l);
        Assert.Equal("", l.Text);
        Assert.False(l.Partial);
    }

    [Fact]
    public void Parse_TextWithSpaces_KeepsThemVerbatim()
    {
        var l = LogFile.Parse("2024-05-01T12:00:00Z stdout F  two  spaces ");

        Assert.Equal(" two  spaces ", l!.Text);
    }

    [Theory]
    [InlineData("")]
    [InlineData("garbage")]
    [InlineData("2024-05-01T12:00:00Z")]
    [InlineData("not-a-time stdout F text")]
    public void Parse_Malformed_ReturnsNull(string line)
    {
        Assert.Null(LogFile.Parse(line));
    }

    [Fact]
    public async Task ReadAsync_History_JoinsPartialsAndAddsNewlines()
    {
        Write(
            $"{Ts(0)} stdout F one",
            $"{Ts(1)} stderr F two",
            $"{Ts(2)} stdout P thr",
            $"{Ts(2)} stdout P e",
            $"{Ts(3)} stdout F e!",
            "corrupt line",
            $"{Ts(4)} stdout F four");

        var lines = await ReadAll(LogPath, new LogOptions(false, null, null, null));

        Assert.Equal(["one\n", "two\n", "three!\n", "four\n"], lines.Select(l => l.Text));
        Assert.Equal([1, 2, 1, 1], lines.Select(l => (int)l.Stream));
        Assert.All(lines, l => Assert.False(l.Partial));
    }

    [Theory]
    [InlineData(2, new[] { "c\n", "d\n" })]
    [InlineData(0, new string[0])]
    [InlineData(10, new[] { "a\n", "b\n", "c\n", "d\n" })]
    [InlineData(-1, new[] { "a\n", "b\n", "c\n", "d\n" })]
    public async Task ReadAsync_Tail_KeepsLastLines(int tail, string[] expected)
    {
        Write($"{Ts(0)} stdout F a", $"{Ts(1)} stdout F b", $"{Ts(2)} stdout F c", $"{Ts(3)} stdout F d");

        var lines = await ReadAll(LogPath, new LogOptions(false, tail, null, null));

        Assert.Equal(expected, lines.Select(l => l.Text));
    }

    [Fact]
    public async Task ReadAsync_SinceAndUntil_FilterInclusive()
    {
        Write($"{Ts(0)} stdout F a", $"{Ts(10)} stdout F b", $"{Ts(20)} stdout F c", $"{Ts(30)} stdout F d");

        var lines = await ReadAll(LogPath, new LogOptions(false, null, T0.AddSeconds(10), T0.AddSeconds(20)));

        Assert.Equal(["b\n", "c\n"], lines.Select(l => l.Text));
    }

    [Fact]
    public async Task ReadAsync_TailAppliesAfterSince()
    {
        Write($"{Ts(0)} stdout F a", $"{Ts(10)} stdout F b", $"{Ts(20)} stdout F c", $"{Ts(30)} stdout F d");

        var lines = await ReadAll(LogPath, new LogOptions(false, 1, T0.AddSeconds(5), T0.AddSeconds(25)));

        Assert.Equal(["c\n"], lines.Select(l => l.Text));
    }

    [Fact]
    public async Task ReadAsync_MissingFileWithoutFollow_YieldsNothing()
    {
        var lines = await ReadAll(Path.Combine(_dir, "nope.log"), new LogOptions(false, null, null, null));

        Assert.Empty(lines);
        Assert.False(File.Exists(Path.Combine(_dir, "nope.log")));
    }

    [Fact]
    public async Task ReadAsync_FollowAfterExit_DrainsAndEnds()
    {
        Write($"{Ts(0)} stdout F a", $"{Ts(1)} stdout F b");

        var lines = await ReadAll(LogPath, new LogOptions(true, null, null, null), () => false);

        Assert.Equal(["a\n", "b\n"], lines.Select(l => l.Text));
    }

    [Fact]
    public async Task ReadAsync_Follow_YieldsNewLinesAndEndsWhenStillRunningTurnsFalse()
    {
        Write($"{Ts(0)} stdout F first");
        var running = true;
        var seen = new List<string>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        await foreach (var l in LogFile.ReadAsync(LogPath, new LogOptions(true, null, null, null), () => Volatile.Read(ref running), cts.Token))
        {
            seen.Add(l.Text);
            if (l.Text == "first\n")
            {
                Write($"{Ts(1)} stdout P sec", $"{Ts(1)} stdout F ond");
            }
            else if (l.Text == "second\n")
            {
                Write($"{Ts(2)} stderr F last");
                Volatile.Write(ref running, false);
            }
        }

        Assert.Equal(["first\n", "second\n", "last\n"], seen);
        Assert.False(cts.IsCancellationRequested);
    }

    [Fact]
    public async Task ReadAsync_FollowMissingFile_CreatesItAndEndsWhenNotRunning()
    {
        var path = Path.Combine(_dir, "sub", "late.log");

        var lines = await ReadAll(path, new LogOptions(true, null, null, null), () => false);

        Assert.Empty(lines);
        Assert.True(File.Exists(path));
    }

    [Fact]
    public void Frame_Stdout_HeaderThenPayload()
    {
        var payload = Encoding.UTF8.GetBytes("hello\n");

        var frame = StdCopy.Frame(1, payload);

        Assert.Equal(new byte[] { 1, 0, 0, 0, 0, 0, 0, 6 }, frame[..8]);
        Assert.Equal(payload, frame[8..]);
    }

    [Fact]
    public void Frame_LargeStderr_BigEndianLength()
    {
        var payload = new byte[0x012345];

        var frame = StdCopy.Frame(2, payload);

        Assert.Equal(new byte[] { 2, 0, 0, 0, 0x00, 0x01, 0x23, 0x45 }, frame[..8]);
        Assert.Equal(8 + payload.Length, frame.Length);
    }

    [Fact]
    public void Frame_Empty_HeaderOnly()
    {
        Assert.Equal(new byte[] { 1, 0, 0, 0, 0, 0, 0, 0 }, StdCopy.Frame(1, []));
    }
}
