using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Json.Schema;

namespace Skiff.Compose;

/// <summary>
/// Validates one compose document against the compose-spec JSON schema (draft-07, embedded from
/// compose-spec's <c>schema/compose-spec.json</c>) with JsonSchema.Net, which builds and evaluates without
/// reflection, so the NativeAOT <c>skiff</c> publishes without trim warnings.
/// <para>
/// When: like compose-go, each document is validated on its own after interpolation and before extends, include
/// and the multi-file merge (override files are partial, so only per-document validation is meaningful; included
/// and extended files pass through the same step when they are read). <c>!reset</c> entries are dropped first,
/// as compose-go's reset processor does before it validates.
/// </para>
/// <para>
/// YAML to JSON: plain scalars get YAML 1.2 core types (null, bool, int, float); quoted and block scalars are
/// strings. A plain scalar that came out of interpolation stays a string, except at the paths compose-go casts
/// after interpolation (<c>deploy.replicas</c>, <c>ports[].target</c>, <c>external</c> ...), where it is typed again.
/// </para>
/// Errors: the first failure in the file (by position) becomes one <see cref="ComposeFileException"/> line,
/// <c>compose.yaml:7:5: services.web Additional property foo is not allowed</c>; a value matching no
/// alternative of a <c>oneOf</c> reports the alternative that got furthest, or the accepted types.
/// </summary>
public static class ComposeSchema
{
    private const string ResourceName = "Skiff.Compose.compose-spec.schema.json";

    private static readonly Lazy<(JsonSchema Schema, JsonDocument Document)> Loaded = new(Build);

    /// <summary>compose-go's <c>interpolateTypeCastMapping</c>: values re-typed after interpolation.</summary>
    private static readonly string[] CastPaths =
    [
        "services.*.configs.*.mode", "services.*.secrets.*.mode", "services.*.cpu_count", "services.*.cpu_percent",
        "services.*.cpu_period", "services.*.cpu_quota", "services.*.cpu_rt_period", "services.*.cpu_rt_runtime",
        "services.*.cpus", "services.*.cpu_shares", "services.*.init", "services.*.deploy.replicas",
        "services.*.deploy.update_config.parallelism", "services.*.deploy.update_config.max_failure_ratio",
        "services.*.deploy.rollback_config.parallelism", "services.*.deploy.rollback_config.max_failure_ratio",
        "services.*.deploy.restart_policy.max_attempts", "services.*.deploy.placement.max_replicas_per_node",
        "services.*.depends_on.*.required", "services.*.depends_on.*.restart",
        "services.*.healthcheck.retries", "services.*.healthcheck.disable", "services.*.oom_kill_disable",
        "services.*.oom_score_adj", "services.*.pids_limit", "services.*.ports.*.target", "services.*.privileged",
        "services.*.read_only", "services.*.scale", "services.*.stdin_open", "services.*.tty", "services.*.ulimits.*",
        "services.*.ulimits.*.hard", "services.*.ulimits.*.soft", "services.*.volumes.*.read_only",
        "services.*.volumes.*.volume.nocopy", "networks.*.external", "networks.*.internal", "networks.*.attachable",
        "networks.*.enable_ipv4", "networks.*.enable_ipv6", "volumes.*.external", "secrets.*.external", "configs.*.external",
    ];

    /// <summary>The embedded schema text.</summary>
    public static string SchemaText
    {
        get
        {
            using var stream = typeof(ComposeSchema).Assembly.GetManifestResourceStream(ResourceName)
                ?? throw new InvalidOperationException($"embedded resource {ResourceName} is missing");
            using var reader = new StreamReader(stream, Encoding.UTF8);
            return reader.ReadToEnd();
        }
    }

    /// <exception cref="ComposeFileException">The document does not conform; one line naming file, line, column and path.</exception>
    public static void Validate(ComposeMapping document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var (schema, schemaDocument) = Loaded.Value;
        var converter = new JsonConverter();
        using var json = converter.Convert(document);
        var results = schema.Evaluate(json.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.Hierarchical });
        if (results.IsValid)
        {
            return;
        }

