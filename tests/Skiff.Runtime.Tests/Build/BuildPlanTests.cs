using Skiff.Api;
using Skiff.Runtime.Build;

namespace Skiff.Runtime.Tests.Build;

public sealed class BuildPlanTests
{
    private static readonly ContainerConfig Busybox = new()
    {
        Env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
        Cmd = ["sh"],
    };

    private static BuildPlan Plan(
        string text,
        Dictionary<string, string>? args = null,
        string? target = null,
        Func<IReadOnlyList<string>, string>? digest = null) =>
        BuildPlan.Create(DockerfileParser.Parse(text), args, target, digest ?? (s => "sha256:" + string.Join(",", s)),
            image => image.StartsWith("busybox", StringComparison.Ordinal) ? Busybox : null);

    private static string? EnvOf(ContainerConfig c, string name) =>
        c.Env?.LastOrDefault(e => e.StartsWith(name + "=", StringComparison.Ordinal))?[(name.Length + 1)..];

    [Fact]
    public void Create_TutorialWebApp_PlansConfigHistoryAndCopies()
    {
        const string text = """
            FROM busybox
            COPY index.html /www/index.html
            COPY count.sh /www/cgi-bin/count
            EXPOSE 5000
            CMD ["httpd", "-f", "-p", "5000", "-h", "/www"]
            """;
        var digests = new Dictionary<string, string> { ["index.html"] = "sha256:aaa", ["count.sh"] = "sha256:bbb" };
        var plan = Plan(text, digest: s => digests[s[0]]);

        var stage = Assert.Single(plan.Stages);
        Assert.Same(stage, plan.Target);
        Assert.Equal("busybox", stage.BaseImage);
        Assert.Null(stage.BaseStage);
        Assert.Equal(4, stage.Steps.Count);

        var copy1 = stage.Steps[0].Copy!;
        Assert.Equal(BuildStepKind.Copy, stage.Steps[0].Kind);
        Assert.Equal(["index.html"], copy1.Sources);
        Assert.Equal("/www/index.html", copy1.Destination);
        Assert.Equal("sha256:aaa", copy1.ContentDigest);
        Assert.Equal("/www/cgi-bin/count", stage.Steps[1].Copy!.Destination);

        Assert.Equal(["5000/tcp"], stage.Steps[2].Config.ExposedPorts!.Keys);
        Assert.Equal(["ExposedPorts"], stage.Steps[2].ChangedFields);
        Assert.Equal(["httpd", "-f", "-p", "5000", "-h", "/www"], stage.Config.Cmd);
        Assert.Equal(Busybox.Env, stage.Config.Env);
        Assert.Null(stage.Config.Entrypoint);

        Assert.Equal(
        [
            "/bin/sh -c #(nop) COPY file:aaa in /www/index.html ",
            "/bin/sh -c #(nop) COPY file:bbb in /www/cgi-bin/count ",
            "/bin/sh -c #(nop)  EXPOSE 5000",
            "/bin/sh -c #(nop)  CMD [\"httpd\" \"-f\" \"-p\" \"5000\" \"-h\" \"/www\"]",
        ], stage.Steps.Select(s => s.History.CreatedBy));
        Assert.Equal([null, null, true, true], stage.Steps.Select(s => s.History.EmptyLayer));
        Assert.Empty(plan.Warnings);
        Assert.Equal(["sh"], Busybox.Cmd); // the base config is not mutated
    }

    [Fact]
    public void Create_SameInputs_SameCacheKeys()
    {
        const string text = "FROM busybox\nENV A=1\nCOPY a /a\nRUN echo $A\n";
        var a = Plan(text).Target.Steps.Select(s => s.CacheKey);
        var b = Plan(text).Target.Steps.Select(s => s.CacheKey);
        Assert.Equal(a, b);
        Assert.All(a, k => Assert.Matches("^[0-9a-f]{64}$", k));
    }

