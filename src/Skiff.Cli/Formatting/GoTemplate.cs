using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Skiff.Cli.Formatting;

/// <summary>Thrown for a template that does not parse or cannot be evaluated (docker: "template parsing error: ...").</summary>
internal sealed class TemplateException(string message) : Exception(message);

/// <summary>
/// A subset of Go's text/template over <see cref="JsonNode"/> (AOT-safe): fields, variables, pipelines,
/// parentheses, if/else if/else, range (with $i, $v), with, and docker's template functions
/// (json, join, split, upper, lower, title, pad, truncate, println) plus Go's index, len, eq, ne, lt,
/// le, gt, ge, and, or, not, print, printf.
/// </summary>
internal sealed class GoTemplate
{
    /// <summary>Printed for a missing map key, like Go.</summary>
    internal sealed class NoValue
    {
        public static readonly NoValue Instance = new();

        public override string ToString() => "<no value>";
    }

    private readonly List<Node> _nodes;

    private GoTemplate(List<Node> nodes)
    {
        _nodes = nodes;
    }

    /// <summary>Methods callable as <c>{{.Name arg...}}</c> on the top-level data (e.g. ps rows' <c>.Label "k"</c>).</summary>
    public Dictionary<string, Func<IReadOnlyList<object?>, object?>> Methods { get; } = new(StringComparer.Ordinal);

    /// <summary>Docker's HeaderFunctions: formatting functions return their argument unchanged, missing keys print "".</summary>
    public bool HeaderMode { get; set; }

    public static GoTemplate Parse(string text)
    {
        var parser = new Parser(text);
        var nodes = parser.ParseList(out var end);
        if (end != null)
        {
            throw new TemplateException($"template: :1: unexpected {{{{{end}}}}}");
        }
        return new GoTemplate(nodes);
    }

    public string Execute(JsonNode? data)
    {
        var sb = new StringBuilder();
        var state = new State(data, sb, Methods) { HeaderMode = HeaderMode };
        Exec(_nodes, data, state);
        return sb.ToString();
    }

    // ---------------- evaluation ----------------

    private sealed class State(JsonNode? root, StringBuilder output, Dictionary<string, Func<IReadOnlyList<object?>, object?>> methods)
    {
        public JsonNode? Root { get; } = root;
        public StringBuilder Output { get; } = output;
        public Dictionary<string, Func<IReadOnlyList<object?>, object?>> Methods { get; } = methods;
        public List<KeyValuePair<string, object?>> Vars { get; } = [];
        public bool HeaderMode { get; init; }
    }

    private static void Exec(List<Node> nodes, object? dot, State st)
    {
        foreach (var node in nodes)
        {
            switch (node)
            {
                case TextNode t:
                    st.Output.Append(t.Text);
                    break;
                case ActionNode a:
                    {
                        var v = EvalPipeline(a.Pipe, dot, st);
                        if (a.Pipe.Decl.Count == 0)
                        {
                            st.Output.Append(Print(v));
                        }
                        break;
                    }
                case IfNode i:
                    {
                        var mark = st.Vars.Count;
                        var cond = EvalPipeline(i.Pipe, dot, st);
                        if (IsTrue(cond))
                        {
                            Exec(i.Then, dot, st);
                        }
                        else if (i.Else != null)
                        {
                            Exec(i.Else, dot, st);
                        }
                        st.Vars.RemoveRange(mark, st.Vars.Count - mark);
                        break;
                    }
                case WithNode w:
                    {
                        var mark = st.Vars.Count;
                        var v = EvalPipeline(w.Pipe, dot, st);
                        if (IsTrue(v))
                        {
                            Exec(w.Then, v, st);
                        }
                        else if (w.Else != null)
                        {
                            Exec(w.Else, dot, st);
                        }
                        st.Vars.RemoveRange(mark, st.Vars.Count - mark);
                        break;
                    }
                case RangeNode r:
                    ExecRange(r, dot, st);
                    break;
                default:
                    break;
            }
        }
    }

