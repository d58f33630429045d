using Skiff.Runtime.Build;

namespace Skiff.Runtime.Tests.Build;

public sealed class DockerfileParserTests
{
    private static Instruction Single(string text) => Assert.Single(DockerfileParser.Parse("FROM scratch\n" + text).Instructions.Skip(1));

    [Fact]
    public void Parse_KeywordsCaseInsensitive_ParsesAll()
    {
        var df = DockerfileParser.Parse("from busybox AS Base\nrun echo hi\nCmd [\"sh\"]\n");
        var from = Assert.IsType<FromInstruction>(df.Instructions[0]);
        Assert.Equal("busybox", from.Image);
        Assert.Equal("base", from.StageName);
        Assert.IsType<RunInstruction>(df.Instructions[1]);
        Assert.IsType<CmdInstruction>(df.Instructions[2]);
    }

    [Theory]
    [InlineData("RUN echo hi", false, new[] { "echo hi" })]
    [InlineData("RUN [\"echo\", \"hi\"]", true, new[] { "echo", "hi" })]
    [InlineData("RUN [echo, hi]", false, new[] { "[echo, hi]" })]
    [InlineData("RUN [\"echo\", 1]", false, new[] { "[\"echo\", 1]" })]
    [InlineData("CMD [\"httpd\",\"-f\"]", true, new[] { "httpd", "-f" })]
    [InlineData("CMD []", true, new string[0])]
    [InlineData("ENTRYPOINT /entry.sh  --flag", false, new[] { "/entry.sh  --flag" })]
    public void Parse_CommandForms_ExecOrShell(string line, bool exec, string[] args)
    {
        var form = Single(line) switch
        {
            RunInstruction r => r.Command,
            CmdInstruction c => c.Command,
            EntrypointInstruction e => e.Command,
            _ => throw new InvalidOperationException(),
        };
        Assert.Equal(exec, form.IsExec);
        Assert.Equal(args, form.Args);
    }

    [Fact]
    public void Parse_Continuations_JoinedAndCommentsInsideDropped()
    {
        var df = DockerfileParser.Parse("FROM scratch\nRUN echo a \\\n# inner comment\n    && echo b \\  \n\n    && echo c\nUSER me\n");
        var run = Assert.IsType<RunInstruction>(df.Instructions[1]);
        Assert.Equal("echo a     && echo b     && echo c", run.Command.Args[0]);
        Assert.Equal(2, run.Line);
        Assert.Equal(7, df.Instructions[2].Line);
    }

    [Fact]
    public void Parse_EscapeDirectiveBacktick_UsesBacktickForContinuation()
    {
        var df = DockerfileParser.Parse("# escape=`\nFROM scratch\nCOPY testfile.txt c:\\ `\n  d:\\dest\\\n");
        Assert.Equal('`', df.EscapeToken);
        var copy = Assert.IsType<CopyInstruction>(df.Instructions[1]);
        Assert.Equal(["testfile.txt", "c:\\"], copy.Sources);
        Assert.Equal("d:\\dest\\", copy.Destination);
    }

    [Fact]
    public void Parse_EscapedEscapeAtEnd_NotAContinuation()
    {
        var df = DockerfileParser.Parse("FROM scratch\nRUN echo a\\\\\nUSER b\n");
        Assert.Equal("echo a\\\\", Assert.IsType<RunInstruction>(df.Instructions[1]).Command.Args[0]);
        Assert.IsType<UserInstruction>(df.Instructions[2]);
    }

    [Fact]
    public void Parse_DirectiveAfterInstruction_IsAComment()
    {
        var df = DockerfileParser.Parse("FROM scratch\n# escape=`\nRUN a \\\n b\n");
        Assert.Equal('\\', df.EscapeToken);
        Assert.Equal("a  b", Assert.IsType<RunInstruction>(df.Instructions[1]).Command.Args[0]);
    }

    [Fact]
    public void Parse_DirectiveAfterComment_IsAComment()
    {
        var df = DockerfileParser.Parse("# hello\n# escape=`\nFROM scratch\n");
        Assert.Equal('\\', df.EscapeToken);
    }

    [Fact]
    public void Parse_SyntaxDirective_IgnoredWithNote()
    {
        var df = DockerfileParser.Parse("# syntax=docker/dockerfile:1\nFROM scratch\n");
        Assert.Contains(df.Notes, n => n.Contains("syntax directive 'docker/dockerfile:1' ignored", StringComparison.Ordinal));
        Assert.Single(df.Instructions);
    }