    [Theory]
    [InlineData("FROM busybox:1.36\nENV A=1\nCOPY a /a\nRUN echo $A\n")]
    [InlineData("FROM busybox\nENV A=2\nCOPY a /a\nRUN echo $A\n")]
    [InlineData("FROM busybox\nENV A=1\nCOPY a /b\nRUN echo $A\n")]
    [InlineData("FROM busybox\nENV A=1\nCOPY b /a\nRUN echo $A\n")]
    [InlineData("FROM busybox\nENV A=1\nCOPY a /a\nRUN echo  $A\n")]
    [InlineData("FROM busybox\nENV A=1\nCOPY --chmod=0600 a /a\nRUN echo $A\n")]
    public void Create_AnyChange_LastCacheKeyDiffers(string changed)
    {
        var baseline = Plan("FROM busybox\nENV A=1\nCOPY a /a\nRUN echo $A\n").Target.CacheKey;
        Assert.NotEqual(baseline, Plan(changed).Target.CacheKey);
    }

    [Fact]
    public void Create_ContentDigestChanges_CopyKeyAndFollowersDiffer()
    {
        const string text = "FROM busybox\nENV A=1\nCOPY a /a\nRUN true\n";
        var one = Plan(text, digest: _ => "sha256:1").Target.Steps;
        var two = Plan(text, digest: _ => "sha256:2").Target.Steps;
        Assert.Equal(one[0].CacheKey, two[0].CacheKey);
        Assert.NotEqual(one[1].CacheKey, two[1].CacheKey);
        Assert.NotEqual(one[2].CacheKey, two[2].CacheKey);
    }

    [Fact]
    public void Create_BuildArgValueChange_RunKeyDiffers()
    {
        const string text = "FROM busybox\nARG V=1\nRUN make\n";
        var a = Plan(text).Target.CacheKey;
        var b = Plan(text, new() { ["V"] = "2" }).Target.CacheKey;
        Assert.NotEqual(a, b);
    }

    [Fact]
    public void Create_ArgBeforeFrom_AppliesToFromOnlyUnlessRedeclared()
    {
        const string text = "ARG TAG=1.36\nARG OTHER=x\nFROM busybox:${TAG}\nARG TAG\nENV T=$TAG O=${OTHER:-unset}\n";
        var plan = Plan(text);
        Assert.Equal("busybox:1.36", plan.Target.BaseImage);
        Assert.Equal("1.36", EnvOf(plan.Target.Config, "T"));
        Assert.Equal("unset", EnvOf(plan.Target.Config, "O"));
        Assert.Equal("busybox:1.37", Plan(text, new() { ["TAG"] = "1.37" }).Target.BaseImage);
    }

    [Theory]
    [InlineData(null, "default")]
    [InlineData("given", "given")]
    public void Create_ArgDefaultOrBuildArg_UsedInExpansion(string? given, string expected)
    {
        var args = given is null ? null : new Dictionary<string, string> { ["V"] = given };
        var plan = Plan("FROM busybox\nARG V=default\nWORKDIR /app/$V\n", args);
        Assert.Equal("/app/" + expected, plan.Target.Config.WorkingDir);
    }

    [Fact]
    public void Create_EnvSameNameAsArg_EnvWins()
    {
        var plan = Plan("FROM busybox\nARG V=arg\nENV V=env\nLABEL v=$V\nRUN echo\n", new() { ["V"] = "cli" });
        Assert.Equal("env", plan.Target.Config.Labels!["v"]);
        Assert.DoesNotContain("V=cli", plan.Target.Steps[^1].Run!.Env);
        Assert.Contains("V=env", plan.Target.Steps[^1].Run!.Env);
    }

    [Fact]
    public void Create_EnvSameInstruction_UsesPreviousValues()
    {
        var plan = Plan("FROM busybox\nENV abc=hello\nENV abc=bye def=$abc\nENV ghi=$abc\n");
        Assert.Equal("hello", EnvOf(plan.Target.Config, "def"));
        Assert.Equal("bye", EnvOf(plan.Target.Config, "ghi"));
        Assert.Single(plan.Target.Config.Env!, e => e.StartsWith("abc=", StringComparison.Ordinal));
    }