    private static void ExecRange(RangeNode r, object? dot, State st)
    {
        var mark = st.Vars.Count;
        var pipe = new Pipeline([], r.Pipe.Commands);
        var v = EvalPipeline(pipe, dot, st);
        var items = new List<(object? Key, object? Value)>();
        switch (v)
        {
            case JsonArray arr:
                for (var i = 0; i < arr.Count; i++)
                {
                    items.Add(((long)i, arr[i]));
                }
                break;
            case JsonObject obj:
                foreach (var kv in obj.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    items.Add((kv.Key, kv.Value));
                }
                break;
            case long n:
                for (long i = 0; i < n; i++)
                {
                    items.Add((i, i));
                }
                break;
            case null or NoValue:
                break;
            default:
                throw new TemplateException($"range can't iterate over {Print(v)}");
        }
        if (items.Count == 0)
        {
            if (r.Else != null)
            {
                Exec(r.Else, dot, st);
            }
            return;
        }
        foreach (var (key, value) in items)
        {
            var inner = st.Vars.Count;
            if (r.Pipe.Decl.Count == 1)
            {
                st.Vars.Add(new(r.Pipe.Decl[0], value));
            }
            else if (r.Pipe.Decl.Count >= 2)
            {
                st.Vars.Add(new(r.Pipe.Decl[0], key));
                st.Vars.Add(new(r.Pipe.Decl[1], value));
            }
            Exec(r.Body, value, st);
            st.Vars.RemoveRange(inner, st.Vars.Count - inner);
        }
        st.Vars.RemoveRange(mark, st.Vars.Count - mark);
    }

    private static object? EvalPipeline(Pipeline pipe, object? dot, State st)
    {
        object? value = null;
        var hasPiped = false;
        foreach (var cmd in pipe.Commands)
        {
            value = EvalCommand(cmd, dot, st, hasPiped, value);
            hasPiped = true;
        }
        foreach (var name in pipe.Decl)
        {
            st.Vars.Add(new(name, value));
        }
        return value;
    }

    private static object? EvalCommand(Command cmd, object? dot, State st, bool hasPiped, object? piped)
    {
        var first = cmd.Operands[0];
        if (first is IdentOperand ident)
        {
            var args = new List<object?>();
            for (var i = 1; i < cmd.Operands.Count; i++)
            {
                args.Add(EvalOperand(cmd.Operands[i], dot, st));
            }
            if (hasPiped)
            {
                args.Add(piped);
            }
            if (st.HeaderMode && ident.Name is "json" or "split" or "join" or "title" or "lower" or "upper" or "pad" or "truncate")
            {
                return args.Count > 0 ? args[0] : "";
            }
            return CallFunction(ident.Name, args);
        }
        if (st.HeaderMode && first is FieldOperand hf && cmd.Operands.Count > 1)
        {
            return hf.Chain.Count == 1 ? hf.Chain[0].ToUpperInvariant() : "";
        }
        if (first is FieldOperand f && (cmd.Operands.Count > 1 || hasPiped) && f.Chain.Count == 1 && st.Methods.TryGetValue(f.Chain[0], out var method))
        {
            var args = new List<object?>();
            for (var i = 1; i < cmd.Operands.Count; i++)
            {
                args.Add(EvalOperand(cmd.Operands[i], dot, st));
            }
            if (hasPiped)
            {
                args.Add(piped);
            }
            return method(args);
        }
        if (cmd.Operands.Count > 1)
        {
            throw new TemplateException($"can't give argument to non-function {first}");
        }
        return EvalOperand(first, dot, st);
    }

    private static object? EvalOperand(Operand op, object? dot, State st)
    {
        switch (op)
        {
            case DotOperand:
                return dot;
            case FieldOperand f:
                {
                    var v = Walk(dot, f.Chain);
                    return st.HeaderMode && v is NoValue ? "" : v;
                }
            case VarOperand v:
                {
                    object? baseValue;
                    if (v.Name == "$")
                    {
                        baseValue = st.Root;
                    }
                    else
                    {
                        var idx = st.Vars.FindLastIndex(p => p.Key == v.Name);
                        if (idx < 0)
                        {
                            throw new TemplateException($"undefined variable: {v.Name}");
                        }
                        baseValue = st.Vars[idx].Value;
                    }
                    return Walk(baseValue, v.Chain);
                }
            case LiteralOperand l:
                return l.Value;
            case SubOperand s:
                return Walk(EvalPipeline(s.Pipe, dot, st), s.Chain);
            case IdentOperand i:
                return CallFunction(i.Name, []);
            default:
                return null;
        }
    }

