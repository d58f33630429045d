using Skiff.Compose.Local;
using Skiff.Compose.Stack;

namespace Skiff.Compose.Tests;

/// <summary>env_file (with required and format) and environment, for compose containers and stack services alike.</summary>
public sealed class ServiceEnvironmentTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("skiff-env-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string content)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public void Resolve_EnvFilesInOrderThenEnvironment_RawTakenLiterally_ShellForValuelessNames()
    {
        var a = Write("a.env", "A=1\nB=\"quoted $A\"\n");
        var raw = Write("raw.env", "# comment\nC='kept' $A\n\nD=x=y\r\n");
        var project = ComposeProjectLoaderTests.Load($$"""
            services:
              s:
                image: x
                env_file:
                  - {{a}}
                  - path: {{raw}}
                    format: raw
                  - path: {{_dir}}/missing.env
                    required: false
                environment:
                  A: override
                  FROM_SHELL:
                  UNSET:
            """);

        var env = ServiceEnvironment.Resolve(project.Service("s")!, k => k == "FROM_SHELL" ? "sh" : null);

        Assert.Equal("override", env["A"]);
        Assert.Equal("quoted override", env["B"]); // compose-go: the service's environment, not the earlier file
        Assert.Equal("'kept' $A", env["C"]);
        Assert.Equal("x=y", env["D"]);
        Assert.Equal("sh", env["FROM_SHELL"]);
        Assert.False(env.ContainsKey("UNSET"));
    }

    [Fact]
    public void Resolve_RequiredFileMissing_OneLineError()
    {
        var project = ComposeProjectLoaderTests.Load($"services:\n  s:\n    image: x\n    env_file: {_dir}/nope.env\n");

        var e = Assert.Throws<ComposeEngineException>(() => ServiceEnvironment.Resolve(project.Service("s")!, _ => null));
        Assert.Equal($"env file {_dir}/nope.env not found: stat {_dir}/nope.env: no such file or directory", e.Message);
    }

    [Fact]
    public void Raw_LineWithoutEquals_ErrorNamesFileAndLine()
    {
        var e = Assert.Throws<DotEnvException>(() => ServiceEnvironment.Raw("A=1\nBROKEN\n", "x.env"));

        Assert.Equal("x.env:2: expected KEY=VALUE (format: raw), got \"BROKEN\"", e.Message);
    }

    [Fact]
    public void Load_UnknownFormat_Refused()
    {
        var e = Assert.Throws<ComposeFileException>(() => ComposeProjectLoaderTests.Load("services:\n  s:\n    image: x\n    env_file:\n      - path: a.env\n        format: json\n"));

        Assert.Contains("unsupported env_file format \"json\"", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StackConvert_EnvFileIntoServiceEnv_AsDockerCli()
    {
        var a = Write("a.env", "A=1\n");
        var project = ComposeProjectLoaderTests.Load($"services:\n  s:\n    image: x\n    env_file: {a}\n    environment: [B=2, SHELL_ONLY]\n");

        var spec = StackConverter.Convert(project, "st", new List<string>(), k => k == "SHELL_ONLY" ? "v" : null).Single().Spec;

        Assert.Equal(["A=1", "B=2", "SHELL_ONLY=v"], spec.TaskTemplate.ContainerSpec!.Env);
    }
}
