namespace Skiff.Compose.Tests;

public sealed class ComposeGraphTests
{
    /// <summary>15-profiles.md's illustrative example.</summary>
    private const string ProfilesExample = """
        services:
          foo:
            image: foo
          bar:
            image: bar
            profiles:
              - test
          baz:
            image: baz
            depends_on:
              - bar
            profiles:
              - test
          zot:
            image: zot
            depends_on:
              - bar
            profiles:
              - debug

        """;

    private static ComposeProject Load(string yaml, IReadOnlyList<string>? profiles = null, IReadOnlyList<string>? explicitServices = null, string? composeProfiles = null) =>
        ComposeProjectLoader.Load(
            [new ComposeFileSource("compose.yaml", yaml)],
            new ComposeLoadOptions
            {
                ProjectDirectory = "/p",
                Profiles = profiles,
                ExplicitServices = explicitServices ?? [],
                Lookup = n => n == ComposeProjectLoader.ProfilesEnvironmentVariable ? composeProfiles : null,
            });

    /// <summary>Each bullet of the spec's example: active profiles, explicit services, enabled services or the error.</summary>
    public static TheoryData<string, string, string> ProfileCases => new()
    {
        { "", "", "foo" },
        { "test", "", "foo bar baz" },
        { "debug", "", "error: service \"bar\" was pulled in as a dependency of service \"zot\" but is not enabled by the active profiles." },
        { "debug,test", "", "foo bar baz zot" },
        { "*", "", "foo bar baz zot" },
        { "", "bar", "foo bar baz" },
        { "", "baz", "foo bar baz" },
        { "", "zot", "error: service \"bar\" was pulled in as a dependency of service \"zot\" but is not enabled by the active profiles." },
        { "test", "zot", "foo bar baz zot" },
        { "", "nope", "error: no such service: nope" },
    };

    [Theory]
    [MemberData(nameof(ProfileCases))]
    public void Profiles_SpecExample(string profiles, string explicitServices, string expected)
    {
        var active = profiles.Split(',', StringSplitOptions.RemoveEmptyEntries);
        var named = explicitServices.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (expected.StartsWith("error: ", StringComparison.Ordinal))
        {
            var e = Assert.Throws<ComposeFileException>(() => Load(ProfilesExample, active, named));
            Assert.Contains(expected["error: ".Length..], e.Message, StringComparison.Ordinal);
            Assert.DoesNotContain('\n', e.Message);
        }
        else
        {
            Assert.Equal(expected, string.Join(' ', Load(ProfilesExample, active, named).Services.Select(s => s.Name)));
        }
    }

    [Fact]
    public void Profiles_FromComposeProfilesVariable_UnlessGivenExplicitly()
    {
        Assert.Equal(["foo", "bar", "baz"], Load(ProfilesExample, composeProfiles: " test ,").Services.Select(s => s.Name));
        Assert.Equal(["foo"], Load(ProfilesExample, profiles: [], composeProfiles: "test").Services.Select(s => s.Name));
    }

    [Fact]
    public void Profiles_OptionalDependencyOnDisabledService_Allowed()
    {
        var project = Load("services:\n  web:\n    image: w\n    depends_on:\n      db: {condition: service_started, required: false}\n  db:\n    image: d\n    profiles: [db]\n");
        Assert.Equal(["web"], project.Services.Select(s => s.Name));
        Assert.Equal(["web"], ComposeGraph.StartOrder(project).Select(s => s.Name));
    }

    public static TheoryData<string, string> DependencyErrors => new()
    {
        { "services:\n  web:\n    image: w\n    depends_on: [web]\n", "compose.yaml:4:17: dependency cycle detected: web -> web" },
        { "services:\n  a:\n    image: a\n    depends_on: [b]\n  b:\n    image: b\n    depends_on:\n      a: {condition: service_healthy}\n", "compose.yaml:4:17: dependency cycle detected: a -> b -> a" },
        { "services:\n  a:\n    image: a\n    network_mode: service:b\n  b:\n    image: b\n    volumes_from: [a]\n", "compose.yaml:3:5: dependency cycle detected: a -> b -> a" },
        { "services:\n  web:\n    image: w\n    links: [\"db:database\"]\n", "compose.yaml:4:13: service \"web\" depends on undefined service \"db\": invalid compose project" },
        { "services:\n  web:\n    image: w\n    network_mode: \"service:vpn\"\n", "compose.yaml:4:19: service \"web\" depends on undefined service \"vpn\": invalid compose project" },
        { "services:\n  web:\n    image: w\n    volumes_from: [\"data:ro\"]\n", "compose.yaml:4:20: service \"web\" depends on undefined service \"data\": invalid compose project" },
        { "services:\n  web:\n    image: w\n    configs: [nginx]\n", "compose.yaml:4:15: service \"web\" refers to undefined config nginx: invalid compose project" },
    };

