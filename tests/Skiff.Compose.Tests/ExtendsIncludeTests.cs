namespace Skiff.Compose.Tests;

/// <summary>extends and include over an in-memory file system (<see cref="ComposeLoadOptions.ReadFile"/>) rooted at /p.</summary>
public sealed class ExtendsIncludeTests
{
    private static ComposeProject Load(string main, Dictionary<string, string>? files = null, Func<string, string?>? lookup = null) =>
        ComposeProjectLoader.Load(
            [new ComposeFileSource("compose.yaml", main)],
            new ComposeLoadOptions
            {
                ProjectDirectory = "/p",
                Home = "/home/u",
                Lookup = lookup,
                ReadFile = path => files is not null && files.TryGetValue(path, out var content) ? content : throw new FileNotFoundException(path),
            });

    private static string ServiceYaml(ComposeProject project, string name)
    {
        // The service's block of `compose config`, without the project-level sections.
        var yaml = ComposeConfigWriter.ToYaml(project);
        var lines = yaml.Split('\n');
        var start = Array.IndexOf(lines, $"  {name}:");
        var end = Array.FindIndex(lines, start + 1, l => l.Length > 2 && l[2] != ' ' || l.Length > 0 && l[0] != ' ');
        return string.Join('\n', lines[(start + 1)..end]);
    }

    /// <summary>The merge rules for extended services (13-merge.md applied as 05-services.md extends says).</summary>
    public static TheoryData<string, string, string> ExtendsMergeRules => new()
    {
        // Scalars: the extending service wins.
        { "image: a\nrestart: always", "image: b", "    image: b\n    networks:\n      default: null\n    restart: always" },

        // Mappings merge by key (environment in list and map syntax alike).
        { "image: a\nenvironment: [A=1, B=2]", "environment: {B: 3, C: 4}", "    environment:\n      A: \"1\"\n      B: \"3\"\n      C: \"4\"\n    image: a\n    networks:\n      default: null" },

        // command/entrypoint are replaced, not appended.
        { "image: a\ncommand: [x, y]", "command: z", "    command:\n      - z\n    image: a\n    networks:\n      default: null" },

        // Sequences append, unique resources (ports) keyed by their binding; links de-duplicated.
        { "image: a\nports: [\"80:80\"]", "ports: [\"80:80\", \"443:443\"]", "    image: a\n    networks:\n      default: null\n    ports:\n      - mode: ingress\n        target: 80\n        published: \"80\"\n        protocol: tcp\n      - mode: ingress\n        target: 443\n        published: \"443\"\n        protocol: tcp" },

        // !reset drops the base's value; !override replaces a mapping without merging.
        { "image: a\nlabels: {x: \"1\"}\nhostname: h", "hostname: !reset null\nlabels: !override {k2: \"2\"}", "    image: a\n    labels:\n      k2: \"2\"\n    networks:\n      default: null" },
    };

    [Theory]
    [MemberData(nameof(ExtendsMergeRules))]
    public void Extends_MergesBaseThenService(string @base, string derived, string expected)
    {
        static string Indent(string s) => string.Join('\n', s.Split('\n').Select(l => "    " + l));
        var project = Load($"services:\n  base:\n{Indent(@base)}\n  web:\n    extends: base\n{Indent(derived)}\n");
        Assert.Equal(expected, ServiceYaml(project, "web"));
    }

    [Fact]
    public void Extends_ChainAcrossFiles_PathsRelativeToEachFile()
    {
        var files = new Dictionary<string, string>
        {
            ["/p/lib/base.yaml"] = "services:\n  core:\n    image: core\n    env_file: core.env\n  app:\n    extends: {file: ../shared/app.yaml, service: app}\n    labels: [layer=base]\n",
            ["/p/shared/app.yaml"] = "services:\n  app:\n    extends: core\n    build: ./src\n  core:\n    image: shared-core\n    volumes: [\"./cfg:/cfg\"]\n",
        };
        var project = Load("services:\n  web:\n    extends:\n      file: lib/base.yaml\n      service: app\n", files);
        var web = project.Service("web")!;
        Assert.Equal("shared-core", web.Image);
        Assert.Equal("/p/shared/src", web.Build!.Context);
        Assert.Equal("/p/shared/cfg", Assert.Single(web.Volumes).Source);
        Assert.Equal("base", web.Labels["layer"]);
        Assert.Equal(["web"], project.Services.Select(s => s.Name));
    }

    public static TheoryData<string, string> ExtendsErrors => new()
    {
        { "services:\n  web:\n    extends: nope\n", "compose.yaml:3:14: cannot extend service \"web\" in /p/compose.yaml: service \"nope\" not found" },
        { "services:\n  web:\n    extends: {file: other.yaml, service: nope}\n", "compose.yaml:3:14: cannot extend service \"web\" in /p/other.yaml: service \"nope\" not found" },
        { "services:\n  web:\n    extends: {file: missing.yaml, service: x}\n", "compose.yaml:3:21: services.web.extends.file: open /p/missing.yaml: no such file or directory" },
        { "services:\n  web:\n    image: a\n    extends: web\n", "compose.yaml:4:14: Circular reference: web in /p/compose.yaml extends web in /p/compose.yaml" },
        { "services:\n  web:\n    extends: {file: other.yaml, service: back}\n", "/p/compose.yaml:3:14: Circular reference: web in /p/compose.yaml extends back in /p/other.yaml extends web in /p/compose.yaml" },
    };

