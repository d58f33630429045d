using System.Formats.Tar;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Skiff.Daemon.Tests;

/// <summary><c>POST /build</c>'s wire, compared with what dockerd 20.10 sends: config-only and COPY steps need no
/// running container, so they run on the in-process server.</summary>
public sealed partial class BuildApiTests : DaemonTestBase
{
    private static ByteArrayContent Context(params (string Name, string Content)[] files)
    {
        using var ms = new MemoryStream();
        using (var w = new TarWriter(ms, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (name, content) in files)
            {
                w.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name)
                {
                    Mode = (UnixFileMode)0b110_100_100,
                    DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(content)),
                });
            }
        }

        var body = new ByteArrayContent(ms.ToArray());
        body.Headers.ContentType = new MediaTypeHeaderValue("application/x-tar");
        return body;
    }

    private async Task<(HttpStatusCode Status, List<JsonElement> Messages)> BuildAsync(string query, params (string Name, string Content)[] files)
    {
        using var resp = await Client.PostAsync("/v1.41/build" + query, Context(files));
        var lines = (await resp.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return (resp.StatusCode, [.. lines.Select(l => JsonDocument.Parse(l).RootElement.Clone())]);
    }

    private static List<string> Streams(List<JsonElement> messages) =>
        [.. messages.Where(m => m.TryGetProperty("stream", out _)).Select(m => m.GetProperty("stream").GetString()!)];

    [GeneratedRegex("[0-9a-f]{12}")]
    private static partial Regex ShortId();

    [Fact]
    public async Task Build_ConfigAndCopySteps_StreamsDockerdsMessagesAndCachesTheSecondTime()
    {
        var baseId = await LoadImageAsync("skiff-test/hello:v1");
        (string, string)[] files = [("Dockerfile", "FROM skiff-test/hello:v1\nENV A=b\nCOPY app.txt /srv/\nCMD [\"/bin/hello\"]\n"), ("app.txt", "x\n")];

        var (status, messages) = await BuildAsync("?t=built:1&t=built:2", files);

        Assert.Equal(HttpStatusCode.OK, status);
        var streams = Streams(messages);
        Assert.Equal($" ---> {baseId[7..19]}\n", streams[2]);
        var shape = streams.Select(s => ShortId().Replace(s, "ID")).ToList();
        Assert.Equal(
            [
                "Step 1/4 : FROM skiff-test/hello:v1", "\n", " ---> ID\n",
                "Step 2/4 : ENV A=b", "\n", " ---> Running in ID\n", "Removing intermediate container ID\n", " ---> ID\n",
                "Step 3/4 : COPY app.txt /srv/", "\n", " ---> ID\n",
                "Step 4/4 : CMD [\"/bin/hello\"]", "\n", " ---> Running in ID\n", "Removing intermediate container ID\n", " ---> ID\n",
                "Successfully built ID\n", "Successfully tagged built:1\n", "Successfully tagged built:2\n",
            ],
            shape);
        var aux = Assert.Single(messages, m => m.TryGetProperty("aux", out _)).GetProperty("aux").GetProperty("ID").GetString()!;
        Assert.Equal($"Successfully built {aux[7..19]}\n", Streams(messages)[^3]);

        // The tagged result is listed; its intermediate images only with all=1.
        using (var list = await Client.GetAsync("/v1.41/images/json"))
        {
            var ids = (await JsonAsync(list)).EnumerateArray().Select(i => i.GetProperty("Id").GetString()).ToList();
            Assert.Equal(new[] { aux, baseId }.Order(StringComparer.Ordinal), ids.Order(StringComparer.Ordinal));
        }

        using (var all = await Client.GetAsync("/v1.41/images/json?all=1"))
        {
            Assert.Equal(4, (await JsonAsync(all)).GetArrayLength()); // base, after ENV, after COPY, after CMD (the result)
        }

        var (_, again) = await BuildAsync("?t=built:1", files);
        Assert.Equal(3, Streams(again).Count(s => s == " ---> Using cache\n"));
        Assert.Equal(aux, Assert.Single(again, m => m.TryGetProperty("aux", out _)).GetProperty("aux").GetProperty("ID").GetString());
    }

    [Fact]
    public async Task Build_UnknownInstruction_Is400WithTheClassicParseError()
    {
        using var resp = await Client.PostAsync("/build", Context(("Dockerfile", "FROM scratch\nFORM x\n")));

        Assert.Equal("dockerfile parse error line 2: unknown instruction: FORM", await AssertErrorAsync(resp, 400));
    }

    [Fact]
    public async Task Build_MissingDockerfileOrTarget_Is500WithDockerdsText()
    {
        using (var resp = await Client.PostAsync("/build?dockerfile=nope", Context(("Dockerfile", "FROM scratch\n"))))
        {
            Assert.Equal("Cannot locate specified Dockerfile: nope", await AssertErrorAsync(resp, 500));
        }

        using (var resp = await Client.PostAsync("/build?target=zz", Context(("Dockerfile", "FROM scratch AS a\n"))))
        {
            Assert.Equal("failed to reach build target zz in Dockerfile", await AssertErrorAsync(resp, 500));
        }
    }

    [Fact]
    public async Task Build_BuildKitOrUnsupportedOptions_AreRefusedBeforeReadingTheContext()
    {
        using (var resp = await Client.PostAsync("/build?version=2", Context(("Dockerfile", "FROM scratch\n"))))
        {
            Assert.Contains("BuildKit", await AssertErrorAsync(resp, 400), StringComparison.Ordinal);
        }

        using (var resp = await Client.PostAsync("/build?platform=linux/s390x", Context(("Dockerfile", "FROM scratch\n"))))
        {
            Assert.StartsWith("platform linux/s390x is not supported", await AssertErrorAsync(resp, 400), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Build_CopyOfMissingFileAfterTheStreamStarted_IsAnInBandError()
    {
        await LoadImageAsync("skiff-test/hello:v1");

        var (status, messages) = await BuildAsync("", ("Dockerfile", "FROM skiff-test/hello:v1\nCOPY nope /x/\n"));

        Assert.Equal(HttpStatusCode.OK, status);
        var last = messages[^1];
        const string Expected = "COPY failed: file not found in build context or excluded by .dockerignore: stat nope: file does not exist";
        Assert.Equal(Expected, last.GetProperty("errorDetail").GetProperty("message").GetString());
        Assert.Equal(Expected, last.GetProperty("error").GetString());
        Assert.Equal(["errorDetail", "error"], last.EnumerateObject().Select(p => p.Name).ToList()); // dockerd's key order
    }
}
