namespace Skiff.Compose.Tests;

public sealed class YamlLoaderTests
{
    private static ComposeMapping LoadOne(string yaml) => Assert.Single(YamlLoader.LoadDocuments(yaml, "compose.yaml"));

    private static string Scalar(ComposeNode? node) => Assert.IsType<ComposeScalar>(node).Value;

    private static ComposeMapping Map(ComposeNode? node) => Assert.IsType<ComposeMapping>(node);

    [Fact]
    public void LoadDocuments_Positions_RecordedForKeysAndValues()
    {
        var doc = LoadOne("services:\n  web:\n    image: nginx\n    ports:\n      - \"80:80\"\n");
        var services = Map(doc["services"]);
        var web = Map(services["web"]);
        var image = Assert.IsType<ComposeScalar>(web["image"]);
        Assert.Equal((3, 12), (image.Line, image.Column));
        Assert.Equal("compose.yaml", image.File);
        var entry = web.Entries[0];
        Assert.Equal(("image", 3, 5), (entry.Key, entry.KeyLine, entry.KeyColumn));
        var port = Assert.Single(Assert.IsType<ComposeSequence>(web["ports"]).Items);
        Assert.Equal((5, 9), (port.Line, port.Column));
        Assert.Equal(ComposeScalarStyle.DoubleQuoted, ((ComposeScalar)port).Style);
    }

    [Fact]
    public void LoadDocuments_AnchorAndAlias_SharedNode()
    {
        var doc = LoadOne("x-env: &env\n  A: 1\nservices:\n  a:\n    environment: *env\n  b:\n    environment: *env\n");
        var services = Map(doc["services"]);
        var a = Map(Map(services["a"])["environment"]);
        var b = Map(Map(services["b"])["environment"]);
        Assert.Same(a, b);
        Assert.Equal("1", Scalar(a["A"]));
        Assert.Equal(1, a.Line); // a block node starts at its anchor
    }

    [Fact]
    public void LoadDocuments_MergeKeySingleMap_ExplicitKeysWin()
    {
        var doc = LoadOne("base: &b\n  image: busybox\n  restart: always\nweb:\n  restart: \"no\"\n  <<: *b\n  user: root\n");
        var web = Map(doc["web"]);
        Assert.Equal(["restart", "image", "user"], web.Keys.ToArray());
        Assert.Equal("no", Scalar(web["restart"]));
        Assert.Equal("busybox", Scalar(web["image"]));
        Assert.False(web.ContainsKey("<<"));
    }

    [Fact]
    public void LoadDocuments_MergeKeyList_EarlierMapsWin()
    {
        var doc = LoadOne("a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\nc:\n  <<: [*a, *b]\n  z: 3\n");
        var c = Map(doc["c"]);
        Assert.Equal("1", Scalar(c["x"]));
        Assert.Equal("1", Scalar(c["y"]));
        Assert.Equal("3", Scalar(c["z"]));
        Assert.Equal(3, c.Count);
    }

    [Fact]
    public void LoadDocuments_MergeKeyNested_Resolved()
    {
        var doc = LoadOne("a: &a {x: 1}\nb: &b\n  <<: *a\n  y: 2\nc:\n  <<: *b\n");
        var c = Map(doc["c"]);
        Assert.Equal("1", Scalar(c["x"]));
        Assert.Equal("2", Scalar(c["y"]));
    }

    [Fact]
    public void LoadDocuments_MergeKeyInlineMap_Resolved()
    {
        var doc = LoadOne("c:\n  <<: {x: 1}\n");
        Assert.Equal("1", Scalar(Map(doc["c"])["x"]));
    }

    [Fact]
    public void LoadDocuments_QuotedMergeKey_IsOrdinaryKey()
    {
        var doc = LoadOne("c:\n  \"<<\": 1\n");
        Assert.Equal("1", Scalar(Map(doc["c"])["<<"]));
    }

    [Theory]
    [InlineData("c:\n  <<: 1\n", 2, 7)]
    [InlineData("c:\n  <<: [{a: 1}, 2]\n", 2, 16)]
    public void LoadDocuments_MergeKeyNotMap_Throws(string yaml, int line, int column)
    {
        var e = Assert.Throws<ComposeFileException>(() => YamlLoader.LoadDocuments(yaml, "f.yaml"));
        Assert.Equal("map merge requires map or sequence of maps as the value", e.Problem);
        Assert.Equal((line, column), (e.Line, e.Column));
    }

    [Fact]
    public void LoadDocuments_ResetAndOverrideTags_Recorded()
    {
        var doc = LoadOne("services:\n  web:\n    ports: !reset []\n    image: !reset\n    environment: !override\n      A: 1\n    labels: !reset null\n");
        var web = Map(Map(doc["services"])["web"]);
        Assert.True(web["ports"]!.IsReset);
        Assert.IsType<ComposeSequence>(web["ports"]);
        var image = Assert.IsType<ComposeScalar>(web["image"]);
        Assert.True(image.IsReset);
        Assert.True(image.IsNull);
        Assert.True(web["environment"]!.IsOverride);
        Assert.Equal("!override", web["environment"]!.Tag);
        Assert.True(((ComposeScalar)web["labels"]!).IsNull);
        Assert.Null(doc.Tag);
    }

