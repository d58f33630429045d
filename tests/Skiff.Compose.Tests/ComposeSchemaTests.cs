namespace Skiff.Compose.Tests;

public sealed class ComposeSchemaTests
{
    private static ComposeProject Load(string yaml, Func<string, string?>? lookup = null) => ComposeProjectLoaderTests.Load(yaml, lookup);

    public static TheoryData<string, string> Violations => new()
    {
        { "services:\n  web:\n    image: 3\n", "compose.yaml:3:12: services.web.image must be a string" },
        { "services:\n  web:\n    image: 1.0\n", "compose.yaml:3:12: services.web.image must be a string" },
        { "services:\n  web:\n    build: 3\n", "compose.yaml:3:12: services.web.build must be a string or a mapping" },
        { "services:\n  web:\n    build: {context: ., foo: 1}\n", "compose.yaml:3:25: services.web.build Additional property foo is not allowed" },
        { "services:\n  web:\n    image: a\n    volumes: [{type: nfs, target: /x}]\n", "compose.yaml:4:22: services.web.volumes[0].type must be one of the following: \"bind\", \"volume\", \"tmpfs\", \"cluster\", \"npipe\", \"image\"" },
        { "services:\n  web app:\n    image: a\n", "compose.yaml:2:3: services Additional property web app is not allowed" },
        { "services:\n  web:\n    image: a\n    extends: {file: other.yaml}\n", "compose.yaml:4:14: services.web.extends.service is required" },
        { "services:\n  web:\n    image: a\n    environment: 3\n", "compose.yaml:4:18: services.web.environment must be a mapping or a list" },
        { "services:\n  web:\n    image: a\n    labels:\n      a/b: [1]\n", "compose.yaml:5:12: services.web.labels.a/b must be a string or a number or a boolean or null" },
        { "services:\n  web:\n    image: a\n    ports: 80\n", "compose.yaml:4:12: services.web.ports must be a list" },
        { "services:\n  web:\n    image: a\n    cpu_percent: 200\n", "compose.yaml:4:18: services.web.cpu_percent must be less than or equal to 100" },
        { "services:\n  web:\n    image: a\n    cap_add: [NET_ADMIN, NET_ADMIN]\n", "compose.yaml:4:14: services.web.cap_add must contain unique items" },
        { "networks:\n  front:\n    driver: bridge\n    foo: 1\n", "compose.yaml:4:5: networks.front Additional property foo is not allowed" },
        { "include:\n  - 3\n", "compose.yaml:2:5: include[0] must be a string or a mapping" },
    };

    [Theory]
    [MemberData(nameof(Violations))]
    public void Load_SchemaViolation_OneLineWithPositionAndPath(string yaml, string message)
    {
        var e = Assert.Throws<ComposeFileException>(() => Load(yaml));
        Assert.Equal(message, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    public static TheoryData<string> Valid => new()
    {
        // x- extensions at the top level, in a service, a network, a volume and a deploy section.
        "x-top: {a: 1}\nservices:\n  web:\n    image: a\n    x-meta: [1, 2]\n    deploy:\n      x-d: 1\nnetworks:\n  n:\n    x-n: 1\nvolumes:\n  v:\n    x-v: 1\n",

        // A !reset entry is dropped before validation, as compose-go's reset processor does.
        "services:\n  web:\n    image: a\n    ports: !reset null\n",

        // Quoted numbers are strings; unquoted ones are numbers where the schema accepts both.
        "services:\n  web:\n    image: \"1.0\"\n    user: \"1000\"\n    scale: 2\n",
        "name: demo\nversion: \"3.8\"\nservices: {}\n",
    };

    [Theory]
    [MemberData(nameof(Valid))]
    public void Load_ConformingFile_Accepted(string yaml) => Assert.NotNull(Load(yaml));

    [Fact]
    public void Load_InterpolatedValues_StringsExceptWhereComposeCasts()
    {
        // ${T}=1.0 stays the string "1.0" (an unquoted 1.0 is a number and rejected), and ${R}=3 becomes the
        // integer deploy.replicas needs: compose-go casts that path after interpolation.
        var vars = new Dictionary<string, string> { ["T"] = "1.0", ["R"] = "3", ["P"] = "80", ["E"] = "true" };
        var project = Load(
            "services:\n  web:\n    image: ${T}\n    deploy:\n      replicas: ${R}\n    ports:\n      - target: ${P}\nvolumes:\n  v:\n    external: ${E}\n",
            n => vars.GetValueOrDefault(n));
        var web = project.Service("web")!;
        Assert.Equal("1.0", web.Image);
        Assert.Equal(3, web.Deploy!.Replicas);
        Assert.Equal(80, Assert.Single(web.Ports).Target);
        Assert.True(project.Volumes["v"].External);
    }

    [Fact]
    public void Load_OverrideFileIsValidatedOnItsOwn_ErrorNamesThatFile()
    {
        var e = Assert.Throws<ComposeFileException>(() => ComposeProjectLoaderTests.Load("services:\n  web:\n    image: a\n", null, "services:\n  web:\n    tty: maybe\n"));
        Assert.Equal("override0.yaml:3:10: services.web.tty: must be a boolean, got \"maybe\"", e.Message);
        var schema = Assert.Throws<ComposeFileException>(() => ComposeProjectLoaderTests.Load("services:\n  web:\n    image: a\n", null, "services:\n  web:\n    tty: [1]\n"));
        Assert.Equal("override0.yaml:3:10: services.web.tty must be a boolean or a string", schema.Message);
    }

    [Fact]
    public void SchemaText_IsTheEmbeddedComposeSpecSchema()
    {
        var text = ComposeSchema.SchemaText;
        Assert.Contains("\"$id\": \"compose_spec.json\"", text, StringComparison.Ordinal);
        Assert.Contains("\"^x-\"", text, StringComparison.Ordinal);
    }
}
