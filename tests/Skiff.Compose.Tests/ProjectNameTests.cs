namespace Skiff.Compose.Tests;

public sealed class ProjectNameTests
{
    [Theory]
    [InlineData("myapp", "myapp")]
    [InlineData("My App", "myapp")]
    [InlineData("my.app_v2-x", "myapp_v2-x")]
    [InlineData("__-Front", "front")]
    [InlineData("Été", "t")]
    [InlineData("...", "")]
    public void Normalize_Name_Expected(string input, string expected)
    {
        Assert.Equal(expected, ProjectName.Normalize(input));
    }

    [Theory]
    [InlineData("app", true)]
    [InlineData("1app_x-y", true)]
    [InlineData("_app", false)]
    [InlineData("-app", false)]
    [InlineData("App", false)]
    [InlineData("a.b", false)]
    [InlineData("", false)]
    public void IsValid_Name_Expected(string name, bool valid)
    {
        Assert.Equal(valid, ProjectName.IsValid(name));
    }

    [Theory]
    [InlineData("flag", "env", "file", "/tmp/Dir", "flag")]
    [InlineData(null, "env", "file", "/tmp/Dir", "env")]
    [InlineData("", "", "My File", "/tmp/Dir", "myfile")]
    [InlineData(null, null, null, "/tmp/My.Dir/", "mydir")]
    [InlineData(null, null, "!!!", "/tmp/dir", "dir")]
    public void Resolve_Sources_PrecedenceApplied(string? flag, string? env, string? file, string dir, string expected)
    {
        Assert.Equal(expected, ProjectName.Resolve(flag, env, file, dir));
    }

    [Theory]
    [InlineData("Bad", null)]
    [InlineData(null, "_bad")]
    public void Resolve_InvalidExplicitName_Throws(string? flag, string? env)
    {
        var e = Assert.Throws<ArgumentException>(() => ProjectName.Resolve(flag, env, "file", "/tmp/dir"));
        Assert.Contains("is not a valid project name", e.Message, StringComparison.Ordinal);
    }
}

public sealed class ComposeFileDiscoveryTests
{
    [Fact]
    public void Discover_PreferredNameAndOverride_FoundWithWarning()
    {
        var root = Directory.CreateTempSubdirectory("skiff-discovery-");
        try
        {
            File.WriteAllText(Path.Combine(root.FullName, "docker-compose.yml"), "");
            File.WriteAllText(Path.Combine(root.FullName, "compose.yaml"), "");
            File.WriteAllText(Path.Combine(root.FullName, "compose.override.yaml"), "");
            var sub = Directory.CreateDirectory(Path.Combine(root.FullName, "a", "b"));

            var found = ComposeFileDiscovery.Discover(sub.FullName);

            Assert.Equal(
                [Path.Combine(root.FullName, "compose.yaml"), Path.Combine(root.FullName, "compose.override.yaml")],
                found.Files.ToArray());
            Assert.Equal(2, found.Warnings.Count);
            Assert.StartsWith("Found multiple config files with supported names: ", found.Warnings[0], StringComparison.Ordinal);
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    [Fact]
    public void Discover_ComposeFileVariable_Wins()
    {
        var env = new Dictionary<string, string> { ["COMPOSE_FILE"] = "a.yml;/abs/b.yml", ["COMPOSE_PATH_SEPARATOR"] = ";" };
        var found = ComposeFileDiscovery.Discover("/work", k => env.TryGetValue(k, out var v) ? v : null);
        Assert.Equal(["/work/a.yml", "/abs/b.yml"], found.Files.ToArray());
    }

    [Fact]
    public void Discover_Nothing_Empty()
    {
        var root = Directory.CreateTempSubdirectory("skiff-discovery-");
        try
        {
            // /tmp and / are assumed to hold no compose file.
            Assert.Empty(ComposeFileDiscovery.Discover(root.FullName).Files);
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }
}