    private static object? Walk(object? value, List<string> chain)
    {
        foreach (var name in chain)
        {
            switch (value)
            {
                case JsonObject obj:
                    if (obj.TryGetPropertyValue(name, out var child))
                    {
                        value = child;
                    }
                    else
                    {
                        var match = obj.FirstOrDefault(p => string.Equals(p.Key, name, StringComparison.OrdinalIgnoreCase));
                        value = match.Key != null ? match.Value : NoValue.Instance;
                    }
                    break;
                case null:
                    throw new TemplateException($"nil pointer evaluating interface {{}}.{name}");
                case NoValue:
                    return NoValue.Instance;
                default:
                    throw new TemplateException($"can't evaluate field {name} in type {TypeName(value)}");
            }
        }
        return Unwrap(value);
    }

    private static string TypeName(object? v) => v switch
    {
        string => "string",
        long => "int",
        double => "float64",
        bool => "bool",
        JsonArray => "[]interface {}",
        _ => "interface {}",
    };

    /// <summary>JsonValue to CLR string/long/double/bool; objects and arrays stay JsonNodes.</summary>
    internal static object? Unwrap(object? value)
    {
        if (value is JsonValue jv)
        {
            switch (jv.GetValueKind())
            {
                case JsonValueKind.String:
                    return jv.GetValue<string>();
                case JsonValueKind.True:
                    return true;
                case JsonValueKind.False:
                    return false;
                case JsonValueKind.Number:
                    if (jv.TryGetValue<long>(out var l))
                    {
                        return l;
                    }
                    if (jv.TryGetValue<int>(out var i))
                    {
                        return (long)i;
                    }
                    if (jv.TryGetValue<double>(out var d))
                    {
                        return d == Math.Floor(d) && Math.Abs(d) < 9e15 ? (long)d : d;
                    }
                    return double.Parse(jv.ToJsonString(), CultureInfo.InvariantCulture);
                case JsonValueKind.Null:
                    return null;
                default:
                    return jv.ToJsonString();
            }
        }
        return value;
    }

    internal static bool IsTrue(object? v) => Unwrap(v) switch
    {
        null => false,
        NoValue => false,
        bool b => b,
        string s => s.Length > 0,
        long l => l != 0,
        double d => d != 0,
        JsonArray a => a.Count > 0,
        JsonObject o => o.Count > 0,
        _ => true,
    };