    [Theory]
    [InlineData("a: ~", true)]
    [InlineData("a: null", true)]
    [InlineData("a:", true)]
    [InlineData("a: \"null\"", false)]
    [InlineData("a: ''", false)]
    [InlineData("a: !!str null", false)]
    [InlineData("a: !!null x", true)]
    [InlineData("a: nullable", false)]
    public void LoadDocuments_Scalar_NullDetection(string yaml, bool isNull)
    {
        Assert.Equal(isNull, ((ComposeScalar)LoadOne(yaml)["a"]!).IsNull);
    }

    [Theory]
    [InlineData("a: 'single'", ComposeScalarStyle.SingleQuoted, "single")]
    [InlineData("a: \"dq\\tx\"", ComposeScalarStyle.DoubleQuoted, "dq\tx")]
    [InlineData("a: |\n  l1\n  l2\n", ComposeScalarStyle.Literal, "l1\nl2\n")]
    [InlineData("a: >\n  f1\n  f2\n", ComposeScalarStyle.Folded, "f1 f2\n")]
    [InlineData("a: 80", ComposeScalarStyle.Plain, "80")]
    public void LoadDocuments_ScalarStyle_Recorded(string yaml, ComposeScalarStyle style, string value)
    {
        var scalar = (ComposeScalar)LoadOne(yaml)["a"]!;
        Assert.Equal(style, scalar.Style);
        Assert.Equal(value, scalar.Value);
    }

    [Theory]
    [InlineData("a: 1\nb: 2\na: 3\n")]
    [InlineData("a: 1\nb: 2\n\"a\": 3\n")]
    public void LoadDocuments_DuplicateKey_Throws(string yaml)
    {
        var e = Assert.Throws<ComposeFileException>(() => YamlLoader.LoadDocuments(yaml, "f.yaml"));
        Assert.Equal("f.yaml", e.File);
        Assert.Equal(3, e.Line);
        Assert.Contains("a", e.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("services:\n  web:\n    image: [unclosed\n", "f.yaml")]
    [InlineData("a: b: c\n", "f.yaml")]
    [InlineData("a: *undefined\n", "f.yaml")]
    [InlineData("a:\n\t- tab\n", "f.yaml")]
    public void LoadDocuments_SyntaxError_NamesFileLineColumn(string yaml, string file)
    {
        var e = Assert.Throws<ComposeFileException>(() => YamlLoader.LoadDocuments(yaml, file));
        Assert.Equal(file, e.File);
        Assert.True(e.Line >= 1);
        Assert.True(e.Column >= 1);
        Assert.StartsWith($"{file}:{e.Line}:{e.Column}: ", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("(Line:", e.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("- a\n- b\n")]
    [InlineData("just a string\n")]
    [InlineData("a: 1\n---\n- x\n")]
    public void LoadDocuments_TopLevelNotMapping_Throws(string yaml)
    {
        var e = Assert.Throws<ComposeFileException>(() => YamlLoader.LoadDocuments(yaml, "f.yaml"));
        Assert.Equal("Top-level object must be a mapping", e.Problem);
    }

    [Fact]
    public void LoadDocuments_MultipleDocuments_AllReturnedInOrder()
    {
        var docs = YamlLoader.LoadDocuments("name: one\n---\nname: two\n", "f.yaml");
        Assert.Equal(["one", "two"], docs.Select(d => Scalar(d["name"])).ToArray());
        Assert.Equal(3, docs[1]["name"]!.Line);
    }

    [Theory]
    [InlineData("")]
    [InlineData("# only a comment\n")]
    [InlineData("---\n")]
    public void LoadDocuments_Empty_NoDocuments(string yaml)
    {
        Assert.Empty(YamlLoader.LoadDocuments(yaml, "f.yaml"));
    }

    [Fact]
    public void LoadDocuments_ManyAliases_DoNotBlowUp()
    {
        var yaml = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
            + "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
            + "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
            + "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
            + "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
            + "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
            + "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
            + "h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n";
        var e = Assert.Throws<ComposeFileException>(() => YamlLoader.LoadDocuments(yaml, "f.yaml"));
        Assert.Equal("document contains excessive aliasing", e.Problem);
    }

    [Theory]
    [InlineData("a: &a [*a]\n")]
    [InlineData("a: &a {b: *a}\n")]
    public void LoadDocuments_SelfReferencingAlias_Throws(string yaml)
    {
        var e = Assert.Throws<ComposeFileException>(() => YamlLoader.LoadDocuments(yaml, "f.yaml"));
        Assert.Equal("f.yaml", e.File);
    }
}