    [Fact]
    public void Create_QuotedEnvAndLabel_QuotesRemoved()
    {
        var plan = Plan("FROM busybox\nENV a=\"hello world\" b='$x' c=x\\ y\nLABEL \"com.example\"=\"ACME Inc\"\n");
        Assert.Equal("hello world", EnvOf(plan.Target.Config, "a"));
        Assert.Equal("$x", EnvOf(plan.Target.Config, "b"));
        Assert.Equal("x y", EnvOf(plan.Target.Config, "c"));
        Assert.Equal("ACME Inc", plan.Target.Config.Labels!["com.example"]);
    }

    [Fact]
    public void Create_LegacyEnv_WholeRestIsValue()
    {
        Assert.Equal("b c", EnvOf(Plan("FROM busybox\nENV a b c\n").Target.Config, "a"));
    }

    [Fact]
    public void Create_RunAndCmd_NotExpanded()
    {
        var plan = Plan("FROM busybox\nENV X=1\nRUN echo $X\nCMD echo $X\n");
        Assert.Equal(["/bin/sh", "-c", "echo $X"], plan.Target.Steps[1].Run!.Argv);
        Assert.Equal(["/bin/sh", "-c", "echo $X"], plan.Target.Config.Cmd);
    }

    [Fact]
    public void Create_UnusedBuildArgs_DockerWarning()
    {
        var plan = Plan("FROM busybox\nARG USED\nRUN true\n", new() { ["USED"] = "1", ["zeta"] = "2", ["alpha"] = "3", ["HTTP_PROXY"] = "http://p" });
        Assert.Equal(["[Warning] One or more build-args [alpha zeta] were not consumed"], plan.Warnings);
        Assert.Contains("HTTP_PROXY=http://p", plan.Target.Steps[^1].Run!.Env);
        Assert.Equal("|1 USED=1 /bin/sh -c true", plan.Target.Steps[^1].History.CreatedBy);
    }

    [Fact]
    public void Create_BuildArgDeclaredOnlyInSkippedStage_Warned()
    {
        var plan = Plan("FROM busybox AS a\nARG ONLYA\nFROM busybox AS b\nRUN true\n", new() { ["ONLYA"] = "1" }, target: "b");
        Assert.Equal(["[Warning] One or more build-args [ONLYA] were not consumed"], plan.Warnings);
    }

    [Fact]
    public void Create_EntrypointAfterBase_ResetsInheritedCmd()
    {
        var plan = Plan("FROM busybox\nENTRYPOINT [\"/app\"]\n");
        Assert.Equal(["/app"], plan.Target.Config.Entrypoint);
        Assert.Null(plan.Target.Config.Cmd);
        Assert.Equal(["Entrypoint", "Cmd"], plan.Target.Steps[0].ChangedFields);
    }

    [Fact]
    public void Create_CmdThenEntrypoint_KeepsStageCmd()
    {
        var plan = Plan("FROM busybox\nCMD [\"--help\"]\nENTRYPOINT /app run\n");
        Assert.Equal(["/bin/sh", "-c", "/app run"], plan.Target.Config.Entrypoint);
        Assert.Equal(["--help"], plan.Target.Config.Cmd);
    }

    [Fact]
    public void Create_EmptyCmdThenEntrypoint_CmdCleared()
    {
        var plan = Plan("FROM busybox\nCMD []\nENTRYPOINT [\"/app\"]\n");
        Assert.Null(plan.Target.Config.Cmd);
    }

    [Theory]
    [InlineData("SIGTERM")]
    [InlineData("term")]
    [InlineData("9")]
    [InlineData("SIGRTMIN+3")]
    public void Create_StopSignalForms_Accepted(string signal)
    {
        Assert.Equal(signal, Plan("FROM busybox\nSTOPSIGNAL " + signal + "\n").Target.Config.StopSignal);
    }