    [Theory]
    [InlineData("FROM scratch\nFORM x", "Dockerfile:2: unknown instruction: FORM")]
    [InlineData("FROM scratch\n\n\nFORM x", "Dockerfile:4: unknown instruction: FORM")]
    [InlineData("# escape=x\nFROM scratch", "Dockerfile:1: invalid escape token 'x' does not match ` or \\")]
    [InlineData("# escape=`\n# escape=\\\nFROM scratch", "Dockerfile:2: only one escape parser directive can be used")]
    [InlineData("FROM a b", "Dockerfile:1: FROM requires either one or three arguments")]
    [InlineData("FROM a AS 1x", "Dockerfile:1: invalid name for build stage: \"1x\", name can't start with a number or contain symbols")]
    [InlineData("FROM --platform=linux/arm64 a", "Dockerfile:1: FROM --platform is not supported by skiff: it builds for the host platform only")]
    [InlineData("FROM a\nRUN --mount=type=cache,target=/x make", "Dockerfile:2: RUN --mount is not supported by skiff")]
    [InlineData("FROM a\nRUN --bogus x", "Dockerfile:2: unknown flag: bogus")]
    [InlineData("FROM a\nRUN <<EOF\necho\nEOF", "Dockerfile:2: heredocs are not supported by skiff: RUN <<EOF")]
    [InlineData("FROM a\nCOPY <<-'EOT' /x", "Dockerfile:2: heredocs are not supported by skiff: COPY <<-'EOT' /x")]
    [InlineData("FROM a\nCOPY onlyone", "Dockerfile:2: COPY requires at least two arguments, but only one was provided. Destination could not be determined.")]
    [InlineData("FROM a\nADD --from=b x /y", "Dockerfile:2: ADD does not support --from; use COPY --from")]
    [InlineData("FROM a\nCOPY --link x /y", "Dockerfile:2: COPY --link is not supported by skiff")]
    [InlineData("FROM a\nSHELL /bin/bash -c", "Dockerfile:2: SHELL requires the arguments to be in JSON form")]
    [InlineData("FROM a\nENV onlykey", "Dockerfile:2: ENV must have two arguments")]
    [InlineData("FROM a\nENV a=1 b", "Dockerfile:2: Syntax error - can't find = in \"b\". Must be of the form: name=value")]
    [InlineData("FROM a\nLABEL =x", "Dockerfile:2: LABEL names can not be blank")]
    [InlineData("FROM a\nONBUILD RUN x", "Dockerfile:2: ONBUILD is not supported by skiff")]
    [InlineData("FROM a\nHEALTHCHECK NONE x", "Dockerfile:2: HEALTHCHECK NONE takes no arguments")]
    [InlineData("FROM a\nHEALTHCHECK --interval=5s RUN x", "Dockerfile:2: Unknown type \"RUN\" in HEALTHCHECK (try CMD)")]
    [InlineData("FROM a\nHEALTHCHECK --interval=5s CMD", "Dockerfile:2: Missing command after HEALTHCHECK CMD")]
    [InlineData("FROM a\nfrom b\nform c", "Dockerfile:3: unknown instruction: FORM")]
    [InlineData("FROM a\nHEALTHCHECK --interval=5 CMD x", "Dockerfile:2: invalid value for --interval: time: invalid duration \"5\"")]
    [InlineData("FROM a\nHEALTHCHECK --retries=-1 CMD x", "Dockerfile:2: --retries cannot be negative (-1)")]
    [InlineData("FROM a\nHEALTHCHECK --timeout=10us CMD x", "Dockerfile:2: Interval \"timeout\" cannot be less than 1ms")]
    [InlineData("FROM a\nHEALTHCHECK --bogus=1 CMD x", "Dockerfile:2: unknown flag: bogus")]
    [InlineData("FROM a\nSTOPSIGNAL A B", "Dockerfile:2: STOPSIGNAL requires exactly one argument")]
    [InlineData("FROM a\nVOLUME [\"\"]", "Dockerfile:2: VOLUME specified can not be an empty string")]
    public void Parse_Invalid_OneLineErrorWithFileAndLine(string text, string message)
    {
        var e = Assert.Throws<DockerfileException>(() => DockerfileParser.Parse(text));
        Assert.Equal(message, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData("RUN echo a<<b")]
    [InlineData("RUN echo $((1 << 2))")]
    public void Parse_ShiftOperatorNotHeredoc_Accepted(string line)
    {
        Assert.IsType<RunInstruction>(Single(line));
    }

    [Fact]
    public void Parse_CustomFileName_InError()
    {
        var e = Assert.Throws<DockerfileException>(() => DockerfileParser.Parse("FROM a\nFORM b", "web.Dockerfile"));
        Assert.Equal("web.Dockerfile:2: unknown instruction: FORM", e.Message);
        Assert.Equal(2, e.Line);
    }

    [Fact]
    public void Parse_CopyFlags_Captured()
    {
        var copy = Assert.IsType<CopyInstruction>(Single("COPY --chown=1000:1000 --chmod=0755 --from=build /out/app /usr/bin/"));
        Assert.Equal("1000:1000", copy.Chown);
        Assert.Equal("0755", copy.Chmod);
        Assert.Equal("build", copy.From);
        Assert.Equal(["/out/app"], copy.Sources);
        Assert.Equal("/usr/bin/", copy.Destination);
        Assert.False(copy.IsAdd);
    }

    [Fact]
    public void Parse_CopyJsonForm_AllowsSpaces()
    {
        var copy = Assert.IsType<CopyInstruction>(Single("COPY [\"my file.txt\", \"other.txt\", \"/dest dir/\"]"));
        Assert.Equal(["my file.txt", "other.txt"], copy.Sources);
        Assert.Equal("/dest dir/", copy.Destination);
    }

    [Theory]
    [InlineData("ENV a=b c=d", new[] { "a", "b", "c", "d" })]
    [InlineData("ENV a b c", new[] { "a", "b c" })]
    [InlineData("ENV a=\"hello world\" b='x y'", new[] { "a", "\"hello world\"", "b", "'x y'" })]
    [InlineData("ENV a=hello\\ world", new[] { "a", "hello\\ world" })]
    [InlineData("LABEL \"com.example.vendor\"=\"ACME Inc\" version=1.0", new[] { "\"com.example.vendor\"", "\"ACME Inc\"", "version", "1.0" })]
    public void Parse_NameValueForms_RawPairs(string line, string[] flat)
    {
        var pairs = Single(line) switch
        {
            EnvInstruction e => e.Pairs,
            LabelInstruction l => l.Pairs,
            _ => throw new InvalidOperationException(),
        };
        Assert.Equal(flat, pairs.SelectMany(p => new[] { p.Key, p.Value }));
    }

    [Fact]
    public void Parse_ArgForms_NameAndDefault()
    {
        var arg = Assert.IsType<ArgInstruction>(Single("ARG a b=2 c="));
        Assert.Equal([new ArgDeclaration("a", null), new ArgDeclaration("b", "2"), new ArgDeclaration("c", "")], arg.Args);
    }

    [Theory]
    [InlineData("VOLUME /data /logs", new[] { "/data", "/logs" })]
    [InlineData("VOLUME [\"/data\", \"/my logs\"]", new[] { "/data", "/my logs" })]
    public void Parse_VolumeForms_Paths(string line, string[] paths)
    {
        Assert.Equal(paths, Assert.IsType<VolumeInstruction>(Single(line)).Paths);
    }

    [Theory]
    [InlineData("HEALTHCHECK --interval=30s --timeout=5s --start-period=1m30s --retries=3 CMD curl -f http://localhost/",
        30_000_000_000L, 5_000_000_000L, 90_000_000_000L, 3, false)]
    [InlineData("HEALTHCHECK --interval=1.5s CMD [\"/bin/check\", \"-q\"]", 1_500_000_000L, 0L, 0L, 0, true)]
    [InlineData("HEALTHCHECK --interval=1h --timeout=250ms CMD true", 3_600_000_000_000L, 250_000_000L, 0L, 0, false)]
    public void Parse_Healthcheck_OptionsToNanoseconds(string line, long interval, long timeout, long start, int retries, bool exec)
    {
        var h = Assert.IsType<HealthcheckInstruction>(Single(line));
        Assert.Equal(interval, h.Interval);
        Assert.Equal(timeout, h.Timeout);
        Assert.Equal(start, h.StartPeriod);
        Assert.Equal(retries, h.Retries);
        Assert.NotNull(h.Command);
        Assert.Equal(exec, h.Command.IsExec);
    }

    [Fact]
    public void Parse_HealthcheckNone_NoCommand()
    {
        Assert.Null(Assert.IsType<HealthcheckInstruction>(Single("healthcheck none")).Command);
    }

    [Fact]
    public void Parse_Maintainer_Accepted()
    {
        Assert.Equal("Jane <j@x.org>", Assert.IsType<MaintainerInstruction>(Single("MAINTAINER Jane <j@x.org>")).Maintainer);
    }

    [Theory]
    [InlineData("0", 0L)]
    [InlineData("1ns", 1L)]
    [InlineData("2us", 2_000L)]
    [InlineData("1m30s", 90_000_000_000L)]
    [InlineData("1h2m3.5s", 3_723_500_000_000L)]
    [InlineData(".5s", 500_000_000L)]
    public void TryParseGoDuration_Valid_Nanoseconds(string text, long ns)
    {
        Assert.True(DockerfileParser.TryParseGoDuration(text, out var got));
        Assert.Equal(ns, got);
    }

    [Theory]
    [InlineData("5")]
    [InlineData("s")]
    [InlineData("5d")]
    [InlineData("")]
    public void TryParseGoDuration_Invalid_False(string text)
    {
        Assert.False(DockerfileParser.TryParseGoDuration(text, out _));
    }
}