    [Theory]
    [MemberData(nameof(DependencyErrors))]
    public void Dependencies_Invalid_OneLineError(string yaml, string message)
    {
        var e = Assert.Throws<ComposeFileException>(() => Load(yaml));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void ImplicitDependencies_AddedAsStartedAndRequired_ContainerReferencesIgnored()
    {
        var project = Load("services:\n  app:\n    image: a\n    links: [\"cache:c\"]\n    network_mode: service:proxy\n    volumes_from: [\"data:ro\", \"container:legacy\"]\n    depends_on:\n      cache: {condition: service_healthy}\n  cache:\n    image: c\n  proxy:\n    image: p\n  data:\n    image: d\n");
        var app = project.Service("app")!;
        Assert.Equal(["cache", "proxy", "data"], app.DependsOn.Keys);
        Assert.Equal(new ServiceDependency("service_healthy", true, false), app.DependsOn["cache"]);
        Assert.Equal(new ServiceDependency("service_started", true, false), app.DependsOn["proxy"]);
        Assert.Equal(new ServiceDependency("service_started", true, false), app.DependsOn["data"]);
    }

    [Fact]
    public void StartOrder_EarliestReadyServiceInDocumentOrderFirst()
    {
        var project = Load("services:\n  web:\n    image: w\n    depends_on: [api, static]\n  worker:\n    image: k\n    depends_on: [queue]\n  api:\n    image: a\n    depends_on: [db]\n  static:\n    image: s\n  db:\n    image: d\n  queue:\n    image: q\n");
        Assert.Equal(["static", "db", "api", "web", "queue", "worker"], ComposeGraph.StartOrder(project).Select(s => s.Name));
    }

    [Fact]
    public void WithDependencies_NamedServicesAndTheirDependencies_InStartOrder()
    {
        var project = Load("services:\n  web:\n    image: w\n    depends_on: [api]\n  api:\n    image: a\n    links: [db]\n  db:\n    image: d\n  other:\n    image: o\n");
        Assert.Equal(["db", "api", "web"], ComposeGraph.WithDependencies(project, ["web"]).Select(s => s.Name));
        Assert.Equal(["db", "other"], ComposeGraph.WithDependencies(project, ["other", "db"]).Select(s => s.Name));
        var e = Assert.Throws<ComposeFileException>(() => ComposeGraph.WithDependencies(project, ["nope"]));
        Assert.Equal("no such service: nope", e.Message);
    }

    /// <summary>Every kind of bad file ends as one ComposeFileException with one line naming the file and position.</summary>
    public static TheoryData<string, string> BadFiles => new()
    {
        { "services:\n  web:\n    image: [\n", "compose.yaml:4:1: " },
        { "services:\n  web:\n    image: \"${TAG:?TAG must be set}\"\n", "compose.yaml:3:12: error while interpolating services.web.image: required variable TAG is missing a value: TAG must be set" },
        { "services:\n  web:\n    image: \"${TAG\"\n", "compose.yaml:3:12: error while interpolating services.web.image: Invalid template: \"${TAG\" (at position 0)" },
        { "services:\n  web:\n    image: w\n    deploy: {mode: everywhere}\n", "compose.yaml:4:20: services.web.deploy.mode: invalid mode \"everywhere\"" },
        { "services:\n  a:\n    extends: b\n  b:\n    extends: a\n", "compose.yaml:3:14: Circular reference: a in /p/compose.yaml extends b in /p/compose.yaml extends a in /p/compose.yaml" },
        { "services:\n  a:\n    image: a\n    depends_on: [b]\n  b:\n    image: b\n    depends_on: [a]\n", "compose.yaml:4:17: dependency cycle detected: a -> b -> a" },
        { "services:\n  web:\n    image: w\n    depends_on: [db]\n", "compose.yaml:4:18: service \"web\" depends on undefined service \"db\": invalid compose project" },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void BadFile_OneClearError(string yaml, string message)
    {
        var e = Assert.Throws<ComposeFileException>(() => Load(yaml));
        Assert.StartsWith(message, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Equal("compose.yaml", e.File);
        Assert.True(e.Line > 0);
    }
}