    [Fact]
    public void Create_ArgHistory_ShowsDefaultNotBuildArg()
    {
        var steps = Plan("FROM busybox\nARG A=1\nARG B\n", new() { ["A"] = "9", ["B"] = "8" }).Target.Steps;
        Assert.Equal(["/bin/sh -c #(nop)  ARG A=1", "/bin/sh -c #(nop)  ARG B"], steps.Select(s => s.History.CreatedBy));
    }

    [Fact]
    public void Create_Workdir_IsLayerStep()
    {
        var step = Plan("FROM busybox\nWORKDIR /app\n").Target.Steps[0];
        Assert.Equal(BuildStepKind.Workdir, step.Kind);
        Assert.Null(step.History.EmptyLayer);
    }

    [Fact]
    public void Create_Shell_AppliesToLaterShellForms()
    {
        var plan = Plan("FROM busybox\nSHELL [\"/bin/bash\", \"-eo\", \"pipefail\", \"-c\"]\nRUN ls | wc\nCMD [\"x\"]\n");
        Assert.Equal(["/bin/bash", "-eo", "pipefail", "-c", "ls | wc"], plan.Target.Steps[1].Run!.Argv);
        Assert.Equal(["/bin/bash", "-eo", "pipefail", "-c"], plan.Target.Shell);
        Assert.Equal("/bin/bash -eo pipefail -c #(nop)  SHELL [/bin/bash -eo pipefail -c]", plan.Target.Steps[0].History.CreatedBy);
        Assert.Equal("/bin/bash -eo pipefail -c #(nop)  CMD [\"x\"]", plan.Target.Steps[2].History.CreatedBy);
    }

