using System.Text.Json.Nodes;
using Skiff.Cli.Formatting;

namespace Skiff.Cli.Tests.Formatting;

public class GoTemplateTests
{
    private static readonly JsonNode Data = JsonNode.Parse("""
        {
          "Id": "abc123",
          "Name": "/web",
          "State": { "Status": "running", "Running": true, "ExitCode": 0, "Pid": 42 },
          "Config": { "Labels": { "com.example": "yes", "b": "2" }, "Env": ["A=1", "B=2"], "Tty": false },
          "Empty": [],
          "Nothing": null,
          "Count": 3
        }
        """)!;

    private static string Run(string template, JsonNode? data = null) => GoTemplate.Parse(template).Execute(data ?? Data);

    [Fact]
    public void Execute_Field_PrintsValue() => Assert.Equal("abc123", Run("{{.Id}}"));

    [Fact]
    public void Execute_NestedField_PrintsValue() => Assert.Equal("running 42", Run("{{.State.Status}} {{.State.Pid}}"));

    [Fact]
    public void Execute_JsonOfObject_CompactJson() => Assert.Equal("{\"Status\":\"running\",\"Running\":true,\"ExitCode\":0,\"Pid\":42}", Run("{{json .State}}"));

    [Fact]
    public void Execute_JsonOfString_Quoted() => Assert.Equal("\"/web\"", Run("{{json .Name}}"));

    [Fact]
    public void Execute_Join_JoinsArray() => Assert.Equal("A=1,B=2", Run("{{join .Config.Env \",\"}}"));

    [Fact]
    public void Execute_UpperLowerTitle_Transform() => Assert.Equal("RUNNING running Hello World", Run("{{upper .State.Status}} {{lower \"RUNNING\"}} {{title \"hello world\"}}"));

    [Fact]
    public void Execute_Pipeline_PassesValueAsLastArgument() => Assert.Equal("RUNNING", Run("{{.State.Status | upper}}"));

    [Fact]
    public void Execute_Index_LooksUpMapKeyWithDots() => Assert.Equal("yes", Run("{{index .Config.Labels \"com.example\"}}"));

    [Fact]
    public void Execute_RangeOverArray_IteratesElements() => Assert.Equal("[A=1][B=2]", Run("{{range .Config.Env}}[{{.}}]{{end}}"));

    [Fact]
    public void Execute_RangeOverMapWithVariables_SortedKeys() => Assert.Equal("b=2;com.example=yes;", Run("{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}"));

    [Fact]
    public void Execute_RangeElse_EmptyTakesElse() => Assert.Equal("none", Run("{{range .Empty}}x{{else}}none{{end}}"));

    [Fact]
    public void Execute_IfElse_ChoosesBranch() => Assert.Equal("up|no-tty", Run("{{if .State.Running}}up{{else}}down{{end}}|{{if .Config.Tty}}tty{{else}}no-tty{{end}}"));

    [Fact]
    public void Execute_ElseIf_ChainsConditions() => Assert.Equal("three", Run("{{if eq .Count 1}}one{{else if eq .Count 3}}three{{else}}other{{end}}"));

    [Fact]
    public void Execute_Println_AppendsNewline() => Assert.Equal("abc123\n", Run("{{println .Id}}"));

    [Fact]
    public void Execute_TrimMarkers_TrimWhitespace() => Assert.Equal("a-b", Run("a  {{- \"-\" -}}  b"));

    [Fact]
    public void Execute_MissingKey_PrintsNoValue() => Assert.Equal("<no value>", Run("{{.Config.Labels.missing}}"));

    [Fact]
    public void Execute_Null_PrintsNil() => Assert.Equal("<nil>", Run("{{.Nothing}}"));

    [Fact]
    public void Execute_MapValue_PrintsGoMap() => Assert.Equal("map[b:2 com.example:yes]", Run("{{.Config.Labels}}"));

    [Fact]
    public void Execute_WithAndDollar_RebindsDot() => Assert.Equal("running abc123", Run("{{with .State}}{{.Status}} {{$.Id}}{{end}}"));

    [Fact]
    public void Execute_Method_CallsRegisteredFunction()
    {
        var t = GoTemplate.Parse("{{.Label \"com.example\"}}");
        t.Methods["Label"] = args => "L:" + GoTemplate.Print(args[0]);
        Assert.Equal("L:com.example", t.Execute(new JsonObject()));
    }

    [Fact]
    public void Parse_Unclosed_ThrowsTemplateException()
    {
        Assert.Throws<TemplateException>(() => GoTemplate.Parse("{{.Id"));
        Assert.Throws<TemplateException>(() => GoTemplate.Parse("{{if .Id}}x"));
    }

    [Fact]
    public void Execute_UnknownFunction_Throws()
    {
        Assert.Throws<TemplateException>(() => Run("{{nope .Id}}"));
    }

    [Fact]
    public void Render_TableFormat_HeadersFromMapAndTabwriter()
    {
        var rows = new[]
        {
            new JsonObject { ["ID"] = "abc", ["Names"] = "web" },
            new JsonObject { ["ID"] = "defghijklmno", ["Names"] = "db" },
        };
        var headers = new Dictionary<string, string> { ["ID"] = "CONTAINER ID", ["Names"] = "NAMES" };
        var output = ListFormatter.Render("table {{.ID}}\\t{{.Names}}", rows, headers);
        Assert.Equal("CONTAINER ID   NAMES\nabc            web\ndefghijklmno   db\n", output);
    }

    [Fact]
    public void Render_TableWithUpper_HeaderUnchangedByFunctions()
    {
        var rows = new[] { new JsonObject { ["Names"] = "web" } };
        var output = ListFormatter.Render("table {{upper .Names}}", rows, new Dictionary<string, string> { ["Names"] = "NAMES" });
        Assert.Equal("NAMES\nWEB\n", output);
    }

    [Fact]
    public void Render_JsonFormat_OneObjectPerLine()
    {
        var rows = new[] { new JsonObject { ["ID"] = "a" }, new JsonObject { ["ID"] = "b" } };
        Assert.Equal("{\"ID\":\"a\"}\n{\"ID\":\"b\"}\n", ListFormatter.Render("json", rows, new Dictionary<string, string>()));
    }

    [Fact]
    public void Render_PlainTemplate_NoHeader()
    {
        var rows = new[] { new JsonObject { ["ID"] = "a", ["Names"] = "x" } };
        Assert.Equal("a: x\n", ListFormatter.Render("{{.ID}}: {{.Names}}", rows, new Dictionary<string, string> { ["ID"] = "ID" }));
    }
}