    [Theory]
    [MemberData(nameof(ExtendsErrors))]
    public void Extends_Error_OneLine(string main, string message)
    {
        var files = new Dictionary<string, string>
        {
            ["/p/other.yaml"] = "services:\n  back:\n    extends: {file: compose.yaml, service: web}\n  x:\n    image: x\n",
            ["/p/compose.yaml"] = main,
        };
        var e = Assert.Throws<ComposeFileException>(() => Load(main, files));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void Include_ShortAndLongSyntax_ResourcesImportedWithTheirPaths()
    {
        var files = new Dictionary<string, string>
        {
            ["/p/db/compose.yaml"] = "services:\n  db:\n    image: \"pg:${PG}\"\n    volumes: [\"./init:/init\", \"data:/var/lib\"]\nvolumes:\n  data: {}\n",
            ["/p/db/.env"] = "PG=16\n",
            ["/p/cache/a.yaml"] = "services:\n  cache:\n    image: redis\n    env_file: cache.env\nnetworks:\n  back: {}\n",
            ["/p/cache/b.yaml"] = "services:\n  cache:\n    command: redis-server --save ''\n",
            ["/p/conf/cache.env"] = "",
        };
        var project = ComposeProjectLoader.Load(
            [new ComposeFileSource("compose.yaml", "include:\n  - db/compose.yaml\n  - path: [cache/a.yaml, cache/b.yaml]\n    project_directory: conf\nservices:\n  web:\n    image: web\n    depends_on: [db, cache]\n")],
            new ComposeLoadOptions
            {
                ProjectDirectory = "/p",
                ReadFile = p => files.TryGetValue(p, out var content) ? content : throw new FileNotFoundException(p),
            });
        Assert.Equal(["web", "db", "cache"], project.Services.Select(s => s.Name));
        var db = project.Service("db")!;
        Assert.Equal("pg:16", db.Image);
        Assert.Equal("/p/db/init", db.Volumes[0].Source);
        Assert.Equal("p_data", project.Volumes["data"].Name);
        var cache = project.Service("cache")!;
        Assert.Equal(["redis-server", "--save", ""], cache.Command!);
        Assert.Equal("/p/conf/cache.env", Assert.Single(cache.EnvFiles).Path);
        Assert.True(project.Networks.ContainsKey("back"));
    }

    [Fact]
    public void Include_EnvFileGivesDefaults_EnvironmentWins()
    {
        var files = new Dictionary<string, string>
        {
            ["/p/sub.yaml"] = "services:\n  s:\n    image: \"${IMG}:${TAG}\"\n",
            ["/p/vars.env"] = "IMG=from-file\nTAG=1\n",
        };
        var project = Load("include:\n  - path: sub.yaml\n    env_file: vars.env\n", files, n => n == "TAG" ? "2" : null);
        Assert.Equal("from-file:2", project.Service("s")!.Image);
    }

    public static TheoryData<string, string> IncludeErrors => new()
    {
        { "include: [a.yaml]\nservices:\n  web:\n    image: mine\n", "compose.yaml:1:11: imported compose file [/p/a.yaml] defines conflicting service web" },
        { "include: [a.yaml]\nnetworks:\n  net:\n    driver: overlay\n", "compose.yaml:1:11: imported compose file [/p/a.yaml] defines conflicting network net" },
        { "include: [loop1.yaml]\n", "/p/loop2.yaml:1:11: include cycle detected: /p/loop1.yaml -> /p/loop2.yaml -> /p/loop1.yaml" },
        { "include: [none.yaml]\n", "compose.yaml:1:11: include: open /p/none.yaml: no such file or directory" },
        { "include: [bad.yaml]\n", "/p/bad.yaml:2:3: services Additional property bad name is not allowed" },
    };

    [Theory]
    [MemberData(nameof(IncludeErrors))]
    public void Include_Error_OneLine(string main, string message)
    {
        var files = new Dictionary<string, string>
        {
            ["/p/a.yaml"] = "services:\n  web:\n    image: theirs\nnetworks:\n  net: {}\n",
            ["/p/loop1.yaml"] = "include: [loop2.yaml]\n",
            ["/p/loop2.yaml"] = "include: [loop1.yaml]\n",
            ["/p/bad.yaml"] = "services:\n  bad name:\n    image: x\n",
        };
        var e = Assert.Throws<ComposeFileException>(() => Load(main, files));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void Include_SameResourceReachedTwice_Accepted()
    {
        var files = new Dictionary<string, string>
        {
            ["/p/a.yaml"] = "include: [common.yaml]\nservices:\n  a:\n    image: a\n",
            ["/p/b.yaml"] = "include: [common.yaml]\nservices:\n  b:\n    image: b\n",
            ["/p/common.yaml"] = "services:\n  common:\n    image: c\n",
        };
        var project = Load("include: [a.yaml, b.yaml]\n", files);
        Assert.Equal(["a", "common", "b"], project.Services.Select(s => s.Name));
    }
}
