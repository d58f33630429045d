using Skiff.Api.Build;

namespace Skiff.Runtime.Tests.Build;

public sealed class DockerIgnoreTests
{
    [Theory]
    [InlineData("*.md", "README.md", true)]
    [InlineData("*.md", "docs/README.md", false)]
    [InlineData("**/*.md", "docs/README.md", true)]
    [InlineData("**/*.md", "README.md", true)]
    [InlineData("docs/**", "docs/a/b.txt", true)]
    [InlineData("node_modules", "node_modules/x/y.js", true)]
    [InlineData("/node_modules", "node_modules/x", true)]
    [InlineData("./build", "build/out.o", true)]
    [InlineData("temp?", "temp1", true)]
    [InlineData("temp?", "temp12", false)]
    [InlineData("*/temp*", "a/temporary", true)]
    [InlineData("*/temp*", "a/b/temporary", false)]
    [InlineData("[ab].txt", "a.txt", true)]
    [InlineData("[ab].txt", "c.txt", false)]
    [InlineData("[^ab].txt", "c.txt", true)]
    [InlineData("a+b", "a+b", true)]
    [InlineData("a/../b", "b", true)]
    [InlineData("#notacomment", "#notacomment", false)]
    [InlineData(" spaced ", "spaced", true)]
    [InlineData("file.txt", "file_txt", false)]
    public void Matches_SinglePattern_AsDocker(string pattern, string path, bool expected)
    {
        Assert.Equal(expected, DockerIgnore.Parse(pattern).Matches(path));
    }

    [Theory]
    [InlineData("keep.md", false)]
    [InlineData("other.md", true)]
    [InlineData("sub/keep.md", false)]
    [InlineData("src/main.c", false)]
    public void Matches_Exceptions_LastMatchWins(string path, bool expected)
    {
        var ignore = DockerIgnore.Parse("# comment\n*.md\n**/*.md\n!keep.md\n!**/keep.md\n\n");
        Assert.Equal(expected, ignore.Matches(path));
    }

    [Fact]
    public void Matches_ExceptionThenReexclude_Excluded()
    {
        var ignore = DockerIgnore.Parse("*.md\n!README*.md\nREADME-secret.md");
        Assert.False(ignore.Matches("README.md"));
        Assert.True(ignore.Matches("README-secret.md"));
    }

    [Fact]
    public void Parse_Comments_SkippedAndPatternsCleaned()
    {
        var ignore = DockerIgnore.Parse("# c\n/a/\n./b\n! /c\n");
        Assert.Equal(["a", "b", "!c"], ignore.Patterns);
    }

    [Fact]
    public void Parse_IgnoresEverything_DockerfileAndDockerignoreStillSent()
    {
        var ignore = DockerIgnore.Parse("*", "build/Dockerfile.web");
        Assert.True(ignore.Matches("src/app.cs"));
        Assert.False(ignore.Matches(".dockerignore"));
        Assert.False(ignore.Matches("build/Dockerfile.web"));
        Assert.False(DockerIgnore.Parse("Dockerfile\n.dockerignore").Matches("Dockerfile"));
    }
}
