namespace Skiff.Compose.Tests;

public sealed class InterpolationTests
{
    private static readonly Dictionary<string, string> Env = new()
    {
        ["A"] = "a",
        ["B"] = "b",
        ["EMPTY"] = "",
        ["lower"] = "l",
        ["_X1"] = "x1",
    };

    private static Interpolation Create() => new(n => Env.TryGetValue(n, out var v) ? v : null);

    [Theory]
    [InlineData("", "")]
    [InlineData("plain text", "plain text")]
    [InlineData("$A", "a")]
    [InlineData("${A}", "a")]
    [InlineData("x${A}y", "xay")]
    [InlineData("$A$B", "ab")]
    [InlineData("$A-x", "a-x")]
    [InlineData("$A.b", "a.b")]
    [InlineData("${lower}", "l")]
    [InlineData("$_X1", "x1")]
    [InlineData("$UNSET", "")]
    [InlineData("${UNSET}", "")]
    [InlineData("pre-${UNSET}-post", "pre--post")]
    public void Substitute_Reference_Expected(string template, string expected)
    {
        Assert.Equal(expected, Create().Substitute(template));
    }

    [Theory]
    [InlineData("${A:-def}", "a")]
    [InlineData("${EMPTY:-def}", "def")]
    [InlineData("${UNSET:-def}", "def")]
    [InlineData("${A-def}", "a")]
    [InlineData("${EMPTY-def}", "")]
    [InlineData("${UNSET-def}", "def")]
    [InlineData("${A:+rep}", "rep")]
    [InlineData("${EMPTY:+rep}", "")]
    [InlineData("${UNSET:+rep}", "")]
    [InlineData("${A+rep}", "rep")]
    [InlineData("${EMPTY+rep}", "rep")]
    [InlineData("${UNSET+rep}", "")]
    [InlineData("${A:?err}", "a")]
    [InlineData("${A?err}", "a")]
    [InlineData("${EMPTY?err}", "")]
    [InlineData("${UNSET:-}", "")]
    [InlineData("${UNSET:-a b c}", "a b c")]
    [InlineData("${UNSET:--}", "-")]
    [InlineData("${UNSET-:-x}", ":-x")]
    [InlineData("${UNSET:-x:+y}", "x:+y")]
    [InlineData("${UNSET:-$A}", "a")]
    [InlineData("${UNSET:-$$}", "$")]
    [InlineData("${UNSET:-a}}", "a}")]
    [InlineData("${UNSET:-x} ${B}", "x b")]
    [InlineData("${UNSET:-x}${A:-y}z", "xaz")]
    public void Substitute_Operator_Expected(string template, string expected)
    {
        Assert.Equal(expected, Create().Substitute(template));
    }

    [Theory]
    [InlineData("${UNSET:-${B:-c}}", "b")]
    [InlineData("${UNSET:-${UNSET2:-c}}", "c")]
    [InlineData("${UNSET:-${UNSET2:-${A}}}x", "ax")]
    [InlineData("${A:+${B}-${A}}", "b-a")]
    [InlineData("${UNSET-${EMPTY:-e}}", "e")]
    [InlineData("${UNSET:-${A}${B}}/${B:-q}", "ab/b")]
    public void Substitute_Nested_Expected(string template, string expected)
    {
        Assert.Equal(expected, Create().Substitute(template));
    }

    [Theory]
    [InlineData("$$", "$")]
    [InlineData("$$A", "$A")]
    [InlineData("$${A}", "${A}")]
    [InlineData("$$$A", "$a")]
    [InlineData("$$$$", "$$")]
    [InlineData("a$", "a$")]
    [InlineData("$", "$")]
    [InlineData("$1", "$1")]
    [InlineData("$ x", "$ x")]
    [InlineData("cost: 5$", "cost: 5$")]
    [InlineData("$-", "$-")]
    public void Substitute_EscapeOrLiteralDollar_Expected(string template, string expected)
    {
        Assert.Equal(expected, Create().Substitute(template));
    }

