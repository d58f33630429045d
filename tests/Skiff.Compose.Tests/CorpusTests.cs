namespace Skiff.Compose.Tests;

/// <summary>
/// Each directory under <c>Corpus/</c> is a small project written for these tests from a chapter of the compose
/// specification: <c>compose.yaml</c> (plus the files it extends or includes), optionally <c>env</c> (variables,
/// dotenv syntax, as the environment), and either <c>expected.yaml</c> (the <c>compose config</c> output) or
/// <c>error.txt</c> (the one-line error). <c>$DIR</c> stands for the case's directory.
/// </summary>
public sealed class CorpusTests
{
    private static readonly string Root = Path.Combine(AppContext.BaseDirectory, "Corpus");

    public static TheoryData<string> Cases => new(Directory.GetDirectories(Root).Select(d => Path.GetFileName(d)).Order(StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(Cases))]
    public void Corpus_LoadsToExpectedConfigOrError(string name)
    {
        var dir = Path.Combine(Root, name);
        var envFile = Path.Combine(dir, "env");
        var env = File.Exists(envFile) ? DotEnv.Parse(File.ReadAllText(envFile), envFile) : new Dictionary<string, string>();
        var options = new ComposeLoadOptions { ProjectDirectory = dir, Lookup = n => env.TryGetValue(n, out var v) ? v : null, Home = "/home/u" };
        ComposeProject Load() => ComposeProjectLoader.Load([new ComposeFileSource("compose.yaml", File.ReadAllText(Path.Combine(dir, "compose.yaml")))], options);

        var errorFile = Path.Combine(dir, "error.txt");
        if (File.Exists(errorFile))
        {
            var e = Assert.Throws<ComposeFileException>(Load);
            Assert.Equal(File.ReadAllText(errorFile).TrimEnd('\n').Replace("$DIR", dir, StringComparison.Ordinal), e.Message);
            Assert.DoesNotContain('\n', e.Message);
        }
        else
        {
            var output = ComposeConfigWriter.ToYaml(Load());
            Assert.Equal(File.ReadAllText(Path.Combine(dir, "expected.yaml")), output.Replace(dir, "$DIR", StringComparison.Ordinal));

            // compose config's output is itself a compose file that loads to the same project.
            var again = ComposeProjectLoader.Load([new ComposeFileSource("config.yaml", output)], options);
            Assert.Equal(output, ComposeConfigWriter.ToYaml(again));
        }
    }
}