        var explainer = new Explainer(converter.Positions, schemaDocument.RootElement, document);
        var failure = explainer.Explain(results)
            ?? new Failure("", document.Line, document.Column, "does not conform to the compose specification", false, 0);
        var path = failure.Path.Length == 0 ? "(root)" : failure.Path;
        throw new ComposeFileException(document.File, failure.Line, failure.Column, $"{path} {failure.Message}");
    }

    private static (JsonSchema, JsonDocument) Build()
    {
        var text = SchemaText;

        // The schema names its dialect "https://json-schema.org/draft-07/schema" (https, no '#'), which JsonSchema.Net
        // does not know by that id: register draft-07 under it rather than editing the vendored file.
        var dialects = new DialectRegistry();
        dialects.Register(Dialect.Draft07.With([], new Uri("https://json-schema.org/draft-07/schema")));
        var schema = JsonSchema.FromText(text, new BuildOptions { DialectRegistry = dialects });
        return (schema, JsonDocument.Parse(text));
    }

    private sealed record Position(int Line, int Column, int KeyLine, int KeyColumn);

    /// <summary>One explained failure; <see cref="Depth"/> is the number of pointer segments of its instance.</summary>
    private sealed record Failure(string Path, int Line, int Column, string Message, bool TypeMismatch, int Depth)
    {
        public IReadOnlyList<string> ExpectedTypes { get; init; } = [];
    }

    /// <summary>Writes a compose tree as JSON, remembering the position of every JSON pointer.</summary>
    private sealed class JsonConverter
    {
        public Dictionary<string, Position> Positions { get; } = new(StringComparer.Ordinal);

        public JsonDocument Convert(ComposeMapping document)
        {
            var buffer = new ArrayBufferWriter<byte>();
            using (var writer = new Utf8JsonWriter(buffer))
            {
                Write(writer, document, "", [], document.Line, document.Column);
            }

            return JsonDocument.Parse(buffer.WrittenMemory);
        }

        private void Write(Utf8JsonWriter writer, ComposeNode node, string pointer, List<string> path, int keyLine, int keyColumn)
        {
            Positions[pointer] = new Position(node.Line, node.Column, keyLine, keyColumn);
            switch (node)
            {
                case ComposeMapping mapping:
                    writer.WriteStartObject();
                    foreach (var entry in mapping.Entries)
                    {
                        if (entry.Value.IsReset)
                        {
                            continue;
                        }

                        writer.WritePropertyName(entry.Key);
                        path.Add(entry.Key);
                        Write(writer, entry.Value, pointer + "/" + Escape(entry.Key), path, entry.KeyLine, entry.KeyColumn);
                        path.RemoveAt(path.Count - 1);
                    }

                    writer.WriteEndObject();
                    break;
                case ComposeSequence sequence:
                    writer.WriteStartArray();
                    var index = 0;
                    foreach (var item in sequence.Items)
                    {
                        if (item.IsReset)
                        {
                            continue;
                        }

                        path.Add("*");
                        Write(writer, item, pointer + "/" + index.ToString(CultureInfo.InvariantCulture), path, item.Line, item.Column);
                        path.RemoveAt(path.Count - 1);
                        index++;
                    }

                    writer.WriteEndArray();
                    break;
                case ComposeScalar scalar:
                    WriteScalar(writer, scalar, path);
                    break;
            }
        }

        private static void WriteScalar(Utf8JsonWriter writer, ComposeScalar scalar, List<string> path)
        {
            var tag = scalar.Tag is ComposeNode.ResetTag or ComposeNode.OverrideTag ? null : scalar.Tag;
            if (tag is not null)
            {
                switch (tag)
                {
                    case "tag:yaml.org,2002:str":
                        writer.WriteStringValue(scalar.Value);
                        return;
                    case "tag:yaml.org,2002:null":
                        writer.WriteNullValue();
                        return;
                    case "tag:yaml.org,2002:int" or "tag:yaml.org,2002:float" or "tag:yaml.org,2002:bool":
                        break;
                    default:
                        writer.WriteStringValue(scalar.Value);
                        return;
                }
            }
            else if (!scalar.IsPlain || (scalar.Interpolated && !IsCastPath(path)))
            {
                writer.WriteStringValue(scalar.Value);
                return;
            }

            var v = scalar.Value;
            if (scalar.IsNull || (scalar.Interpolated && v.Length == 0))
            {
                writer.WriteNullValue();
            }
            else if (v is "true" or "True" or "TRUE")
            {
                writer.WriteBooleanValue(true);
            }
            else if (v is "false" or "False" or "FALSE")
            {
                writer.WriteBooleanValue(false);
            }
            else if (ParseInt(v) is { } i)
            {
                writer.WriteNumberValue(i);
            }
            else if (IsFloat(v))
            {
                // .inf and .nan have no JSON form; only the type matters to the schema.
                var d = double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) && double.IsFinite(parsed) ? parsed : 0;
                writer.WriteNumberValue(d);
            }
            else
            {
                writer.WriteStringValue(v);
            }
        }

        private static bool IsCastPath(List<string> path)
        {
            foreach (var pattern in CastPaths)
            {
                var parts = pattern.Split('.');
                if (parts.Length == path.Count && parts.Select((p, i) => p == "*" || p == path[i]).All(x => x))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>YAML 1.2 core integers: decimal, <c>0o</c> octal, <c>0x</c> hex.</summary>
        private static long? ParseInt(string v)
        {
            if (v.StartsWith("0x", StringComparison.Ordinal) && v.Length > 2 && v[2..].All(char.IsAsciiHexDigit))
            {
                return long.TryParse(v[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var h) ? h : null;
            }

            if (v.StartsWith("0o", StringComparison.Ordinal) && v.Length > 2 && v[2..].All(c => c is >= '0' and <= '7'))
            {
                try
                {
                    return System.Convert.ToInt64(v[2..], 8);
                }
                catch (OverflowException)
                {
                    return null;
                }
            }

            var digits = v.Length > 0 && v[0] is '+' or '-' ? v[1..] : v;
            return digits.Length > 0 && digits.All(char.IsAsciiDigit)
                && long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var d) ? d : null;
        }

        private static bool IsFloat(string v)
        {
            if (v is ".inf" or ".Inf" or ".INF" or "+.inf" or "+.Inf" or "+.INF" or "-.inf" or "-.Inf" or "-.INF" or ".nan" or ".NaN" or ".NAN")
            {
                return true;
            }

            // [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
            var i = 0;
            if (i < v.Length && v[i] is '+' or '-')
            {
                i++;
            }

            var mantissa = 0;
            while (i < v.Length && char.IsAsciiDigit(v[i]))
            {
                i++;
                mantissa++;
            }

            if (i < v.Length && v[i] == '.')
            {
                i++;
                while (i < v.Length && char.IsAsciiDigit(v[i]))
                {
                    i++;
                    mantissa++;
                }
            }

            if (mantissa == 0)
            {
                return false;
            }

            if (i < v.Length && v[i] is 'e' or 'E')
            {
                i++;
                if (i < v.Length && v[i] is '+' or '-')
                {
                    i++;
                }

                var exponent = 0;
                while (i < v.Length && char.IsAsciiDigit(v[i]))
                {
                    i++;
                    exponent++;
                }

                if (exponent == 0)
                {
                    return false;
                }
            }

            return i == v.Length;
        }
    }

    private static string Escape(string key) => key.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);

    private static string Unescape(string segment) => segment.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);

    /// <summary>Turns JsonSchema.Net's hierarchical output into the single most useful message.</summary>
    private sealed class Explainer(Dictionary<string, Position> positions, JsonElement schemaRoot, ComposeMapping document)
    {
        private readonly Dictionary<string, Position> _positions = positions;
        private readonly JsonElement _schemaRoot = schemaRoot;
        private readonly ComposeMapping _document = document;

        public Failure? Explain(EvaluationResults result)
        {
            var candidates = new List<Failure>();
            var branches = new List<EvaluationResults>();
            foreach (var child in result.Details ?? [])
            {
                if (child.IsValid)
                {
                    continue;
                }

                var segments = child.EvaluationPath.ToString().Split('/');
                if (segments.Length >= 2 && segments[^2] is "oneOf" or "anyOf")
                {
                    branches.Add(child);
                }
                else if (Explain(child) is { } f)
                {
                    candidates.Add(f);
                }
            }

            foreach (var (keyword, message) in result.Errors ?? new Dictionary<string, string>())
            {
                if (Own(result, keyword, message) is { } f)
                {
                    candidates.Add(f);
                }
            }

            if (branches.Count > 0 && Alternatives(result, branches) is { } alternative)
            {
                candidates.Add(alternative);
            }

            return candidates.OrderBy(c => c.Line).ThenBy(c => c.Column).FirstOrDefault();
        }

        /// <summary>None of the alternatives matched: the one that got deepest, or "must be a X or Y" when all failed on type.</summary>
        private Failure? Alternatives(EvaluationResults parent, List<EvaluationResults> branches)
        {
            var explained = branches.Select(Explain).OfType<Failure>().ToList();
            var depth = Segments(parent.InstanceLocation.ToString()).Count;
            var specific = explained.Where(f => !(f.TypeMismatch && f.Depth == depth)).ToList();
            if (specific.Count > 0)
            {
                return specific.OrderByDescending(f => f.Depth).First();
            }

            if (explained.Count == 0)
            {
                return null;
            }

            var types = explained.SelectMany(f => f.ExpectedTypes).Distinct().ToList();
            return explained[0] with { Message = MustBe(types) };
        }

        private Failure? Own(EvaluationResults result, string keyword, string message)
        {
            var pointer = result.InstanceLocation.ToString();
            var segments = Segments(pointer);
            var path = Display(segments);
            var at = Locate(pointer);
            switch (keyword)
            {
                case "" when segments.Count > 0 && result.EvaluationPath.ToString().EndsWith("/additionalProperties", StringComparison.Ordinal):
                    // The false schema under additionalProperties fails on the extra key itself.
                    var parent = Display(segments.Take(segments.Count - 1).ToList());
                    return new Failure(parent, at.KeyLine, at.KeyColumn, $"Additional property {segments[^1]} is not allowed", false, segments.Count);
                case "type":
                    var expected = ExpectedTypes(result, message);
                    return new Failure(path, at.Line, at.Column, MustBe(expected), true, segments.Count) { ExpectedTypes = expected };
                case "required":
                    var missing = Subschema(result) is { } s && s.TryGetProperty("required", out var req) && Instance(segments) is ComposeMapping m
                        ? req.EnumerateArray().Select(r => r.GetString() ?? "").FirstOrDefault(r => !m.ContainsKey(r))
                        : null;
                    return missing is null
                        ? new Failure(path, at.Line, at.Column, message, false, segments.Count + 1)
                        : new Failure(path.Length == 0 ? missing : $"{path}.{missing}", at.Line, at.Column, "is required", false, segments.Count + 1);
                case "enum":
                    var values = Subschema(result) is { } es && es.TryGetProperty("enum", out var en)
                        ? string.Join(", ", en.EnumerateArray().Select(e => e.GetRawText()))
                        : message;
                    return new Failure(path, at.Line, at.Column, "must be one of the following: " + values, false, segments.Count);
                case "uniqueItems":
                    return new Failure(path, at.Line, at.Column, "must contain unique items", false, segments.Count);
                case "pattern":
                    var pattern = Subschema(result) is { } ps && ps.TryGetProperty("pattern", out var pt) ? pt.GetString() : null;
                    return new Failure(path, at.Line, at.Column, $"does not match pattern \"{pattern}\"", false, segments.Count);
                case "minimum" or "maximum":
                    var bound = Subschema(result) is { } bs && bs.TryGetProperty(keyword, out var b) ? b.GetRawText() : "?";
                    return new Failure(path, at.Line, at.Column, keyword == "minimum" ? $"must be greater than or equal to {bound}" : $"must be less than or equal to {bound}", false, segments.Count);
                default:
                    return new Failure(path, at.Line, at.Column, message, false, segments.Count);
            }
        }

        private static string MustBe(IEnumerable<string> types) =>
            "must be " + string.Join(" or ", types.Select(t => t switch
            {
                "null" => "null",
                "integer" => "an integer",
                _ => "a " + t,
            }));

        private List<string> ExpectedTypes(EvaluationResults result, string message)
        {
            IEnumerable<string> raw;
            if (Subschema(result) is { } s && s.TryGetProperty("type", out var t))
            {
                raw = t.ValueKind == JsonValueKind.Array ? t.EnumerateArray().Select(x => x.GetString() ?? "") : [t.GetString() ?? ""];
            }
            else
            {
                // JsonSchema.Net: Value is "integer" but should be "boolean, string"
                var last = message.LastIndexOf("should be \"", StringComparison.Ordinal);
                raw = last < 0 ? [] : message[(last + 11)..].TrimEnd('"').Split(", ");
            }

            // compose-go's wording: lists and mappings rather than arrays and objects.
            return raw.Select(x => x switch { "array" => "list", "object" => "mapping", _ => x }).ToList();
        }

        /// <summary>
        /// The schema object that produced a result, found by walking its evaluation path through the schema and
        /// its <c>$ref</c>s (JsonSchema.Net 8's <c>SchemaLocation</c> is off under <c>items</c>).
        /// </summary>
        private JsonElement? Subschema(EvaluationResults result)
        {
            var current = _schemaRoot;
            foreach (var segment in Segments(result.EvaluationPath.ToString()))
            {
                if (segment == "$ref" && current.ValueKind == JsonValueKind.Object && current.TryGetProperty("$ref", out var reference))
                {
                    if (Resolve(reference.GetString()) is not { } target)
                    {
                        return null;
                    }

                    current = target;
                }
                else if (current.ValueKind == JsonValueKind.Object && current.TryGetProperty(segment, out var next))
                {
                    current = next;
                }
                else if (current.ValueKind == JsonValueKind.Array && int.TryParse(segment, CultureInfo.InvariantCulture, out var i) && i < current.GetArrayLength())
                {
                    current = current[i];
                }
                else
                {
                    return null;
                }
            }

            return current;
        }

        /// <summary>A local reference (<c>#/definitions/service</c>); the compose schema has no other kind.</summary>
        private JsonElement? Resolve(string? reference)
        {
            if (reference is null || !reference.StartsWith("#/", StringComparison.Ordinal))
            {
                return null;
            }

            var current = _schemaRoot;
            foreach (var segment in reference[2..].Split('/').Select(Unescape))
            {
                if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(segment, out current))
                {
                    return null;
                }
            }

            return current;
        }

        private ComposeNode? Instance(List<string> segments)
        {
            ComposeNode? node = _document;
            foreach (var segment in segments)
            {
                node = node switch
                {
                    ComposeMapping m => m[segment],
                    ComposeSequence s when int.TryParse(segment, CultureInfo.InvariantCulture, out var i) => s.Items.Where(x => !x.IsReset).ElementAtOrDefault(i),
                    _ => null,
                };
            }

            return node;
        }

        private Position Locate(string pointer)
        {
            // Walk up until a known pointer: JsonSchema.Net and our writer escape keys the same way.
            while (true)
            {
                if (_positions.TryGetValue(pointer, out var position))
                {
                    return position;
                }

                var slash = pointer.LastIndexOf('/');
                if (slash < 0)
                {
                    return new Position(_document.Line, _document.Column, _document.Line, _document.Column);
                }

                pointer = pointer[..slash];
            }
        }

        private static List<string> Segments(string pointer) =>
            pointer.Length == 0 ? [] : pointer.TrimStart('#').Split('/').Skip(1).Select(Unescape).ToList();

        private static string Display(List<string> segments)
        {
            var sb = new StringBuilder();
            foreach (var segment in segments)
            {
                if (segment.Length > 0 && segment.All(char.IsAsciiDigit) && sb.Length > 0)
                {
                    sb.Append('[').Append(segment).Append(']');
                }
                else
                {
                    if (sb.Length > 0)
                    {
                        sb.Append('.');
                    }

                    sb.Append(segment);
                }
            }

            return sb.ToString();
        }
    }
}