    /// <summary>Go's <c>fmt.Sprint</c> of a value.</summary>
    internal static string Print(object? v)
    {
        v = Unwrap(v);
        switch (v)
        {
            case null:
                return "<nil>";
            case string s:
                return s;
            case bool b:
                return b ? "true" : "false";
            case long l:
                return l.ToString(CultureInfo.InvariantCulture);
            case double d:
                return FormatFloat(d);
            case JsonArray arr:
                return "[" + string.Join(' ', arr.Select(e => Print(e))) + "]";
            case JsonObject obj:
                return "map[" + string.Join(' ', obj.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + ":" + Print(p.Value))) + "]";
            default:
                return v.ToString() ?? "";
        }
    }

    private static string FormatFloat(double d)
    {
        var s = d.ToString("R", CultureInfo.InvariantCulture);
        if (s.Contains('E', StringComparison.Ordinal))
        {
            var parts = s.Split('E');
            var exp = int.Parse(parts[1], CultureInfo.InvariantCulture);
            return parts[0] + "e" + (exp < 0 ? "-" : "+") + Math.Abs(exp).ToString("00", CultureInfo.InvariantCulture);
        }
        return s;
    }

    private static readonly JsonSerializerOptions JsonOut = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    internal static string ToJson(object? v)
    {
        v = Unwrap(v);
        return v switch
        {
            null or NoValue => "null",
            JsonNode n => n.ToJsonString(JsonOut),
            string s => JsonValue.Create(s).ToJsonString(JsonOut),
            bool b => b ? "true" : "false",
            long l => l.ToString(CultureInfo.InvariantCulture),
            double d => FormatFloat(d),
            _ => JsonValue.Create(v.ToString() ?? "").ToJsonString(JsonOut),
        };
    }

    private static object? CallFunction(string name, List<object?> args)
    {
        switch (name)
        {
            case "json":
                Need(name, args, 1);
                return ToJson(args[0]);
            case "join":
                {
                    Need(name, args, 2);
                    var sep = Print(args[1]);
                    return Unwrap(args[0]) switch
                    {
                        JsonArray a => string.Join(sep, a.Select(e => Print(e))),
                        null => "",
                        var other => Print(other),
                    };
                }
            case "split":
                {
                    Need(name, args, 2);
                    var arr = new JsonArray();
                    foreach (var part in Print(args[0]).Split(Print(args[1])))
                    {
                        arr.Add((JsonNode)JsonValue.Create(part));
                    }
                    return arr;
                }
            case "upper":
                Need(name, args, 1);
                return Print(args[0]).ToUpperInvariant();
            case "lower":
                Need(name, args, 1);
                return Print(args[0]).ToLowerInvariant();
            case "title":
                Need(name, args, 1);
                return Title(Print(args[0]));
            case "pad":
                {
                    Need(name, args, 3);
                    var s = Print(args[0]);
                    var before = (int)ToLong(args[1]);
                    var after = (int)ToLong(args[2]);
                    return new string(' ', before) + s + new string(' ', after);
                }
            case "truncate":
                {
                    Need(name, args, 2);
                    var s = Print(args[0]);
                    var n = (int)ToLong(args[1]);
                    return s.Length > n ? s[..n] : s;
                }
            case "println":
                return string.Join(' ', args.Select(Print)) + "\n";
            case "print":
                return string.Concat(args.Select(Print));
            case "printf":
                if (args.Count == 0)
                {
                    throw new TemplateException("wrong number of args for printf: want at least 1 got 0");
                }
                return Printf(Print(args[0]), args.Skip(1).ToList());
            case "len":
                Need(name, args, 1);
                return Unwrap(args[0]) switch
                {
                    JsonArray a => (long)a.Count,
                    JsonObject o => (long)o.Count,
                    string s => (long)s.Length,
                    var other => throw new TemplateException($"len of type {TypeName(other)}"),
                };
            case "index":
                {
                    if (args.Count < 1)
                    {
                        throw new TemplateException("wrong number of args for index: want at least 1 got 0");
                    }
                    object? cur = args[0];
                    for (var i = 1; i < args.Count; i++)
                    {
                        var key = Unwrap(args[i]);
                        cur = Unwrap(cur) switch
                        {
                            JsonObject o => o.TryGetPropertyValue(Print(key), out var c) ? c : NoValue.Instance,
                            JsonArray a when key is long idx && idx >= 0 && idx < a.Count => a[(int)idx],
                            JsonArray => throw new TemplateException($"error calling index: index out of range: {Print(key)}"),
                            null => null,
                            var other => throw new TemplateException($"can't index item of type {TypeName(other)}"),
                        };
                    }
                    return Unwrap(cur);
                }
            case "eq":
                if (args.Count < 2)
                {
                    throw new TemplateException("missing argument for comparison");
                }
                return args.Skip(1).Any(a => Compare(args[0], a) == 0);
            case "ne":
                Need(name, args, 2);
                return Compare(args[0], args[1]) != 0;
            case "lt":
                Need(name, args, 2);
                return Compare(args[0], args[1]) < 0;
            case "le":
                Need(name, args, 2);
                return Compare(args[0], args[1]) <= 0;
            case "gt":
                Need(name, args, 2);
                return Compare(args[0], args[1]) > 0;
            case "ge":
                Need(name, args, 2);
                return Compare(args[0], args[1]) >= 0;
            case "not":
                Need(name, args, 1);
                return !IsTrue(args[0]);
            case "and":
                {
                    object? last = null;
                    foreach (var a in args)
                    {
                        last = a;
                        if (!IsTrue(a))
                        {
                            return a;
                        }
                    }
                    return last;
                }
            case "or":
                {
                    object? last = null;
                    foreach (var a in args)
                    {
                        last = a;
                        if (IsTrue(a))
                        {
                            return a;
                        }
                    }
                    return last;
                }
            case "true":
                return true;
            case "false":
                return false;
            case "nil":
                return null;
            default:
                throw new TemplateException($"template: :1: function \"{name}\" not defined");
        }
    }

    private static void Need(string name, List<object?> args, int n)
    {
        if (args.Count != n)
        {
            throw new TemplateException($"wrong number of args for {name}: want {n} got {args.Count}");
        }
    }

    private static long ToLong(object? v) => Unwrap(v) switch
    {
        long l => l,
        double d => (long)d,
        string s when long.TryParse(s, CultureInfo.InvariantCulture, out var l) => l,
        _ => throw new TemplateException($"expected integer; found {Print(v)}"),
    };

    private static int Compare(object? a, object? b)
    {
        a = Unwrap(a);
        b = Unwrap(b);
        return (a, b) switch
        {
            (long x, long y) => x.CompareTo(y),
            (long x, double y) => ((double)x).CompareTo(y),
            (double x, long y) => x.CompareTo(y),
            (double x, double y) => x.CompareTo(y),
            (bool x, bool y) => x.CompareTo(y),
            (null, null) => 0,
            _ => string.CompareOrdinal(Print(a), Print(b)),
        };
    }

    private static string Title(string s)
    {
        var chars = s.ToCharArray();
        var prevLetter = false;
        for (var i = 0; i < chars.Length; i++)
        {
            var isLetter = char.IsLetterOrDigit(chars[i]) || chars[i] == '_' || chars[i] == '\'';
            if (isLetter && !prevLetter)
            {
                chars[i] = char.ToUpperInvariant(chars[i]);
            }
            prevLetter = isLetter;
        }
        return new string(chars);
    }

    private static string Printf(string format, List<object?> args)
    {
        var sb = new StringBuilder();
        var argi = 0;
        for (var i = 0; i < format.Length; i++)
        {
            var c = format[i];
            if (c != '%' || i + 1 >= format.Length)
            {
                sb.Append(c);
                continue;
            }
            var verb = format[++i];
            if (verb == '%')
            {
                sb.Append('%');
                continue;
            }
            var arg = argi < args.Count ? args[argi++] : null;
            sb.Append(verb switch
            {
                'q' => "\"" + Print(arg).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"",
                _ => Print(arg),
            });
        }
        return sb.ToString();
    }

    // ---------------- syntax tree ----------------

    private abstract class Node;

    private sealed class TextNode(string text) : Node
    {
        public string Text { get; } = text;
    }

    private sealed class ActionNode(Pipeline pipe) : Node
    {
        public Pipeline Pipe { get; } = pipe;
    }

    private sealed class IfNode(Pipeline pipe, List<Node> then, List<Node>? @else) : Node
    {
        public Pipeline Pipe { get; } = pipe;
        public List<Node> Then { get; } = then;
        public List<Node>? Else { get; } = @else;
    }

    private sealed class WithNode(Pipeline pipe, List<Node> then, List<Node>? @else) : Node
    {
        public Pipeline Pipe { get; } = pipe;
        public List<Node> Then { get; } = then;
        public List<Node>? Else { get; } = @else;
    }

    private sealed class RangeNode(Pipeline pipe, List<Node> body, List<Node>? @else) : Node
    {
        public Pipeline Pipe { get; } = pipe;
        public List<Node> Body { get; } = body;
        public List<Node>? Else { get; } = @else;
    }

    private sealed class Pipeline(List<string> decl, List<Command> commands)
    {
        public List<string> Decl { get; } = decl;
        public List<Command> Commands { get; } = commands;
    }

    private sealed class Command(List<Operand> operands)
    {
        public List<Operand> Operands { get; } = operands;
    }

    private abstract class Operand;

    private sealed class DotOperand : Operand
    {
        public override string ToString() => ".";
    }

    private sealed class FieldOperand(List<string> chain) : Operand
    {
        public List<string> Chain { get; } = chain;

        public override string ToString() => "." + string.Join('.', Chain);
    }

    private sealed class VarOperand(string name, List<string> chain) : Operand
    {
        public string Name { get; } = name;
        public List<string> Chain { get; } = chain;
    }

    private sealed class LiteralOperand(object? value) : Operand
    {
        public object? Value { get; } = value;

        public override string ToString() => Print(Value);
    }

    private sealed class IdentOperand(string name) : Operand
    {
        public string Name { get; } = name;
    }

    private sealed class SubOperand(Pipeline pipe, List<string> chain) : Operand
    {
        public Pipeline Pipe { get; } = pipe;
        public List<string> Chain { get; } = chain;
    }

    // ---------------- parser ----------------

    private sealed class Parser(string text)
    {
        private readonly string _text = text;
        private int _pos;
        private bool _trimNextText;

        /// <summary>Parses nodes up to an {{end}} / {{else ...}} (returned in <paramref name="end"/>) or EOF (null).</summary>
        public List<Node> ParseList(out string? end)
        {
            var nodes = new List<Node>();
            while (true)
            {
                var open = _text.IndexOf("{{", _pos, StringComparison.Ordinal);
                var chunk = open < 0 ? _text[_pos..] : _text[_pos..open];
                var trimLeft = open >= 0 && open + 3 < _text.Length && _text[open + 2] == '-' && char.IsWhiteSpace(_text[open + 3]);
                if (_trimNextText)
                {
                    chunk = chunk.TrimStart();
                    _trimNextText = false;
                }
                if (trimLeft)
                {
                    chunk = chunk.TrimEnd();
                }
                if (chunk.Length > 0)
                {
                    nodes.Add(new TextNode(chunk));
                }
                if (open < 0)
                {
                    _pos = _text.Length;
                    end = null;
                    return nodes;
                }
                var start = open + (trimLeft ? 3 : 2);
                var close = FindClose(start);
                if (close < 0)
                {
                    throw new TemplateException("template: :1: unclosed action");
                }
                var inner = _text[start..close];
                var trimRight = inner.EndsWith('-') && inner.Length >= 2 && char.IsWhiteSpace(inner[^2]);
                if (trimRight)
                {
                    inner = inner[..^1];
                }
                _pos = close + 2;
                _trimNextText = trimRight;
                var lexer = new Lexer(inner.Trim());
                var tokens = lexer.Tokens;
                if (tokens.Count == 0)
                {
                    throw new TemplateException("template: :1: missing value for command");
                }
                if (tokens[0].Kind == TokenKind.Comment)
                {
                    continue;
                }
                if (tokens[0].Kind == TokenKind.Ident)
                {
                    switch (tokens[0].Text)
                    {
                        case "end":
                            end = "end";
                            return nodes;
                        case "else":
                            end = tokens.Count > 1 ? "else " + inner.Trim()[4..].Trim() : "else";
                            return nodes;
                        case "if":
                            nodes.Add(ParseIf(tokens, 1));
                            continue;
                        case "with":
                            {
                                var pipe = new PipeParser(tokens, 1).ParsePipeline(true);
                                var body = ParseList(out var e);
                                List<Node>? elseNodes = null;
                                if (e == "else")
                                {
                                    elseNodes = ParseList(out e);
                                }
                                Expect(e);
                                nodes.Add(new WithNode(pipe, body, elseNodes));
                                continue;
                            }
                        case "range":
                            {
                                var pipe = new PipeParser(tokens, 1).ParsePipeline(true);
                                var body = ParseList(out var e);
                                List<Node>? elseNodes = null;
                                if (e == "else")
                                {
                                    elseNodes = ParseList(out e);
                                }
                                Expect(e);
                                nodes.Add(new RangeNode(pipe, body, elseNodes));
                                continue;
                            }
                        case "template" or "define" or "block":
                            throw new TemplateException($"template: :1: \"{tokens[0].Text}\" is not supported");
                        default:
                            break;
                    }
                }
                nodes.Add(new ActionNode(new PipeParser(tokens, 0).ParsePipeline(true)));
            }
        }

        private IfNode ParseIf(List<Token> tokens, int start)
        {
            var pipe = new PipeParser(tokens, start).ParsePipeline(true);
            var then = ParseList(out var e);
            List<Node>? elseNodes = null;
            if (e != null && e.StartsWith("else if ", StringComparison.Ordinal))
            {
                var elseTokens = new Lexer(e[5..]).Tokens;
                elseNodes = [ParseIf(elseTokens, 1)];
                return new IfNode(pipe, then, elseNodes);
            }
            if (e == "else")
            {
                elseNodes = ParseList(out e);
            }
            Expect(e);
            return new IfNode(pipe, then, elseNodes);
        }

        private static void Expect(string? end)
        {
            if (end != "end")
            {
                throw new TemplateException(end == null ? "template: :1: unexpected EOF" : $"template: :1: unexpected {{{{{end}}}}}");
            }
        }

        private int FindClose(int from)
        {
            var i = from;
            while (i < _text.Length - 1)
            {
                var c = _text[i];
                if (c == '"' || c == '`')
                {
                    var q = c;
                    i++;
                    while (i < _text.Length && _text[i] != q)
                    {
                        if (q == '"' && _text[i] == '\\')
                        {
                            i++;
                        }
                        i++;
                    }
                    i++;
                    continue;
                }
                if (c == '}' && _text[i + 1] == '}')
                {
                    return i;
                }
                i++;
            }
            return -1;
        }
    }

    private enum TokenKind
    {
        Ident,
        Field,
        Variable,
        String,
        Number,
        Pipe,
        LParen,
        RParen,
        Declare,
        Assign,
        Comma,
        Dot,
        Comment,
    }

    private readonly record struct Token(TokenKind Kind, string Text, object? Value = null);

    private sealed class Lexer
    {
        public List<Token> Tokens { get; } = [];

        public Lexer(string s)
        {
            var i = 0;
            if (s.StartsWith("/*", StringComparison.Ordinal))
            {
                Tokens.Add(new Token(TokenKind.Comment, s));
                return;
            }
            while (i < s.Length)
            {
                var c = s[i];
                if (char.IsWhiteSpace(c))
                {
                    i++;
                }
                else if (c == '|')
                {
                    Tokens.Add(new Token(TokenKind.Pipe, "|"));
                    i++;
                }
                else if (c == '(')
                {
                    Tokens.Add(new Token(TokenKind.LParen, "("));
                    i++;
                }
                else if (c == ')')
                {
                    i++;
                    var chain = ReadChain(s, ref i);
                    Tokens.Add(new Token(TokenKind.RParen, ")", chain));
                }
                else if (c == ',')
                {
                    Tokens.Add(new Token(TokenKind.Comma, ","));
                    i++;
                }
                else if (c == ':' && i + 1 < s.Length && s[i + 1] == '=')
                {
                    Tokens.Add(new Token(TokenKind.Declare, ":="));
                    i += 2;
                }
                else if (c == '=')
                {
                    Tokens.Add(new Token(TokenKind.Assign, "="));
                    i++;
                }
                else if (c == '"')
                {
                    var sb = new StringBuilder();
                    i++;
                    while (i < s.Length && s[i] != '"')
                    {
                        if (s[i] == '\\' && i + 1 < s.Length)
                        {
                            i++;
                            sb.Append(s[i] switch
                            {
                                'n' => '\n',
                                't' => '\t',
                                'r' => '\r',
                                '\\' => '\\',
                                '"' => '"',
                                var other => other,
                            });
                        }
                        else
                        {
                            sb.Append(s[i]);
                        }
                        i++;
                    }
                    if (i >= s.Length)
                    {
                        throw new TemplateException("template: :1: unterminated quoted string");
                    }
                    i++;
                    Tokens.Add(new Token(TokenKind.String, sb.ToString(), sb.ToString()));
                }
                else if (c == '`')
                {
                    var endQ = s.IndexOf('`', i + 1);
                    if (endQ < 0)
                    {
                        throw new TemplateException("template: :1: unterminated raw quoted string");
                    }
                    var str = s[(i + 1)..endQ];
                    Tokens.Add(new Token(TokenKind.String, str, str));
                    i = endQ + 1;
                }
                else if (c == '.')
                {
                    if (i + 1 >= s.Length || !IsIdentChar(s[i + 1]))
                    {
                        Tokens.Add(new Token(TokenKind.Dot, "."));
                        i++;
                        continue;
                    }
                    var chain = ReadChain(s, ref i);
                    Tokens.Add(new Token(TokenKind.Field, "." + string.Join('.', chain), chain));
                }
                else if (c == '$')
                {
                    var start = i;
                    i++;
                    while (i < s.Length && IsIdentChar(s[i]))
                    {
                        i++;
                    }
                    var name = s[start..i];
                    var chain = ReadChain(s, ref i);
                    Tokens.Add(new Token(TokenKind.Variable, name, chain));
                }
                else if (char.IsAsciiDigit(c) || ((c == '-' || c == '+') && i + 1 < s.Length && char.IsAsciiDigit(s[i + 1])))
                {
                    var start = i;
                    i++;
                    while (i < s.Length && (char.IsAsciiLetterOrDigit(s[i]) || s[i] == '.' || s[i] == '_'))
                    {
                        i++;
                    }
                    var num = s[start..i];
                    object value = long.TryParse(num, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)
                        ? l
                        : double.TryParse(num, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
                            ? d
                            : throw new TemplateException($"template: :1: bad number syntax: \"{num}\"");
                    Tokens.Add(new Token(TokenKind.Number, num, value));
                }
                else if (IsIdentChar(c))
                {
                    var start = i;
                    while (i < s.Length && IsIdentChar(s[i]))
                    {
                        i++;
                    }
                    Tokens.Add(new Token(TokenKind.Ident, s[start..i]));
                }
                else
                {
                    throw new TemplateException($"template: :1: unexpected \"{c}\" in command");
                }
            }
        }

        private static bool IsIdentChar(char c) => char.IsLetterOrDigit(c) || c == '_';

        private static List<string> ReadChain(string s, ref int i)
        {
            var chain = new List<string>();
            while (i < s.Length && s[i] == '.' && i + 1 < s.Length && IsIdentChar(s[i + 1]))
            {
                i++;
                var start = i;
                while (i < s.Length && IsIdentChar(s[i]))
                {
                    i++;
                }
                chain.Add(s[start..i]);
            }
            return chain;
        }
    }

    private sealed class PipeParser(List<Token> tokens, int start)
    {
        private readonly List<Token> _tokens = tokens;
        private int _i = start;

        public Pipeline ParsePipeline(bool top)
        {
            var decl = new List<string>();
            // $x := ... or $i, $v := ...
            var look = _i;
            var names = new List<string>();
            while (look < _tokens.Count && _tokens[look].Kind == TokenKind.Variable)
            {
                names.Add(_tokens[look].Text);
                look++;
                if (look < _tokens.Count && _tokens[look].Kind == TokenKind.Comma)
                {
                    look++;
                    continue;
                }
                break;
            }
            if (names.Count > 0 && look < _tokens.Count && _tokens[look].Kind is TokenKind.Declare or TokenKind.Assign)
            {
                decl.AddRange(names);
                _i = look + 1;
            }
            var commands = new List<Command>();
            var operands = new List<Operand>();
            while (_i < _tokens.Count)
            {
                var t = _tokens[_i];
                if (t.Kind == TokenKind.RParen && !top)
                {
                    break;
                }
                _i++;
                switch (t.Kind)
                {
                    case TokenKind.Pipe:
                        if (operands.Count == 0)
                        {
                            throw new TemplateException("template: :1: missing command");
                        }
                        commands.Add(new Command(operands));
                        operands = [];
                        break;
                    case TokenKind.Dot:
                        operands.Add(new DotOperand());
                        break;
                    case TokenKind.Field:
                        operands.Add(new FieldOperand((List<string>)t.Value!));
                        break;
                    case TokenKind.Variable:
                        operands.Add(new VarOperand(t.Text, (List<string>)t.Value!));
                        break;
                    case TokenKind.String:
                    case TokenKind.Number:
                        operands.Add(new LiteralOperand(t.Value));
                        break;
                    case TokenKind.Ident:
                        operands.Add(t.Text switch
                        {
                            "true" => new LiteralOperand(true),
                            "false" => new LiteralOperand(false),
                            "nil" => new LiteralOperand(null),
                            _ => new IdentOperand(t.Text),
                        });
                        break;
                    case TokenKind.LParen:
                        {
                            var sub = ParsePipeline(false);
                            if (_i >= _tokens.Count || _tokens[_i].Kind != TokenKind.RParen)
                            {
                                throw new TemplateException("template: :1: unclosed left paren");
                            }
                            var chain = (List<string>)_tokens[_i].Value!;
                            _i++;
                            operands.Add(new SubOperand(sub, chain));
                            break;
                        }
                    default:
                        throw new TemplateException($"template: :1: unexpected \"{t.Text}\" in operand");
                }
            }
            if (operands.Count > 0)
            {
                commands.Add(new Command(operands));
            }
            if (commands.Count == 0)
            {
                throw new TemplateException("template: :1: missing value for command");
            }
            return new Pipeline(decl, commands);
        }
    }
}