    [Theory]
    [InlineData("${", 0)]
    [InlineData("x ${A", 2)]
    [InlineData("${1}", 0)]
    [InlineData("${}", 0)]
    [InlineData("${A B}", 0)]
    [InlineData("${A:x}", 0)]
    [InlineData("${A.b}", 0)]
    [InlineData("ok $A ${UNSET:-x", 6)]
    [InlineData("${UNSET:-x\n}", 0)]
    [InlineData("${A:-${}}", 5)]
    public void Substitute_InvalidTemplate_ThrowsWithPosition(string template, int position)
    {
        var e = Assert.Throws<InterpolationException>(() => Create().Substitute(template));
        Assert.Equal(InterpolationErrorKind.InvalidTemplate, e.Kind);
        Assert.Equal(position, e.Position);
        Assert.Equal(template, e.Template);
        Assert.StartsWith("Invalid template: ", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("${UNSET:?must be set}", "UNSET", "required variable UNSET is missing a value: must be set", 0)]
    [InlineData("${EMPTY:?empty}", "EMPTY", "required variable EMPTY is missing a value: empty", 0)]
    [InlineData("${UNSET?gone}", "UNSET", "required variable UNSET is missing a value: gone", 0)]
    [InlineData("${UNSET?}", "UNSET", "required variable UNSET is missing a value", 0)]
    [InlineData("${UNSET:?need $A here}", "UNSET", "required variable UNSET is missing a value: need a here", 0)]
    [InlineData("ok ${UNSET:?x}", "UNSET", "required variable UNSET is missing a value: x", 3)]
    [InlineData("${UNSET:-${NOPE:?inner}}", "NOPE", "required variable NOPE is missing a value: inner", 9)]
    // compose-go interpolates the operand before testing the variable, so an unused default still fails.
    [InlineData("${A:-${UNSET:?unused}}", "UNSET", "required variable UNSET is missing a value: unused", 5)]
    public void Substitute_MissingRequired_ThrowsWithUserMessage(string template, string variable, string message, int position)
    {
        var e = Assert.Throws<InterpolationException>(() => Create().Substitute(template));
        Assert.Equal(InterpolationErrorKind.MissingRequired, e.Kind);
        Assert.Equal(variable, e.Variable);
        Assert.Equal(message, e.Message);
        Assert.Equal(position, e.Position);
    }

    [Theory]
    [InlineData("$UNSET ${UNSET} ${U2}", "UNSET,U2")]
    [InlineData("${UNSET:-x}", "")]
    [InlineData("${UNSET-x}${UNSET:+y}${UNSET+z}", "")]
    [InlineData("${A:-$NOPE}", "NOPE")]
    [InlineData("${UNSET+$NOPE}", "NOPE")]
    [InlineData("$$UNSET", "")]
    [InlineData("$A ${B}", "")]
    public void Substitute_UnsetVariables_Tracked(string template, string expected)
    {
        var interpolation = Create();
        interpolation.Substitute(template);
        Assert.Equal(expected, string.Join(",", interpolation.UnsetVariables));
    }

    [Fact]
    public void UnsetVariableWarning_Name_ComposeWording()
    {
        Assert.Equal("The \"X\" variable is not set. Defaulting to a blank string.", Interpolation.UnsetVariableWarning("X"));
    }

    [Fact]
    public void Apply_Tree_InterpolatesValuesNotKeys()
    {
        var doc = YamlLoader.LoadDocuments("services:\n  $A:\n    image: \"img:${A}\"\n    ports: [\"${B}\", 80]\n", "c.yaml")[0];
        var interpolation = Create();
        var result = (ComposeMapping)interpolation.Apply(doc);
        var services = (ComposeMapping)result["services"]!;
        var service = (ComposeMapping)services["$A"]!;
        Assert.Equal("img:a", ((ComposeScalar)service["image"]!).Value);
        var ports = (ComposeSequence)service["ports"]!;
        Assert.Equal("b", ((ComposeScalar)ports.Items[0]).Value);
        Assert.Same(((ComposeSequence)((ComposeMapping)((ComposeMapping)doc["services"]!)["$A"]!)["ports"]!).Items[1], ports.Items[1]);
        Assert.Equal(3, service["image"]!.Line);
    }

    [Fact]
    public void Apply_MissingRequired_ErrorNamesPathAndPosition()
    {
        var doc = YamlLoader.LoadDocuments("services:\n  web:\n    image: ${TAG:?set TAG}\n", "c.yaml")[0];
        var e = Assert.Throws<InterpolationException>(() => Create().Apply(doc));
        Assert.Equal("error while interpolating services.web.image: required variable TAG is missing a value: set TAG", e.Message);
        Assert.Equal("services.web.image", e.Path);
        Assert.Equal("c.yaml", e.File);
        Assert.Equal(3, e.Line);
        Assert.Equal(12, e.Column);
    }

    [Fact]
    public void Apply_SequenceItem_PathHasIndex()
    {
        var doc = YamlLoader.LoadDocuments("x:\n  - ok\n  - ${\n", "c.yaml")[0];
        var e = Assert.Throws<InterpolationException>(() => Create().Apply(doc));
        Assert.Equal("x[1]", e.Path);
        Assert.Equal(InterpolationErrorKind.InvalidTemplate, e.Kind);
    }

    [Fact]
    public void Apply_TaggedQuotedScalar_KeepsTagStyleAndPosition()
    {
        var doc = YamlLoader.LoadDocuments("a: !override '${A}'\n", "c.yaml")[0];
        var scalar = Assert.IsType<ComposeScalar>(((ComposeMapping)Create().Apply(doc))["a"]);
        Assert.Equal("a", scalar.Value);
        Assert.True(scalar.IsOverride);
        Assert.Equal(ComposeScalarStyle.SingleQuoted, scalar.Style);
        Assert.Equal((1, 4), (scalar.Line, scalar.Column)); // a node starts at its tag
    }

    [Fact]
    public void Apply_NothingToInterpolate_ReturnsSameTree()
    {
        var doc = YamlLoader.LoadDocuments("a: [1, {b: c}]\n", "c.yaml")[0];
        Assert.Same(doc, Create().Apply(doc));
    }

    [Fact]
    public void Apply_UnsetInSeveralValues_ReportedOnce()
    {
        var doc = YamlLoader.LoadDocuments("a: $NOPE\nb: ${NOPE}\nc: $OTHER\n", "c.yaml")[0];
        var interpolation = Create();
        interpolation.Apply(doc);
        Assert.Equal(["NOPE", "OTHER"], interpolation.UnsetVariables.ToArray());
    }

    [Fact]
    public void Substitute_Dictionary_Convenience()
    {
        Assert.Equal("v", Interpolation.Substitute("${K}", new Dictionary<string, string> { ["K"] = "v" }));
    }
}