    [Theory]
    [InlineData("80", new[] { "80/tcp" })]
    [InlineData("80/udp 443/TCP", new[] { "443/tcp", "80/udp" })]
    [InlineData("8000-8002", new[] { "8000/tcp", "8001/tcp", "8002/tcp" })]
    [InlineData("7000-7001/udp", new[] { "7000/udp", "7001/udp" })]
    [InlineData("$P", new[] { "9090/tcp" })]
    [InlineData("132/sctp", new[] { "132/sctp" })]
    [InlineData("$TWO", new[] { "443/tcp", "80/tcp" })]
    [InlineData("8080:80", new[] { "80/tcp" })]
    public void Create_Expose_PortsAndRanges(string ports, string[] expected)
    {
        var plan = Plan("FROM busybox\nENV P=9090 TWO=\"80 443\"\nEXPOSE " + ports + "\n");
        Assert.Equal(expected, plan.Target.Config.ExposedPorts!.Keys.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("EXPOSE 80/foo", "Dockerfile:2: invalid proto: foo")]
    [InlineData("EXPOSE abc", "Dockerfile:2: invalid containerPort: abc")]
    [InlineData("EXPOSE 70000", "Dockerfile:2: invalid containerPort: 70000")]
    [InlineData("EXPOSE 90-80", "Dockerfile:2: invalid range specified for container port: 90-80")]
    [InlineData("ADD https://example.com/a.tgz /x", "Dockerfile:2: ADD from a URL or git repository is not supported by skiff: https://example.com/a.tgz (download it in the build context instead)")]
    [InlineData("ADD git@github.com:a/b.git /x", "Dockerfile:2: ADD from a URL or git repository is not supported by skiff: git@github.com:a/b.git (download it in the build context instead)")]
    [InlineData("COPY a b /x", "Dockerfile:2: When using COPY with more than one source file, the destination must be a directory and end with a /")]
    [InlineData("COPY --chmod=u+x a /x", "Dockerfile:2: invalid chmod parameter u+x: only octal modes such as 0755 are supported")]
    [InlineData("STOPSIGNAL ki!l", "Dockerfile:2: Invalid signal: ki!l")]
    [InlineData("STOPSIGNAL SIGFOO", "Dockerfile:2: Invalid signal: SIGFOO")]
    [InlineData("STOPSIGNAL 0", "Dockerfile:2: Invalid signal: 0")]
    [InlineData("LABEL a=${B:?needed}", "Dockerfile:2: B: needed")]
    [InlineData("COPY --from=0 a /x", "Dockerfile:2: invalid from flag value 0: refers to current or future build stage")]
    public void Create_Invalid_OneLineError(string line, string message)
    {
        var e = Assert.Throws<DockerfileException>(() => Plan("FROM busybox\n" + line + "\n"));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void Create_NoFrom_Error()
    {
        var e = Assert.Throws<DockerfileException>(() => Plan("ARG A=1\nRUN true\n"));
        Assert.Equal("Dockerfile:2: no build stage in current context: RUN before FROM", e.Message);
    }

    [Fact]
    public void Create_Healthcheck_ConfigInNanoseconds()
    {
        var plan = Plan("FROM busybox\nHEALTHCHECK --interval=30s --timeout=3s --start-period=1m --retries=5 CMD wget -q -O- http://localhost/ || exit 1\n");
        var h = plan.Target.Config.Healthcheck!;
        Assert.Equal(["CMD-SHELL", "wget -q -O- http://localhost/ || exit 1"], h.Test);
        Assert.Equal(30_000_000_000L, h.Interval);
        Assert.Equal(3_000_000_000L, h.Timeout);
        Assert.Equal(60_000_000_000L, h.StartPeriod);
        Assert.Equal(5, h.Retries);
        Assert.Equal("/bin/sh -c #(nop)  HEALTHCHECK &{[\"CMD-SHELL\" \"wget -q -O- http://localhost/ || exit 1\"] \"30s\" \"3s\" \"1m0s\" \"0s\" '\\x05'}",
            plan.Target.Steps[0].History.CreatedBy);
    }

    [Theory]
    [InlineData("HEALTHCHECK CMD [\"/check\", \"-v\"]", new[] { "CMD", "/check", "-v" })]
    [InlineData("HEALTHCHECK NONE", new[] { "NONE" })]
    public void Create_HealthcheckForms_Test(string line, string[] test)
    {
        Assert.Equal(test, Plan("FROM busybox\n" + line + "\n").Target.Config.Healthcheck!.Test);
    }

    [Fact]
    public void Create_ConfigInstructions_SetFieldsAndHistory()
    {
        const string text = """
            FROM busybox
            ENV DIR=srv
            WORKDIR /$DIR
            WORKDIR app/../web
            USER ${U:-nobody}:nogroup
            VOLUME ["/data", "/$DIR/cache"]
            STOPSIGNAL SIGQUIT
            LABEL a=1 b="two words"
            MAINTAINER Jane Doe
            ARG X=1
            """;
        var stage = Plan(text).Target;
        var c = stage.Config;
        Assert.Equal("/srv/web", c.WorkingDir);
        Assert.Equal("nobody:nogroup", c.User);
        Assert.Equal(["/data", "/srv/cache"], c.Volumes!.Keys);
        Assert.Equal("SIGQUIT", c.StopSignal);
        Assert.Equal(new Dictionary<string, string> { ["a"] = "1", ["b"] = "two words" }, c.Labels);
        Assert.Equal("Jane Doe", stage.Author);
        Assert.Equal(
        [
            "/bin/sh -c #(nop)  ENV DIR=srv",
            "/bin/sh -c #(nop) WORKDIR /srv",
            "/bin/sh -c #(nop) WORKDIR /srv/web",
            "/bin/sh -c #(nop)  USER nobody:nogroup",
            "/bin/sh -c #(nop)  VOLUME [/data /srv/cache]",
            "/bin/sh -c #(nop)  STOPSIGNAL SIGQUIT",
            "/bin/sh -c #(nop)  LABEL a=1 b=two words",
            "/bin/sh -c #(nop)  MAINTAINER Jane Doe",
            "/bin/sh -c #(nop)  ARG X=1",
        ], stage.Steps.Select(s => s.History.CreatedBy));
        Assert.Equal("/srv", stage.Steps[1].Config.WorkingDir); // snapshots are per step
    }

    [Fact]
    public void Create_CopyRelativeDestAndFlags_Resolved()
    {
        var plan = Plan("FROM busybox\nWORKDIR /app\nARG OWNER=1000\nCOPY --chown=$OWNER:$OWNER --chmod=755 a b ./\n");
        var copy = plan.Target.Steps[^1].Copy!;
        Assert.Equal("/app/", copy.Destination);
        Assert.Equal("1000:1000", copy.Chown);
        Assert.Equal(0b111_101_101, copy.Chmod);
        Assert.Equal(["a", "b"], copy.Sources);
    }

    [Fact]
    public void Create_AddLocalArchive_Flagged()
    {
        var copy = Plan("FROM busybox\nADD rootfs.tar.gz notes.txt /\n").Target.Steps[0].Copy!;
        Assert.True(copy.IsAdd);
        Assert.Equal(["rootfs.tar.gz"], copy.ArchiveCandidates);
        Assert.Equal("/", copy.Destination);
    }

    [Fact]
    public void Create_MultiStage_TargetAndDependencies()
    {
        const string text = """
            FROM busybox AS deps
            RUN echo deps
            FROM busybox AS build
            COPY --from=deps /deps /deps
            RUN make
            FROM busybox AS unrelated
            RUN echo other
            FROM scratch AS final
            COPY --from=build /out/app /app
            ENTRYPOINT ["/app"]
            """;
        var plan = Plan(text);
        Assert.Equal("final", plan.Target.Name);
        Assert.True(plan.Target.IsScratch);
        Assert.Equal(["deps", "build", "final"], plan.RequiredStages.Select(s => s.Name));
        Assert.Equal(1, plan.Target.Steps[0].Copy!.FromStage);
        Assert.Null(plan.Target.Config.Cmd);
        Assert.Null(plan.Target.Config.Env);

        var build = Plan(text, target: "BUILD");
        Assert.Equal("build", build.Target.Name);
        Assert.Equal(["deps", "build"], build.RequiredStages.Select(s => s.Name));
    }

    [Fact]
    public void Create_FromEarlierStage_InheritsConfigAndKey()
    {
        var plan = Plan("FROM busybox AS base\nENV A=1\nFROM base\nRUN true\n");
        Assert.Equal(0, plan.Target.BaseStage);
        Assert.Equal(plan.Stages[0].CacheKey, plan.Target.BaseCacheKey);
        Assert.Equal("1", EnvOf(plan.Target.Config, "A"));
    }

    [Fact]
    public void Create_CopyFromStageChanges_KeyDiffers()
    {
        var a = Plan("FROM busybox AS b\nRUN echo 1\nFROM busybox\nCOPY --from=b /x /x\n").Target.CacheKey;
        var b = Plan("FROM busybox AS b\nRUN echo 2\nFROM busybox\nCOPY --from=b /x /x\n").Target.CacheKey;
        Assert.NotEqual(a, b);
    }

    [Fact]
    public void Create_CopyFromImage_Recorded()
    {
        var copy = Plan("FROM busybox\nCOPY --from=nginx:latest /etc/nginx/nginx.conf /nginx.conf\n").Target.Steps[0].Copy!;
        Assert.Null(copy.FromStage);
        Assert.Equal("nginx:latest", copy.FromImage);
    }

    [Theory]
    [InlineData("nope", "target stage \"nope\" could not be found")]
    public void Create_UnknownTarget_Error(string target, string message)
    {
        var e = Assert.Throws<DockerfileException>(() => Plan("FROM busybox AS a\n", target: target));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void Create_DuplicateStageName_Error()
    {
        var e = Assert.Throws<DockerfileException>(() => Plan("FROM busybox AS a\nFROM busybox AS A\n"));
        Assert.Equal("Dockerfile:2: duplicate stage name \"a\"", e.Message);
    }
}
