namespace Skiff.Compose.Tests;

public sealed class DotEnvTests
{
    private static string Render(IReadOnlyDictionary<string, string> values) =>
        string.Join("|", values.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));

    [Theory]
    [InlineData("A=1", "A=1")]
    [InlineData("export A=1", "A=1")]
    [InlineData("export   A=1", "A=1")]
    [InlineData("exported=1", "exported=1")]
    [InlineData("A = 1 ", "A=1")]
    [InlineData("A: 1", "A=1")]
    [InlineData("A=", "A=")]
    [InlineData("A=  spaced value  ", "A=spaced value")]
    [InlineData("A=1\nB=2", "A=1|B=2")]
    [InlineData("A=1\r\nB=2\r\n", "A=1|B=2")]
    [InlineData("\n\n  A=1\n\n", "A=1")]
    [InlineData("A.B-C[0]=1", "A.B-C[0]=1")]
    [InlineData("A=x=y", "A=x=y")]
    [InlineData("\uFEFFA=1", "A=1")]
    public void Parse_Assignment_Expected(string content, string expected)
    {
        Assert.Equal(expected, Render(DotEnv.Parse(content)));
    }

    [Theory]
    [InlineData("# comment\nA=1", "A=1")]
    [InlineData("  # indented comment\nA=1\n# trailing", "A=1")]
    [InlineData("A=1 # comment", "A=1")]
    [InlineData("A=1#not-a-comment", "A=1#not-a-comment")]
    [InlineData("A=\"x # kept\" # dropped", "A=x # kept")]
    [InlineData("A='x' # dropped", "A=x")]
    public void Parse_Comment_Expected(string content, string expected)
    {
        Assert.Equal(expected, Render(DotEnv.Parse(content)));
    }

    [Theory]
    [InlineData("A='literal $B ${B} \\n'", "A=literal $B ${B} \\n")]
    [InlineData("A=''", "A=")]
    [InlineData("A='it\\'s'", "A=it\\'s")]
    [InlineData("A='  padded  '", "A=  padded  ")]
    [InlineData("A=\"a\\nb\"", "A=a\nb")]
    [InlineData("A=\"a\\tb\"", "A=a\tb")]
    [InlineData("A=\"a\\rb\"", "A=a\rb")]
    [InlineData("A=\"q\\\"q\"", "A=q\"q")]
    [InlineData("A=\"back\\\\slash\"", "A=back\\slash")]
    [InlineData("A=\"ends\\\\\"", "A=ends\\")]
    [InlineData("A=\"\\$B\"", "A=$B")]
    [InlineData("A=\"\\0101\"", "A=A")]
    [InlineData("A=\"\\x41\"", "A=\\x41")]
    [InlineData("A=\"\"", "A=")]
    [InlineData("A=\"  padded  \"", "A=  padded  ")]
    public void Parse_Quoted_Expected(string content, string expected)
    {
        Assert.Equal(expected, Render(DotEnv.Parse(content)));
    }

    [Theory]
    [InlineData("A=\"line1\nline2\"", "A=line1\nline2")]
    [InlineData("A='line1\nline2'\nB=2", "A=line1\nline2|B=2")]
    [InlineData("A=\"l1\n  l2\n\"\nB=\"x\"", "A=l1\n  l2\n|B=x")]
    public void Parse_MultiLine_Expected(string content, string expected)
    {
        Assert.Equal(expected, Render(DotEnv.Parse(content)));
    }

    [Theory]
    [InlineData("B=1\nA=\"${B}x\"", "A=1x|B=1")]
    [InlineData("B=1\nA=${B}x", "A=1x|B=1")]
    [InlineData("B=1\nA=$B", "A=1|B=1")]
    [InlineData("B=1\nA='${B}'", "A=${B}|B=1")]
    [InlineData("A=${NOPE:-dflt}", "A=dflt")]
    [InlineData("A=${FROM_ENV}", "A=env")]
    [InlineData("A=$$literal", "A=$literal")]
    [InlineData("SHADOW=file\nA=${SHADOW}", "A=envshadow|SHADOW=file")]
    public void Parse_Interpolation_Expected(string content, string expected)
    {
        var env = new Dictionary<string, string> { ["FROM_ENV"] = "env", ["SHADOW"] = "envshadow" };
        Assert.Equal(expected, Render(DotEnv.Parse(content, ".env", k => env.TryGetValue(k, out var v) ? v : null)));
    }

    [Theory]
    [InlineData("FROM_ENV", "FROM_ENV=env")]
    [InlineData("FROM_ENV\nB=1", "B=1|FROM_ENV=env")]
    [InlineData("NOT_IN_ENV\nB=1", "B=1")]
    [InlineData("export FROM_ENV", "FROM_ENV=env")]
    public void Parse_KeyWithoutValue_TakesEnvironment(string content, string expected)
    {
        var env = new Dictionary<string, string> { ["FROM_ENV"] = "env" };
        Assert.Equal(expected, Render(DotEnv.Parse(content, ".env", k => env.TryGetValue(k, out var v) ? v : null)));
    }

    [Theory]
    [InlineData("A=1\nB=2\nC!=3", 3, "unexpected character \"!\" in variable name \"C!=3\"")]
    [InlineData("A=1\n\n$X=3", 3, "unexpected character \"$\" in variable name \"$X=3\"")]
    [InlineData("A=\"unterminated", 1, "unterminated quoted value \"unterminated")]
    [InlineData("A=1\n\nB='x\ny", 3, "unterminated quoted value 'x")]
    [InlineData("FOO BAR=1", 1, "key cannot contain a space")]
    [InlineData("A=\"x\ny\"\nB!=1", 3, "unexpected character \"!\" in variable name \"B!=1\"")]
    [InlineData("A=1\nB=${C:?need C}", 2, "required variable C is missing a value: need C")]
    [InlineData("A=${", 1, "Invalid template: \"${\" (at position 0)")]
    [InlineData("# c\nINHERIT\nB=1\n!=2", 4, "unexpected character \"!\" in variable name \"!=2\"")]
    public void Parse_Invalid_ThrowsWithLine(string content, int line, string problem)
    {
        var e = Assert.Throws<DotEnvException>(() => DotEnv.Parse(content, "my.env"));
        Assert.Equal(line, e.Line);
        Assert.Equal(problem, e.Problem);
        Assert.Equal($"failed to read my.env: line {line}: {problem}", e.Message);
    }

    [Fact]
    public void ReadFiles_LaterFileSeesEarlierKeys_LaterWins()
    {
        var dir = Directory.CreateTempSubdirectory("skiff-dotenv-");
        try
        {
            var first = Path.Combine(dir.FullName, "a.env");
            var second = Path.Combine(dir.FullName, "b.env");
            File.WriteAllText(first, "A=1\nB=first\n");
            File.WriteAllText(second, "B=${A}-second\n");
            var result = DotEnv.ReadFiles([first, second]);
            Assert.Equal("A=1|B=1-second", Render(result));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void ReadFiles_Missing_Throws()
    {
        var e = Assert.Throws<DotEnvException>(() => DotEnv.ReadFiles(["/nonexistent/skiff.env"]));
        Assert.Contains("Couldn't find env file", e.Message, StringComparison.Ordinal);
    }
}
