using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Skiff.Cli.Formatting;

/// <summary>
/// docker's formatter.Context: "table" / "table TEMPLATE" (headers, tabwriter 10/1/3), "json"
/// (<c>{{json .}}</c> per row) or a raw Go template per row. <c>\t</c> and <c>\n</c> are unescaped.
/// </summary>
internal static class ListFormatter
{
    public const string TableKey = "table";

    public static bool IsTable(string format) => format.StartsWith(TableKey, StringComparison.Ordinal);

    /// <summary>Docker's preFormat: strip "table", map "json", trim, unescape \t and \n.</summary>
    public static string FinalFormat(string format)
    {
        var f = format;
        if (IsTable(f))
        {
            f = f[TableKey.Length..];
        }
        else if (f.Trim() == "json")
        {
            f = "{{json .}}";
        }
        f = f.Trim(' ');
        return f.Replace("\\t", "\t", StringComparison.Ordinal).Replace("\\n", "\n", StringComparison.Ordinal);
    }

    /// <summary>Renders rows; <paramref name="methods"/> binds per-row template methods (e.g. ps' .Label).</summary>
    public static string Render(
        string format,
        IEnumerable<JsonObject> rows,
        IReadOnlyDictionary<string, string> headers,
        Func<JsonObject, Dictionary<string, Func<IReadOnlyList<object?>, object?>>>? methods = null)
    {
        var template = GoTemplate.Parse(FinalFormat(format));
        var body = new StringBuilder();
        foreach (var row in rows)
        {
            template.Methods.Clear();
            if (methods != null)
            {
                foreach (var kv in methods(row))
                {
                    template.Methods[kv.Key] = kv.Value;
                }
            }
            body.Append(template.Execute(row)).Append('\n');
        }
        if (!IsTable(format))
        {
            return body.ToString();
        }
        var header = new JsonObject();
        foreach (var kv in headers)
        {
            header[kv.Key] = kv.Value;
        }
        template.Methods.Clear();
        template.HeaderMode = true;
        string headerLine;
        try
        {
            headerLine = template.Execute(header);
        }
        catch (TemplateException)
        {
            headerLine = "";
        }
        return TabWriter.Format(headerLine + "\n" + body);
    }

    /// <summary>Indented JSON like docker's inspect output (4 spaces, the daemon's field order).</summary>
    public static string IndentJson(JsonNode? node)
    {
        using var ms = new MemoryStream();
        using (var writer = new Utf8JsonWriter(ms, new JsonWriterOptions
        {
            Indented = true,
            IndentSize = 4,
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        }))
        {
            if (node is null)
            {
                writer.WriteNullValue();
            }
            else
            {
                node.WriteTo(writer);
            }
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }
}
